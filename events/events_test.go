package events_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/store"
)

const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func user(attrs map[string]any) *store.Resource {
	return &store.Resource{Type: store.User, ID: "u1", Attributes: attrs}
}

func group(name string, members ...store.Member) *store.Resource {
	return &store.Resource{Type: store.Group, ID: "g-" + name, Attributes: map[string]any{"displayName": name}, Members: members}
}

// describe renders events as "kind detail" lines.
func describe(evs []events.Event) []string {
	var out []string
	for _, ev := range evs {
		line := string(ev.Kind())
		switch e := ev.(type) {
		case *events.UserUpdated:
			for _, c := range e.Changed {
				line += fmt.Sprintf(" %s:%v->%v", c.Attribute, c.Before, c.After)
			}
		case *events.GroupRenamed:
			line += " " + e.OldName + "->" + e.NewName
		case *events.MembersAdded:
			line += " " + e.Group.DisplayName() + fmt.Sprint(values(e.Members))
		case *events.MembersRemoved:
			line += " " + e.Group.DisplayName() + fmt.Sprint(values(e.Members))
		}
		out = append(out, line)
	}
	return out
}

func values(ms []store.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Value
	}
	return out
}

func TestDerive(t *testing.T) {
	t.Parallel()
	u1 := store.Member{Value: "u1", Type: store.User}
	u2 := store.Member{Value: "u2", Type: store.User}
	for _, tc := range []struct {
		name string
		w    events.Write
		want []string
	}{
		{"user created", events.Write{Type: store.User, Op: events.Create, After: user(map[string]any{"userName": "a"})},
			[]string{"user.provisioned"}},
		{"user deleted", events.Write{Type: store.User, Op: events.Delete, Before: user(map[string]any{"userName": "a"})},
			[]string{"user.deleted"}},
		{"user released", events.Write{Type: store.User, Op: events.Release, Before: user(map[string]any{"userName": "a"})},
			[]string{"user.released"}},
		{"group released: no member events, whatever the deletion policy", events.Write{Type: store.Group, Op: events.Release,
			Before: group("Eng", u1, u2), Parents: []*store.Resource{group("All")}, RemoveMembersOnDelete: true},
			[]string{"group.released"}},
		{"user unchanged", events.Write{Type: store.User, Op: events.Update,
			Before: user(map[string]any{"userName": "a", "n": int64(3)}), After: user(map[string]any{"userName": "a", "n": float64(3)})},
			nil},
		{"user updated, extension attribute by attribute, internal keys skipped", events.Write{Type: store.User, Op: events.Update,
			Before: user(map[string]any{"title": "a", enterprise: map[string]any{"department": "R&D", "division": "x"}, "_scimkitDeactivatedAt": "t1"}),
			After:  user(map[string]any{"title": "b", enterprise: map[string]any{"department": "Ops", "division": "x"}, "_scimkitDeactivatedAt": "t2"})},
			[]string{"user.updated title:a->b " + enterprise + ":department:R&D->Ops"}},
		{"user deactivated", events.Write{Type: store.User, Op: events.Update,
			Before: user(map[string]any{"active": true}), After: user(map[string]any{"active": false})},
			[]string{"user.updated active:true->false", "user.deactivated"}},
		{"absent active counts as active", events.Write{Type: store.User, Op: events.Update,
			Before: user(map[string]any{}), After: user(map[string]any{"active": false})},
			[]string{"user.updated active:<nil>->false", "user.deactivated"}},
		{"user reactivated", events.Write{Type: store.User, Op: events.Update,
			Before: user(map[string]any{"active": false}), After: user(map[string]any{})},
			[]string{"user.updated active:false-><nil>", "user.reactivated"}},
		{"group created with members", events.Write{Type: store.Group, Op: events.Create, After: group("T", u1), Added: []store.Member{u1}},
			[]string{"group.created", "group.members_added T[u1]"}},
		{"group created empty", events.Write{Type: store.Group, Op: events.Create, After: group("T")},
			[]string{"group.created"}},
		{"group renamed, members removed before added", events.Write{Type: store.Group, Op: events.Update,
			Before: group("T"), After: group("U"), Added: []store.Member{u2}, Removed: []store.Member{u1}},
			[]string{"group.renamed T->U", "group.members_removed U[u1]", "group.members_added U[u2]"}},
		{"group updated without a rename or members", events.Write{Type: store.Group, Op: events.Update,
			Before: group("T"), After: group("T")},
			nil},
		{"group deleted, keeping members", events.Write{Type: store.Group, Op: events.Delete, Before: group("T", u1, u2),
			Parents: []*store.Resource{group("P1"), group("P2")}},
			[]string{"group.members_removed P1[g-T]", "group.members_removed P2[g-T]", "group.deleted"}},
		{"group deleted, removing members", events.Write{Type: store.Group, Op: events.Delete, Before: group("T", u1, u2),
			RemoveMembersOnDelete: true},
			[]string{"group.members_removed T[u1 u2]", "group.deleted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			evs := events.Derive(tc.w)
			assert.Equal(t, tc.want, describe(evs))
			kinds := events.Kinds(evs)
			assert.Len(t, kinds, len(tc.want))
		})
	}
}

// TestDeriveNamesTheNestedGroup: the groups a deleted group was nested in
// each lose it as a member of type Group, with its display name.
func TestDeriveNamesTheNestedGroup(t *testing.T) {
	t.Parallel()
	evs := events.Derive(events.Write{Type: store.Group, Op: events.Delete, Before: group("Child"), Parents: []*store.Resource{group("Parent")}})
	rm := evs[0].(*events.MembersRemoved)
	assert.Equal(t, []store.Member{{Value: "g-Child", Type: store.Group, Display: "Child"}}, rm.Members)
	assert.Equal(t, "Parent", rm.Group.DisplayName())
}

func TestDiffIsSortedAndTypeBlind(t *testing.T) {
	t.Parallel()
	got := events.Diff(
		map[string]any{"b": "1", "a": []any{int64(1)}, "c": map[string]any{"x": "y"}},
		map[string]any{"b": "2", "a": []any{float64(1)}, "d": true})
	assert.Equal(t, []events.Change{
		{Attribute: "b", Before: "1", After: "2"},
		{Attribute: "c", Before: map[string]any{"x": "y"}, After: nil},
		{Attribute: "d", Before: nil, After: true},
	}, got)
}

// Derive is what a write amounts to, computed without HTTP or a store.
func ExampleDerive() {
	before := &store.Resource{Type: store.User, ID: "u1", Attributes: map[string]any{"userName": "bjensen", "active": true}}
	after := &store.Resource{Type: store.User, ID: "u1", Attributes: map[string]any{"userName": "bjensen", "active": false}}
	for _, ev := range events.Derive(events.Write{Type: store.User, Op: events.Update, Before: before, After: after}) {
		fmt.Println(ev.Kind())
	}
	// Output:
	// user.updated
	// user.deactivated
}
