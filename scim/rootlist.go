package scim

import (
	"errors"
	"net/http"
	"sort"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/store"
)

// maxRootSortDepth bounds how deep a sorted root query may page: sorting
// across resource types merges the first startIndex+count-1 resources of
// each type.
const maxRootSortDepth = 10000

// serveRootList answers a query against the server root (GET / or POST
// /.search, RFC 7644 §3.4.3): Users and Groups together. Without sortBy,
// users come first, then groups, each in creation order.
func (h *Handler) serveRootList(w http.ResponseWriter, r *http.Request, search bool) {
	scope, err := h.scope(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	p, err := h.listParams(r, search)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	type part struct {
		rt *document.Type
		q  store.Query
	}
	var parts []part
	var firstErr error
	sortBy := p.sortBy
	p.sortBy = ""
	for _, rt := range h.types {
		if pr, ok := auth.FromContext(r.Context()); ok && !pr.Allows(rt.Name, false) {
			continue // a root query covers only the types the credential may read
		}
		q, err := h.query(rt, p)
		if err == nil && sortBy != "" {
			// Sort keys a type lacks are absent values, sorted last.
			if q.SortBy, err = filter.ParsePath(sortBy, rt.FilterOptions...); err != nil {
				q.SortBy, err = filter.ParsePath(sortBy, h.limits)
			}
			if err != nil {
				err = badRequest(typeInvalidValue, "sortBy: %v", err)
			}
		}
		if err != nil {
			// A filter naming an attribute one type lacks selects
			// nothing of that type; it is an error only if no type has it.
			var fe *filter.Error
			if errors.As(err, &fe) && firstErr == nil {
				firstErr = err
			}
			if !errors.As(err, &fe) {
				h.writeError(w, r, err)
				return
			}
			continue
		}
		parts = append(parts, part{rt, q})
	}
	if len(parts) == 0 {
		if firstErr == nil {
			pr, _ := auth.FromContext(r.Context())
			auth.Forbid(w, r, h.log, auth.ScopeUsersRead, pr.Tenant)
			return
		}
		h.writeError(w, r, firstErr)
		return
	}
	start, count := parts[0].q.StartIndex, parts[0].q.Count
	base := h.baseURL(r)
	type item struct {
		rt  *document.Type
		res *store.Resource
		key any
	}
	var items []item
	total := 0
	var sorter *filter.Path
	if sortBy == "" {
		for _, pt := range parts {
			q := pt.q
			q.StartIndex = max(1, start-total)
			q.Count = max(0, count-len(items))
			page, err := h.readList(r.Context(), scope, pt.rt.Kind, q)
			if err != nil {
				h.writeError(w, r, err)
				return
			}
			total += page.Total
			for _, res := range page.Resources {
				items = append(items, item{rt: pt.rt, res: res})
			}
		}
	} else {
		depth := start - 1 + count
		if start > maxRootSortDepth || depth > maxRootSortDepth {
			h.writeError(w, r, badRequest(typeTooMany, "a sorted root query pages at most %d resources deep", maxRootSortDepth))
			return
		}
		for _, pt := range parts {
			q := pt.q
			q.StartIndex, q.Count = 1, depth
			page, err := h.readList(r.Context(), scope, pt.rt.Kind, q)
			if err != nil {
				h.writeError(w, r, err)
				return
			}
			total += page.Total
			for _, res := range page.Resources {
				items = append(items, item{rt: pt.rt, res: res, key: q.SortBy.SortValue(res.DocumentView())})
				sorter = q.SortBy
			}
		}
		sort.SliceStable(items, func(i, j int) bool {
			c := sorter.Compare(items[i].key, items[j].key)
			if parts[0].q.Descending {
				c = -c
			}
			return c < 0
		})
		lo := min(start-1, len(items))
		items = items[lo:min(lo+count, len(items))]
	}
	resources := make([]any, 0, len(items))
	for _, it := range items {
		resources = append(resources, h.render(base, it.rt, it.res, p.proj))
	}
	h.writeListResponse(w, total, start, resources)
}
