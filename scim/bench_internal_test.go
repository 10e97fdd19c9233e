package scim

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

const benchUser = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
"userName":"bjensen@example.com","externalId":"00u1","name":{"givenName":"Barbara","familyName":"Jensen"},"displayName":"Babs Jensen",
"active":true,"emails":[{"value":"bjensen@example.com","type":"work","primary":true},{"value":"babs@jensen.org","type":"home"}],
"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984","department":"Tour Operations"}}`

func benchHandler(b *testing.B) *Handler {
	h, err := NewHandler(Config{Store: memory.New(), HostAuthenticates: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkDecodeUser: JSON body to stored form (parse, normalise,
// validate).
func BenchmarkDecodeUser(b *testing.B) {
	h := benchHandler(b)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/Users", bytes.NewReader([]byte(benchUser)))
		body, err := readJSON(r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.users.Decode(body, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderUser: stored form to response JSON.
func BenchmarkRenderUser(b *testing.B) {
	h := benchHandler(b)
	r := httptest.NewRequest("POST", "/Users", bytes.NewReader([]byte(benchUser)))
	body, _ := readJSON(r)
	d, err := h.users.Decode(body, true)
	if err != nil {
		b.Fatal(err)
	}
	res := &store.Resource{Type: store.User, ID: "2819c223-7f76-453a-919d-413861904646", Attributes: d.Attrs, Version: 3}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(h.render("https://example.com/scim/v2", h.users, res, document.Projection{})); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatchApply: Entra's no-path replace with dotted and URN keys
// plus a value-path replace, applied to a copy and validated.
func BenchmarkPatchApply(b *testing.B) {
	h := benchHandler(b)
	r := httptest.NewRequest("POST", "/Users", bytes.NewReader([]byte(benchUser)))
	body, _ := readJSON(r)
	d, _ := h.users.Decode(body, true)
	cur := &store.Resource{Type: store.User, ID: "x", Attributes: d.Attrs, Version: 1}
	ops, err := document.ParsePatch(map[string]any{"schemas": []any{patchOpURN}, "Operations": []any{
		map[string]any{"op": "replace", "value": map[string]any{"name.givenName": "Babs", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D"}},
		map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": "b@corp.example"},
		map[string]any{"op": "replace", "path": "active", "value": "False"},
	}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.users.ApplyPatch(cur, ops, entraOptions); err != nil {
			b.Fatal(err)
		}
	}
}
