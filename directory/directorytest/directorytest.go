// Package directorytest is the contract every directory.Store passes. A
// store's tests call Run with a function that opens a fresh, empty store:
//
//	func TestDirectories(t *testing.T) {
//		directorytest.Run(t, func(t *testing.T) directory.Store { return memory.New().Directories() })
//	}
package directorytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/store"
)

// Store is what the contract tests: directory records and their
// credentials, on the same data.
type Store interface {
	directory.Store
	directory.CredentialStore
}

// Run runs the contract against stores newStore opens. Every case gets its
// own store and runs in parallel with the others.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"CreateAndRead", createAndRead},
		{"CreateRefusesDuplicates", createRefusesDuplicates},
		{"CreateRefusesInvalid", createRefusesInvalid},
		{"TenantsAreApart", tenantsAreApart},
		{"NotFound", notFound},
		{"ListPages", listPages},
		{"ListFilters", listFilters},
		{"ListRefusesBadCursor", listRefusesBadCursor},
		{"Update", update},
		{"UpdateFailsWhole", updateFailsWhole},
		{"UpdatesSerialise", updatesSerialise},
		{"Delete", deleteDirectory},
		{"ReturnsCopies", returnsCopies},
		{"Credentials/CreateAndLookUp", credentialCreateAndLookUp},
		{"Credentials/NeedTheirDirectory", credentialsNeedTheirDirectory},
		{"Credentials/RefuseDuplicatesAndInvalid", credentialsRefuseDuplicatesAndInvalid},
		{"Credentials/ListWithoutHashes", credentialsListWithoutHashes},
		{"Credentials/End", credentialsEnd},
		{"Credentials/Touch", credentialsTouch},
		{"Credentials/GoWithTheirDirectory", credentialsGoWithTheirDirectory},
		{"Credentials/Rotate", credentialsRotate},
		{"Credentials/SigningSecrets", credentialsSigningSecrets},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, newStore(t))
		})
	}
}

func sample(tenant, id string) *directory.Directory {
	return &directory.Directory{
		Tenant: tenant, ID: id, Name: "Okta (" + tenant + ")", Kind: directory.Okta,
		Settings: directory.Settings{
			GroupDeletion:           directory.RemoveMembers,
			DeactivationGracePeriod: 72 * time.Hour,
			UniqueGroupNames:        true,
			DefaultRole:             "member",
			DefaultTeamPermission:   "read",
			Notifications:           true,
			Profile:                 &directory.Profile{CreateOnFilterMiss: true},
		},
	}
}

func scope(tenant, id string) store.Scope { return store.Scope{Tenant: tenant, Directory: id} }

func createAndRead(t *testing.T, s Store) {
	ctx := context.Background()
	d := sample("acme", "okta")
	require.NoError(t, s.CreateDirectory(ctx, d))
	assert.Equal(t, directory.Active, d.State, "an empty state is active")
	assert.False(t, d.Created.IsZero())
	assert.Equal(t, d.Created, d.Updated)
	assert.Positive(t, d.Version)

	got, err := s.Directory(ctx, d.Scope())
	require.NoError(t, err)
	assert.Equal(t, d.Tenant, got.Tenant)
	assert.Equal(t, d.ID, got.ID)
	assert.Equal(t, d.Name, got.Name)
	assert.Equal(t, d.Kind, got.Kind)
	assert.Equal(t, directory.Active, got.State)
	assert.Equal(t, d.Settings, got.Settings)
	assert.True(t, d.Created.Equal(got.Created), "created %v, read %v", d.Created, got.Created)
	assert.True(t, got.LastRequest.IsZero())
	assert.Empty(t, got.LastError)
	assert.Equal(t, d.Version, got.Version)

	// The zero tenant (a single-tenant app) is a tenant like any other.
	single := sample("", "entra")
	single.Kind = directory.Entra
	require.NoError(t, s.CreateDirectory(ctx, single))
	got, err = s.Directory(ctx, scope("", "entra"))
	require.NoError(t, err)
	assert.Equal(t, directory.Entra, got.Kind)
}

func createRefusesDuplicates(t *testing.T, s Store) {
	ctx := context.Background()
	require.NoError(t, s.CreateDirectory(ctx, sample("acme", "okta")))
	again := sample("acme", "okta")
	again.Name = "second"
	require.ErrorIs(t, s.CreateDirectory(ctx, again), directory.ErrExists)
	got, err := s.Directory(ctx, scope("acme", "okta"))
	require.NoError(t, err)
	assert.Equal(t, "Okta (acme)", got.Name, "the first one stays")
}

func createRefusesInvalid(t *testing.T, s Store) {
	ctx := context.Background()
	long := make([]byte, directory.MaxIDLen+1)
	for i := range long {
		long[i] = 'a'
	}
	for name, change := range map[string]func(d *directory.Directory){
		"no id":            func(d *directory.Directory) { d.ID = "" },
		"blank id":         func(d *directory.Directory) { d.ID = "  " },
		"long id":          func(d *directory.Directory) { d.ID = string(long) },
		"long tenant":      func(d *directory.Directory) { d.Tenant = string(long) },
		"NUL in id":        func(d *directory.Directory) { d.ID = "a\x00b" },
		"invalid UTF-8":    func(d *directory.Directory) { d.Name = "\xff" },
		"unknown kind":     func(d *directory.Directory) { d.Kind = "azure" },
		"no kind":          func(d *directory.Directory) { d.Kind = "" },
		"unknown state":    func(d *directory.Directory) { d.State = "deleted" },
		"unknown deletion": func(d *directory.Directory) { d.Settings.GroupDeletion = "drop" },
		"negative grace":   func(d *directory.Directory) { d.Settings.DeactivationGracePeriod = -time.Second },
		"unknown disconnect policy": func(d *directory.Directory) {
			d.Disconnection = &directory.Disconnection{Policy: "drop"}
		},
		"long default role": func(d *directory.Directory) { d.Settings.DefaultRole = string(make([]byte, 5000)) },
	} {
		d := sample("acme", "x")
		change(d)
		err := s.CreateDirectory(ctx, d)
		require.ErrorIs(t, err, directory.ErrInvalid, name)
	}
	page, err := s.ListDirectories(ctx, directory.ListQuery{AllTenants: true})
	require.NoError(t, err)
	assert.Empty(t, page.Directories, "nothing invalid was saved")
}

func tenantsAreApart(t *testing.T, s Store) {
	ctx := context.Background()
	a, b := sample("acme", "okta"), sample("globex", "okta")
	b.Name = "Globex"
	require.NoError(t, s.CreateDirectory(ctx, a))
	require.NoError(t, s.CreateDirectory(ctx, b))
	got, err := s.Directory(ctx, scope("globex", "okta"))
	require.NoError(t, err)
	assert.Equal(t, "Globex", got.Name)
	require.NoError(t, s.DeleteDirectory(ctx, scope("acme", "okta")))
	_, err = s.Directory(ctx, scope("globex", "okta"))
	require.NoError(t, err, "deleting acme/okta leaves globex/okta")
	page, err := s.ListDirectories(ctx, directory.ListQuery{Tenant: "acme"})
	require.NoError(t, err)
	assert.Empty(t, page.Directories)
}

func notFound(t *testing.T, s Store) {
	ctx := context.Background()
	require.NoError(t, s.CreateDirectory(ctx, sample("acme", "okta")))
	for _, sc := range []store.Scope{scope("acme", "entra"), scope("", "okta"), scope("ACME", "okta"), scope("acme", "OKTA")} {
		_, err := s.Directory(ctx, sc)
		require.ErrorIs(t, err, directory.ErrNotFound, "%v", sc)
		_, err = s.UpdateDirectory(ctx, sc, func(*directory.Directory) error { return nil })
		require.ErrorIs(t, err, directory.ErrNotFound, "%v", sc)
		require.ErrorIs(t, s.DeleteDirectory(ctx, sc), directory.ErrNotFound, "%v", sc)
	}
}

func listPages(t *testing.T, s Store) {
	ctx := context.Background()
	var want []store.Scope
	for _, tenant := range []string{"b", "a", "", "a:b", "ab"} {
		for i := range 7 {
			d := sample(tenant, fmt.Sprintf("d%02d", 6-i))
			require.NoError(t, s.CreateDirectory(ctx, d))
			want = append(want, d.Scope())
		}
	}
	sortScopes(want)
	for _, limit := range []int{1, 3, 7, 100} {
		var got []store.Scope
		q := directory.ListQuery{AllTenants: true, Limit: limit}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 100, "the list must end")
			page, err := s.ListDirectories(ctx, q)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Directories), limit)
			for _, d := range page.Directories {
				got = append(got, d.Scope())
			}
			if page.Next == "" {
				break
			}
			q.After = page.Next
		}
		assert.Equal(t, want, got, "limit %d: every directory once, by tenant then id", limit)
	}
}

func sortScopes(s []store.Scope) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && directory.Less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func listFilters(t *testing.T, s Store) {
	ctx := context.Background()
	for _, sc := range []store.Scope{scope("acme", "okta"), scope("acme", "entra"), scope("globex", "okta")} {
		require.NoError(t, s.CreateDirectory(ctx, sample(sc.Tenant, sc.Directory)))
	}
	_, err := s.UpdateDirectory(ctx, scope("acme", "entra"), func(d *directory.Directory) error {
		d.State = directory.Paused
		return nil
	})
	require.NoError(t, err)

	ids := func(q directory.ListQuery) []string {
		page, err := s.ListDirectories(ctx, q)
		require.NoError(t, err)
		var out []string
		for _, d := range page.Directories {
			out = append(out, d.Tenant+"/"+d.ID)
		}
		return out
	}
	assert.Equal(t, []string{"acme/entra", "acme/okta"}, ids(directory.ListQuery{Tenant: "acme"}))
	assert.Equal(t, []string{"acme/okta", "globex/okta"}, ids(directory.ListQuery{AllTenants: true, State: directory.Active}))
	assert.Equal(t, []string{"acme/entra"}, ids(directory.ListQuery{Tenant: "acme", State: directory.Paused}))
	assert.Empty(t, ids(directory.ListQuery{}), "the zero query is the zero tenant's directories")
}

func listRefusesBadCursor(t *testing.T, s Store) {
	for _, c := range []string{"x", "5:ab", "-1:a", "01:ab", ":"} {
		_, err := s.ListDirectories(context.Background(), directory.ListQuery{AllTenants: true, After: c})
		require.ErrorIs(t, err, directory.ErrInvalid, c)
	}
}

func update(t *testing.T, s Store) {
	ctx := context.Background()
	d := sample("acme", "okta")
	require.NoError(t, s.CreateDirectory(ctx, d))
	failedAt := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	got, err := s.UpdateDirectory(ctx, d.Scope(), func(c *directory.Directory) error {
		c.Name = "Okta EU"
		c.State = directory.Paused
		c.Settings.DeactivationGracePeriod = time.Hour
		c.Settings.GroupDeletion = directory.KeepMembers
		c.LastError = "401 from the IdP"
		c.LastErrorAt = failedAt
		c.LastRequest = failedAt
		c.Disconnection = &directory.Disconnection{Policy: directory.DeleteMembers, Started: failedAt}
		// Not the fn's to change:
		c.Tenant, c.ID, c.Version, c.Created = "other", "other", 99, time.Time{}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "acme", got.Tenant)
	assert.Equal(t, "okta", got.ID)
	assert.Greater(t, got.Version, d.Version)
	assert.True(t, got.Created.Equal(d.Created))
	assert.False(t, got.Updated.Before(d.Updated))

	read, err := s.Directory(ctx, d.Scope())
	require.NoError(t, err)
	assert.Equal(t, "Okta EU", read.Name)
	assert.Equal(t, directory.Paused, read.State)
	assert.Equal(t, time.Hour, read.Settings.DeactivationGracePeriod)
	assert.Equal(t, directory.KeepMembers, read.Settings.GroupDeletion)
	assert.Equal(t, "401 from the IdP", read.LastError)
	assert.True(t, failedAt.Equal(read.LastErrorAt), "%v", read.LastErrorAt)
	assert.True(t, failedAt.Equal(read.LastRequest), "%v", read.LastRequest)
	assert.Equal(t, got.Version, read.Version)
	require.NotNil(t, read.Disconnection)
	assert.Equal(t, directory.DeleteMembers, read.Disconnection.Policy)
	assert.True(t, failedAt.Equal(read.Disconnection.Started))
	assert.True(t, read.Disconnection.Finished.IsZero())
	_, err = s.Directory(ctx, scope("other", "other"))
	require.ErrorIs(t, err, directory.ErrNotFound)
}

func updateFailsWhole(t *testing.T, s Store) {
	ctx := context.Background()
	d := sample("acme", "okta")
	require.NoError(t, s.CreateDirectory(ctx, d))
	boom := errors.New("boom")
	_, err := s.UpdateDirectory(ctx, d.Scope(), func(c *directory.Directory) error {
		c.Name = "changed"
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = s.UpdateDirectory(ctx, d.Scope(), func(c *directory.Directory) error {
		c.Name = "changed"
		c.Kind = "nonsense"
		return nil
	})
	require.ErrorIs(t, err, directory.ErrInvalid)
	read, err := s.Directory(ctx, d.Scope())
	require.NoError(t, err)
	assert.Equal(t, d.Name, read.Name)
	assert.Equal(t, d.Version, read.Version)
}

// updatesSerialise: concurrent read-modify-write updates of one directory
// lose none of each other's changes.
func updatesSerialise(t *testing.T, s Store) {
	ctx := context.Background()
	d := sample("acme", "okta")
	d.Settings.DefaultRole = "0"
	require.NoError(t, s.CreateDirectory(ctx, d))
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := s.UpdateDirectory(ctx, d.Scope(), func(c *directory.Directory) error {
					var n int
					if _, err := fmt.Sscan(c.Settings.DefaultRole, &n); err != nil {
						return err
					}
					c.Settings.DefaultRole = fmt.Sprint(n + 1)
					return nil
				})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	read, err := s.Directory(ctx, d.Scope())
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(writers*each), read.Settings.DefaultRole)
	assert.GreaterOrEqual(t, read.Version, d.Version+writers*each)
}

func deleteDirectory(t *testing.T, s Store) {
	ctx := context.Background()
	d := sample("acme", "okta")
	require.NoError(t, s.CreateDirectory(ctx, d))
	require.NoError(t, s.DeleteDirectory(ctx, d.Scope()))
	_, err := s.Directory(ctx, d.Scope())
	require.ErrorIs(t, err, directory.ErrNotFound)
	require.ErrorIs(t, s.DeleteDirectory(ctx, d.Scope()), directory.ErrNotFound)
	// The id can be used again.
	require.NoError(t, s.CreateDirectory(ctx, sample("acme", "okta")))
}

func returnsCopies(t *testing.T, s Store) {
	ctx := context.Background()
	d := sample("acme", "okta")
	require.NoError(t, s.CreateDirectory(ctx, d))
	d.Name = "changed after create"
	got, err := s.Directory(ctx, d.Scope())
	require.NoError(t, err)
	assert.Equal(t, "Okta (acme)", got.Name)
	got.Name = "changed after read"
	page, err := s.ListDirectories(ctx, directory.ListQuery{Tenant: "acme"})
	require.NoError(t, err)
	require.Len(t, page.Directories, 1)
	assert.Equal(t, "Okta (acme)", page.Directories[0].Name)
}
