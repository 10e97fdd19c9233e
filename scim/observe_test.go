package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/internal/logtest"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

// TestObserveRequests: Config.Observe sees every request when it ends,
// with its scope, credential, operation, resource type and status, and
// LogRequests logs the same.
func TestObserveRequests(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []scim.RequestInfo
	logs := &logtest.Recorder{}
	h, err := scim.NewHandler(scim.Config{Store: memory.New(), Logger: slog.New(logs), LogRequests: true,
		Observe: func(_ context.Context, info scim.RequestInfo) {
			mu.Lock()
			defer mu.Unlock()
			assert.Positive(t, info.Duration)
			info.Duration = 0
			seen = append(seen, info)
		}})
	require.NoError(t, err)
	principal := auth.Principal{Tenant: "acme", Directory: "okta", CredentialID: "okta-token"}
	srv := httptest.NewServer(http.StripPrefix("/scim/v2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), principal)))
	})))
	t.Cleanup(srv.Close)
	send := func(method, path string, body any) map[string]any {
		var raw []byte
		if body != nil {
			raw, err = json.Marshal(body)
			require.NoError(t, err)
		}
		req, err := http.NewRequest(method, srv.URL+"/scim/v2"+path, bytes.NewReader(raw))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	created := send("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "bob"})
	id := created["id"].(string)
	send("GET", "/Users/"+id, nil)
	send("PATCH", "/Users/"+id, patchBody(map[string]any{"op": "replace", "path": "title", "value": "x"}))
	send("GET", "/Users?filter=userName%20eq%20%22bob%22", nil)
	send("POST", "/Groups/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}})
	send("DELETE", "/Users/"+id, nil)
	send("GET", "/ServiceProviderConfig", nil)
	send("POST", "/Bulk", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": []any{}})
	send("GET", "/Nowhere", nil)

	scope := store.Scope{Tenant: "acme", Directory: "okta"}
	want := []scim.RequestInfo{
		{Method: "POST", Operation: "create", ResourceType: store.User, Status: 201},
		{Method: "GET", Operation: "get", ResourceType: store.User, Status: 200},
		{Method: "PATCH", Operation: "patch", ResourceType: store.User, Status: 200},
		{Method: "GET", Operation: "list", ResourceType: store.User, Status: 200},
		{Method: "POST", Operation: "search", ResourceType: store.Group, Status: 200},
		{Method: "DELETE", Operation: "delete", ResourceType: store.User, Status: 204},
		{Method: "GET", Operation: "discovery", Status: 200},
		{Method: "POST", Operation: "bulk", Status: 200},
		{Method: "GET", Operation: "", Status: 404},
	}
	for i := range want {
		want[i].Scope, want[i].CredentialID = scope, "okta-token"
	}
	mu.Lock()
	assert.Equal(t, want, seen)
	mu.Unlock()
	records := logs.WithMessage("scim: request")
	require.Len(t, records, len(want))
	assert.Equal(t, "patch", records[2].Attrs["operation"])
	assert.Equal(t, "okta", records[2].Attrs["directory"])
	assert.Equal(t, "200", records[2].Attrs["status"])
}
