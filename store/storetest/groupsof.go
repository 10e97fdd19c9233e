package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/store"
)

// groupsOfTests run only on a store whose Tx implements store.GroupsOfTx.
var groupsOfTests = []test{
	{"DirectParentsOfUsersAndGroups", func(t *testing.T, s store.Store) {
		ctx := context.Background()
		err := s.Update(ctx, scopeA, func(ctx context.Context, tx store.Tx) error {
			finder, ok := tx.(store.GroupsOfTx)
			if !ok {
				t.Skip("the store's Tx does not implement store.GroupsOfTx")
			}
			require.NoError(t, tx.Create(ctx, &store.Resource{Type: store.User, ID: "u1", Attributes: map[string]any{"userName": "u1"}}))
			require.NoError(t, tx.Create(ctx, &store.Resource{Type: store.Group, ID: "inner", Attributes: map[string]any{"displayName": "Inner"},
				Members: []store.Member{{Value: "u1", Type: store.User}}}))
			for _, id := range []string{"b-outer", "a-outer"} {
				require.NoError(t, tx.Create(ctx, &store.Resource{Type: store.Group, ID: id, Attributes: map[string]any{"displayName": id},
					Members: []store.Member{{Value: "inner", Type: store.Group}, {Value: "u1", Type: store.User}}}))
			}
			got, err := finder.GroupsOf(ctx, store.Group, "inner")
			require.NoError(t, err)
			assert.Equal(t, []string{"a-outer", "b-outer"}, got, "sorted direct parents")
			got, err = finder.GroupsOf(ctx, store.User, "u1")
			require.NoError(t, err)
			assert.Equal(t, []string{"a-outer", "b-outer", "inner"}, got)
			got, err = finder.GroupsOf(ctx, store.User, "inner")
			require.NoError(t, err)
			assert.Empty(t, got, "the type is part of the member's identity")
			_, err = tx.RemoveMembers(ctx, "a-outer", []string{"inner"})
			require.NoError(t, err)
			got, err = finder.GroupsOf(ctx, store.Group, "inner")
			require.NoError(t, err)
			assert.Equal(t, []string{"b-outer"}, got, "the transaction's own changes are seen")
			return nil
		})
		require.NoError(t, err)
		// Committed state, and another scope sees nothing.
		require.NoError(t, s.Update(ctx, scopeA, func(ctx context.Context, tx store.Tx) error {
			got, err := tx.(store.GroupsOfTx).GroupsOf(ctx, store.Group, "inner")
			require.NoError(t, err)
			assert.Equal(t, []string{"b-outer"}, got)
			return nil
		}))
		require.NoError(t, s.Update(ctx, scopeB, func(ctx context.Context, tx store.Tx) error {
			got, err := tx.(store.GroupsOfTx).GroupsOf(ctx, store.User, "u1")
			require.NoError(t, err)
			assert.Empty(t, got)
			return nil
		}))
	}},
}
