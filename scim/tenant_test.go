package scim_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

// TestTenantsAreIsolated mounts one handler behind bearer auth with a
// token per tenant: neither tenant can read, list, filter, change or
// delete the other's resources, even knowing their ids.
func TestTenantsAreIsolated(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	h, err := scim.NewHandler(scim.Config{Store: memory.New(), Logger: quiet})
	require.NoError(t, err)
	mw, err := auth.Bearer([]auth.Token{
		{ID: "a", Hash: auth.HashToken("token-a"), Principal: auth.Principal{Tenant: "acme"}},
		{ID: "b", Hash: auth.HashToken("token-b"), Principal: auth.Principal{Tenant: "globex"}},
	}, quiet)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", mw(http.StripPrefix("/scim/v2", h)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a := &client{t: t, srv: srv, base: srv.URL + "/scim/v2"}
	b := &client{t: t, srv: srv, base: srv.URL + "/scim/v2"}
	as := func(c *client, token string) func(method, path string, body any, headers ...string) response {
		return func(method, path string, body any, headers ...string) response {
			return c.do(method, path, body, append(headers, "Authorization", "Bearer "+token)...)
		}
	}
	doA, doB := as(a, "token-a"), as(b, "token-b")

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
}

// TestScopes: a credential's scopes are enforced per method and resource
// type with 403 insufficient_scope; no scopes means everything.
func TestScopes(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	h, err := scim.NewHandler(scim.Config{Store: memory.New(), Logger: quiet})
	require.NoError(t, err)
	mw, err := auth.Bearer([]auth.Token{
		{ID: "all", Hash: auth.HashToken("all")},
		{ID: "ur", Hash: auth.HashToken("users-read"), Principal: auth.Principal{Scopes: []string{auth.ScopeUsersRead}}},
		{ID: "gw", Hash: auth.HashToken("groups-write"), Principal: auth.Principal{Scopes: []string{auth.ScopeGroupsWrite}}},
	}, quiet)
	require.NoError(t, err)
	srv := httptest.NewServer(mw(h))
	t.Cleanup(srv.Close)
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
}

// tenantServer serves one handler to two tenants, token-a (acme) and
// token-b (globex); as(token) sends requests with that token.
func tenantServer(t *testing.T) func(token string) func(method, path string, body any) response {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	h, err := scim.NewHandler(scim.Config{Store: testStore(t), Logger: quiet})
	require.NoError(t, err)
	mw, err := auth.Bearer([]auth.Token{
		{ID: "a", Hash: auth.HashToken("token-a"), Principal: auth.Principal{Tenant: "acme"}},
		{ID: "b", Hash: auth.HashToken("token-b"), Principal: auth.Principal{Tenant: "globex"}},
	}, quiet)
	require.NoError(t, err)
	srv := httptest.NewServer(mw(h))
	t.Cleanup(srv.Close)
	c := &client{t: t, srv: srv, base: srv.URL}
	return func(token string) func(method, path string, body any) response {
		return func(method, path string, body any) response {
			return c.do(method, path, body, "Authorization", "Bearer "+token)
		}
	}
}
