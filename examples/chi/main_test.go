package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/scimtest"
)

// lockedBuffer collects log output written by the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type response struct {
	status int
	header http.Header
	body   string
}

func newServer(t *testing.T) (srv *httptest.Server, token string, logs *lockedBuffer) {
	t.Helper()
	token, hash, err := auth.NewToken()
	require.NoError(t, err)
	logs = &lockedBuffer{}
	router, err := newRouter(hash, slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err)
	srv = httptest.NewServer(router)
	t.Cleanup(srv.Close)
	return srv, token, logs
}

func do(t *testing.T, method, url, body, token string, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header, string(raw)}
}

const userBody = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com"}`

func TestAppRoutesNeedNoSCIMToken(t *testing.T) {
	t.Parallel()
	srv, _, _ := newServer(t)

	r := do(t, "GET", srv.URL+"/healthz", "", "", nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "ok\n", r.body)

	r = do(t, "GET", srv.URL+"/api/hello", "", "", nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"hello":"world"}`, r.body)
}

func TestSCIMMountedUnderPrefix(t *testing.T) {
	t.Parallel()
	srv, token, _ := newServer(t)

	r := do(t, "POST", srv.URL+"/scim/v2/Users", userBody, token, nil)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	loc := r.header.Get("Location")
	assert.True(t, strings.HasPrefix(loc, srv.URL+"/scim/v2/Users/"), "Location %q is under the mount point", loc)
	assert.Contains(t, r.body, `"location":"`+loc+`"`, "meta.location agrees with Location")

	r = do(t, "GET", loc, "", token, nil)
	assert.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `"userName":"bjensen@example.com"`)

	r = do(t, "GET", srv.URL+`/scim/v2/Users?filter=userName%20eq%20%22BJENSEN@example.com%22`, "", token, nil)
	assert.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `"totalResults":1`)

	// The bare mount point and discovery are served too.
	r = do(t, "GET", srv.URL+"/scim/v2/ServiceProviderConfig", "", token, nil)
	assert.Equal(t, http.StatusOK, r.status, r.body)
	r = do(t, "GET", srv.URL+"/scim/v2", "", token, nil)
	assert.Equal(t, http.StatusOK, r.status, r.body)
}

func TestSCIMRequiresToken(t *testing.T) {
	t.Parallel()
	srv, token, _ := newServer(t)

	for _, tok := range []string{"", token + "x"} {
		r := do(t, "POST", srv.URL+"/scim/v2/Users", userBody, tok, nil)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Equal(t, "application/scim+json", r.header.Get("Content-Type"))
		assert.NotEmpty(t, r.header.Get("WWW-Authenticate"))

		r = do(t, "GET", srv.URL+"/scim/v2/Users", "", tok, nil)
		assert.Equal(t, http.StatusUnauthorized, r.status)
	}
	// Nothing was created by the refused requests.
	r := do(t, "GET", srv.URL+"/scim/v2/Users", "", token, nil)
	assert.Contains(t, r.body, `"totalResults":0`)
}

func TestAppMiddlewareWrapsSCIM(t *testing.T) {
	t.Parallel()
	srv, token, logs := newServer(t)

	// An id the client sends is kept and returned.
	r := do(t, "POST", srv.URL+"/scim/v2/Users", userBody, token, map[string]string{middleware.RequestIDHeader: "okta-req-42"})
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Equal(t, "okta-req-42", r.header.Get(middleware.RequestIDHeader))

	// Otherwise one is generated, for SCIM responses and auth failures alike.
	r = do(t, "GET", srv.URL+"/scim/v2/Users", "", token, nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.NotEmpty(t, r.header.Get(middleware.RequestIDHeader))
	r = do(t, "GET", srv.URL+"/scim/v2/Users", "", "", nil)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.NotEmpty(t, r.header.Get(middleware.RequestIDHeader))

	// The app's request log has a line for the SCIM request, with its id.
	assert.Eventually(t, func() bool {
		for line := range strings.SplitSeq(logs.String(), "\n") {
			if strings.Contains(line, "msg=request") && strings.Contains(line, "request_id=okta-req-42") &&
				strings.Contains(line, "path=/scim/v2/Users") && strings.Contains(line, "status=201") {
				return true
			}
		}
		return false
	}, time.Second, 10*time.Millisecond, "log:\n%s", logs.String())
}

// TestIdPConversations replays every IdP conversation of package scimtest
// (Okta, Entra ID, Google, OneLogin, JumpCloud, Keycloak, a generic RFC 7644
// client) through the chi router: the app's middleware, the token group and
// the mounted handler, with the token the app issued.
func TestIdPConversations(t *testing.T) {
	t.Parallel()
	srv, token, logs := newServer(t)
	scimtest.Run(t, srv.URL+"/scim/v2", scimtest.Options{
		Client: srv.Client(),
		Header: http.Header{"Authorization": {"Bearer " + token}},
	}, scimtest.All()...)

	// The conversations went through the app's request logger.
	assert.Eventually(t, func() bool {
		return strings.Contains(logs.String(), "path=/scim/v2/Groups/") && strings.Contains(logs.String(), "status=204")
	}, time.Second, 10*time.Millisecond)
}
