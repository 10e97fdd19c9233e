package scim

import (
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/jsonenc"
	"github.com/scimkit/scimkit/internal/scimerr"
	"github.com/scimkit/scimkit/store"
)

// projection is the attributes / excludedAttributes request of RFC 7644
// §3.4.2.5. attributes wins when both are given.
type projection struct {
	attributes []string
	excluded   []string
}

func parseProjection(attributes, excluded string) projection {
	return projection{attributes: splitList(attributes), excluded: splitList(excluded)}
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// checkProjection parses every name of attributes and excludedAttributes
// with filter.ParsePath, under the handler's limits and without schemas
// (RFC 7644 §3.4.2.5: unknown names are ignored), so that a name is
// bounded like any filter and a value filter, which selects values and not
// attributes, is refused (400 invalidValue) rather than silently ignored.
func (h *Handler) checkProjection(attributes, excluded string) error {
	for _, param := range [...]struct{ name, list string }{{"attributes", attributes}, {"excludedAttributes", excluded}} {
		for _, a := range splitList(param.list) {
			if _, err := filter.ParsePath(a, h.limits); err != nil {
				return badRequest(typeInvalidValue, "%s: %v", param.name, err)
			}
		}
	}
	return nil
}

func (p projection) empty() bool { return len(p.attributes) == 0 && len(p.excluded) == 0 }

// wantsMembers reports whether a Group's members will be returned.
func (p projection) wantsMembers() bool {
	if len(p.attributes) > 0 {
		for _, a := range p.attributes {
			if pathRoot(a) == "members" {
				return true
			}
		}
		return false
	}
	for _, a := range p.excluded {
		if strings.EqualFold(a, "members") {
			return false
		}
	}
	return true
}

func pathRoot(p string) string {
	p = strings.ToLower(p)
	if i := strings.IndexByte(p, '.'); i >= 0 && !strings.HasPrefix(p, "urn:") {
		p = p[:i]
	}
	return p
}

// baseURL is the absolute URL the handler is mounted at.
func (h *Handler) baseURL(r *http.Request) string {
	if h.cfg.BaseURL != "" {
		return h.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// http.StripPrefix leaves RequestURI untouched, so the mount prefix is
	// what RequestURI's path has before r.URL.Path.
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if strings.IndexByte(path, '%') >= 0 || !strings.HasPrefix(path, "/") {
		// Escaped (or absolute-form): decode it as net/http did.
		path = ""
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			path = u.Path
		}
	}
	prefix := ""
	if i := len(path) - len(r.URL.Path); i > 0 && strings.HasSuffix(path, r.URL.Path) {
		prefix = path[:i]
	}
	return scheme + "://" + r.Host + prefix
}

// render turns a stored resource into the JSON object sent to clients.
func (h *Handler) render(base string, rt *resourceType, res *store.Resource, p projection) map[string]any {
	// Without a projection nothing below the top level is changed, so a
	// view will do. A projection works on a copy: deletePath removes
	// sub-attributes in place, and copyPath can hand a value it copied
	// over back to copyAttr to write into (attributes=name,name.givenName),
	// which with a view would be the store's own map.
	var doc map[string]any
	if p.empty() {
		doc = res.DocumentView()
	} else {
		doc = res.Document()
	}
	dropInternal(doc)
	schemas := []any{rt.core.ID}
	for i := range rt.extensions {
		if _, ok := doc[rt.extensions[i].ID]; ok {
			schemas = append(schemas, rt.extensions[i].ID)
		}
	}
	doc["schemas"] = schemas
	if meta, ok := doc["meta"].(map[string]any); ok {
		meta["location"] = base + rt.endpoint + "/" + url.PathEscape(res.ID)
	}
	switch res.Type {
	case store.User:
		if groups, _ := doc["groups"].([]any); len(groups) == 0 {
			delete(doc, "groups")
		} else {
			for _, g := range groups {
				e := g.(map[string]any)
				e["$ref"] = base + "/Groups/" + url.PathEscape(e["value"].(string))
			}
		}
	case store.Group:
		members, _ := doc["members"].([]any)
		for _, m := range members {
			e := m.(map[string]any)
			ep := "/Users/"
			if e["type"] == string(store.Group) {
				ep = "/Groups/"
			}
			e["$ref"] = base + ep + url.PathEscape(e["value"].(string))
		}
	}
	if p.empty() {
		return doc
	}
	return project(rt, doc, p)
}

// project applies attributes/excludedAttributes. "schemas" and "id"
// (returned: always) are always kept; unknown names are ignored.
func project(rt *resourceType, doc map[string]any, p projection) map[string]any {
	if len(p.attributes) > 0 {
		out := map[string]any{"schemas": doc["schemas"], "id": doc["id"]}
		for _, a := range p.attributes {
			copyPath(rt, doc, out, a)
		}
		return out
	}
	for _, a := range p.excluded {
		deletePath(rt, doc, a)
	}
	return doc
}

// splitPath resolves a projection path into the containers it reaches:
// (extension URN or "", attribute name, sub-attribute name or "").
func splitPath(rt *resourceType, path string) (urn, attr, sub string, ok bool) {
	if strings.HasPrefix(strings.ToLower(path), "urn:") {
		if ext, found := rt.extension(path); found {
			return ext.ID, "", "", true
		}
		ref, found := rt.lookup(cutSub(path))
		if !found {
			return "", "", "", false
		}
		if ref.ext != nil {
			urn = ref.ext.ID
		}
		attr = ref.attr.Name()
		if i := strings.LastIndexByte(path, '.'); i > strings.LastIndexByte(path, ':') {
			sub = path[i+1:]
		}
		return urn, attr, sub, true
	}
	attr, sub, _ = strings.Cut(path, ".")
	return "", attr, sub, true
}

// cutSub removes a trailing ".sub" from a URN-qualified path.
func cutSub(path string) string {
	if i := strings.LastIndexByte(path, '.'); i > strings.LastIndexByte(path, ':') {
		return path[:i]
	}
	return path
}

func copyPath(rt *resourceType, src, dst map[string]any, path string) {
	urn, attr, sub, ok := splitPath(rt, path)
	if !ok {
		return
	}
	if urn != "" {
		ext, _ := src[urn].(map[string]any)
		if ext == nil {
			return
		}
		if attr == "" {
			dst[urn] = ext
			return
		}
		d, _ := dst[urn].(map[string]any)
		if d == nil {
			d = map[string]any{}
			dst[urn] = d
		}
		copyAttr(ext, d, attr, sub)
		if len(d) == 0 {
			delete(dst, urn)
		}
		return
	}
	copyAttr(src, dst, attr, sub)
}

func copyAttr(src, dst map[string]any, attr, sub string) {
	k, ok := lookupKey(src, attr)
	if !ok {
		return
	}
	v := src[k]
	if sub == "" {
		dst[k] = v
		return
	}
	switch t := v.(type) {
	case map[string]any:
		sk, ok := lookupKey(t, sub)
		if !ok {
			return
		}
		d, _ := dst[k].(map[string]any)
		if d == nil {
			d = map[string]any{}
			dst[k] = d
		}
		d[sk] = t[sk]
	case []any:
		// A sub-attribute of a multi-valued attribute: keep that
		// sub-attribute of every element (merging with any earlier pick).
		prev, _ := dst[k].([]any)
		out := make([]any, len(t))
		for i, e := range t {
			em, _ := e.(map[string]any)
			var d map[string]any
			if i < len(prev) {
				d, _ = prev[i].(map[string]any)
			}
			if d == nil {
				d = map[string]any{}
			}
			if sk, ok := lookupKey(em, sub); ok {
				d[sk] = em[sk]
			}
			out[i] = d
		}
		dst[k] = out
	}
}

func deletePath(rt *resourceType, doc map[string]any, path string) {
	urn, attr, sub, ok := splitPath(rt, path)
	if !ok {
		return
	}
	target := doc
	if urn != "" {
		if attr == "" {
			delete(doc, urn)
			return
		}
		target, _ = doc[urn].(map[string]any)
		if target == nil {
			return
		}
	}
	k, ok := lookupKey(target, attr)
	if !ok || (urn == "" && (k == "id" || k == "schemas")) {
		return
	}
	if sub == "" {
		delete(target, k)
	} else {
		switch t := target[k].(type) {
		case map[string]any:
			if sk, ok := lookupKey(t, sub); ok {
				delete(t, sk)
			}
		case []any:
			for _, e := range t {
				if em, ok := e.(map[string]any); ok {
					if sk, ok := lookupKey(em, sub); ok {
						delete(em, sk)
					}
				}
			}
		}
	}
	if urn != "" && len(target) == 0 {
		delete(doc, urn)
	}
}

// writeJSON writes v as a SCIM JSON response, encoded into a buffer from
// the handler's pool.
func (h *Handler) writeJSON(w http.ResponseWriter, status int, v any) {
	buf := h.bufs.get()
	defer h.bufs.put(buf)
	body, err := jsonenc.Append((*buf)[:0], v)
	*buf = body
	if err != nil {
		scimerr.Write(w, http.StatusInternalServerError, "", "response encoding failed")
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// bufferPool recycles response buffers. http.ResponseWriter.Write copies
// what it is given before returning, so a buffer is free again once the
// response is written.
type bufferPool struct{ p sync.Pool }

// maxPooledBuffer is the largest buffer kept for reuse: a rare huge
// response (a list of large groups) is not held on to.
const maxPooledBuffer = 64 << 10

func (bp *bufferPool) get() *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 2048)
	return &b
}

func (bp *bufferPool) put(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		bp.p.Put(b)
	}
}
