package scim

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/store"
)

// listParams are the query parameters of RFC 7644 §3.4.2, from the URL or
// from a POST /.search body.
type listParams struct {
	filter, sortBy, sortOrder string
	startIndex, count         string
	proj                      document.Projection
}

func listParamsFromQuery(r *http.Request) listParams {
	q := r.URL.Query()
	return listParams{
		filter: q.Get("filter"), sortBy: q.Get("sortBy"), sortOrder: q.Get("sortOrder"),
		startIndex: q.Get("startIndex"), count: q.Get("count"),
		proj: document.ParseProjection(q.Get("attributes"), q.Get("excludedAttributes")),
	}
}

func (h *Handler) listParamsFromSearch(body map[string]any) (listParams, error) {
	var p listParams
	str := func(name string) (string, error) {
		k, ok := document.LookupKey(body, name)
		if !ok || body[k] == nil {
			return "", nil
		}
		switch v := body[k].(type) {
		case string:
			return v, nil
		case json.Number:
			return v.String(), nil
		case []any: // attributes and excludedAttributes are arrays
			parts := make([]string, 0, len(v))
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return "", badRequest(typeInvalidValue, "%q must be an array of strings", name)
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, ","), nil
		}
		return "", badRequest(typeInvalidValue, "%q has the wrong type", name)
	}
	var err error
	fields := []struct {
		name string
		dst  *string
	}{{"filter", &p.filter}, {"sortBy", &p.sortBy}, {"sortOrder", &p.sortOrder},
		{"startIndex", &p.startIndex}, {"count", &p.count}}
	for _, f := range fields {
		if *f.dst, err = str(f.name); err != nil {
			return p, err
		}
	}
	attrs, err := str("attributes")
	if err != nil {
		return p, err
	}
	excluded, err := str("excludedAttributes")
	if err != nil {
		return p, err
	}
	if err := document.CheckProjection(attrs, excluded, h.limits); err != nil {
		return p, err
	}
	p.proj = document.ParseProjection(attrs, excluded)
	return p, nil
}

// listParams reads the query parameters from the URL, or for POST
// /.search from the body.
func (h *Handler) listParams(r *http.Request, search bool) (listParams, error) {
	if !search {
		return listParamsFromQuery(r), nil
	}
	body, err := readJSON(r)
	if err != nil {
		return listParams{}, err
	}
	return h.listParamsFromSearch(body)
}

// query turns list parameters into a store query.
func (h *Handler) query(rt *document.Type, p listParams) (store.Query, error) {
	q := store.Query{StartIndex: 1, Count: h.cfg.MaxResults}
	if s := strings.TrimSpace(p.filter); s != "" {
		// rt.FilterOptions bound it (MaxFilterLen) before any parsing.
		f, err := filter.Parse(s, rt.FilterOptions...)
		if err != nil {
			return q, err
		}
		q.Filter = f
	}
	if s := strings.TrimSpace(p.sortBy); s != "" {
		path, err := filter.ParsePath(s, rt.FilterOptions...)
		if err != nil {
			return q, badRequest(typeInvalidValue, "sortBy: %v", err)
		}
		q.SortBy = path
	}
	switch strings.ToLower(strings.TrimSpace(p.sortOrder)) {
	case "", "ascending":
	case "descending":
		q.Descending = true
	default:
		return q, badRequest(typeInvalidValue, `sortOrder must be "ascending" or "descending"`)
	}
	if s := strings.TrimSpace(p.startIndex); s != "" {
		n, err := atoiClamped(s)
		if err != nil {
			return q, badRequest(typeInvalidValue, "startIndex must be an integer")
		}
		q.StartIndex = max(n, 1)
	}
	if s := strings.TrimSpace(p.count); s != "" {
		n, err := atoiClamped(s)
		if err != nil {
			return q, badRequest(typeInvalidValue, "count must be an integer")
		}
		q.Count = min(max(n, 0), h.cfg.MaxResults)
	}
	q.ExcludeMembers = rt.Kind == store.Group && !p.proj.WantsMembers()
	return q, nil
}

func (h *Handler) serveList(w http.ResponseWriter, r *http.Request, rt *document.Type, search bool) {
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
	q, err := h.query(rt, p)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	page, err := h.readList(r.Context(), scope, rt.Kind, q)
	h.auditRead(r, scope, rt, "list", "", err)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	base := h.baseURL(r)
	resources := make([]any, 0, len(page.Resources))
	for _, res := range page.Resources {
		resources = append(resources, h.render(base, rt, res, p.proj))
	}
	h.writeListResponse(w, page.Total, q.StartIndex, resources)
}

// writeListResponse writes an RFC 7644 §3.4.2 ListResponse; resources is
// never nil, so Resources is always an array (Entra rejects null).
func (h *Handler) writeListResponse(w http.ResponseWriter, total, startIndex int, resources []any) {
	h.writeJSON(w, http.StatusOK, map[string]any{
		"schemas":      []string{listResponseSchema},
		"totalResults": total,
		"itemsPerPage": len(resources),
		"startIndex":   startIndex,
		"Resources":    resources,
	})
}

// atoiClamped parses a decimal integer; one too large for an int is still
// an integer and becomes the largest (or smallest) int, which the callers
// then clamp (RFC 7644 §3.4.2.4).
func atoiClamped(s string) (int, error) {
	n, err := strconv.Atoi(s)
	var ne *strconv.NumError
	if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
		if strings.HasPrefix(s, "-") {
			return math.MinInt, nil
		}
		return math.MaxInt, nil
	}
	return n, err
}
