package directory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, d := range []directory.Directory{
		{Tenant: "acme", ID: "okta"},
		{Tenant: "", ID: "okta"},
		{Tenant: "a:b", ID: "c:d"},
		{Tenant: "12:x", ID: ""},
		{Tenant: "ünï", ID: "cødé"},
	} {
		tenant, id, err := directory.ParseCursor(directory.Cursor(&d))
		require.NoError(t, err)
		assert.Equal(t, d.Tenant, tenant)
		assert.Equal(t, d.ID, id)
	}
}

func TestValidateDefaultsAndLimits(t *testing.T) {
	t.Parallel()
	d := directory.Directory{ID: "okta", Kind: directory.Okta, State: directory.Active}
	require.NoError(t, d.Validate(), "the zero tenant and empty settings are valid")
	d.Name = strings.Repeat("n", directory.MaxNameLen)
	require.NoError(t, d.Validate())
	d.Name += "n"
	err := d.Validate()
	require.ErrorIs(t, err, directory.ErrInvalid)
	assert.Contains(t, err.Error(), "name")
	for _, k := range directory.Kinds() {
		assert.True(t, k.Valid(), k)
	}
	assert.False(t, directory.Kind("OKTA").Valid(), "kinds are lower case")
}

// FuzzParseCursor: any string either parses into a tenant and id that
// Cursor turns back into the same string, or is refused with ErrInvalid.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"4:acmeokta", "0:okta", "3:a:bc:d", "", "x", "5:ab", "-1:a", "01:ab", "99999999999999999999:a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tenant, id, err := directory.ParseCursor(s)
		if err != nil {
			require.ErrorIs(t, err, directory.ErrInvalid)
			return
		}
		assert.Equal(t, s, directory.Cursor(&directory.Directory{Tenant: tenant, ID: id}))
	})
}

// Example: a customer connects Okta on the admin page; the app creates the
// directory, later pauses it, and lists the tenant's directories.
func Example() {
	ctx := context.Background()
	dirs := memory.New().Directories()

	d := &directory.Directory{
		Tenant: "acme", ID: "okta", Name: "Okta", Kind: directory.Okta,
		Settings: directory.Settings{DefaultTeamPermission: "read", UniqueGroupNames: true},
	}
	if err := dirs.CreateDirectory(ctx, d); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := dirs.UpdateDirectory(ctx, d.Scope(), func(d *directory.Directory) error {
		d.State = directory.Paused
		return nil
	}); err != nil {
		fmt.Println(err)
		return
	}
	page, err := dirs.ListDirectories(ctx, directory.ListQuery{Tenant: "acme"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range page.Directories {
		fmt.Println(d.Tenant, d.ID, d.Kind, d.State, d.Version)
	}
	// Output: acme okta okta paused 2
}

// TestCredentialsNeverEncodeTheirSecrets: a credential encoded to JSON (an
// admin API answering with it, a log line) carries neither hash nor secret.
func TestCredentialsNeverEncodeTheirSecrets(t *testing.T) {
	t.Parallel()
	secret, c, err := directory.NewSigningSecret(store.Scope{Tenant: "acme", Directory: "okta"}, "relay", nil)
	require.NoError(t, err)
	raw, err := json.Marshal(c)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), secret)
	token, c, err := directory.NewBearerToken(store.Scope{Tenant: "acme", Directory: "okta"}, "okta", nil)
	require.NoError(t, err)
	raw, err = json.Marshal(c)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), token)
	assert.NotContains(t, string(raw), "Hash")
	assert.Contains(t, string(raw), c.ID)
}
