package sqlstore_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

var _ auth.ReplayCache = (*sqlstore.ReplayCache)(nil)

func TestReplayCache(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *sqlstore.Store{
		"sqlite":   func(t *testing.T) *sqlstore.Store { return sqlstoretest.SQLite(t) },
		"postgres": func(t *testing.T) *sqlstore.Store { s, _ := pgSchemas.Postgres(t); return s },
	} {
		t.Run(name, func(t *testing.T) {
			c := open(t).ReplayCache()
			ctx := context.Background()
			soon := time.Now().Add(150 * time.Millisecond)
			seen, err := c.Seen(ctx, "sig-1", soon)
			require.NoError(t, err)
			assert.False(t, seen)
			seen, err = c.Seen(ctx, "sig-1", soon)
			require.NoError(t, err)
			assert.True(t, seen, "a key is remembered until it expires")
			seen, _ = c.Seen(ctx, "sig-2", soon)
			assert.False(t, seen)
			time.Sleep(200 * time.Millisecond)
			seen, err = c.Seen(ctx, "sig-1", time.Now().Add(time.Minute))
			require.NoError(t, err)
			assert.False(t, seen, "an expired key may be used again")
		})
	}
}

// TestReplicasShareReplayProtection: a signed request accepted by one
// replica is refused by another that shares the database, while the same
// request signed again (a fresh nonce), in the same second, is accepted by
// either.
func TestReplicasShareReplayProtection(t *testing.T) {
	t.Parallel()
	first, dsn := pgSchemas.Postgres(t)
	second := sqlstoretest.OpenPostgres(t, dsn)
	secret := []byte(strings.Repeat("k", 32))
	replica := func(s *sqlstore.Store) *httptest.Server {
		mw, err := auth.Signed(auth.SignedOptions{
			Keys:   []auth.SigningKey{{ID: "relay", Secret: secret, Principal: auth.Principal{Tenant: "acme"}}},
			Replay: s.ReplayCache(), Logger: slog.New(slog.DiscardHandler),
		})
		require.NoError(t, err)
		srv := httptest.NewServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
		t.Cleanup(srv.Close)
		return srv
	}
	a, b := replica(first), replica(second)

	req, err := http.NewRequest("GET", a.URL+"/scim/v2/Users", nil)
	require.NoError(t, err)
	require.NoError(t, auth.Sign(req, secret, time.Now()))
	sig := req.Header.Get(auth.SignatureHeader)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// The same signed request, replayed against the other replica (same
	// path, so the signature still verifies).
	again, err := http.NewRequest("GET", b.URL+"/scim/v2/Users", nil)
	require.NoError(t, err)
	again.Header.Set(auth.SignatureHeader, sig)
	resp, err = http.DefaultClient.Do(again)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// Honest repeats: the same GET, signed anew each time at the same
	// second, on both replicas.
	at := time.Now()
	for _, srv := range []*httptest.Server{a, b, a, b} {
		req, err := http.NewRequest("GET", srv.URL+"/scim/v2/Users", nil)
		require.NoError(t, err)
		require.NoError(t, auth.Sign(req, secret, at))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
}
