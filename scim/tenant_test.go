package scim_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/internal/logtest"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
)

// TestTenantsAreIsolated mounts one handler behind bearer auth with a
// token per tenant: neither tenant can read, list, filter, change or
// delete the other's resources, even knowing their ids.
func TestTenantsAreIsolated(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		as, a := tenantServer(t, sk.open(t))
		doA, doB := as("token-a"), as("token-b")

		r := doA("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "same@example.com"})
		require.Equal(t, http.StatusCreated, r.status)
		uid := r.body["id"].(string)
		r = doA("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "G", "members": []any{map[string]any{"value": uid}}})
		require.Equal(t, http.StatusCreated, r.status)
		gid := r.body["id"].(string)

		// The same userName is free in the other tenant.
		require.Equal(t, http.StatusCreated, doB("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "same@example.com"}).status)

		requireError(t, doB("GET", "/Users/"+uid, nil), http.StatusNotFound, "")
		requireError(t, doB("GET", "/Groups/"+gid, nil), http.StatusNotFound, "")
		requireError(t, doB("PUT", "/Users/"+uid, map[string]any{"schemas": []string{userURN}, "userName": "x"}), http.StatusNotFound, "")
		requireError(t, doB("PATCH", "/Users/"+uid, patchBody(op("replace", "title", "pwned"))), http.StatusNotFound, "")
		requireError(t, doB("DELETE", "/Groups/"+gid, nil), http.StatusNotFound, "")
		requireError(t, doB("DELETE", "/Users/"+uid, nil), http.StatusNotFound, "")
		// B cannot add A's user to a group of its own.
		r = doB("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "H", "members": []any{map[string]any{"value": uid}}})
		requireError(t, r, http.StatusBadRequest, "invalidValue")
		r = doB("GET", "/Users?filter="+`id+eq+"`+uid+`"`, nil)
		assert.Equal(t, float64(0), r.body["totalResults"])
		r = doB("GET", "/Users", nil)
		assert.Equal(t, float64(1), r.body["totalResults"])

		r = doA("GET", "/Users/"+uid, nil)
		require.Equal(t, http.StatusOK, r.status)
		assert.NotContains(t, r.body, "title")
		assert.Equal(t, gid, at(r.body, "groups", 0, "value"))

		// No token, or a wrong one: 401 in SCIM form.
		for _, hdr := range [][]string{nil, {"Authorization", "Bearer nope"}, {"Authorization", "Basic dG9rZW4tYQ=="}} {
			r := a.do("GET", "/Users", nil, hdr...)
			requireError(t, r, http.StatusUnauthorized, "")
			assert.Equal(t, `Bearer realm="scim"`, r.header.Get("WWW-Authenticate"))
		}
	})
}

// TestScopes: a credential's scopes are enforced per method and resource
// type with 403 insufficient_scope; no scopes means everything.
func TestScopes(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		quiet := slog.New(slog.DiscardHandler)
		h, err := scim.NewHandler(scim.Config{Store: sk.open(t), Logger: quiet})
		require.NoError(t, err)
		mw, err := auth.Bearer([]auth.Token{
			{ID: "all", Hash: auth.HashToken("all")},
			{ID: "ur", Hash: auth.HashToken("users-read"), Principal: auth.Principal{Scopes: []string{auth.ScopeUsersRead}}},
			{ID: "gw", Hash: auth.HashToken("groups-write"), Principal: auth.Principal{Scopes: []string{auth.ScopeGroupsWrite}}},
		}, quiet)
		require.NoError(t, err)
		srv := serve(t, mw(h))
		c := &client{t: t, srv: srv, base: srv.URL}
		as := func(token string) func(method, path string, body any) response {
			return func(method, path string, body any) response {
				return c.do(method, path, body, "Authorization", "Bearer "+token)
			}
		}
		all, usersRead, groupsWrite := as("all"), as("users-read"), as("groups-write")

		u := all("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "u@example.com"})
		require.Equal(t, http.StatusCreated, u.status)
		uid := u.body["id"].(string)

		cases := []struct {
			name   string
			do     func(method, path string, body any) response
			method string
			path   string
			body   any
			status int
		}{
			{"read scope reads users", usersRead, "GET", "/Users/" + uid, nil, 200},
			{"read scope lists users", usersRead, "GET", "/Users", nil, 200},
			{"read scope searches users", usersRead, "POST", "/Users/.search", map[string]any{}, 200},
			{"read scope searches users in another case", usersRead, "POST", "/Users/.SEARCH", map[string]any{}, 200},
			{"read scope searches users with a trailing slash", usersRead, "POST", "/users/.Search/", map[string]any{}, 200},
			{"read scope searches from the root in another case", usersRead, "POST", "/.SEARCH", map[string]any{}, 200},
			{"read scope cannot create", usersRead, "POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "x"}, 403},
			{"read scope cannot patch", usersRead, "PATCH", "/Users/" + uid, patchBody(op("replace", "title", "x")), 403},
			{"read scope cannot delete", usersRead, "DELETE", "/Users/" + uid, nil, 403},
			{"users scope cannot read groups", usersRead, "GET", "/Groups", nil, 403},
			{"groups write creates groups", groupsWrite, "POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "G"}, 201},
			{"groups write reads groups", groupsWrite, "GET", "/Groups", nil, 200},
			{"groups write cannot read users", groupsWrite, "GET", "/Users/" + uid, nil, 403},
			{"discovery needs no scope", usersRead, "GET", "/ServiceProviderConfig", nil, 200},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.do(tc.method, tc.path, tc.body)
				require.Equal(t, tc.status, r.status, r.raw)
				if tc.status == http.StatusForbidden {
					requireError(t, r, http.StatusForbidden, "")
					assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
				}
			})
		}
		// A root query covers only what the credential may read.
		r := usersRead("GET", "/", nil)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, float64(1), r.body["totalResults"])
		assert.Equal(t, "User", at(r.body, "Resources", 0, "meta", "resourceType"))
		r = as("groups-write")("POST", "/.search", map[string]any{"filter": `userName eq "u@example.com"`})
		requireError(t, r, http.StatusBadRequest, "invalidFilter")
		got := all("GET", "/Users/"+uid, nil)
		require.Equal(t, http.StatusOK, got.status, "the refused DELETE deleted nothing")
		assert.NotContains(t, got.body, "title", "the refused PATCH changed nothing")
	})
}

// TestBulkScopes: in /Bulk every operation needs the write scope of its
// resource type, as its single-request twin does. With a token lacking
// groups:write, the user operations succeed while every group operation
// fails with 403 in its result and changes nothing; each refusal is logged
// at warn level with the tenant, with the fields of a single request's 403
// plus the operation.
func TestBulkScopes(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		logs := &logtest.Recorder{}
		logger := slog.New(logs)
		h, err := scim.NewHandler(scim.Config{Store: sk.open(t), Logger: logger})
		require.NoError(t, err)
		mw, err := auth.Bearer([]auth.Token{
			{ID: "admin", Hash: auth.HashToken("admin-token"), Principal: auth.Principal{Tenant: "acme"}},
			{ID: "users-only", Hash: auth.HashToken("users-only-token"),
				Principal: auth.Principal{Tenant: "acme", Scopes: []string{auth.ScopeUsersWrite, auth.ScopeGroupsRead}}},
		}, logger)
		require.NoError(t, err)
		srv := serve(t, mw(h))
		c := &client{t: t, srv: srv, base: srv.URL}
		as := func(token string) func(method, path string, body any) response {
			return func(method, path string, body any) response {
				return c.do(method, path, body, "Authorization", "Bearer "+token)
			}
		}
		admin, usersOnly := as("admin-token"), as("users-only-token")

		g := admin("POST", "/Groups", groupData("Existing"))
		require.Equal(t, http.StatusCreated, g.status, g.raw)
		gid := g.body["id"].(string)

		r := usersOnly("POST", "/Bulk", bulk(0,
			bop("POST", "/Users", "u1", userData("alice@example.com")),
			bop("POST", "/Groups", "g1", groupData("Made by bulk", "bulkId:u1")),
			bop("PATCH", "/Groups/"+gid, "", patchBody(op("add", "members", []any{map[string]any{"value": "bulkId:u1"}}))),
			bop("PUT", "/Groups/"+gid, "", groupData("Renamed", "bulkId:u1")),
			bop("DELETE", "/Groups/"+gid, "", nil),
			bop("PATCH", "/Users/bulkId:u1", "", patchBody(op("replace", "title", "Guide"))),
		))
		require.Equal(t, http.StatusOK, r.status, r.raw)
		require.Equal(t, []string{"POST u1 201", "POST g1 403", "PATCH <nil> 403", "PUT <nil> 403", "DELETE <nil> 403", "PATCH <nil> 200"},
			results(t, r.body), r.raw)
		for i := 1; i <= 4; i++ {
			assert.Equal(t, []any{errorURN}, at(r.body, "Operations", i, "response", "schemas"), "operation %d", i)
			assert.Equal(t, "403", at(r.body, "Operations", i, "response", "status"), "operation %d", i)
			assert.Contains(t, at(r.body, "Operations", i, "response", "detail"), auth.ScopeGroupsWrite, "operation %d", i)
			assert.NotContains(t, opResult(r.body, i), "location", "operation %d", i)
		}

		// Nothing of the groups changed: no new group, the existing one not
		// renamed, given members or deleted. The users did change.
		groups := admin("GET", "/Groups", nil)
		require.Equal(t, http.StatusOK, groups.status, groups.raw)
		require.Equal(t, float64(1), groups.body["totalResults"], groups.raw)
		got := admin("GET", "/Groups/"+gid, nil)
		require.Equal(t, http.StatusOK, got.status, "the refused DELETE deleted nothing: %s", got.raw)
		assert.Equal(t, "Existing", got.body["displayName"])
		assert.Empty(t, memberIDs(got.body))
		users := admin("GET", "/Users", nil)
		require.Equal(t, float64(1), users.body["totalResults"], users.raw)
		assert.Equal(t, "alice@example.com", at(users.body, "Resources", 0, "userName"))
		assert.Equal(t, "Guide", at(users.body, "Resources", 0, "title"))
		assert.Empty(t, at(users.body, "Resources", 0, "groups"), "alice joined no group")

		rejected := logs.WithMessage("auth: request rejected")
		require.Len(t, rejected, 4, "one log line per refused operation: %v", rejected)
		for i, rec := range rejected {
			assert.Equal(t, slog.LevelWarn, rec.Level)
			assert.Equal(t, "403", rec.Attrs["status"])
			assert.Equal(t, "missing scope "+auth.ScopeGroupsWrite, rec.Attrs["reason"])
			assert.Equal(t, "acme", rec.Attrs["tenant"])
			assert.Equal(t, "POST", rec.Attrs["method"])
			assert.Equal(t, "/Bulk", rec.Attrs["path"])
			assert.Equal(t, fmt.Sprint(i+1), rec.Attrs["bulkOperation"])
			assert.Equal(t, []string{"POST", "PATCH", "PUT", "DELETE"}[i], rec.Attrs["bulkMethod"])
		}
		assert.Equal(t, "/Groups/"+gid, rejected[3].Attrs["bulkPath"])

		// A single request's 403 is logged with the same fields.
		requireError(t, usersOnly("POST", "/Groups", groupData("Single")), http.StatusForbidden, "")
		rejected = logs.WithMessage("auth: request rejected")
		require.Len(t, rejected, 5)
		single := rejected[4]
		assert.Equal(t, slog.LevelWarn, single.Level)
		assert.Equal(t, "acme", single.Attrs["tenant"])
		for k := range single.Attrs {
			assert.Contains(t, rejected[0].Attrs, k, "the bulk refusal lacks the field %q of a single request's", k)
		}
		assert.NotContains(t, logs.String(), "users-only-token", "no credential is logged")
	})
}

// TestScopeFuncErrorDenies: when Config.Scope fails, the request is
// denied (fail closed): every endpoint that reaches the store answers with
// a SCIM error that does not reveal the cause, reads nothing and writes
// nothing; the cause is logged for the operator.
func TestScopeFuncErrorDenies(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		logs := &logtest.Recorder{}
		var failing atomic.Bool
		c := sk.newClient(t, scim.Config{Store: sk.open(t), Logger: slog.New(logs), Scope: func(*http.Request) (store.Scope, error) {
			if failing.Load() {
				return store.Scope{}, errors.New("tenant directory unreachable")
			}
			return store.Scope{Tenant: "acme"}, nil
		}})
		uid := c.createUser("u@example.com", nil)["id"].(string)
		gid := c.createGroup("G", uid)["id"].(string)

		failing.Store(true)
		for _, tc := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/Users", nil},
			{"GET", "/Users?filter=" + `userName+eq+"u@example.com"`, nil},
			{"GET", "/Users/" + uid, nil},
			{"POST", "/Users/.search", map[string]any{}},
			{"POST", "/Users", userData("new@example.com")},
			{"PUT", "/Users/" + uid, map[string]any{"schemas": []string{userURN}, "userName": "u@example.com", "title": "changed"}},
			{"PATCH", "/Users/" + uid, patchBody(op("replace", "title", "changed"))},
			{"DELETE", "/Users/" + uid, nil},
			{"GET", "/Groups/" + gid, nil},
			{"PATCH", "/Groups/" + gid, patchBody(op("remove", "members", nil))},
			{"DELETE", "/Groups/" + gid, nil},
			{"GET", "/", nil},
			{"POST", "/.search", map[string]any{}},
			{"POST", "/Bulk", bulk(0, bop("POST", "/Users", "n", userData("bulk@example.com")))},
		} {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				r := c.do(tc.method, tc.path, tc.body)
				requireError(t, r, http.StatusInternalServerError, "")
				assert.NotContains(t, r.raw, "u@example.com", "nothing was read")
				assert.NotContains(t, r.raw, "unreachable", "the cause is not revealed")
			})
		}
		assert.Contains(t, logs.String(), "tenant directory unreachable", "the cause is logged")

		failing.Store(false)
		users := c.must(http.StatusOK, "GET", "/Users", nil)
		require.Equal(t, float64(1), users.body["totalResults"], "nothing was created or deleted: %s", users.raw)
		assert.Equal(t, uid, at(users.body, "Resources", 0, "id"))
		assert.NotContains(t, users.raw, "changed", "nothing was changed")
		group := c.must(http.StatusOK, "GET", "/Groups/"+gid, nil)
		assert.Equal(t, []string{uid}, memberIDs(group.body), "the group kept its member")
	})
}

// tenantServer serves one handler on st, mounted under /scim/v2, to two
// tenants: token-a (acme) and token-b (globex). as(token) sends requests
// with that token; c sends them with only the headers given.
func tenantServer(t *testing.T, st store.Store) (as func(token string) func(method, path string, body any, headers ...string) response, c *client) {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	h, err := scim.NewHandler(scim.Config{Store: st, Logger: quiet})
	require.NoError(t, err)
	mw, err := auth.Bearer([]auth.Token{
		{ID: "a", Hash: auth.HashToken("token-a"), Principal: auth.Principal{Tenant: "acme"}},
		{ID: "b", Hash: auth.HashToken("token-b"), Principal: auth.Principal{Tenant: "globex"}},
	}, quiet)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", mw(http.StripPrefix("/scim/v2", h)))
	srv := serve(t, mux)
	c = &client{t: t, srv: srv, base: srv.URL + "/scim/v2"}
	return func(token string) func(method, path string, body any, headers ...string) response {
		return func(method, path string, body any, headers ...string) response {
			return c.do(method, path, body, append(headers, "Authorization", "Bearer "+token)...)
		}
	}, c
}

// TestFailsClosedWithoutPrincipal: a handler mounted without
// authentication middleware (no auth.Principal reaches it) refuses every
// request with a SCIM 401 and changes nothing, instead of serving the zero
// scope; Config.HostAuthenticates is the one way to serve such requests.
func TestFailsClosedWithoutPrincipal(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		logs := &logtest.Recorder{}
		st := sk.open(t)
		h, err := scim.NewHandler(scim.Config{Store: st, Logger: slog.New(logs)})
		require.NoError(t, err)
		srv := serve(t, h)
		c := &client{t: t, srv: srv, base: srv.URL}
		newUser := map[string]any{"schemas": []string{userURN}, "userName": "nobody@example.com"}
		cases := []struct{ method, path string }{
			{"GET", "/Users"}, {"POST", "/Users"}, {"GET", "/Users/x"}, {"PATCH", "/Users/x"}, {"DELETE", "/Groups/x"},
			{"POST", "/Bulk"}, {"POST", "/.search"}, {"GET", "/"}, {"GET", "/ServiceProviderConfig"}, {"GET", "/Schemas"},
		}
		for _, tc := range cases {
			r := c.do(tc.method, tc.path, newUser)
			requireError(t, r, http.StatusUnauthorized, "")
			assert.Equal(t, `Bearer realm="scim"`, r.header.Get("WWW-Authenticate"), tc.path)
		}
		assert.Contains(t, logs.String(), "HostAuthenticates", "the log says why")
		page, err := st.List(t.Context(), store.Scope{}, store.User, store.Query{Count: -1})
		require.NoError(t, err)
		assert.Zero(t, page.Total, "nothing was written")

		open, err := scim.NewHandler(scim.Config{Store: st, Logger: slog.New(logs), HostAuthenticates: true})
		require.NoError(t, err)
		srv2 := serve(t, open)
		c2 := &client{t: t, srv: srv2, base: srv2.URL}
		c2.must(http.StatusCreated, "POST", "/Users", newUser)
		c2.must(http.StatusOK, "GET", "/ServiceProviderConfig", nil)
	})
}
