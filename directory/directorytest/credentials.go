package directorytest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/store"
)

// withToken creates the directory of sc (unless it exists) and a bearer
// credential for it, returning the token and the credential.
func withToken(t *testing.T, s Store, sc store.Scope, name string) (string, *directory.Credential) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Directory(ctx, sc); err != nil {
		require.NoError(t, s.CreateDirectory(ctx, sample(sc.Tenant, sc.Directory)))
	}
	token, c, err := directory.NewBearerToken(sc, name, []string{"users:read", "users:write"})
	require.NoError(t, err)
	require.NoError(t, s.CreateCredential(ctx, c))
	return token, c
}

func credentialCreateAndLookUp(t *testing.T, s Store) {
	ctx := context.Background()
	token, c := withToken(t, s, scope("acme", "okta"), "Okta")
	assert.False(t, c.Created.IsZero(), "Created is set on the argument")
	id, ok := directory.TokenKeyID(token)
	require.True(t, ok)
	assert.Equal(t, c.ID, id)

	got, dir, err := s.LookupCredential(ctx, id)
	require.NoError(t, err)
	assert.True(t, got.Matches(token), "the stored hash matches the token")
	assert.False(t, got.Matches(token+"x"))
	assert.Equal(t, scope("acme", "okta"), got.Scope())
	assert.Equal(t, directory.BearerToken, got.Kind)
	assert.Equal(t, "Okta", got.Name)
	assert.Equal(t, []string{"users:read", "users:write"}, got.Scopes)
	assert.True(t, c.Created.Equal(got.Created))
	assert.True(t, got.Usable(time.Now()))
	assert.Equal(t, "okta", dir.ID)
	assert.Equal(t, directory.Active, dir.State)

	_, _, err = s.LookupCredential(ctx, "aaaaaaaaaaaaaaaaaaaa")
	require.ErrorIs(t, err, directory.ErrNotFound)
}

func credentialsNeedTheirDirectory(t *testing.T, s Store) {
	_, c, err := directory.NewBearerToken(scope("acme", "nowhere"), "x", nil)
	require.NoError(t, err)
	require.ErrorIs(t, s.CreateCredential(context.Background(), c), directory.ErrNotFound)
}

func credentialsRefuseDuplicatesAndInvalid(t *testing.T, s Store) {
	ctx := context.Background()
	_, c := withToken(t, s, scope("acme", "okta"), "first")
	again := c.Clone()
	again.Name = "second"
	require.ErrorIs(t, s.CreateCredential(ctx, again), directory.ErrExists)
	for name, change := range map[string]func(c *directory.Credential){
		"no hash":     func(c *directory.Credential) { c.Hash = nil },
		"bad id":      func(c *directory.Credential) { c.ID = "not-a-key-id" },
		"upper id":    func(c *directory.Credential) { c.ID = "AAAAAAAAAAAAAAAAAAAA" },
		"bad kind":    func(c *directory.Credential) { c.Kind = "password" },
		"empty scope": func(c *directory.Credential) { c.Scopes = []string{""} },
	} {
		_, c, err := directory.NewBearerToken(scope("acme", "okta"), "x", nil)
		require.NoError(t, err)
		change(c)
		require.ErrorIs(t, s.CreateCredential(ctx, c), directory.ErrInvalid, name)
	}
	list, err := s.ListCredentials(ctx, scope("acme", "okta"))
	require.NoError(t, err)
	assert.Len(t, list, 1)
}

func credentialsListWithoutHashes(t *testing.T, s Store) {
	ctx := context.Background()
	_, first := withToken(t, s, scope("acme", "okta"), "first")
	time.Sleep(2 * time.Millisecond) // stores keep milliseconds
	_, second := withToken(t, s, scope("acme", "okta"), "second")
	withToken(t, s, scope("acme", "entra"), "other directory")
	withToken(t, s, scope("globex", "okta"), "other tenant")

	list, err := s.ListCredentials(ctx, scope("acme", "okta"))
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, second.ID, list[0].ID, "newest first")
	assert.Equal(t, first.ID, list[1].ID)
	for _, c := range list {
		assert.Nil(t, c.Hash, "never the hash")
		assert.Equal(t, scope("acme", "okta"), c.Scope())
	}
	list, err = s.ListCredentials(ctx, scope("acme", "none"))
	require.NoError(t, err)
	assert.Empty(t, list)
}

func credentialsEnd(t *testing.T, s Store) {
	ctx := context.Background()
	sc := scope("acme", "okta")
	_, c := withToken(t, s, sc, "x")
	later := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	sooner := later.Add(-30 * time.Minute)

	require.ErrorIs(t, s.EndCredential(ctx, scope("globex", "okta"), c.ID, sooner, true), directory.ErrNotFound,
		"another directory's admin cannot end it")
	require.ErrorIs(t, s.EndCredential(ctx, sc, "aaaaaaaaaaaaaaaaaaaa", sooner, true), directory.ErrNotFound)
	require.ErrorIs(t, s.EndCredential(ctx, sc, c.ID, time.Time{}, true), directory.ErrInvalid, "no zero end")

	require.NoError(t, s.EndCredential(ctx, sc, c.ID, later, false))
	require.NoError(t, s.EndCredential(ctx, sc, c.ID, later.Add(time.Hour), false), "a later expiry changes nothing")
	got, _, err := s.LookupCredential(ctx, c.ID)
	require.NoError(t, err)
	assert.True(t, later.Equal(got.Expires), "%v", got.Expires)
	assert.True(t, got.Usable(sooner))
	assert.False(t, got.Usable(later))

	require.NoError(t, s.EndCredential(ctx, sc, c.ID, sooner, false))
	require.NoError(t, s.EndCredential(ctx, sc, c.ID, time.Now().Truncate(time.Millisecond), true))
	got, _, err = s.LookupCredential(ctx, c.ID)
	require.NoError(t, err)
	assert.True(t, sooner.Equal(got.Expires), "an earlier expiry wins")
	assert.False(t, got.Revoked.IsZero())
	assert.False(t, got.Usable(time.Now()))
	require.ErrorIs(t, s.EndCredential(ctx, sc, c.ID, time.Time{}, true), directory.ErrInvalid)
	got, _, err = s.LookupCredential(ctx, c.ID)
	require.NoError(t, err)
	assert.False(t, got.Usable(time.Now()), "still revoked")
	_, _, err = directory.Rotate(ctx, s, sc, c.ID, time.Hour, time.Now())
	require.ErrorIs(t, err, directory.ErrInvalid, "a revoked credential is not rotated into a valid one")
}

func credentialsTouch(t *testing.T, s Store) {
	ctx := context.Background()
	sc := scope("acme", "okta")
	_, a := withToken(t, s, sc, "a")
	_, b := withToken(t, s, sc, "b")
	at := time.Now().Truncate(time.Millisecond)
	require.NoError(t, s.TouchCredentials(ctx, map[string]time.Time{a.ID: at, "aaaaaaaaaaaaaaaaaaaa": at}))
	require.NoError(t, s.TouchCredentials(ctx, map[string]time.Time{a.ID: at.Add(-time.Minute)}), "older times are ignored")

	got, dir, err := s.LookupCredential(ctx, a.ID)
	require.NoError(t, err)
	assert.True(t, at.Equal(got.LastUsed), "%v", got.LastUsed)
	assert.True(t, at.Equal(dir.LastRequest), "the directory's last request: %v", dir.LastRequest)
	got, _, err = s.LookupCredential(ctx, b.ID)
	require.NoError(t, err)
	assert.True(t, got.LastUsed.IsZero())
	require.NoError(t, s.TouchCredentials(ctx, nil))
}

func credentialsGoWithTheirDirectory(t *testing.T, s Store) {
	ctx := context.Background()
	_, c := withToken(t, s, scope("acme", "okta"), "x")
	_, other := withToken(t, s, scope("acme", "entra"), "y")
	require.NoError(t, s.DeleteDirectory(ctx, scope("acme", "okta")))
	_, _, err := s.LookupCredential(ctx, c.ID)
	require.ErrorIs(t, err, directory.ErrNotFound)
	_, _, err = s.LookupCredential(ctx, other.ID)
	require.NoError(t, err)
	// A new directory of the same id does not inherit them.
	require.NoError(t, s.CreateDirectory(ctx, sample("acme", "okta")))
	list, err := s.ListCredentials(ctx, scope("acme", "okta"))
	require.NoError(t, err)
	assert.Empty(t, list)
}

func credentialsRotate(t *testing.T, s Store) {
	ctx := context.Background()
	sc := scope("acme", "okta")
	oldToken, old := withToken(t, s, sc, "Okta")
	now := time.Now().Truncate(time.Millisecond)
	newToken, fresh, err := directory.Rotate(ctx, s, sc, old.ID, 24*time.Hour, now)
	require.NoError(t, err)
	assert.NotEqual(t, oldToken, newToken)
	assert.Equal(t, "Okta", fresh.Name)
	assert.Equal(t, old.Scopes, fresh.Scopes)

	got, _, err := s.LookupCredential(ctx, old.ID)
	require.NoError(t, err)
	assert.True(t, got.Usable(now.Add(23*time.Hour)), "the old token works through the overlap")
	assert.False(t, got.Usable(now.Add(24*time.Hour)), "and not after it")
	got, _, err = s.LookupCredential(ctx, fresh.ID)
	require.NoError(t, err)
	assert.True(t, got.Matches(newToken))
	assert.True(t, got.Usable(now.Add(48*time.Hour)))

	_, _, err = directory.Rotate(ctx, s, scope("globex", "okta"), old.ID, time.Hour, now)
	require.ErrorIs(t, err, directory.ErrNotFound, "only the credential's own directory rotates it")
}

// credentialsSigningSecrets: a signing secret is kept whole (verifying
// needs it), returned by LookupCredential, never listed, and rotated into
// another signing secret.
func credentialsSigningSecrets(t *testing.T, s Store) {
	ctx := context.Background()
	sc := scope("acme", "okta")
	require.NoError(t, s.CreateDirectory(ctx, sample(sc.Tenant, sc.Directory)))
	secret, c, err := directory.NewSigningSecret(sc, "relay", []string{"users:write"})
	require.NoError(t, err)
	require.Len(t, secret, 43)
	require.NoError(t, s.CreateCredential(ctx, c))

	got, _, err := s.LookupCredential(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, directory.SigningSecret, got.Kind)
	assert.Equal(t, []byte(secret), got.Secret)
	assert.False(t, got.Matches(secret), "a signing secret is no bearer token")
	list, err := s.ListCredentials(ctx, sc)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Nil(t, list[0].Secret, "never listed")

	short := c.Clone()
	short.ID = "bbbbbbbbbbbbbbbbbbbb"
	short.Secret = []byte("short")
	require.ErrorIs(t, s.CreateCredential(ctx, short), directory.ErrInvalid)
	binary := c.Clone()
	binary.ID = "cccccccccccccccccccc"
	binary.Secret = make([]byte, 256)
	for i := range binary.Secret {
		binary.Secret[i] = byte(i)
	}
	require.NoError(t, s.CreateCredential(ctx, binary), "any bytes make a secret")
	got, _, err = s.LookupCredential(ctx, binary.ID)
	require.NoError(t, err)
	assert.Equal(t, binary.Secret, got.Secret)

	newSecret, fresh, err := directory.Rotate(ctx, s, sc, c.ID, time.Hour, time.Now())
	require.NoError(t, err)
	assert.Equal(t, directory.SigningSecret, fresh.Kind)
	got, _, err = s.LookupCredential(ctx, fresh.ID)
	require.NoError(t, err)
	assert.Equal(t, []byte(newSecret), got.Secret)
}
