package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/directory/directorytest"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

// replicas are two handles on one store's data, as two replicas of an app
// sharing one database have.
type replicas struct {
	name string
	a, b directorytest.Store
}

func eachBackend(t *testing.T) []replicas {
	t.Helper()
	mem := memory.New().Directories()
	path := filepath.Join(t.TempDir(), "scim.db")
	openSQLite := func() directorytest.Store {
		s, err := sqlite.Open(context.Background(), path)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s.Directories()
	}
	out := []replicas{{"memory", mem, mem}, {"sqlite", openSQLite(), openSQLite()}}
	if dsnSet() {
		pa, dsn := sqlstoretest.Postgres(t)
		out = append(out, replicas{"postgres", pa.Directories(), sqlstoretest.OpenPostgres(t, dsn).Directories()})
	}
	return out
}

func dsnSet() bool { return os.Getenv(sqlstoretest.DSNEnv) != "" }

// server serves a handler answering with the request's Principal, behind
// a's middleware.
func server(t *testing.T, a *directory.Authenticator) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		_ = json.NewEncoder(w).Encode(p)
	})))
	t.Cleanup(srv.Close)
	return srv
}

// call sends a GET with token (none when "") and returns the status and,
// for a 200, the Principal.
func call(t *testing.T, srv *httptest.Server, token string) (int, auth.Principal) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/Users", nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var p auth.Principal
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(body, &p))
	} else {
		assert.Equal(t, "application/scim+json", resp.Header.Get("Content-Type"))
		assert.Contains(t, string(body), `"status":"`)
		if resp.StatusCode == http.StatusUnauthorized {
			assert.Equal(t, `Bearer realm="scim"`, resp.Header.Get("WWW-Authenticate"))
		}
	}
	return resp.StatusCode, p
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newDirectory(t *testing.T, s directorytest.Store, sc store.Scope) {
	t.Helper()
	require.NoError(t, s.CreateDirectory(context.Background(), &directory.Directory{Tenant: sc.Tenant, ID: sc.Directory, Kind: directory.Okta}))
}

func newToken(t *testing.T, s directorytest.Store, sc store.Scope) (string, *directory.Credential) {
	t.Helper()
	token, c, err := directory.NewBearerToken(sc, "Okta", []string{"users:read"})
	require.NoError(t, err)
	require.NoError(t, s.CreateCredential(context.Background(), c))
	return token, c
}

// TestAuthenticatorAcrossReplicas: a token created through one replica
// authenticates on another at once; revoking it, or pausing its directory,
// through the first is refused on the second at once.
func TestAuthenticatorAcrossReplicas(t *testing.T) {
	t.Parallel()
	for _, r := range eachBackend(t) {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			auth, err := directory.NewAuthenticator(r.b, directory.AuthOptions{Logger: quiet()})
			require.NoError(t, err)
			srv := server(t, auth)
			sc := store.Scope{Tenant: "acme", Directory: "okta"}
			newDirectory(t, r.a, sc)
			token, c := newToken(t, r.a, sc)

			status, p := call(t, srv, token)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, "acme", p.Tenant)
			assert.Equal(t, "okta", p.Directory)
			assert.Equal(t, c.ID, p.CredentialID)
			assert.Equal(t, []string{"users:read"}, p.Scopes)

			other, _ := newToken(t, r.a, sc)
			require.NoError(t, r.a.EndCredential(ctx, sc, c.ID, time.Now(), true))
			status, _ = call(t, srv, token)
			assert.Equal(t, http.StatusUnauthorized, status, "revoked")
			status, _ = call(t, srv, other)
			assert.Equal(t, http.StatusOK, status, "the directory's other token still works")

			_, err = r.a.UpdateDirectory(ctx, sc, func(d *directory.Directory) error { d.State = directory.Paused; return nil })
			require.NoError(t, err)
			status, _ = call(t, srv, other)
			assert.Equal(t, http.StatusUnauthorized, status, "paused")
			_, err = r.a.UpdateDirectory(ctx, sc, func(d *directory.Directory) error { d.State = directory.Active; return nil })
			require.NoError(t, err)
			status, _ = call(t, srv, other)
			assert.Equal(t, http.StatusOK, status, "active again")
		})
	}
}

// TestAuthenticatorRefuses: every way a bearer token can be wrong gets the
// same 401.
func TestAuthenticatorRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memory.New().Directories()
	now := time.Now()
	clock := func() time.Time { return now }
	staticToken, staticHash, err := auth.NewToken()
	require.NoError(t, err)
	a, err := directory.NewAuthenticator(s, directory.AuthOptions{Logger: quiet(), Now: clock,
		Static: []auth.Token{{ID: "legacy", Hash: staticHash, Principal: auth.Principal{Tenant: "legacy"}}}})
	require.NoError(t, err)
	srv := server(t, a)

	live := store.Scope{Tenant: "acme", Directory: "okta"}
	newDirectory(t, s, live)
	good, _ := newToken(t, s, live)
	expired, ec := newToken(t, s, live)
	require.NoError(t, s.EndCredential(ctx, live, ec.ID, now, false))
	revoked, rc := newToken(t, s, live)
	require.NoError(t, s.EndCredential(ctx, live, rc.ID, now.Add(time.Hour), true))
	gone := store.Scope{Tenant: "acme", Directory: "gone"}
	newDirectory(t, s, gone)
	disconnected, _ := newToken(t, s, gone)
	_, err = s.UpdateDirectory(ctx, gone, func(d *directory.Directory) error { d.State = directory.Disconnected; return nil })
	require.NoError(t, err)
	id, _ := directory.TokenKeyID(good)
	unknown, _, err := directory.NewBearerToken(live, "never saved", nil)
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		token  string
		status int
	}{
		"good":                          {good, http.StatusOK},
		"static":                        {staticToken, http.StatusOK},
		"none":                          {"", http.StatusUnauthorized},
		"garbage":                       {"not a token", http.StatusUnauthorized},
		"unknown static":                {"scim_unknown", http.StatusUnauthorized},
		"unknown key id":                {unknown, http.StatusUnauthorized},
		"right key id, wrong secret":    {"scimkit_" + id + "_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.StatusUnauthorized},
		"expired":                       {expired, http.StatusUnauthorized},
		"revoked before it expires":     {revoked, http.StatusUnauthorized},
		"of a disconnected directory":   {disconnected, http.StatusUnauthorized},
		"key id alone":                  {"scimkit_" + id + "_", http.StatusUnauthorized},
		"upper-case key id":             {"scimkit_AAAAAAAAAAAAAAAAAAAA_x", http.StatusUnauthorized},
		"good token with trailing data": {good + "x", http.StatusUnauthorized},
	} {
		status, p := call(t, srv, tc.token)
		assert.Equal(t, tc.status, status, name)
		if name == "static" {
			assert.Equal(t, "legacy", p.Tenant)
		}
	}
}

// TestAuthenticatorRotationOverlap: after Rotate both tokens work until the
// overlap ends, then only the new one.
func TestAuthenticatorRotationOverlap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, r := range eachBackend(t) {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			now := time.Now()
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			a, err := directory.NewAuthenticator(r.b, directory.AuthOptions{Logger: quiet(), Now: clock})
			require.NoError(t, err)
			srv := server(t, a)
			sc := store.Scope{Tenant: "acme", Directory: "entra"}
			newDirectory(t, r.a, sc)
			oldToken, old := newToken(t, r.a, sc)
			newToken, _, err := directory.Rotate(ctx, r.a, sc, old.ID, time.Hour, clock())
			require.NoError(t, err)
			for _, tok := range []string{oldToken, newToken} {
				status, _ := call(t, srv, tok)
				assert.Equal(t, http.StatusOK, status, "during the overlap")
			}
			mu.Lock()
			now = now.Add(time.Hour)
			mu.Unlock()
			status, _ := call(t, srv, oldToken)
			assert.Equal(t, http.StatusUnauthorized, status, "after the overlap")
			status, _ = call(t, srv, newToken)
			assert.Equal(t, http.StatusOK, status)
		})
	}
}

// countingStore counts the writes of last-used times.
type countingStore struct {
	directorytest.Store
	touches atomic.Int64
	fail    atomic.Bool
}

func (c *countingStore) TouchCredentials(ctx context.Context, used map[string]time.Time) error {
	c.touches.Add(1)
	return c.Store.TouchCredentials(ctx, used)
}

func (c *countingStore) LookupCredential(ctx context.Context, id string) (*directory.Credential, *directory.Directory, error) {
	if c.fail.Load() {
		return nil, nil, errors.New("database is down")
	}
	return c.Store.LookupCredential(ctx, id)
}

// TestAuthenticatorRecordsUseInBatches: 200 requests write last-used times
// at most twice (the first batch at once, the next after TouchInterval),
// never once per request; Flush writes the rest, and the store then shows
// when the credential and its directory were last used.
func TestAuthenticatorRecordsUseInBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cs := &countingStore{Store: memory.New().Directories()}
	a, err := directory.NewAuthenticator(cs, directory.AuthOptions{Logger: quiet(), TouchInterval: time.Hour})
	require.NoError(t, err)
	srv := server(t, a)
	sc := store.Scope{Tenant: "acme", Directory: "okta"}
	newDirectory(t, cs, sc)
	token, c := newToken(t, cs, sc)

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				status, _ := call(t, srv, token)
				assert.Equal(t, http.StatusOK, status)
			}
		}()
	}
	wg.Wait()
	require.NoError(t, a.Flush(ctx))
	assert.LessOrEqual(t, cs.touches.Load(), int64(2), "no write per request")
	assert.Positive(t, cs.touches.Load())

	got, d, err := cs.LookupCredential(ctx, c.ID)
	require.NoError(t, err)
	assert.False(t, got.LastUsed.IsZero(), "last used is recorded")
	assert.False(t, d.LastRequest.IsZero(), "so is the directory's last request")
	assert.WithinDuration(t, time.Now(), got.LastUsed, time.Minute)
}

// TestAuthenticatorStoreDown: when the store cannot be read the request
// gets 503, not 401: the IdP must retry, not take its token for revoked.
func TestAuthenticatorStoreDown(t *testing.T) {
	t.Parallel()
	cs := &countingStore{Store: memory.New().Directories()}
	a, err := directory.NewAuthenticator(cs, directory.AuthOptions{Logger: quiet()})
	require.NoError(t, err)
	srv := server(t, a)
	sc := store.Scope{Tenant: "acme", Directory: "okta"}
	newDirectory(t, cs, sc)
	token, _ := newToken(t, cs, sc)
	cs.fail.Store(true)
	status, _ := call(t, srv, token)
	assert.Equal(t, http.StatusServiceUnavailable, status)
}
