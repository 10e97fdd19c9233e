package scim

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/elimity-com/scim/schema"

	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/store"
)

// The discovery endpoints describe exactly what this handler does.

func (h *Handler) serveServiceProviderConfig(w http.ResponseWriter, r *http.Request) {
	spc := map[string]any{
		"schemas":               []string{spcSchema},
		"patch":                 map[string]any{"supported": true},
		"bulk":                  map[string]any{"supported": true, "maxOperations": h.cfg.BulkMaxOperations, "maxPayloadSize": h.cfg.BulkMaxPayloadBytes},
		"filter":                map[string]any{"supported": true, "maxResults": h.cfg.MaxResults},
		"changePassword":        map[string]any{"supported": false},
		"sort":                  map[string]any{"supported": true},
		"etag":                  map[string]any{"supported": true},
		"authenticationSchemes": h.cfg.AuthenticationSchemes,
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     h.baseURL(r) + "/ServiceProviderConfig",
		},
	}
	// An attribute without a value is omitted (RFC 7643 §2.5), not sent
	// as "".
	if h.cfg.DocumentationURI != "" {
		spc["documentationUri"] = h.cfg.DocumentationURI
	}
	h.writeJSON(w, http.StatusOK, spc)
}

// allSchemas lists the resource schemas the handler serves (core first,
// then extensions, each once).
func (h *Handler) allSchemas() []schema.Schema {
	var out []schema.Schema
	for _, rt := range h.types {
		out = append(out, rt.Core)
	}
	for _, rt := range h.types {
		out = append(out, rt.Extensions...)
	}
	return out
}

func (h *Handler) schemaJSON(base string, s schema.Schema, uniqueGroupNames bool) map[string]any {
	m := s.ToMap()
	core := s.ID == h.users.Core.ID || s.ID == h.groups.Core.ID
	if attrs, ok := m["attributes"].([]map[string]any); ok && core {
		for _, a := range attrs {
			switch a["name"] {
			case "userName", "displayName":
				// Stores index them: longer values get 400 invalidValue
				// (document.Type.Decode).
				a["description"] = fmt.Sprintf("%s At most %d bytes.", a["description"], store.MaxKeyLen)
				// The schema table says what the RFC says (uniqueness
				// "none"); this handler may enforce more, and says so.
				if a["name"] == "displayName" && s.ID == h.groups.Core.ID && uniqueGroupNames {
					a["uniqueness"] = "server"
				}
			}
		}
	}
	dropEmptyStrings(m)
	m["meta"] = map[string]any{"resourceType": "Schema", "location": base + "/Schemas/" + s.ID}
	return m
}

// dropEmptyStrings deletes, throughout a schema's map form, the attributes
// whose value is "": a schema attribute declared without a description
// has none, and an attribute without a value is omitted (RFC 7643 §2.5).
func dropEmptyStrings(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case string:
			if t == "" {
				delete(m, k)
			}
		case map[string]any:
			dropEmptyStrings(t)
		case []map[string]any:
			for _, e := range t {
				dropEmptyStrings(e)
			}
		case []any:
			for _, e := range t {
				if em, ok := e.(map[string]any); ok {
					dropEmptyStrings(em)
				}
			}
		}
	}
}

func (h *Handler) serveSchemas(w http.ResponseWriter, r *http.Request, id string) {
	base := h.baseURL(r)
	schemas := h.allSchemas()
	// Group displayName uniqueness is the requesting directory's setting.
	unique := h.cfg.UniqueGroupDisplayName
	if scope, err := h.scope(r); err == nil {
		if pol, err := h.policyFor(r.Context(), scope); err == nil {
			unique = pol.settings.UniqueGroupNames
		}
	}
	if id != "" {
		for _, s := range schemas {
			if strings.EqualFold(s.ID, id) {
				h.writeJSON(w, http.StatusOK, h.schemaJSON(base, s, unique))
				return
			}
		}
		h.writeError(w, r, errorf(http.StatusNotFound, "", "schema %q not found", id))
		return
	}
	out := make([]any, 0, len(schemas))
	for _, s := range schemas {
		out = append(out, h.schemaJSON(base, s, unique))
	}
	h.writeList(w, out)
}

func (h *Handler) resourceTypeJSON(base string, rt *document.Type) map[string]any {
	exts := make([]any, 0, len(rt.Extensions))
	for _, e := range rt.Extensions {
		exts = append(exts, map[string]any{"schema": e.ID, "required": false})
	}
	return map[string]any{
		"schemas":          []string{resourceTypeSchema},
		"id":               rt.Name,
		"name":             rt.Name,
		"endpoint":         rt.Endpoint,
		"description":      rt.Core.Description.Value(),
		"schema":           rt.Core.ID,
		"schemaExtensions": exts,
		"meta":             map[string]any{"resourceType": "ResourceType", "location": base + "/ResourceTypes/" + rt.Name},
	}
}

func (h *Handler) serveResourceTypes(w http.ResponseWriter, r *http.Request, name string) {
	base := h.baseURL(r)
	if name != "" {
		for _, rt := range h.types {
			if strings.EqualFold(rt.Name, name) {
				h.writeJSON(w, http.StatusOK, h.resourceTypeJSON(base, rt))
				return
			}
		}
		h.writeError(w, r, errorf(http.StatusNotFound, "", "resource type %q not found", name))
		return
	}
	out := make([]any, 0, len(h.types))
	for _, rt := range h.types {
		out = append(out, h.resourceTypeJSON(base, rt))
	}
	h.writeList(w, out)
}

func (h *Handler) writeList(w http.ResponseWriter, resources []any) {
	h.writeListResponse(w, len(resources), 1, resources)
}
