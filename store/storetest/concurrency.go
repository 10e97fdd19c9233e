package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scimkit/scimkit/store"
)

// deletesAndMembershipChanges runs, at once, transactions that change
// overlapping memberships from both ends: users deleted (after a Get, as
// the SCIM handler does, and directly) and renamed, groups deleted, groups
// replaced the way a PUT does (Get, look the members up, Replace with a
// new displayName, RemoveMembers, AddMembers), and members added and
// removed directly. Each may fail only because another got there first; a
// store that takes locks in conflicting orders fails here with deadlocks.
// After the storm, memberships must be consistent: no group lists a
// deleted user, no user lists a deleted group, and the two sides agree.
func deletesAndMembershipChanges(t *testing.T, s store.Store) {
	const rounds, nUsers, nGroups = 3, 24, 6
	for round := range rounds {
		uid := func(j int) string { return fmt.Sprintf("r%d-u%02d", round, j) }
		gid := func(i int) string { return fmt.Sprintf("r%d-g%d", round, i) }
		// User j is in group i unless (i+j)%3 == 0: four groups each.
		var rs []*store.Resource
		for j := range nUsers {
			rs = append(rs, newUser(uid(j), fmt.Sprintf("r%d-user%02d", round, j), nil))
		}
		for i := range nGroups {
			var ms []store.Member
			for j := range nUsers {
				if (i+j)%3 != 0 {
					ms = append(ms, userMember(uid(j)))
				}
			}
			rs = append(rs, newGroup(gid(i), fmt.Sprintf("r%d-G%d", round, i), ms...))
		}
		create(t, s, scopeA, rs...)

		var ops []func(ctx context.Context, tx store.Tx) error
		// Users 0-11 are deleted: the even ones after a Get, the odd ones
		// directly.
		deletedUsers := map[string]bool{}
		for j := range nUsers / 2 {
			id := uid(j)
			deletedUsers[id] = true
			ops = append(ops, func(ctx context.Context, tx store.Tx) error {
				if j%2 == 0 {
					if _, err := tx.Get(ctx, store.User, id); err != nil {
						return err
					}
				}
				return tx.Delete(ctx, store.User, id)
			})
		}
		// Groups 0 and 1 are deleted after a Get.
		deletedGroups := map[string]bool{gid(0): true, gid(1): true}
		for i := range 2 {
			ops = append(ops, func(ctx context.Context, tx store.Tx) error {
				if _, err := tx.Get(ctx, store.Group, gid(i)); err != nil {
					return err
				}
				return tx.Delete(ctx, store.Group, gid(i))
			})
		}
		// Every group is replaced twice, PUT-style: once with members
		// taken from both the doomed and the surviving users, once with
		// survivors only.
		for i := range nGroups {
			for k := range 2 {
				want := []string{uid(i), uid(i + 6), uid(nUsers - 1 - i)}
				if k == 1 {
					want = []string{uid(nUsers/2 + i), uid(nUsers*3/4 + i%6)}
				}
				ops = append(ops, func(ctx context.Context, tx store.Tx) error {
					return putGroup(ctx, tx, gid(i), fmt.Sprintf("r%d-G%d-%d", round, i, k), want)
				})
			}
		}
		// The surviving users are renamed, PATCH-style: a display value
		// their groups show changes.
		for j := nUsers / 2; j < nUsers; j++ {
			ops = append(ops, func(ctx context.Context, tx store.Tx) error {
				u, err := tx.Get(ctx, store.User, uid(j))
				if err != nil {
					return err
				}
				u.Attributes["displayName"] = fmt.Sprintf("r%d-User %d", round, j)
				return tx.Replace(ctx, u)
			})
		}
		// Members added to and removed from every group directly.
		for i := range nGroups {
			add := []store.Member{userMember(uid((i + 3) % nUsers)), userMember(uid(nUsers - 2 - i)), userMember(uid((3 * i) % nUsers))}
			remove := []string{uid((i + 1) % nUsers), uid(nUsers - 3 - i), uid((2*i + 9) % nUsers)}
			ops = append(ops,
				func(ctx context.Context, tx store.Tx) error { return errOnly(tx.AddMembers(ctx, gid(i), add)) },
				func(ctx context.Context, tx store.Tx) error { return errOnly(tx.RemoveMembers(ctx, gid(i), remove)) },
			)
		}

		errs := parallel(len(ops), func(k int) error {
			return s.Update(context.Background(), scopeA, ops[k])
		})
		for k, err := range errs {
			if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrVersionConflict) &&
				!errors.Is(err, store.ErrInvalidMember) {
				t.Errorf("round %d, operation %d: unexpected error: %v", round, k, err)
			}
		}
		// Each user and group is deleted by exactly one operation, which
		// nothing can make fail.
		for k := range nUsers/2 + 2 {
			assert.NoError(t, errs[k], "round %d, delete %d", round, k)
		}

		users := map[string]*store.Resource{}
		for j := range nUsers {
			id := uid(j)
			if deletedUsers[id] {
				requireNotFound(t, s, scopeA, store.User, id)
				continue
			}
			users[id] = mustGet(t, s, scopeA, store.User, id)
		}
		groups := map[string]*store.Resource{}
		for i := range nGroups {
			id := gid(i)
			if deletedGroups[id] {
				requireNotFound(t, s, scopeA, store.Group, id)
				continue
			}
			groups[id] = mustGet(t, s, scopeA, store.Group, id)
		}
		for id, g := range groups {
			for _, m := range g.Members {
				u, ok := users[m.Value]
				if !assert.True(t, ok, "group %s lists %s %s, which does not exist", id, m.Type, m.Value) {
					continue
				}
				assert.Contains(t, groupValues(u), id, "group %s lists user %s, whose groups do not list it", id, m.Value)
			}
		}
		for id, u := range users {
			for _, ref := range u.Groups {
				g, ok := groups[ref.Value]
				if !assert.True(t, ok, "user %s lists group %s, which does not exist", id, ref.Value) {
					continue
				}
				assert.Contains(t, memberValues(g), id, "user %s lists group %s, whose members do not list it", id, ref.Value)
			}
		}
		// Memberships a store keeps apart from the resources must have
		// gone with them: resources created again with the ids of the
		// deleted ones start with none.
		var again []*store.Resource
		for id := range deletedUsers {
			again = append(again, newUser(id, "again-"+id, nil))
		}
		for id := range deletedGroups {
			again = append(again, newGroup(id, "again-"+id))
		}
		create(t, s, scopeA, again...)
		for _, r := range again {
			got := mustGet(t, s, scopeA, r.Type, r.ID)
			assert.Empty(t, got.Groups, "%s %s, created again, inherits memberships", r.Type, r.ID)
			assert.Empty(t, got.Members, "%s %s, created again, inherits members", r.Type, r.ID)
		}
	}
}

// putGroup replaces group id's displayName and members the way the SCIM
// handler's PUT does.
func putGroup(ctx context.Context, tx store.Tx, id, displayName string, memberIDs []string) error {
	cur, err := tx.Get(ctx, store.Group, id)
	if err != nil {
		return err
	}
	var want []store.Member
	for _, m := range memberIDs {
		if _, err := tx.Get(ctx, store.User, m); err != nil {
			return err
		}
		want = append(want, userMember(m))
	}
	upd := cur.Clone()
	upd.Attributes["displayName"] = displayName
	if err := tx.Replace(ctx, upd); err != nil {
		return err
	}
	var remove []string
	for _, m := range cur.Members {
		if !slices.Contains(memberIDs, m.Value) {
			remove = append(remove, m.Value)
		}
	}
	var add []store.Member
	for _, m := range want {
		if !slices.ContainsFunc(cur.Members, func(c store.Member) bool { return c.Value == m.Value }) {
			add = append(add, m)
		}
	}
	if len(remove) > 0 {
		if _, err := tx.RemoveMembers(ctx, id, remove); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		if _, err := tx.AddMembers(ctx, id, add); err != nil {
			return err
		}
	}
	return nil
}
