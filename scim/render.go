package scim

import (
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/internal/jsonenc"
	"github.com/scimkit/scimkit/internal/scimerr"
	"github.com/scimkit/scimkit/store"
)

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
func (h *Handler) render(base string, rt *document.Type, res *store.Resource, p document.Projection) map[string]any {
	// Without a document.Projection nothing below the top level is changed, so a
	// view will do. A document.Projection works on a copy: deletePath removes
	// sub-attributes in place, and copyPath can hand a value it copied
	// over back to copyAttr to write into (attributes=name,name.givenName),
	// which with a view would be the store's own map.
	var doc map[string]any
	if p.Empty() {
		doc = res.DocumentView()
	} else {
		doc = res.Document()
	}
	dropInternal(doc)
	schemas := []any{rt.Core.ID}
	for i := range rt.Extensions {
		if _, ok := doc[rt.Extensions[i].ID]; ok {
			schemas = append(schemas, rt.Extensions[i].ID)
		}
	}
	doc["schemas"] = schemas
	if meta, ok := doc["meta"].(map[string]any); ok {
		meta["location"] = base + rt.Endpoint + "/" + url.PathEscape(res.ID)
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
	if p.Empty() {
		return doc
	}
	return rt.Project(doc, p)
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
