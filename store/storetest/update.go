package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/store"
)

// ---- Update: atomicity and visibility ----------------------------------

// seedRollback creates the data the rollback tests try to change.
func seedRollback(t *testing.T, s store.Store) {
	create(t, s, scopeA,
		newUser("u1", "alice", map[string]any{"displayName": "Alice"}),
		newUser("u2", "bob", nil),
		newUser("u3", "carol", nil),
	)
	create(t, s, scopeA, newGroup("g1", "G1", userMember("u1"), userMember("u3")))
}

// changeEverything makes one change of every kind in tx.
func changeEverything(ctx context.Context, t *testing.T, tx store.Tx) {
	require.NoError(t, tx.Create(ctx, newUser("new", "dave", nil)))
	require.NoError(t, tx.Create(ctx, newGroup("gnew", "GNew", userMember("new"))))
	u1, err := tx.Get(ctx, store.User, "u1")
	require.NoError(t, err)
	u1.Attributes["displayName"] = "Changed"
	u1.Attributes["userName"] = "alice2"
	require.NoError(t, tx.Replace(ctx, u1))
	require.NoError(t, errOnly(tx.AddMembers(ctx, "g1", []store.Member{userMember("u2"), userMember("new")})))
	require.NoError(t, errOnly(tx.RemoveMembers(ctx, "g1", []string{"u1"})))
	require.NoError(t, tx.Delete(ctx, store.User, "u3"))
}

// requireSeedIntact checks that seedRollback's data is exactly as created.
func requireSeedIntact(t *testing.T, s store.Store) {
	t.Helper()
	requireNotFound(t, s, scopeA, store.User, "new")
	requireNotFound(t, s, scopeA, store.Group, "gnew")
	u1 := mustGet(t, s, scopeA, store.User, "u1")
	assert.Equal(t, "Alice", u1.DisplayName())
	assert.Equal(t, "alice", u1.UserName())
	assert.Equal(t, int64(2), u1.Version, "created, then added to g1")
	assert.Equal(t, []string{"g1"}, groupValues(u1))
	mustGet(t, s, scopeA, store.User, "u3")
	g1 := mustGet(t, s, scopeA, store.Group, "g1")
	assert.Equal(t, []string{"u1", "u3"}, memberValues(g1))
	assert.Equal(t, int64(1), g1.Version)
	assert.Empty(t, mustGet(t, s, scopeA, store.User, "u2").Groups)
	assert.Equal(t, []string{"u1", "u2", "u3"}, listUserIDs(t, s, scopeA, ""))
	assert.Empty(t, listUserIDs(t, s, scopeA, `userName eq "dave" or userName eq "alice2"`))
	assert.Equal(t, 1, list(t, s, scopeA, store.Group, store.Query{Count: -1}).Total)
	// The userName the failed transaction took is still free, and the one
	// it gave up is still taken.
	create(t, s, scopeA, newUser("u9", "dave", nil))
	err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, newUser("u10", "ALICE", nil))
	})
	require.ErrorIs(t, err, store.ErrUniqueness)
}

var updateTests = []test{
	{"ErrorRollsBackEverything", func(t *testing.T, s store.Store) {
		seedRollback(t, s)
		err := update(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			changeEverything(ctx, t, tx)
			return errBoom
		})
		require.Equal(t, errBoom, err, "Update returns fn's error unchanged")
		requireSeedIntact(t, s)
	}},
	{"PanicRollsBackEverything", func(t *testing.T, s store.Store) {
		seedRollback(t, s)
		require.PanicsWithValue(t, "boom", func() {
			_ = update(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
				changeEverything(ctx, t, tx)
				panic("boom")
			})
		})
		requireSeedIntact(t, s)
	}},
	{"FailedOperationThenError", func(t *testing.T, s store.Store) {
		seedRollback(t, s)
		err := update(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			if err := tx.Create(ctx, newUser("new", "dave", nil)); err != nil {
				return err
			}
			return tx.Create(ctx, newUser("dup", "BOB", nil))
		})
		require.ErrorIs(t, err, store.ErrUniqueness)
		requireNotFound(t, s, scopeA, store.User, "new")
		requireNotFound(t, s, scopeA, store.User, "dup")
	}},
	{"CommitAppliesEverything", func(t *testing.T, s store.Store) {
		seedRollback(t, s)
		require.NoError(t, update(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			changeEverything(ctx, t, tx)
			return nil
		}))
		u1 := mustGet(t, s, scopeA, store.User, "u1")
		assert.Equal(t, "Changed", u1.DisplayName())
		assert.Empty(t, u1.Groups)
		requireNotFound(t, s, scopeA, store.User, "u3")
		g1 := mustGet(t, s, scopeA, store.Group, "g1")
		assert.Equal(t, []string{"u2", "new"}, memberValues(g1))
		assert.Equal(t, []string{"g1", "gnew"}, sortedCopy(groupValues(mustGet(t, s, scopeA, store.User, "new"))))
		assert.Equal(t, []string{"u1", "u2", "new"}, listUserIDs(t, s, scopeA, ""))
		assert.Equal(t, []string{"u1"}, listUserIDs(t, s, scopeA, `userName eq "ALICE2"`))
	}},
	{"WritesVisibleInsideOnly", func(t *testing.T, s store.Store) {
		seedRollback(t, s)
		// outside reads from another goroutine, as a concurrent request
		// would. A store whose reads wait for the writer is allowed; then
		// there is nothing to check before the commit.
		type seen struct {
			newErr, u3Err, u1Err, g1Err, listErr error
			u1, g1                               *store.Resource
			list                                 *store.Page
		}
		outside := func() (seen, bool) {
			ch := make(chan seen, 1)
			go func() {
				ctx := context.Background()
				var o seen
				_, o.newErr = s.Get(ctx, scopeA, store.User, "new")
				_, o.u3Err = s.Get(ctx, scopeA, store.User, "u3")
				o.u1, o.u1Err = s.Get(ctx, scopeA, store.User, "u1")
				o.g1, o.g1Err = s.Get(ctx, scopeA, store.Group, "g1")
				o.list, o.listErr = s.List(ctx, scopeA, store.User, store.Query{Count: -1})
				ch <- o
			}()
			select {
			case o := <-ch:
				return o, true
			case <-time.After(2 * time.Second):
				t.Log("reads outside the transaction wait for it; skipping the pre-commit visibility check")
				return seen{}, false
			}
		}
		require.NoError(t, update(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			changeEverything(ctx, t, tx)

			// Visible through tx.
			got, err := tx.Get(ctx, store.User, "new")
			require.NoError(t, err)
			assert.Equal(t, "dave", got.UserName())
			assert.ElementsMatch(t, []string{"g1", "gnew"}, groupValues(got))
			u1, err := tx.Get(ctx, store.User, "u1")
			require.NoError(t, err)
			assert.Equal(t, "Changed", u1.DisplayName())
			assert.Equal(t, int64(4), u1.Version, "seeded at 2, replaced, removed from g1")
			assert.Empty(t, u1.Groups)
			_, err = tx.Get(ctx, store.User, "u3")
			require.ErrorIs(t, err, store.ErrNotFound)
			g1, err := tx.Get(ctx, store.Group, "g1")
			require.NoError(t, err)
			assert.Equal(t, []string{"u2", "new"}, memberValues(g1))
			assert.Equal(t, "dave", g1.Members[1].Display)

			p, err := tx.List(ctx, store.User, store.Query{Count: -1})
			require.NoError(t, err)
			assert.Equal(t, []string{"u1", "u2", "new"}, ids(p))
			p, err = tx.List(ctx, store.User, store.Query{Count: -1, Filter: userFilter(t, `userName eq "DAVE" or userName eq "alice2"`)})
			require.NoError(t, err)
			assert.Equal(t, []string{"u1", "new"}, ids(p))
			p, err = tx.List(ctx, store.User, store.Query{Count: -1, Filter: userFilter(t, `userName eq "alice" or userName eq "carol"`)})
			require.NoError(t, err)
			assert.Empty(t, ids(p))
			p, err = tx.List(ctx, store.User, store.Query{Count: -1, Filter: userFilter(t, `displayName eq "changed"`)})
			require.NoError(t, err)
			assert.Equal(t, []string{"u1"}, ids(p))

			// Invisible to everybody else.
			if o, ok := outside(); ok {
				assert.ErrorIs(t, o.newErr, store.ErrNotFound)
				assert.NoError(t, o.u3Err)
				if assert.NoError(t, o.u1Err) {
					assert.Equal(t, "Alice", o.u1.DisplayName())
					assert.Equal(t, []string{"g1"}, groupValues(o.u1))
				}
				if assert.NoError(t, o.g1Err) {
					assert.Equal(t, []string{"u1", "u3"}, memberValues(o.g1))
				}
				if assert.NoError(t, o.listErr) {
					assert.Equal(t, []string{"u1", "u2", "u3"}, ids(o.list))
				}
			}
			return nil
		}))
		// Visible to everybody after the commit.
		mustGet(t, s, scopeA, store.User, "new")
		requireNotFound(t, s, scopeA, store.User, "u3")
	}},
	{"SequentialUpdatesSeeEachOther", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil))
		require.NoError(t, update(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			r, err := tx.Get(ctx, store.User, "u1")
			if err != nil {
				return err
			}
			r.Attributes["displayName"] = "One"
			if err := tx.Replace(ctx, r); err != nil {
				return err
			}
			// A second Replace in the same transaction needs the version
			// the first one returned.
			r.Attributes["displayName"] = "Two"
			return tx.Replace(ctx, r)
		}))
		got := mustGet(t, s, scopeA, store.User, "u1")
		assert.Equal(t, "Two", got.DisplayName())
		assert.Equal(t, int64(3), got.Version)
	}},
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// versionTests check that a resource's Version moves with its
// representation, derived attributes included.
var versionTests = []test{
	{"FollowsDerivedAttributes", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newUser("u2", "bob", nil), newUser("u3", "carol", nil))
		create(t, s, scopeA, newGroup("g1", "G1", userMember("u1")), newGroup("g2", "G2"))
		create(t, s, scopeA, newGroup("outer", "Outer", groupMember("g1")))
		version := func(typ store.ResourceType, id string) int64 { return mustGet(t, s, scopeA, typ, id).Version }
		changed := func(what string, op func(ctx context.Context, tx store.Tx) error, moved []string, still []string) {
			t.Helper()
			before := map[string]int64{}
			for _, id := range append(append([]string(nil), moved...), still...) {
				before[id] = version(typeOf(id), id)
			}
			require.NoError(t, do(t, s, scopeA, op), what)
			for _, id := range moved {
				assert.Greater(t, version(typeOf(id), id), before[id], "%s: %s must get a new version", what, id)
			}
			for _, id := range still {
				assert.Equal(t, before[id], version(typeOf(id), id), "%s: %s is unchanged", what, id)
			}
		}
		assert.Equal(t, int64(2), version(store.User, "u1"), "added to g1 at its creation")
		assert.Equal(t, int64(1), version(store.User, "u2"))

		changed("add u2 to g1", func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.AddMembers(ctx, "g1", []store.Member{userMember("u2")}))
		}, []string{"g1", "u2"}, []string{"u1", "u3", "g2", "outer"})
		changed("add u2 again (no change)", func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.AddMembers(ctx, "g1", []store.Member{userMember("u2")}))
		}, nil, []string{"g1", "u2"})
		changed("rename u2 (display shown in g1)", func(ctx context.Context, tx store.Tx) error {
			u := mustGetTx(ctx, t, tx, store.User, "u2")
			u.Attributes["displayName"] = "Bobby"
			return tx.Replace(ctx, u)
		}, []string{"u2", "g1"}, []string{"u1", "g2", "outer"})
		changed("change u2's title (no display change)", func(ctx context.Context, tx store.Tx) error {
			u := mustGetTx(ctx, t, tx, store.User, "u2")
			u.Attributes["title"] = "Boss"
			return tx.Replace(ctx, u)
		}, []string{"u2"}, []string{"g1", "outer"})
		changed("rename g1 (display in users' groups and in outer)", func(ctx context.Context, tx store.Tx) error {
			g := mustGetTx(ctx, t, tx, store.Group, "g1")
			g.Attributes["displayName"] = "Group One"
			return tx.Replace(ctx, g)
		}, []string{"g1", "u1", "u2", "outer"}, []string{"u3", "g2"})
		changed("remove u1 from g1", func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.RemoveMembers(ctx, "g1", []string{"u1"}))
		}, []string{"g1", "u1"}, []string{"u2", "u3"})
		changed("delete g1", func(ctx context.Context, tx store.Tx) error {
			return tx.Delete(ctx, store.Group, "g1")
		}, []string{"u2", "outer"}, []string{"u1", "u3", "g2"})
		changed("delete u3 (in no group)", func(ctx context.Context, tx store.Tx) error {
			return tx.Delete(ctx, store.User, "u3")
		}, nil, []string{"g2", "outer", "u2"})
	}},
}

// typeOf tells the fixtures of versionTests apart by id.
func typeOf(id string) store.ResourceType {
	if id[0] == 'u' {
		return store.User
	}
	return store.Group
}

func mustGetTx(ctx context.Context, t *testing.T, tx store.Tx, typ store.ResourceType, id string) *store.Resource {
	t.Helper()
	r, err := tx.Get(ctx, typ, id)
	require.NoError(t, err)
	return r
}
