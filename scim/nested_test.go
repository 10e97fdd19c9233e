package scim_test

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
)

// expandingHooks is an app whose teams are the effective (nested groups
// expanded) members of each group: on every membership change it expands
// the group through the request's own transaction.
type expandingHooks struct {
	mu        sync.Mutex
	events    []string
	effective map[string][]string // group displayName → sorted user ids, as the last hook saw them
}

func (x *expandingHooks) expand(ctx context.Context, name string, o scim.Origin, group *store.Resource, ms []store.Member) error {
	users, err := store.EffectiveMembers(ctx, o.Tx, group.ID)
	if err != nil {
		return err
	}
	sort.Strings(users)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.events = append(x.events, name+" "+group.DisplayName()+" "+members(ms))
	x.effective[group.DisplayName()] = users
	return nil
}

func (x *expandingHooks) hooks() *scim.Hooks {
	return &scim.Hooks{
		MembersAdded: func(ctx context.Context, e *scim.MembersAdded) error {
			return x.expand(ctx, "MembersAdded", e.Origin, e.Group, e.Members)
		},
		MembersRemoved: func(ctx context.Context, e *scim.MembersRemoved) error {
			return x.expand(ctx, "MembersRemoved", e.Origin, e.Group, e.Members)
		},
		GroupDeleted: x.GroupDeleted,
	}
}

func (x *expandingHooks) GroupDeleted(_ context.Context, e *scim.GroupDeleted) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.events = append(x.events, "GroupDeleted "+e.Group.DisplayName())
	return nil
}

func (x *expandingHooks) take() ([]string, map[string][]string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	ev, eff := x.events, x.effective
	x.events, x.effective = nil, map[string][]string{}
	return ev, eff
}

func sorted(ids ...string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}

// TestNestedGroupsOverHTTP: groups containing groups, built over HTTP,
// are expanded by store.EffectiveMembers inside a hook through Event.Tx,
// seeing the request's own change; a cycle (A in B in A) terminates.
// Deleting a nested group shrinks its parent's member list.
func TestNestedGroupsOverHTTP(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		ctx := context.Background()
		hk := &expandingHooks{effective: map[string][]string{}}
		st := sk.open(t)
		c := sk.newClient(t, scim.Config{Store: st, Hooks: hk.hooks()})
		effective := func(groupID string) []string {
			t.Helper()
			users, err := store.EffectiveMembers(ctx, store.Scoped(st, store.Scope{}), groupID)
			require.NoError(t, err)
			return sorted(users...)
		}
		u := map[string]string{}
		for _, n := range []string{"u1", "u2", "u3", "u4", "u5"} {
			u[n] = c.createUser(n+"@example.com", nil)["id"].(string)
		}

		// Top ⊃ Mid ⊃ Leaf ⊃ users; members given without a type are
		// resolved to User or Group.
		leaf := c.createGroup("Leaf", u["u1"], u["u2"])["id"].(string)
		mid := c.createGroup("Mid", leaf, u["u3"])["id"].(string)
		top := c.createGroup("Top", mid)["id"].(string)
		ev, eff := hk.take()
		assert.Equal(t, []string{
			"MembersAdded Leaf " + members([]store.Member{{Value: u["u1"]}, {Value: u["u2"]}}),
			"MembersAdded Mid " + members([]store.Member{{Value: leaf}, {Value: u["u3"]}}),
			"MembersAdded Top " + mid,
		}, ev, "MembersChanged names the nested group itself, not its users")
		assert.Equal(t, map[string][]string{
			"Leaf": sorted(u["u1"], u["u2"]),
			"Mid":  sorted(u["u1"], u["u2"], u["u3"]),
			"Top":  sorted(u["u1"], u["u2"], u["u3"]),
		}, eff)
		r := c.must(http.StatusOK, "GET", "/Groups/"+top, nil)
		assert.Equal(t, []string{mid}, memberIDs(r.body))
		assert.Equal(t, "Group", at(r.body, "members", 0, "type"))
		assert.True(t, strings.HasSuffix(at(r.body, "members", 0, "$ref").(string), "/Groups/"+mid), r.raw)

		// A change deep down is seen from the top.
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+leaf, patchBody(op("add", "members", []any{map[string]any{"value": u["u4"]}})))
		_, eff = hk.take()
		assert.Equal(t, sorted(u["u1"], u["u2"], u["u4"]), eff["Leaf"])
		assert.Equal(t, sorted(u["u1"], u["u2"], u["u3"], u["u4"]), effective(top))

		// A cycle: A = {u5, B}, B = {A, u1}, closed by a PATCH of A, then by a
		// PUT of B (which names A again, so nothing changes).
		a := c.createGroup("A", u["u5"])["id"].(string)
		b := c.createGroup("B", a, u["u1"])["id"].(string)
		hk.take()
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+a, patchBody(op("add", "members", []any{map[string]any{"value": b, "type": "Group"}})))
		ev, eff = hk.take()
		assert.Equal(t, []string{"MembersAdded A " + b}, ev)
		assert.Equal(t, sorted(u["u5"], u["u1"]), eff["A"], "the cycle terminates, each user once")
		for _, id := range []string{a, b} {
			assert.Equal(t, sorted(u["u5"], u["u1"]), effective(id))
		}
		// The PUT drops u1 from B: through the cycle A loses it too.
		c.must(http.StatusOK, "PUT", "/Groups/"+b, map[string]any{"schemas": []string{groupURN}, "displayName": "B",
			"members": []any{map[string]any{"value": a}}})
		ev, eff = hk.take()
		assert.Equal(t, []string{"MembersRemoved B " + u["u1"]}, ev)
		assert.Equal(t, []string{u["u5"]}, eff["B"])
		assert.Equal(t, []string{u["u5"]}, effective(a))

		// A group as a member of itself is refused.
		r = c.do("PATCH", "/Groups/"+a, patchBody(op("add", "members", []any{map[string]any{"value": a}})))
		require.Equal(t, http.StatusBadRequest, r.status, r.raw)
		hk.take()

		// Deleting Mid (nested in Top) takes it out of Top: Top gets a
		// MembersRemoved event naming Mid, in which its effective members
		// are already without Mid's users; then GroupDeleted for Mid.
		topBefore := c.must(http.StatusOK, "GET", "/Groups/"+top, nil).body
		c.must(http.StatusNoContent, "DELETE", "/Groups/"+mid, nil)
		ev, eff = hk.take()
		assert.Equal(t, []string{"MembersRemoved Top " + members([]store.Member{{Value: mid}}), "GroupDeleted Mid"}, ev)
		assert.Empty(t, eff["Top"])
		topAfter := c.must(http.StatusOK, "GET", "/Groups/"+top, nil).body
		assert.Empty(t, memberIDs(topAfter), "Top's member list shrank")
		assert.NotEqual(t, at(topBefore, "meta", "version"), at(topAfter, "meta", "version"), "and its version moved")
		assert.Empty(t, effective(top))
		assert.Equal(t, sorted(u["u1"], u["u2"], u["u4"]), effective(leaf), "Leaf itself is untouched")
	})
}
