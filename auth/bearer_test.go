package auth_test

import (
	"encoding/json"
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

func newServer(t *testing.T, tokens []auth.Token) *httptest.Server {
	t.Helper()
	mw, err := auth.Bearer(tokens, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	srv := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			http.Error(w, "no principal", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(p)
	})))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, authz string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+"/Users", nil)
	require.NoError(t, err)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestBearer(t *testing.T) {
	t.Parallel()
	old, oldHash, err := auth.NewToken()
	require.NoError(t, err)
	cur, curHash, err := auth.NewToken()
	require.NoError(t, err)
	srv := newServer(t, []auth.Token{
		{ID: "old", Hash: oldHash, Principal: auth.Principal{Tenant: "acme", Directory: "okta"}},
		{ID: "current", Hash: curHash, Principal: auth.Principal{Tenant: "acme", CredentialID: "cred-7", Scopes: []string{"users:read"}}},
	})

	t.Run("accepted tokens", func(t *testing.T) {
		cases := []struct {
			name, header string
			want         auth.Principal
		}{
			{"old token during rotation", "Bearer " + old, auth.Principal{Tenant: "acme", Directory: "okta", CredentialID: "old"}},
			{"current token", "Bearer " + cur, auth.Principal{Tenant: "acme", CredentialID: "cred-7", Scopes: []string{"users:read"}}},
			{"scheme is case-insensitive", "bearer " + cur, auth.Principal{Tenant: "acme", CredentialID: "cred-7", Scopes: []string{"users:read"}}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := get(t, srv, tc.header)
				require.Equal(t, http.StatusOK, resp.StatusCode, body)
				var p auth.Principal
				require.NoError(t, json.Unmarshal([]byte(body), &p))
				assert.Equal(t, tc.want, p)
			})
		}
	})

	t.Run("rejections", func(t *testing.T) {
		for _, header := range []string{
			"", "Bearer", "Bearer ", "Basic " + cur, cur, "Bearer " + cur + "x", "Bearer " + strings.ToUpper(cur),
			"Bearer " + oldHash, "Token " + cur, "Bearer\t" + cur + " extra",
		} {
			t.Run(header, func(t *testing.T) {
				resp, body := get(t, srv, header)
				assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
				assert.Equal(t, `Bearer realm="scim"`, resp.Header.Get("WWW-Authenticate"))
				assert.Equal(t, "application/scim+json", resp.Header.Get("Content-Type"))
				assert.JSONEq(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"authentication required"}`, body)
			})
		}
	})
}

func TestBearerConfig(t *testing.T) {
	t.Parallel()
	_, err := auth.Bearer(nil, nil)
	require.Error(t, err, "no tokens")
	_, err = auth.Bearer([]auth.Token{{ID: "plain", Hash: "not-a-hash"}}, nil)
	require.Error(t, err, "a plaintext where a hash belongs")
	_, err = auth.Bearer([]auth.Token{{ID: "short", Hash: "abcd"}}, nil)
	require.Error(t, err)
}

func TestNewToken(t *testing.T) {
	t.Parallel()
	a, ha, err := auth.NewToken()
	require.NoError(t, err)
	b, _, err := auth.NewToken()
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
	assert.GreaterOrEqual(t, len(a), 40)
	assert.Equal(t, auth.HashToken(a), ha)
	assert.Len(t, ha, 64)
}

// FuzzBearerHeader: any Authorization header is either the one valid token
// (200) or a 401, and never a panic.
func FuzzBearerHeader(f *testing.F) {
	const token = "scim_valid-token"
	mw, err := auth.Bearer([]auth.Token{{ID: "t", Hash: auth.HashToken(token)}}, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	for _, s := range []string{"", "Bearer " + token, "bearer  " + token + " ", "Basic x", "Bearer", "Bearer \x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		req := httptest.NewRequest("GET", "/Users", nil)
		req.Header["Authorization"] = []string{header}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		valid := strings.TrimSpace(header)
		scheme, rest, _ := strings.Cut(valid, " ")
		if strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(rest) == token {
			assert.Equal(t, http.StatusOK, rec.Code)
		} else {
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
		}
	})
}
