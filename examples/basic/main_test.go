package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
)

func TestDemoServesSCIMBehindToken(t *testing.T) {
	t.Parallel()
	token, hash, err := auth.NewToken()
	require.NoError(t, err)
	mux, err := newMux(hash, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	do := func(method, path, body, tok string) (int, string) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	status, body := do("POST", "/scim/v2/Users",
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com"}`, token)
	require.Equal(t, http.StatusCreated, status, body)
	status, body = do("GET", `/scim/v2/Users?filter=userName%20eq%20%22bjensen@example.com%22`, "", token)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"totalResults":1`)
	status, _ = do("GET", "/scim/v2/Users", "", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = do("GET", "/scim/v2/Users", "", token+"x")
	assert.Equal(t, http.StatusUnauthorized, status)
}
