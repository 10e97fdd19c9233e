package scim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore"
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

// newClient serves a handler of cfg, which must name its Store (tests that
// run on every store get one from storeKind.newClient).
func newClient(t *testing.T, cfg scim.Config) *client {
	t.Helper()
	require.NotNil(t, cfg.Store, "newClient needs a store: run the test with everyStore and use storeKind.newClient")
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
	srv := serve(t, mux)
	return &client{t: t, srv: srv, base: srv.URL + "/scim/v2"}
}

// serve serves h on a real HTTP server until t ends. At the end it waits
// for every handler to return, then drops the connections; unlike
// httptest.Server.Close it does not wait out the half second net/http
// lingers on a connection whose request body the handler left unread
// (every request over a body limit), when the handler is long done.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	var handlers sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		_ = srv.Listener.Close()
		handlers.Wait()
		srv.CloseClientConnections()
		srv.Client().CloseIdleConnections()
	})
	return srv
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

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }

// storeKind is one of the stores the HTTP suite runs on. Every test that
// does not bring a store of its own runs once per kind, through everyStore.
type storeKind string

const (
	memoryStore   storeKind = "memory"
	sqliteStore   storeKind = "sqlite"
	postgresStore storeKind = "postgres"
)

// storeKinds are the kinds everyStore runs a test on, in this order.
var storeKinds = []storeKind{memoryStore, sqliteStore, postgresStore}

// pgSchemas lends the suite's PostgreSQL stores their schemas, migrated
// once and emptied between tests; TestMain drops them.
var pgSchemas = sqlstoretest.NewSchemas()

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgSchemas.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// everyStore runs body once per store kind: memory, SQLite, and PostgreSQL
// when SCIMKIT_POSTGRES_DSN is set (that subtest is skipped otherwise,
// saying so), as parallel subtests named by kind. The body opens fresh,
// empty stores of its kind with sk.open or through sk.newClient.
func everyStore(t *testing.T, body func(t *testing.T, sk storeKind)) {
	t.Helper()
	onStores(t, true, body)
}

// everyStoreInTurn is everyStore with the stores one after another, for a
// test that must not run in parallel with anything: one that bounds the
// time or the memory (runtime.MemStats counts every goroutine's) of
// requests. Such a test does not call t.Parallel either.
func everyStoreInTurn(t *testing.T, body func(t *testing.T, sk storeKind)) {
	t.Helper()
	onStores(t, false, body)
}

func onStores(t *testing.T, parallel bool, body func(t *testing.T, sk storeKind)) {
	t.Helper()
	for _, sk := range storeKinds {
		t.Run(string(sk), func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			if sk == postgresStore {
				sqlstoretest.PostgresDSN(t) // skips, naming the variable, when unset
			}
			body(t, sk)
		})
	}
}

// storeOption configures a store storeKind.open opens.
type storeOption func(*storeOptions)

type storeOptions struct {
	now func() time.Time
}

// withClock makes the store take its timestamps (meta.created and
// meta.lastModified) from now.
func withClock(now func() time.Time) storeOption {
	return func(o *storeOptions) { o.now = now }
}

// open returns a new, empty store of kind sk, closed when t ends.
func (sk storeKind) open(t *testing.T, opts ...storeOption) store.Store {
	t.Helper()
	var o storeOptions
	for _, opt := range opts {
		opt(&o)
	}
	var memOpts []memory.Option
	var sqlOpts []sqlstore.Option
	if o.now != nil {
		memOpts = append(memOpts, memory.WithClock(o.now))
		sqlOpts = append(sqlOpts, sqlstore.WithClock(o.now))
	}
	switch sk {
	case memoryStore:
		return memory.New(memOpts...)
	case sqliteStore:
		return sqlstoretest.SQLite(t, sqlOpts...)
	case postgresStore:
		s, _ := pgSchemas.Postgres(t, sqlOpts...)
		return s
	}
	t.Fatalf("unknown store kind %q", sk)
	return nil
}

// durable reports whether sk writes to disk, committing every change:
// tests whose size a durable store would make slow scale down on one.
func (sk storeKind) durable() bool { return sk != memoryStore }

// newClient is newClient with a new store of kind sk unless cfg has one.
func (sk storeKind) newClient(t *testing.T, cfg scim.Config) *client {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = sk.open(t)
	}
	return newClient(t, cfg)
}
