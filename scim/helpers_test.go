package scim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchURN      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	errorURN      = "urn:ietf:params:scim:api:messages:2.0:Error"
	listURN       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// client talks to a handler mounted at /scim/v2 on a real HTTP server.
type client struct {
	t    *testing.T
	srv  *httptest.Server
	base string
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func newClient(t *testing.T, cfg scim.Config) *client {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = testStore(t)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// The test client sends no credentials: it stands for a host app
	// that authenticates on its own.
	cfg.HostAuthenticates = true
	h, err := scim.NewHandler(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &client{t: t, srv: srv, base: srv.URL + "/scim/v2"}
}

// do sends a request; body may be a string (sent as is) or any value
// (JSON-encoded). headers are name, value pairs.
func (c *client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.srv.Client().Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		require.NoError(c.t, json.Unmarshal(raw, &r.body), "body: %s", raw)
		assert.Equal(c.t, "application/scim+json", resp.Header.Get("Content-Type"))
	}
	return r
}

// must asserts the status and returns the response.
func (c *client) must(status int, method, path string, body any, headers ...string) response {
	c.t.Helper()
	r := c.do(method, path, body, headers...)
	require.Equal(c.t, status, r.status, "%s %s: %s", method, path, r.raw)
	return r
}

// requireError asserts an RFC 7644 §3.12 error response.
func requireError(t *testing.T, r response, status int, scimType string) {
	t.Helper()
	require.Equal(t, status, r.status, r.raw)
	assert.Equal(t, []any{errorURN}, r.body["schemas"], r.raw)
	assert.Equal(t, strconvItoa(status), r.body["status"], "status must be a string")
	if scimType != "" {
		assert.Equal(t, scimType, r.body["scimType"], r.raw)
	} else {
		assert.NotContains(t, r.body, "scimType")
	}
	assert.NotEmpty(t, r.body["detail"])
}

func strconvItoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (c *client) createUser(userName string, extra map[string]any) map[string]any {
	c.t.Helper()
	body := map[string]any{"schemas": []string{userURN}, "userName": userName}
	for k, v := range extra {
		body[k] = v
	}
	return c.must(http.StatusCreated, "POST", "/Users", body).body
}

func (c *client) createGroup(name string, memberIDs ...string) map[string]any {
	c.t.Helper()
	members := []any{}
	for _, id := range memberIDs {
		members = append(members, map[string]any{"value": id})
	}
	return c.must(http.StatusCreated, "POST", "/Groups",
		map[string]any{"schemas": []string{groupURN}, "displayName": name, "members": members}).body
}

func patchBody(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []string{patchURN}, "Operations": list}
}

// at walks a decoded JSON document: keys for objects, ints for arrays.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func ids(list any) []string {
	var out []string
	for _, e := range list.([]any) {
		out = append(out, e.(map[string]any)["id"].(string))
	}
	return out
}

func memberIDs(group map[string]any) []string {
	var out []string
	ms, _ := group["members"].([]any)
	for _, m := range ms {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	return out
}

func storeForTest() *memory.Store { return memory.New() }

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }

// testStore returns the store the HTTP suite runs on: memory by default, or
// the one SCIMKIT_TEST_STORE names (sqlite, postgres), so CI runs the whole
// suite against every store.
func testStore(t *testing.T) store.Store {
	switch os.Getenv("SCIMKIT_TEST_STORE") {
	case "", "memory":
		return memory.New()
	case "sqlite":
		return sqlstoretest.SQLite(t)
	case "postgres":
		s, _ := sqlstoretest.Postgres(t)
		return s
	default:
		t.Fatalf("unknown SCIMKIT_TEST_STORE %q", os.Getenv("SCIMKIT_TEST_STORE"))
		return nil
	}
}
