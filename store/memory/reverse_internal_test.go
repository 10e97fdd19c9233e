package memory

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/store"
)

// TestReverseIndexFollowsRandomChanges: after any mix of membership
// changes, member and group deletions, group re-creation under the same id
// and rolled-back transactions, the reverse index (member → groups) is
// exactly what the groups' member lists say, and no member list holds a
// duplicate. Commits relink only logged changes, and AddMembers appends in
// place, so this is where a slip would show.
func TestReverseIndexFollowsRandomChanges(t *testing.T) {
	t.Parallel()
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			s := New()
			scope := store.Scope{Tenant: "t"}
			ctx := context.Background()
			user := func(i int) string { return fmt.Sprintf("u%d", i) }
			group := func(i int) string { return fmt.Sprintf("g%d", i) }
			require.NoError(t, s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
				for i := range 12 {
					if err := tx.Create(ctx, &store.Resource{Type: store.User, ID: user(i), Attributes: map[string]any{"userName": user(i)}}); err != nil {
						return err
					}
				}
				for i := range 3 {
					if err := tx.Create(ctx, &store.Resource{Type: store.Group, ID: group(i), Attributes: map[string]any{"displayName": group(i)}}); err != nil {
						return err
					}
				}
				return nil
			}))
			errAbort := errors.New("abort")
			for range 300 {
				abort := rng.IntN(4) == 0
				err := s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
					for range 1 + rng.IntN(4) {
						g := group(rng.IntN(3))
						var m store.Member
						if rng.IntN(5) == 0 {
							m = store.Member{Value: group(rng.IntN(3)), Type: store.Group}
						} else {
							m = store.Member{Value: user(rng.IntN(12)), Type: store.User}
						}
						var err error
						switch rng.IntN(10) {
						case 0, 1, 2, 3:
							_, err = tx.AddMembers(ctx, g, []store.Member{m, {Value: user(rng.IntN(12)), Type: store.User}})
						case 4, 5, 6:
							_, err = tx.RemoveMembers(ctx, g, []string{m.Value})
						case 7:
							err = tx.Delete(ctx, store.User, m.Value)
							if err == nil {
								err = tx.Create(ctx, &store.Resource{Type: store.User, ID: m.Value, Attributes: map[string]any{"userName": m.Value}})
							}
						case 8:
							err = tx.Delete(ctx, store.Group, g)
							if err == nil {
								err = tx.Create(ctx, &store.Resource{Type: store.Group, ID: g, Attributes: map[string]any{"displayName": g},
									Members: []store.Member{{Value: user(rng.IntN(12)), Type: store.User}}})
							}
						case 9:
							_, err = tx.Get(ctx, store.User, m.Value) // reads through the overlay
						}
						if err != nil && !errors.Is(err, store.ErrInvalidMember) && !errors.Is(err, store.ErrNotFound) {
							return err
						}
					}
					if abort {
						return errAbort
					}
					return nil
				})
				if abort {
					require.ErrorIs(t, err, errAbort)
				} else {
					require.NoError(t, err)
				}
				checkReverseIndex(t, s, scope)
			}
		})
	}
}

func checkReverseIndex(t *testing.T, s *Store, scope store.Scope) {
	t.Helper()
	d := s.scopes[scope]
	want := map[ref][]string{}
	for gid, g := range d.groups.byID {
		seen := map[ref]bool{}
		for _, m := range g.members {
			require.False(t, seen[m], "group %s lists %v twice", gid, m)
			seen[m] = true
			want[m] = append(want[m], gid)
		}
	}
	got := map[ref][]string{}
	for m, gs := range d.memberOf {
		if len(gs) > 0 {
			got[m] = slices.Sorted(slices.Values(gs))
		}
	}
	for m := range want {
		slices.Sort(want[m])
	}
	require.Equal(t, want, got)
}
