package sqlstore_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

func serve(t *testing.T, s store.Store) *httptest.Server {
	t.Helper()
	h, err := scim.NewHandler(scim.Config{Store: s, HostAuthenticates: true, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(raw))
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func patch(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}

// TestReplicasLoseNoUpdate runs two app replicas, each with its own
// connection pool, on one PostgreSQL schema, and lets them change one group
// and one user at the same time.
func TestReplicasLoseNoUpdate(t *testing.T) {
	t.Parallel()
	first, dsn := pgSchemas.Postgres(t)
	second := sqlstoretest.OpenPostgres(t, dsn)
	replicas := []*httptest.Server{serve(t, first), serve(t, second)}

	const n = 30
	ids := make([]string, n)
	for i := range ids {
		status, body := call(t, replicas[i%2], "POST", "/Users", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": fmt.Sprintf("user%d@example.com", i)})
		require.Equal(t, http.StatusCreated, status, body)
		ids[i] = body["id"].(string)
	}
	status, body := call(t, replicas[0], "POST", "/Groups", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Everyone"})
	require.Equal(t, http.StatusCreated, status, body)
	gid := body["id"].(string)

	var wg sync.WaitGroup
	statuses := make([]int, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			statuses[i], _ = call(t, replicas[i%2], "PATCH", "/Groups/"+gid,
				patch(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": ids[i]}}}))
		}()
		go func() {
			// Each writes a different attribute of the same user.
			defer wg.Done()
			statuses[n+i], _ = call(t, replicas[(i+1)%2], "PATCH", "/Users/"+ids[0],
				patch(map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": fmt.Sprintf("e%d@example.com", i)}}}))
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		require.Contains(t, []int{http.StatusOK, http.StatusNoContent}, s, "request %d", i)
	}
	_, g := call(t, replicas[1], "GET", "/Groups/"+gid, nil)
	assert.Len(t, g["members"], n, "no membership change is lost")
	_, u := call(t, replicas[0], "GET", "/Users/"+ids[0], nil)
	assert.Len(t, u["emails"], n, "no attribute change is lost")
}
