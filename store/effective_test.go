package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

func TestEffectiveMembers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memory.New()
	scope := store.Scope{Tenant: "t"}
	user := func(id string) *store.Resource {
		return &store.Resource{Type: store.User, ID: id, Attributes: map[string]any{"userName": id}}
	}
	group := func(id string, members ...store.Member) *store.Resource {
		return &store.Resource{Type: store.Group, ID: id, Attributes: map[string]any{"displayName": id}, Members: members}
	}
	u := func(id string) store.Member { return store.Member{Value: id, Type: store.User} }
	g := func(id string) store.Member { return store.Member{Value: id, Type: store.Group} }
	require.NoError(t, s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []*store.Resource{user("u1"), user("u2"), user("u3"), user("u4"),
			group("leaf", u("u3"), u("u1")), group("mid", g("leaf"), u("u2")), group("top", u("u1"), g("mid")), group("other", u("u4"))} {
			if err := tx.Create(ctx, r); err != nil {
				return err
			}
		}
		// A cycle: leaf contains top.
		return errOnly(tx.AddMembers(ctx, "leaf", []store.Member{g("top")}))
	}))
	cases := map[string][]string{
		"top":   {"u1", "u2", "u3"},
		"mid":   {"u2", "u3", "u1"},
		"leaf":  {"u3", "u1", "u2"},
		"other": {"u4"},
	}
	for id, want := range cases {
		got, err := store.EffectiveMembers(ctx, store.Scoped(s, scope), id)
		require.NoError(t, err, id)
		assert.Equal(t, want, got, id)
	}
	_, err := store.EffectiveMembers(ctx, store.Scoped(s, scope), "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err := store.EffectiveMembers(ctx, store.Scoped(s, store.Scope{Tenant: "other"}), "top")
	require.ErrorIs(t, err, store.ErrNotFound, "scopes stay apart")
	assert.Nil(t, got)
}

// errOnly drops the member list a Tx membership method returns.
func errOnly(_ []store.Member, err error) error { return err }
