package document

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/internal/jsondec"
	"github.com/scimkit/scimkit/store"
)

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// TestQuirks replays the request of every entry of quirks.go's list that
// this package answers, through the engine as the handler calls it, and
// checks what the request amounts to.
func TestQuirks(t *testing.T) {
	t.Parallel()
	types := newTestTypes(t)
	jsonObject := func(t *testing.T, s string) map[string]any {
		t.Helper()
		m, err := jsondec.DecodeObject([]byte(s))
		require.NoError(t, err, s)
		return m
	}
	patch := func(ops string) string {
		return `{"schemas":["` + PatchOpURN + `"],"Operations":[` + ops + `]}`
	}
	bob := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","active":true}`
	team := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team"}`
	manager := func(d *Decoded) any { return at(d.Attrs, enterpriseURN, "manager", "value") }

	for _, tc := range []struct {
		name    string
		rt      *Type
		current string // the resource as created, or "" for a create
		members []string
		request string // a PATCH body when current is set, else a POST body
		check   func(t *testing.T, d *Decoded)
	}{
		{name: "1 string boolean", rt: types.users, current: bob,
			request: patch(`{"op":"Replace","path":"active","value":"False"}`),
			check:   func(t *testing.T, d *Decoded) { assert.Equal(t, false, d.Attrs["active"]) }},
		{name: "2 capitalised op", rt: types.users, current: bob,
			request: patch(`{"op":"Add","path":"nickName","value":"Bobby"}`),
			check:   func(t *testing.T, d *Decoded) { assert.Equal(t, "Bobby", d.Attrs["nickName"]) }},
		{name: "3 manager as an id, PATCH", rt: types.users, current: bob,
			request: patch(`{"op":"Add","path":"` + enterpriseURN + `:manager","value":"mgr-1"}`),
			check:   func(t *testing.T, d *Decoded) { assert.Equal(t, "mgr-1", manager(d)) }},
		{name: "3 manager as an id, body", rt: types.users,
			request: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","` + enterpriseURN + `":{"manager":"mgr-1"}}`,
			check:   func(t *testing.T, d *Decoded) { assert.Equal(t, "mgr-1", manager(d)) }},
		{name: "4 one-element array for a single value", rt: types.users,
			request: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob","` + enterpriseURN + `":{"manager":[{"$ref":null,"value":"mgr-1"}]}}`,
			check:   func(t *testing.T, d *Decoded) { assert.Equal(t, "mgr-1", manager(d)) }},
		{name: "5 extension attribute by its bare name", rt: types.users, current: bob,
			request: patch(`{"op":"Replace","path":"manager","value":{"value":"mgr-2"}}`),
			check:   func(t *testing.T, d *Decoded) { assert.Equal(t, "mgr-2", manager(d)) }},
		{name: "6 remove of listed members", rt: types.groups, current: team, members: []string{"a", "b", "c"},
			request: patch(`{"op":"Remove","path":"members","value":[{"value":"a"},{"value":"c"}]}`),
			check: func(t *testing.T, d *Decoded) {
				assert.Equal(t, []store.Member{{Value: "b", Type: store.User}}, d.Members)
			}},
		{name: "7 replace through an eq filter that matches nothing creates the element", rt: types.users, current: bob,
			request: patch(`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"b@example.com"}`),
			check: func(t *testing.T, d *Decoded) {
				assert.Equal(t, []any{map[string]any{"type": "work", "value": "b@example.com"}}, d.Attrs["emails"])
			}},
		{name: "8 id in a rename without a path", rt: types.groups, current: team,
			request: patch(`{"op":"replace","value":{"id":"g1","displayName":"Renamed"}}`),
			check: func(t *testing.T, d *Decoded) {
				assert.Equal(t, "Renamed", d.Attrs["displayName"])
				assert.NotContains(t, d.Attrs, "id")
			}},
		{name: "9 empty Operations", rt: types.users, current: bob,
			request: patch(``),
			check: func(t *testing.T, d *Decoded) {
				assert.Equal(t, map[string]any{"userName": "bob", "active": true}, d.Attrs)
			}},
		{name: "10 extra schema URN on a group create", rt: types.groups,
			request: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"displayName":"Team","members":[]}`,
			check:   func(t *testing.T, d *Decoded) { assert.Equal(t, "Team", d.Attrs["displayName"]) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.current == "" {
				d, err := tc.rt.Decode(jsonObject(t, tc.request), true)
				require.NoError(t, err)
				tc.check(t, d)
				return
			}
			created, err := tc.rt.Decode(jsonObject(t, tc.current), true)
			require.NoError(t, err)
			cur := &store.Resource{Type: tc.rt.Kind, ID: "r1", Attributes: created.Attrs}
			for _, id := range tc.members {
				cur.Members = append(cur.Members, store.Member{Value: id, Type: store.User})
			}
			ops, err := ParsePatch(jsonObject(t, tc.request))
			require.NoError(t, err)
			d, err := tc.rt.ApplyPatch(cur, ops, allQuirks)
			require.NoError(t, err)
			tc.check(t, d)
		})
	}
}

// TestQuirkRemoveListedMembersAsDelta: the membership fast path reads
// Entra's removal of listed members (quirk 6) as the general path does.
func TestQuirkRemoveListedMembersAsDelta(t *testing.T) {
	t.Parallel()
	types := newTestTypes(t)
	body, err := jsondec.DecodeObject([]byte(`{"schemas":["` + PatchOpURN + `"],"Operations":[` +
		`{"op":"Remove","path":"members","value":[{"value":"a"},{"value":"c"}]}]}`))
	require.NoError(t, err)
	ops, err := ParsePatch(body)
	require.NoError(t, err)
	assert.Equal(t, &MemberDelta{Remove: []string{"a", "c"}}, types.groups.MemberDelta(ops, allQuirks))
	assert.Nil(t, types.groups.MemberDelta(ops, Options{}), "without the option the general path refuses it")
}

// TestQuirksContradictingTheRFCNeedOptions: quirks 6 and 7 apply only with
// their Options; without, the requests get the RFC's answer, and nothing
// is changed.
func TestQuirksContradictingTheRFCNeedOptions(t *testing.T) {
	t.Parallel()
	types := newTestTypes(t)
	for _, tc := range []struct {
		name, scimType string
		rt             *Type
		op             string
	}{
		{"6 remove with a value", "invalidValue", types.groups,
			`{"op":"Remove","path":"members","value":[{"value":"a"}]}`},
		{"7 replace through a filter that matches nothing", "noTarget", types.users,
			`{"op":"Replace","path":"emails[type eq \"work\"].value","value":"b@example.com"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, err := jsondec.DecodeObject([]byte(`{"schemas":["` + PatchOpURN + `"],"Operations":[` + tc.op + `]}`))
			require.NoError(t, err)
			ops, err := ParsePatch(body)
			require.NoError(t, err)
			cur := &store.Resource{Type: tc.rt.Kind, ID: "r1", Attributes: map[string]any{"userName": "bob", "displayName": "Team"},
				Members: []store.Member{{Value: "a", Type: store.User}, {Value: "b", Type: store.User}}}
			_, err = tc.rt.ApplyPatch(cur, ops, Options{})
			var de *Error
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.scimType, de.ScimType)
			assert.Len(t, cur.Members, 2, "nothing changed")
			_, err = tc.rt.ApplyPatch(cur, ops, allQuirks)
			require.NoError(t, err, "with the option it is accepted")
		})
	}
}

// at walks a document by keys.
func at(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
