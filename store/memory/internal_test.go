package memory

import (
	"context"
	"fmt"
	"testing"

	"github.com/scimkit/scimkit/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

func parseUserFilter(t testing.TB, text string) *filter.Filter {
	t.Helper()
	f, err := filter.Parse(text, filter.WithSchemas(schema.User(), schema.EnterpriseUser()))
	require.NoError(t, err)
	return f
}

func seedUsers(t testing.TB, s *Store, scope store.Scope, n int) {
	t.Helper()
	require.NoError(t, s.Update(context.Background(), scope, func(ctx context.Context, tx store.Tx) error {
		for i := range n {
			err := tx.Create(ctx, &store.Resource{Type: store.User, ID: fmt.Sprintf("u%d", i), Attributes: map[string]any{
				"userName":    fmt.Sprintf("User%d", i),
				"externalId":  fmt.Sprintf("ext-%d", i),
				"displayName": fmt.Sprintf("Display %d", i%10),
			}})
			if err != nil {
				return err
			}
		}
		return nil
	}))
}

// TestIndexedListDoesNotScan checks that equality filters on indexed
// attributes evaluate the filter only on the index's candidates.
func TestIndexedListDoesNotScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := New()
	seedUsers(t, s, store.Scope{}, 1000)
	seedUsers(t, s, store.Scope{Tenant: "other"}, 10)

	for _, tc := range []struct {
		filter  string
		matched int // filter evaluations expected
		want    []string
	}{
		{`userName eq "user500"`, 1, []string{"u500"}},
		{`userName eq "USER500" or userName eq "user7" or userName eq "nobody"`, 2, []string{"u7", "u500"}},
		{`externalId eq "ext-42"`, 1, []string{"u42"}},
		{`externalId eq "EXT-42"`, 1, nil}, // candidate by folded key, rejected by the case-exact filter
		{`id eq "u999" or id eq "u1"`, 2, []string{"u1", "u999"}},
		{`displayName eq "display 3"`, 100, nil},
		{`userName eq "nobody"`, 0, nil},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "user9"`, 1, []string{"u9"}},
		// or across indexed attributes: one probe per attribute, unioned.
		{`userName eq "user5" or externalId eq "ext-6" or id eq "u7"`, 3, []string{"u5", "u6", "u7"}},
		{`userName eq "user5" or externalId eq "ext-5"`, 1, []string{"u5"}},
		// and with an indexed side: only that side's candidates.
		{`userName eq "user8" and displayName eq "display 8"`, 1, []string{"u8"}},
		{`title pr and (id eq "u3" or userName eq "user4")`, 2, nil},
		{`(userName eq "user1" and title pr) or externalId eq "ext-2"`, 2, nil},
		// one side of an or that no index serves: scan.
		{`userName eq "user1" or title pr`, 1000, nil},
		{`not (userName eq "user1")`, 1000, nil},
	} {
		before := s.matches.Load()
		p, err := s.List(ctx, store.Scope{}, store.User, store.Query{Filter: parseUserFilter(t, tc.filter), Count: -1})
		require.NoError(t, err, tc.filter)
		assert.Equal(t, int64(tc.matched), s.matches.Load()-before, "filter evaluations for %s", tc.filter)
		if tc.want != nil {
			var ids []string
			for _, r := range p.Resources {
				ids = append(ids, r.ID)
			}
			assert.Equal(t, tc.want, ids, tc.filter)
		}
	}

	// A non-indexed filter scans the scope, and only the scope.
	before := s.matches.Load()
	p, err := s.List(ctx, store.Scope{}, store.User, store.Query{Filter: parseUserFilter(t, `userName co "user50"`), Count: -1})
	require.NoError(t, err)
	assert.Equal(t, 11, p.Total)
	assert.Equal(t, int64(1000), s.matches.Load()-before)

	// Inside a transaction, the index is combined with the overlay.
	require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		require.NoError(t, tx.Create(ctx, &store.Resource{Type: store.User, ID: "new", Attributes: map[string]any{"userName": "user500x"}}))
		r, err := tx.Get(ctx, store.User, "u500")
		require.NoError(t, err)
		r.Attributes["userName"] = "renamed"
		require.NoError(t, tx.Replace(ctx, r))

		before := s.matches.Load()
		p, err := tx.List(ctx, store.User, store.Query{Filter: parseUserFilter(t, `userName eq "user500" or userName eq "renamed" or userName eq "user1"`), Count: -1})
		require.NoError(t, err)
		assert.Equal(t, int64(3), s.matches.Load()-before, "u1 from the index, new and u500 from the overlay")
		var ids []string
		for _, r := range p.Resources {
			ids = append(ids, r.ID)
		}
		assert.Equal(t, []string{"u1", "u500"}, ids)
		return nil
	}))
}

func TestIndexesFollowWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := New()
	seedUsers(t, s, store.Scope{}, 3)
	list := func(text string) []string {
		p, err := s.List(ctx, store.Scope{}, store.User, store.Query{Filter: parseUserFilter(t, text), Count: -1})
		require.NoError(t, err)
		var ids []string
		for _, r := range p.Resources {
			ids = append(ids, r.ID)
		}
		return ids
	}
	require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		r, err := tx.Get(ctx, store.User, "u1")
		require.NoError(t, err)
		r.Attributes = map[string]any{"userName": "new1", "externalId": "x", "displayName": "D"}
		require.NoError(t, tx.Replace(ctx, r))
		return tx.Delete(ctx, store.User, "u2")
	}))
	assert.Nil(t, list(`userName eq "user1"`))
	assert.Equal(t, []string{"u1"}, list(`userName eq "NEW1"`))
	assert.Nil(t, list(`externalId eq "ext-1"`))
	assert.Equal(t, []string{"u1"}, list(`externalId eq "x"`))
	assert.Equal(t, []string{"u1"}, list(`displayName eq "d"`))
	assert.Nil(t, list(`userName eq "user2"`))
	assert.Nil(t, list(`id eq "u2"`))
	assert.Nil(t, list(`externalId eq "ext-2"`))

	d := s.scopes[store.Scope{}]
	assert.Len(t, d.users.byID, 2)
	assert.Len(t, d.users.byUserName, 2)
	assert.Len(t, d.users.byExternal, 2)
}

func TestCompaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := New()
	seedUsers(t, s, store.Scope{}, 300)
	require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		for i := range 250 {
			if err := tx.Delete(ctx, store.User, fmt.Sprintf("u%d", i)); err != nil {
				return err
			}
		}
		return nil
	}))
	d := s.scopes[store.Scope{}]
	assert.Len(t, d.users.order, 50, "stale slots compacted")
	// Re-creating a deleted id puts it at the end.
	require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, &store.Resource{Type: store.User, ID: "u0", Attributes: map[string]any{"userName": "again"}})
	}))
	p, err := s.List(ctx, store.Scope{}, store.User, store.Query{Count: -1})
	require.NoError(t, err)
	require.Len(t, p.Resources, 51)
	assert.Equal(t, "u250", p.Resources[0].ID)
	assert.Equal(t, "u0", p.Resources[50].ID)
}

func TestFold(t *testing.T) {
	t.Parallel()
	for _, tc := range [][2]string{
		{"alice", "ALICE"},
		{"Straße", "STRAßE"},
		{"\u212a", "k"}, // Kelvin sign
		{"ſ", "S"},      // long s
		{"Ünïcödé", "üNÏCÖDÉ"},
	} {
		assert.Equal(t, filter.Fold(tc[0]), filter.Fold(tc[1]), "%q vs %q", tc[0], tc[1])
	}
	assert.NotEqual(t, filter.Fold("alice"), filter.Fold("alicf"))
	assert.Equal(t, "", filter.Fold(""))
}
