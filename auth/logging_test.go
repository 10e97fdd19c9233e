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
)

// TestSecretsNeverLogged drives every rejection path with a logger that
// captures everything, and checks that no presented or configured secret
// (token, its hash, HMAC key, signature) reaches the log, while the
// rejection itself does, with the tenant when known.
func TestSecretsNeverLogged(t *testing.T) {
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
		_, v1, _ := strings.Cut(sig, "v1=")
		assert.NotContains(t, logs, v1, "signatures are not logged")
	}
}
