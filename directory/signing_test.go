package directory_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/store"
)

// TestSigningKeysAcrossReplicas: a signing secret created through one
// replica verifies requests signed with its key id on another at once;
// revoking it, or pausing its directory, is refused there at once; a
// request signed with it but naming another key id, or none, is refused.
func TestSigningKeysAcrossReplicas(t *testing.T) {
	t.Parallel()
	for _, r := range eachBackend(t) {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			keys, err := directory.NewSigningKeys(r.b, directory.AuthOptions{Logger: quiet()})
			require.NoError(t, err)
			signed, err := auth.Signed(auth.SignedOptions{Source: keys, Logger: quiet()})
			require.NoError(t, err)
			srv := httptest.NewServer(signed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, _ := auth.FromContext(r.Context())
				_, _ = w.Write([]byte(p.Tenant + "/" + p.Directory + "/" + p.CredentialID))
			})))
			t.Cleanup(srv.Close)
			sc := store.Scope{Tenant: "acme", Directory: "relay"}
			newDirectory(t, r.a, sc)
			secret, c, err := directory.NewSigningSecret(sc, "relay", nil)
			require.NoError(t, err)
			require.NoError(t, r.a.CreateCredential(ctx, c))

			send := func(keyID string, secret string) (int, string) {
				req, err := http.NewRequest(http.MethodPost, srv.URL+"/Users", strings.NewReader(`{"userName":"bob"}`))
				require.NoError(t, err)
				require.NoError(t, auth.SignKey(req, keyID, []byte(secret), time.Now()))
				resp, err := srv.Client().Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				var b strings.Builder
				_, _ = io.Copy(&b, resp.Body)
				return resp.StatusCode, b.String()
			}
			status, body := send(c.ID, secret)
			require.Equal(t, http.StatusOK, status, body)
			assert.Equal(t, "acme/relay/"+c.ID, body)
			status, _ = send("aaaaaaaaaaaaaaaaaaaa", secret)
			assert.Equal(t, http.StatusUnauthorized, status, "another key id")
			status, _ = send("", secret)
			assert.Equal(t, http.StatusUnauthorized, status, "no key id, and no static keys")
			status, _ = send(c.ID, secret+"x")
			assert.Equal(t, http.StatusUnauthorized, status, "another secret")

			_, err = r.a.UpdateDirectory(ctx, sc, func(d *directory.Directory) error { d.State = directory.Paused; return nil })
			require.NoError(t, err)
			status, _ = send(c.ID, secret)
			assert.Equal(t, http.StatusUnauthorized, status, "paused")
			_, err = r.a.UpdateDirectory(ctx, sc, func(d *directory.Directory) error { d.State = directory.Active; return nil })
			require.NoError(t, err)
			require.NoError(t, r.a.EndCredential(ctx, sc, c.ID, time.Now(), true))
			status, _ = send(c.ID, secret)
			assert.Equal(t, http.StatusUnauthorized, status, "revoked")

			require.NoError(t, keys.Flush(ctx))
			got, _, err := r.b.LookupCredential(ctx, c.ID)
			require.NoError(t, err)
			assert.False(t, got.LastUsed.IsZero(), "use is recorded")
		})
	}
}
