package document

import (
	"strings"

	"github.com/scimkit/scimkit/filter"
)

// Projection is the attributes / excludedAttributes request of RFC 7644
// §3.4.2.5. attributes wins when both are given.
type Projection struct {
	attributes []string
	excluded   []string
}

func ParseProjection(attributes, excluded string) Projection {
	return Projection{attributes: splitList(attributes), excluded: splitList(excluded)}
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

// CheckProjection parses every name of attributes and excludedAttributes
// with filter.ParsePath, under the handler's limits and without schemas
// (RFC 7644 §3.4.2.5: unknown names are ignored), so that a name is
// bounded like any filter and a value filter, which selects values and not
// attributes, is refused (400 invalidValue) rather than silently ignored.
func CheckProjection(attributes, excluded string, limits filter.Option) error {
	for _, param := range [...]struct{ name, list string }{{"attributes", attributes}, {"excludedAttributes", excluded}} {
		for _, a := range splitList(param.list) {
			if _, err := filter.ParsePath(a, limits); err != nil {
				return badRequest(typeInvalidValue, "%s: %v", param.name, err)
			}
		}
	}
	return nil
}

func (p Projection) Empty() bool { return len(p.attributes) == 0 && len(p.excluded) == 0 }

// wantsMembers reports whether a Group's members will be returned.
func (p Projection) WantsMembers() bool {
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

// Project applies attributes/excludedAttributes. "schemas" and "id"
// (returned: always) are always kept; unknown names are ignored.
func (rt *Type) Project(doc map[string]any, p Projection) map[string]any {
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

// splitPath resolves a Projection path into the containers it reaches:
// (extension URN or "", attribute name, sub-attribute name or "").
func splitPath(rt *Type, path string) (urn, attr, sub string, ok bool) {
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

func copyPath(rt *Type, src, dst map[string]any, path string) {
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
	k, ok := LookupKey(src, attr)
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
		sk, ok := LookupKey(t, sub)
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
			if sk, ok := LookupKey(em, sub); ok {
				d[sk] = em[sk]
			}
			out[i] = d
		}
		dst[k] = out
	}
}

func deletePath(rt *Type, doc map[string]any, path string) {
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
	k, ok := LookupKey(target, attr)
	if !ok || (urn == "" && (k == "id" || k == "schemas")) {
		return
	}
	if sub == "" {
		delete(target, k)
	} else {
		switch t := target[k].(type) {
		case map[string]any:
			if sk, ok := LookupKey(t, sub); ok {
				delete(t, sk)
			}
		case []any:
			for _, e := range t {
				if em, ok := e.(map[string]any); ok {
					if sk, ok := LookupKey(em, sub); ok {
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
