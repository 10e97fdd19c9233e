package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/store"
)

func TestDocumentView(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC)
	for _, r := range []*store.Resource{
		{Type: store.User, ID: "u1", Version: 3, Created: now, LastModified: now,
			Attributes: map[string]any{"userName": "a", "emails": []any{map[string]any{"value": "a@example.com"}},
				"name": map[string]any{"givenName": "A"}},
			Groups: []store.GroupRef{{Value: "g1", Display: "G"}}},
		{Type: store.Group, ID: "g1", Version: 1, Created: now, LastModified: now,
			Attributes: map[string]any{"displayName": "G"},
			Members:    []store.Member{{Value: "u1", Type: store.User, Display: "a"}}},
		{Type: store.User, ID: "u2"}, // no attributes at all
	} {
		t.Run(r.ID, func(t *testing.T) {
			view := r.DocumentView()
			require.Equal(t, r.Document(), view, "a view holds what Document holds")

			// The top level is the caller's: changing it leaves r alone.
			view["schemas"] = []any{"x"}
			delete(view, "userName")
			delete(view, "displayName")
			view["meta"].(map[string]any)["location"] = "https://example.com"
			assert.NotContains(t, r.Attributes, "schemas")
			if r.ID == "u1" {
				assert.Equal(t, "a", r.Attributes["userName"])
				// Below the top level the values are r's own.
				assert.Equal(t, "A", view["name"].(map[string]any)["givenName"])
				doc := r.Document()
				r.Attributes["name"].(map[string]any)["givenName"] = "B"
				assert.Equal(t, "B", view["name"].(map[string]any)["givenName"], "a view shares nested values")
				assert.Equal(t, "A", doc["name"].(map[string]any)["givenName"], "a document shares nothing")
			}
		})
	}
}
