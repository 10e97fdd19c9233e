package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore"
)

// directoryBackend is a store with its directory records.
type directoryBackend struct {
	name  string
	store store.Store
	dirs  interface {
		directory.Store
		directory.CredentialStore
	}
}

// withDirectories opens a new, empty store of kind sk with its directory
// records.
func (sk storeKind) withDirectories(t *testing.T) directoryBackend {
	t.Helper()
	switch s := sk.open(t).(type) {
	case *memory.Store:
		return directoryBackend{string(sk), s, s.Directories()}
	case *sqlstore.Store:
		return directoryBackend{string(sk), s, s.Directories()}
	default:
		t.Fatalf("store kind %s keeps no directories", sk)
		return directoryBackend{}
	}
}

// policyRecorder keeps what hooks saw of each write's policy.
type policyRecorder struct {
	mu     sync.Mutex
	roles  map[string]string   // userName → Origin.Settings.DefaultRole
	kinds  map[string]string   // userName → Origin.Directory.Kind
	groups map[string][]string // directory id → group events, in order
}

func (p *policyRecorder) hooks() *scim.Hooks {
	return &scim.Hooks{
		UserProvisioned: func(_ context.Context, e *scim.UserProvisioned) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			name, _ := e.User.Attributes["userName"].(string)
			p.roles[name] = e.Settings.DefaultRole
			if e.Directory != nil {
				p.kinds[name] = string(e.Directory.Kind)
			}
			return nil
		},
		MembersRemoved: func(_ context.Context, e *scim.MembersRemoved) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.groups[e.Scope.Directory] = append(p.groups[e.Scope.Directory], "members_removed")
			return nil
		},
		GroupDeleted: func(_ context.Context, e *scim.GroupDeleted) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.groups[e.Scope.Directory] = append(p.groups[e.Scope.Directory], "group_deleted")
			return nil
		},
	}
}

// tokenClient sends SCIM requests with one bearer token.
type tokenClient struct {
	t     *testing.T
	base  string
	token string
}

func (c tokenClient) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(c.t, json.Unmarshal(raw, &out), string(raw))
	}
	return resp.StatusCode, out
}

// directoryEnv is a handler on a directoryBackend, served behind a
// directory.Authenticator on its directories.
type directoryEnv struct {
	t     *testing.T
	b     directoryBackend
	h     *scim.Handler
	authn *directory.Authenticator
	srv   *httptest.Server
}

// newDirectoryEnv serves cfg, with its Store and Directories from b and
// logs discarded, accepting the directories' tokens and static ones.
func newDirectoryEnv(t *testing.T, b directoryBackend, cfg scim.Config, static ...auth.Token) *directoryEnv {
	t.Helper()
	cfg.Store, cfg.Directories, cfg.Logger = b.store, b.dirs, slog.New(slog.DiscardHandler)
	h, err := scim.NewHandler(cfg)
	require.NoError(t, err)
	authn, err := directory.NewAuthenticator(b.dirs, directory.AuthOptions{Logger: slog.New(slog.DiscardHandler), Static: static})
	require.NoError(t, err)
	srv := httptest.NewServer(authn.Middleware(http.StripPrefix("/scim/v2", h)))
	t.Cleanup(srv.Close)
	return &directoryEnv{t: t, b: b, h: h, authn: authn, srv: srv}
}

// connect creates a directory with its settings and a bearer token, and
// returns a client sending that token.
func (e *directoryEnv) connect(tenant, id string, kind directory.Kind, s directory.Settings) tokenClient {
	e.t.Helper()
	d := &directory.Directory{Tenant: tenant, ID: id, Kind: kind, Settings: s}
	require.NoError(e.t, e.b.dirs.CreateDirectory(context.Background(), d))
	token, c, err := directory.NewBearerToken(d.Scope(), id, nil)
	require.NoError(e.t, err)
	require.NoError(e.t, e.b.dirs.CreateCredential(context.Background(), c))
	return e.client(token)
}

// client returns a client sending token.
func (e *directoryEnv) client(token string) tokenClient {
	return tokenClient{t: e.t, base: e.srv.URL + "/scim/v2", token: token}
}

// TestDirectoryPolicy: two directories of one tenant, connected at runtime
// with their own tokens and settings, each get their own policy on every
// store: the IdP profile, unique group names, group deletion, the default
// role handed to hooks; a change of settings applies to the next request;
// neither sees the other's resources; a scope without a directory record
// follows the handler-wide options.
func TestDirectoryPolicy(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		b := sk.withDirectories(t)
		ctx := context.Background()
		rec := &policyRecorder{roles: map[string]string{}, kinds: map[string]string{}, groups: map[string][]string{}}
		legacyToken, legacyHash, err := auth.NewToken()
		require.NoError(t, err)
		e := newDirectoryEnv(t, b, scim.Config{Hooks: rec.hooks()},
			auth.Token{ID: "legacy", Hash: legacyHash, Principal: auth.Principal{Tenant: "legacy"}})
		h, authn := e.h, e.authn
		okta := e.connect("acme", "okta", directory.Okta, directory.Settings{UniqueGroupNames: true,
			GroupDeletion: directory.RemoveMembers, DefaultRole: "member", DefaultTeamPermission: "read"})
		entra := e.connect("acme", "entra", directory.Entra, directory.Settings{DefaultRole: "viewer"})
		legacy := e.client(legacyToken)

		user := func(c tokenClient, name string) string {
			status, body := c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": name})
			require.Equal(t, http.StatusCreated, status, body)
			return body["id"].(string)
		}
		group := func(c tokenClient, name string, members ...string) (int, string) {
			ms := []any{}
			for _, m := range members {
				ms = append(ms, map[string]any{"value": m})
			}
			status, body := c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": name, "members": ms})
			id, _ := body["id"].(string)
			return status, id
		}

		// The default role each directory hands the provisioning hook.
		bob := user(okta, "bob@acme.example")
		eve := user(entra, "eve@acme.example")
		user(legacy, "old@legacy.example")
		rec.mu.Lock()
		assert.Equal(t, map[string]string{"bob@acme.example": "member", "eve@acme.example": "viewer", "old@legacy.example": ""}, rec.roles)
		assert.Equal(t, map[string]string{"bob@acme.example": "okta", "eve@acme.example": "entra"}, rec.kinds,
			"the scope without a record has no Directory")
		rec.mu.Unlock()

		// Two directories of one tenant never see each other's resources.
		status, _ := entra.do("GET", "/Users/"+bob, nil)
		assert.Equal(t, http.StatusNotFound, status)
		_, list := entra.do("GET", "/Users", nil)
		assert.EqualValues(t, 1, list["totalResults"])

		// Unique group names in okta only, as each directory's /Schemas
		// says.
		uniqueness := func(c tokenClient) any {
			status, body := c.do("GET", "/Schemas/"+groupURN, nil)
			require.Equal(t, http.StatusOK, status)
			for _, a := range body["attributes"].([]any) {
				if m := a.(map[string]any); m["name"] == "displayName" {
					return m["uniqueness"]
				}
			}
			return nil
		}
		assert.Equal(t, "server", uniqueness(okta))
		assert.Equal(t, "none", uniqueness(entra))
		status, oktaEng := group(okta, "Eng", bob)
		require.Equal(t, http.StatusCreated, status)
		status, _ = group(okta, "eng")
		assert.Equal(t, http.StatusConflict, status)
		status, entraEng := group(entra, "Eng", eve)
		require.Equal(t, http.StatusCreated, status)
		status, _ = group(entra, "Eng")
		assert.Equal(t, http.StatusCreated, status, "entra's directory allows repeated names")

		// Entra's removal of listed members: entra's profile only.
		removeListed := func(id string) map[string]any {
			return patchBody(map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": id}}})
		}
		status, body := okta.do("PATCH", "/Groups/"+oktaEng, removeListed(bob))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalidValue", body["scimType"])
		_, g := okta.do("GET", "/Groups/"+oktaEng, nil)
		assert.Equal(t, []string{bob}, memberIDs(g), "nothing was removed")
		status, _ = entra.do("PATCH", "/Groups/"+entraEng, removeListed(eve))
		assert.Equal(t, http.StatusNoContent, status)
		_, g = entra.do("GET", "/Groups/"+entraEng, nil)
		assert.Empty(t, memberIDs(g))

		// Group deletion: okta removes members first, entra keeps them.
		status, _ = entra.do("PATCH", "/Groups/"+entraEng, patchBody(map[string]any{"op": "add", "path": "members",
			"value": []any{map[string]any{"value": eve}}}))
		require.Equal(t, http.StatusNoContent, status)
		rec.mu.Lock()
		clear(rec.groups)
		rec.mu.Unlock()
		status, _ = okta.do("DELETE", "/Groups/"+oktaEng, nil)
		require.Equal(t, http.StatusNoContent, status)
		status, _ = entra.do("DELETE", "/Groups/"+entraEng, nil)
		require.Equal(t, http.StatusNoContent, status)
		rec.mu.Lock()
		assert.Equal(t, []string{"members_removed", "group_deleted"}, rec.groups["okta"])
		assert.Equal(t, []string{"group_deleted"}, rec.groups["entra"])
		rec.mu.Unlock()

		// The admin page shows each directory's last request and last
		// error, written in batches (flushed here, as on shutdown).
		require.NoError(t, h.Flush(ctx))
		require.NoError(t, authn.Flush(ctx))
		od, err := b.dirs.Directory(ctx, store.Scope{Tenant: "acme", Directory: "okta"})
		require.NoError(t, err)
		assert.Contains(t, od.LastError, "400", "okta's refused removal")
		assert.Contains(t, od.LastError, "takes no value")
		assert.False(t, od.LastErrorAt.IsZero())
		assert.False(t, od.LastRequest.IsZero())
		ed, err := b.dirs.Directory(ctx, store.Scope{Tenant: "acme", Directory: "entra"})
		require.NoError(t, err)
		assert.Empty(t, ed.LastError, "entra's requests all succeeded")

		// A change of settings applies to the next request, on every
		// replica: the policy is read with the credential.
		_, err = b.dirs.UpdateDirectory(ctx, store.Scope{Tenant: "acme", Directory: "okta"}, func(d *directory.Directory) error {
			d.Settings.UniqueGroupNames = false
			return nil
		})
		require.NoError(t, err)
		status, _ = group(okta, "Ops")
		require.Equal(t, http.StatusCreated, status)
		status, _ = group(okta, "Ops")
		assert.Equal(t, http.StatusCreated, status)
	})
}

// TestExpireAllFollowsEachDirectory: ExpireAll expires deactivated users
// in every directory of every tenant, each after its own grace period,
// and never where a directory has none.
func TestExpireAllFollowsEachDirectory(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		b := sk.withDirectories(t)
		ctx := context.Background()
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		h, err := scim.NewHandler(scim.Config{Store: b.store, Directories: b.dirs, Now: clock,
			HostAuthenticates: true, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		mounted := http.StripPrefix("/scim/v2", h)

		graces := map[store.Scope]time.Duration{
			{Tenant: "acme", Directory: "okta"}:    time.Hour,
			{Tenant: "acme", Directory: "entra"}:   0,
			{Tenant: "globex", Directory: "okta"}:  24 * time.Hour,
			{Tenant: "initech", Directory: "okta"}: time.Hour,
		}
		users := map[store.Scope]string{}
		for sc, grace := range graces {
			require.NoError(t, b.dirs.CreateDirectory(ctx, &directory.Directory{Tenant: sc.Tenant, ID: sc.Directory, Kind: directory.Okta,
				Settings: directory.Settings{DeactivationGracePeriod: grace}}))
			// The host authenticates: the scope comes from its Principal.
			reqCtx := auth.NewContext(ctx, auth.Principal{Tenant: sc.Tenant, Directory: sc.Directory})
			body, err := json.Marshal(map[string]any{"schemas": []string{userURN}, "userName": "gone@" + sc.String(), "active": false})
			require.NoError(t, err)
			req := httptest.NewRequestWithContext(reqCtx, "POST", "/scim/v2/Users", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/scim+json")
			w := httptest.NewRecorder()
			mounted.ServeHTTP(w, req)
			require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
			var created map[string]any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &created))
			users[sc] = created["id"].(string)
		}
		exists := func(sc store.Scope) bool {
			_, err := b.store.Get(ctx, sc, store.User, users[sc])
			return err == nil
		}

		n, err := h.ExpireAll(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "no grace period has passed")
		advance(2 * time.Hour)
		n, err = h.ExpireAll(ctx)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		assert.False(t, exists(store.Scope{Tenant: "acme", Directory: "okta"}))
		assert.False(t, exists(store.Scope{Tenant: "initech", Directory: "okta"}))
		assert.True(t, exists(store.Scope{Tenant: "globex", Directory: "okta"}), "its grace period is a day")
		advance(24 * time.Hour)
		n, err = h.ExpireAll(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.False(t, exists(store.Scope{Tenant: "globex", Directory: "okta"}))
		assert.True(t, exists(store.Scope{Tenant: "acme", Directory: "entra"}), "no grace period: kept until the IdP deletes it")
	})
}
