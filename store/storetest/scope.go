package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/store"
)

// ---- Scope isolation ---------------------------------------------------

var scopeTests = []test{
	{"CannotReachOtherScope", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", map[string]any{"externalId": "E-1", "displayName": "Alice"}))
		create(t, s, scopeA, newGroup("g1", "Admins", userMember("u1")))

		requireNotFound(t, s, scopeB, store.User, "u1")
		requireNotFound(t, s, scopeB, store.Group, "g1")
		assert.Equal(t, 0, list(t, s, scopeB, store.User, store.Query{Count: -1}).Total)
		assert.Equal(t, 0, list(t, s, scopeB, store.Group, store.Query{Count: -1}).Total)
		for _, f := range []string{`id eq "u1"`, `userName eq "alice"`, `externalId eq "E-1"`, `displayName eq "Alice"`, `userName pr`, `groups.value eq "g1"`} {
			assert.Empty(t, listUserIDs(t, s, scopeB, f), f)
		}
		for _, f := range []string{`id eq "g1"`, `displayName eq "Admins"`, `members.value eq "u1"`} {
			assert.Equal(t, 0, list(t, s, scopeB, store.Group, store.Query{Count: -1, Filter: groupFilter(t, f)}).Total, f)
		}

		ops := map[string]func(ctx context.Context, tx store.Tx) error{
			"Replace user": func(ctx context.Context, tx store.Tx) error {
				return tx.Replace(ctx, versioned(newUser("u1", "mallory", nil), 1))
			},
			"Replace group": func(ctx context.Context, tx store.Tx) error {
				return tx.Replace(ctx, versioned(newGroup("g1", "Pwned"), 1))
			},
			"Delete user":  func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, store.User, "u1") },
			"Delete group": func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, store.Group, "g1") },
			"AddMembers": func(ctx context.Context, tx store.Tx) error {
				return errOnly(tx.AddMembers(ctx, "g1", nil))
			},
			"RemoveMembers": func(ctx context.Context, tx store.Tx) error {
				return errOnly(tx.RemoveMembers(ctx, "g1", []string{"u1"}))
			},
			"tx.Get": func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Get(ctx, store.User, "u1")
				return err
			},
		}
		for name, op := range ops {
			err := do(t, s, scopeB, op)
			require.ErrorIs(t, err, store.ErrNotFound, name)
		}

		// Another scope's resources cannot become members.
		create(t, s, scopeB, newGroup("gB", "B"))
		err := do(t, s, scopeB, func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.AddMembers(ctx, "gB", []store.Member{userMember("u1")}))
		})
		require.ErrorIs(t, err, store.ErrInvalidMember)
		err = do(t, s, scopeB, func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.AddMembers(ctx, "gB", []store.Member{groupMember("g1")}))
		})
		require.ErrorIs(t, err, store.ErrInvalidMember)
		err = do(t, s, scopeB, func(ctx context.Context, tx store.Tx) error {
			return tx.Create(ctx, newGroup("gB2", "B2", userMember("u1")))
		})
		require.ErrorIs(t, err, store.ErrInvalidMember)

		require.NoError(t, do(t, s, scopeB, func(ctx context.Context, tx store.Tx) error {
			p, err := tx.List(ctx, store.User, store.Query{Count: -1, Filter: userFilter(t, `id eq "u1" or userName eq "alice"`)})
			if err != nil {
				return err
			}
			assert.Equal(t, 0, p.Total)
			return nil
		}))

		// userName uniqueness is per scope.
		create(t, s, scopeB, newUser("uB", "ALICE", nil))
		assert.Equal(t, []string{"uB"}, listUserIDs(t, s, scopeB, `userName eq "alice"`))
		assert.Equal(t, []string{"u1"}, listUserIDs(t, s, scopeA, `userName eq "alice"`))

		// scopeA is untouched.
		u1 := mustGet(t, s, scopeA, store.User, "u1")
		assert.Equal(t, "alice", u1.UserName())
		assert.Equal(t, int64(2), u1.Version, "created, then added to g1")
		assert.Equal(t, []store.GroupRef{{Value: "g1", Display: "Admins"}}, u1.Groups)
		g1 := mustGet(t, s, scopeA, store.Group, "g1")
		assert.Equal(t, "Admins", g1.DisplayName())
		assert.Equal(t, []string{"u1"}, memberValues(g1))
		assert.Equal(t, int64(1), g1.Version)
	}},
	{"ScopesWithSameStringForm", func(t *testing.T, s store.Store) {
		require.Equal(t, scopeC.String(), scopeD.String())
		create(t, s, scopeC, newUser("u1", "alice", nil))
		requireNotFound(t, s, scopeD, store.User, "u1")
		assert.Empty(t, listUserIDs(t, s, scopeD, ""))
		create(t, s, scopeD, newUser("u2", "alice", nil))
		assert.Equal(t, []string{"u1"}, listUserIDs(t, s, scopeC, ""))
		assert.Equal(t, []string{"u2"}, listUserIDs(t, s, scopeD, ""))
	}},
	{"ZeroScope", func(t *testing.T, s store.Store) {
		zero := store.Scope{}
		dirOnly := store.Scope{Directory: "x"}
		create(t, s, zero, newUser("u1", "alice", nil))
		mustGet(t, s, zero, store.User, "u1")
		requireNotFound(t, s, dirOnly, store.User, "u1")
		requireNotFound(t, s, scopeA, store.User, "u1")
		assert.Equal(t, []string{"u1"}, listUserIDs(t, s, zero, ""))
		assert.Empty(t, listUserIDs(t, s, dirOnly, ""))
	}},
}

// versioned sets r.Version and returns r.
func versioned(r *store.Resource, v int64) *store.Resource {
	r.Version = v
	return r
}

// ---- Copies ------------------------------------------------------------

// scribble changes every mutable part of r in place.
func scribble(r *store.Resource) {
	for k, v := range r.Attributes {
		switch v := v.(type) {
		case map[string]any:
			for kk := range v {
				v[kk] = "scribbled"
			}
		case []any:
			for i, e := range v {
				if m, ok := e.(map[string]any); ok {
					m["value"] = "scribbled"
				} else {
					v[i] = "scribbled"
				}
			}
		default:
			r.Attributes[k] = "scribbled"
		}
	}
	r.Attributes["new"] = "scribbled"
	for i := range r.Members {
		r.Members[i].Value = "scribbled"
		r.Members[i].Display = "scribbled"
	}
	for i := range r.Groups {
		r.Groups[i].Value = "scribbled"
		r.Groups[i].Display = "scribbled"
	}
	r.Version = 99
}

var copyTests = []test{
	{"InputsAreCopied", func(t *testing.T, s store.Store) {
		u := richUser("u1", "alice")
		want := store.CloneMap(u.Attributes)
		create(t, s, scopeA, u, newUser("u2", "bob", nil))
		scribble(u)
		g := newGroup("g1", "G", userMember("u1"), userMember("u2"))
		create(t, s, scopeA, g)
		scribble(g)
		g.Members = append(g.Members[:0], userMember("u2"))

		got := mustGet(t, s, scopeA, store.User, "u1")
		assert.Equal(t, want, got.Attributes)
		assert.Equal(t, int64(2), got.Version, "created, then added to g1")
		gg := mustGet(t, s, scopeA, store.Group, "g1")
		assert.Equal(t, []string{"u1", "u2"}, memberValues(gg))
		assert.Equal(t, "G", gg.DisplayName())

		r := mustGet(t, s, scopeA, store.User, "u1")
		r.Attributes["displayName"] = "Replaced"
		want = store.CloneMap(r.Attributes)
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, r) }))
		scribble(r)
		assert.Equal(t, want, mustGet(t, s, scopeA, store.User, "u1").Attributes)

		members := []store.Member{userMember("u1")}
		create(t, s, scopeA, newGroup("g2", "G2"))
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return errOnly(tx.AddMembers(ctx, "g2", members)) }))
		members[0].Value = "u2"
		assert.Equal(t, []string{"u1"}, memberValues(mustGet(t, s, scopeA, store.Group, "g2")))
	}},
	{"OutputsAreCopies", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, richUser("u1", "alice"), newUser("u2", "bob", nil))
		create(t, s, scopeA, newGroup("g1", "G", userMember("u1"), userMember("u2")))
		wantU := mustGet(t, s, scopeA, store.User, "u1")
		wantG := mustGet(t, s, scopeA, store.Group, "g1")

		scribble(mustGet(t, s, scopeA, store.User, "u1"))
		scribble(mustGet(t, s, scopeA, store.Group, "g1"))
		for _, typ := range []store.ResourceType{store.User, store.Group} {
			for _, r := range list(t, s, scopeA, typ, store.Query{Count: -1}).Resources {
				scribble(r)
			}
			for _, r := range list(t, s, scopeA, typ, store.Query{Count: -1, Filter: userFilter(t, `id eq "u1" or id eq "g1"`)}).Resources {
				scribble(r)
			}
		}
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			for _, ref := range []struct {
				typ store.ResourceType
				id  string
			}{{store.User, "u1"}, {store.Group, "g1"}} {
				r, err := tx.Get(ctx, ref.typ, ref.id)
				if err != nil {
					return err
				}
				scribble(r)
			}
			p, err := tx.List(ctx, store.User, store.Query{Count: -1})
			if err != nil {
				return err
			}
			for _, r := range p.Resources {
				scribble(r)
			}
			return nil
		}))

		gotU := mustGet(t, s, scopeA, store.User, "u1")
		assert.Equal(t, wantU.Attributes, gotU.Attributes)
		assert.Equal(t, wantU.Groups, gotU.Groups)
		assert.Equal(t, wantU.Version, gotU.Version)
		gotG := mustGet(t, s, scopeA, store.Group, "g1")
		assert.Equal(t, wantG.Attributes, gotG.Attributes)
		assert.Equal(t, wantG.Members, gotG.Members)
		assert.Equal(t, wantG.Version, gotG.Version)
	}},
}

// ---- Concurrency -------------------------------------------------------

// parallel runs fn(i) for i in [0, n) on n goroutines started together and
// returns their errors.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// usersAndGroup creates, in scopeA, users u0 … u(n-1) and an empty group
// g1 for them to join at once.
func usersAndGroup(t *testing.T, s store.Store, n int) {
	t.Helper()
	users := make([]*store.Resource, n)
	for i := range users {
		users[i] = newUser(fmt.Sprintf("u%d", i), fmt.Sprintf("user%d", i), nil)
	}
	create(t, s, scopeA, users...)
	create(t, s, scopeA, newGroup("g1", "G"))
}

var concurrencyTests = []test{
	{"DeletesAndMembershipChanges", deletesAndMembershipChanges},
	{"CreateSameUserName", func(t *testing.T, s store.Store) {
		const n = 20
		errs := parallel(n, func(i int) error {
			name := "alice"
			if i%2 == 1 {
				name = strings.ToUpper(name)
			}
			return s.Update(context.Background(), scopeA, func(ctx context.Context, tx store.Tx) error {
				return tx.Create(ctx, newUser(fmt.Sprintf("u%d", i), name, nil))
			})
		})
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			assert.ErrorIs(t, err, store.ErrUniqueness)
		}
		assert.Equal(t, 1, ok, "exactly one create succeeds")
		assert.Len(t, listUserIDs(t, s, scopeA, `userName eq "alice"`), 1)
		assert.Equal(t, 1, list(t, s, scopeA, store.User, store.Query{}).Total)
	}},
	{"ListForUpdateSerialises", func(t *testing.T, s store.Store) {
		// Transactions that read a group with Query.ForUpdate, then
		// change its members, each see the version the one before left
		// (as If-Match needs): no two read the same version.
		const n = 12
		usersAndGroup(t, s, n)
		byID := groupFilter(t, `id eq "g1"`)
		read := make([]int64, n)
		errs := parallel(n, func(i int) error {
			return s.Update(context.Background(), scopeA, func(ctx context.Context, tx store.Tx) error {
				page, err := tx.List(ctx, store.Group, store.Query{Filter: byID, Count: 1, ExcludeMembers: true, ForUpdate: true})
				if err != nil {
					return err
				}
				if len(page.Resources) != 1 {
					return fmt.Errorf("ForUpdate list found %d groups", len(page.Resources))
				}
				read[i] = page.Resources[0].Version
				return errOnly(tx.AddMembers(ctx, "g1", []store.Member{userMember(fmt.Sprintf("u%d", i))}))
			})
		})
		for _, err := range errs {
			require.NoError(t, err)
		}
		slices.Sort(read)
		assert.Len(t, slices.Compact(slices.Clone(read)), n, "versions read: %v", read)
		assert.Equal(t, int64(n+1), mustGet(t, s, scopeA, store.Group, "g1").Version)
	}},
	{"AddMembersToSameGroup", func(t *testing.T, s store.Store) {
		const n = 20
		usersAndGroup(t, s, n)
		errs := parallel(n, func(i int) error {
			return s.Update(context.Background(), scopeA, func(ctx context.Context, tx store.Tx) error {
				return errOnly(tx.AddMembers(ctx, "g1", []store.Member{userMember(fmt.Sprintf("u%d", i))}))
			})
		})
		for _, err := range errs {
			require.NoError(t, err)
		}
		g := mustGet(t, s, scopeA, store.Group, "g1")
		want := make([]string, n)
		for i := range want {
			want[i] = fmt.Sprintf("u%d", i)
		}
		assert.ElementsMatch(t, want, memberValues(g), "no membership lost")
		assert.Equal(t, int64(n+1), g.Version)
		for _, u := range want {
			assert.Equal(t, []string{"g1"}, groupValues(mustGet(t, s, scopeA, store.User, u)), u)
		}
	}},
	{"ReplaceSameVersion", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil))
		const n = 10
		errs := parallel(n, func(i int) error {
			r := newUser("u1", "alice", map[string]any{"displayName": fmt.Sprint(i)})
			r.Version = 1
			return s.Update(context.Background(), scopeA, func(ctx context.Context, tx store.Tx) error {
				return tx.Replace(ctx, r)
			})
		})
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			assert.ErrorIs(t, err, store.ErrVersionConflict)
		}
		assert.Equal(t, 1, ok, "exactly one replace succeeds")
		assert.Equal(t, int64(2), mustGet(t, s, scopeA, store.User, "u1").Version)
	}},
	{"ReadersAndWriters", func(t *testing.T, s store.Store) {
		const n = 8
		errs := parallel(2*n, func(i int) error {
			scope := scopeA
			if i%4 == 0 {
				scope = scopeB
			}
			if i < n {
				for j := range 10 {
					err := s.Update(context.Background(), scope, func(ctx context.Context, tx store.Tx) error {
						return tx.Create(ctx, newUser(fmt.Sprintf("u%d-%d", i, j), fmt.Sprintf("user%d-%d", i, j), nil))
					})
					if err != nil {
						return err
					}
				}
				return nil
			}
			for range 10 {
				p, err := s.List(context.Background(), scope, store.User, store.Query{Count: -1})
				if err != nil {
					return err
				}
				if len(p.Resources) != p.Total {
					return fmt.Errorf("page has %d resources, Total %d", len(p.Resources), p.Total)
				}
				for _, r := range p.Resources {
					if _, err := s.Get(context.Background(), scope, store.User, r.ID); err != nil {
						return err
					}
				}
			}
			return nil
		})
		for _, err := range errs {
			require.NoError(t, err)
		}
		assert.Equal(t, 60, list(t, s, scopeA, store.User, store.Query{}).Total)
		assert.Equal(t, 20, list(t, s, scopeB, store.User, store.Query{}).Total)
	}},
}
