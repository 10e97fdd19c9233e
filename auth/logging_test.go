package auth_test

import (
	"bytes"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/internal/logtest"
)

// TestSecretsNeverLogged drives every rejection path with a logger that
// captures everything, and checks that no presented or configured secret
// (token, its hash, HMAC key, signature) reaches the log, while the
// rejection itself does, with the tenant when known.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	token, hash, err := auth.NewToken()
	require.NoError(t, err)
	bearer, err := auth.Bearer([]auth.Token{{ID: "okta", Hash: hash, Principal: auth.Principal{Tenant: "acme"}}}, logger)
	require.NoError(t, err)
	secret := []byte("a-very-secret-hmac-key-of-32-bytes!!")
	signed, err := auth.Signed(auth.SignedOptions{Keys: []auth.SigningKey{{ID: "relay", Secret: secret, Principal: auth.Principal{Tenant: "acme"}}}, Logger: logger})
	require.NoError(t, err)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})

	wrongToken := token + "x"
	for _, header := range []string{"Bearer " + wrongToken, "Basic " + token, "Bearer"} {
		req := httptest.NewRequest("GET", "/Users", nil)
		req.Header.Set("Authorization", header)
		bearer(ok).ServeHTTP(httptest.NewRecorder(), req)
	}
	var signatures []string
	for _, tamper := range []func(*http.Request){
		func(r *http.Request) { r.Method = "DELETE" },
		func(*http.Request) {},
	} {
		req := httptest.NewRequest("POST", "/Users", strings.NewReader(`{"userName":"x"}`))
		require.NoError(t, auth.Sign(req, secret, time.Now()))
		signatures = append(signatures, req.Header.Get(auth.SignatureHeader))
		tamper(req)
		signed(ok).ServeHTTP(httptest.NewRecorder(), req)
	}
	// Replay the accepted one.
	req := httptest.NewRequest("POST", "/Users", strings.NewReader(`{"userName":"x"}`))
	req.Header.Set(auth.SignatureHeader, signatures[1])
	signed(ok).ServeHTTP(httptest.NewRecorder(), req)

	logs := buf.String()
	require.Equal(t, 5, strings.Count(logs, "auth: request rejected"), logs) // 3 bearer, tampered, replayed
	assert.Contains(t, logs, "tenant=acme", "the replay rejection names the tenant")
	for _, secretText := range []string{token, wrongToken, hash, string(secret), hex.EncodeToString(secret)} {
		assert.NotContains(t, logs, secretText)
	}
	for _, sig := range signatures {
		_, v2, _ := strings.Cut(sig, "v2=")
		require.NotEmpty(t, v2)
		assert.NotContains(t, logs, v2, "signatures are not logged")
	}
}

// TestRejectionsLoggedAtWarn drives a rejection of every middleware, and a
// 403 for a missing scope, over real HTTP with a logger that records every
// level: each is one line "auth: request rejected" at warn level (not
// info, not error), with its status, and with the tenant when the
// credential named one.
func TestRejectionsLoggedAtWarn(t *testing.T) {
	t.Parallel()
	logs := &logtest.Recorder{}
	logger := slog.New(logs)
	token, hash, err := auth.NewToken()
	require.NoError(t, err)
	bearer, err := auth.Bearer([]auth.Token{{ID: "okta", Hash: hash,
		Principal: auth.Principal{Tenant: "acme", Scopes: []string{auth.ScopeUsersRead}}}}, logger)
	require.NoError(t, err)
	// Behind the bearer middleware, anything but reading users is refused
	// for a missing scope, as scim.Handler does.
	forbidding := bearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		if !p.Allows("Group", true) {
			auth.Forbid(w, r, logger, auth.RequiredScope("Group", true), p.Tenant)
		}
	}))
	signed, err := auth.Signed(auth.SignedOptions{Keys: []auth.SigningKey{{ID: "relay", Secret: secretNew,
		Principal: auth.Principal{Tenant: "globex"}}}, Logger: logger})
	require.NoError(t, err)
	mtls, err := auth.ClientCert([]auth.CertIdentity{{CommonName: "okta-relay"}}, logger)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/bearer/", forbidding)
	mux.Handle("/signed/", signed(echo))
	mux.Handle("/mtls/", mtls(echo))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	do := func(req *http.Request) int {
		t.Helper()
		status, _, _ := send(t, req)
		return status
	}
	bearerReq := func(authz string) *http.Request {
		r := newReq(t, "POST", srv.URL+"/bearer/Groups", "{}")
		r.Header.Set("Authorization", authz)
		return r
	}
	require.Equal(t, http.StatusUnauthorized, do(bearerReq("Bearer "+token+"x")))
	require.Equal(t, http.StatusForbidden, do(bearerReq("Bearer "+token)))
	stale := newReq(t, "POST", srv.URL+"/signed/Users", "{}")
	require.NoError(t, auth.Sign(stale, secretNew, time.Now().Add(-time.Hour)))
	require.Equal(t, http.StatusUnauthorized, do(stale))
	fresh := newReq(t, "POST", srv.URL+"/signed/Users", "{}")
	require.NoError(t, auth.Sign(fresh, secretNew, time.Now()))
	sig := fresh.Header.Get(auth.SignatureHeader)
	require.Equal(t, http.StatusOK, do(fresh))
	replay := newReq(t, "POST", srv.URL+"/signed/Users", "{}")
	replay.Header.Set(auth.SignatureHeader, sig)
	require.Equal(t, http.StatusUnauthorized, do(replay))
	require.Equal(t, http.StatusUnauthorized, do(newReq(t, "GET", srv.URL+"/mtls/Users", "")))

	recs := logs.All()
	require.Len(t, recs, 5, "one line per rejection, none for the accepted request: %v", recs)
	want := []struct{ status, path, tenant string }{
		{"401", "/bearer/Groups", ""},      // unknown token: tenant not known
		{"403", "/bearer/Groups", "acme"},  // missing scope: the token's tenant
		{"401", "/signed/Users", ""},       // stale: not verified, tenant not known
		{"401", "/signed/Users", "globex"}, // replayed: verified, so the tenant is known
		{"401", "/mtls/Users", ""},
	}
	for i, rec := range recs {
		assert.Equal(t, slog.LevelWarn, rec.Level, "line %d: %v", i, rec)
		assert.Equal(t, "auth: request rejected", rec.Msg, "line %d", i)
		assert.Equal(t, want[i].status, rec.Attrs["status"], "line %d", i)
		assert.Equal(t, want[i].path, rec.Attrs["path"], "line %d", i)
		assert.NotEmpty(t, rec.Attrs["reason"], "line %d", i)
		assert.NotEmpty(t, rec.Attrs["remote"], "line %d", i)
		if want[i].tenant == "" {
			assert.NotContains(t, rec.Attrs, "tenant", "line %d", i)
		} else {
			assert.Equal(t, want[i].tenant, rec.Attrs["tenant"], "line %d", i)
		}
	}
	assert.Equal(t, "missing scope groups:write", recs[1].Attrs["reason"])
}

// TestForbid: the 403 response itself, over real HTTP.
func TestForbid(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Forbid(w, r, slog.New(slog.DiscardHandler), auth.ScopeUsersWrite, "acme")
	}))
	t.Cleanup(srv.Close)
	status, body, hdr := send(t, newReq(t, "POST", srv.URL+"/Users", "{}"))
	require.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "application/scim+json", hdr.Get("Content-Type"))
	assert.Equal(t, `Bearer realm="scim", error="insufficient_scope", scope="users:write"`, hdr.Get("WWW-Authenticate"))
	assert.JSONEq(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"403","detail":"the credential lacks the scope users:write"}`, body)
	assert.NotContains(t, body, "acme", "the tenant goes to the log only")
}

// TestLogForbidden: the line for a refusal answered by the caller (one
// operation of a bulk request) is Forbid's, plus the extra attributes, and
// nothing is written to the response.
func TestLogForbidden(t *testing.T) {
	logs := &logtest.Recorder{}
	req := httptest.NewRequest("POST", "/Bulk", nil)
	rec := httptest.NewRecorder()
	auth.LogForbidden(req, slog.New(logs), auth.ScopeGroupsWrite, "acme", slog.Int("bulkOperation", 3))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Zero(t, rec.Body.Len())
	assert.Empty(t, rec.Header())
	recs := logs.All()
	require.Len(t, recs, 1)
	assert.Equal(t, slog.LevelWarn, recs[0].Level)
	assert.Equal(t, "auth: request rejected", recs[0].Msg)
	assert.Equal(t, map[string]string{"status": "403", "reason": "missing scope groups:write", "method": "POST",
		"path": "/Bulk", "remote": req.RemoteAddr, "tenant": "acme", "bulkOperation": "3"}, recs[0].Attrs)

	// A nil logger means slog.Default(), as everywhere in auth.
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	def := &logtest.Recorder{}
	slog.SetDefault(slog.New(def))
	auth.LogForbidden(req, nil, auth.ScopeUsersWrite, "")
	require.Len(t, def.All(), 1)
	assert.NotContains(t, def.All()[0].Attrs, "tenant", "no tenant attribute when none is known")
}
