package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/store"
)

// seedList creates five users, u1 to u5 in that order (the last two in one
// transaction), and three groups.
func seedList(t *testing.T, s store.Store) {
	user := func(id, userName, ext, display, family, dept string, active bool) *store.Resource {
		a := map[string]any{
			"externalId": ext,
			"active":     active,
			"emails":     []any{map[string]any{"value": userName + "@example.com", "type": "work", "primary": true}},
		}
		if display != "" {
			a["displayName"] = display
		}
		if family != "" {
			a["name"] = map[string]any{"familyName": family}
		}
		if dept != "" {
			a[EnterpriseURN] = map[string]any{"department": dept}
		}
		return newUser(id, userName, a)
	}
	create(t, s, scopeA, user("u1", "alice", "E-1", "Alice Smith", "Smith", "Sales", true))
	create(t, s, scopeA, user("u2", "bob", "E-2", "", "Jones", "Engineering", false))
	create(t, s, scopeA, user("u3", "carol", "e-1", "", "Jones", "Marketing", true))
	create(t, s, scopeA,
		user("u4", "dave", "E-4", "", "", "", true),
		user("u5", "Eve", "E-5", "", "Adams", "Sales", true),
	)
	create(t, s, scopeA, newGroup("g1", "Admins", userMember("u1"), userMember("u2")))
	create(t, s, scopeA, newGroup("g2", "Users", userMember("u1")))
	create(t, s, scopeA, newGroup("g3", "Empty"))
}

var listTests = []test{
	{"Empty", func(t *testing.T, s store.Store) {
		for _, typ := range []store.ResourceType{store.User, store.Group} {
			p := list(t, s, scopeA, typ, store.Query{Count: -1})
			assert.Equal(t, 0, p.Total)
			assert.Empty(t, p.Resources)
			p = list(t, s, scopeA, typ, store.Query{Count: 10, Filter: userFilter(t, `userName eq "x"`)})
			assert.Equal(t, 0, p.Total)
		}
	}},
	{"DefaultOrderIsCreationOrder", func(t *testing.T, s store.Store) {
		seedList(t, s)
		want := []string{"u1", "u2", "u3", "u4", "u5"}
		assert.Equal(t, want, listUserIDs(t, s, scopeA, ""))
		assert.Equal(t, want, listUserIDs(t, s, scopeA, ""), "stable across calls")

		// Modification does not move a resource.
		r := mustGet(t, s, scopeA, store.User, "u1")
		r.Attributes["displayName"] = "Zed"
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, r) }))
		assert.Equal(t, want, listUserIDs(t, s, scopeA, ""))
		assert.Equal(t, []string{"g1", "g2", "g3"}, ids(list(t, s, scopeA, store.Group, store.Query{Count: -1})))
	}},
	{"Paging", func(t *testing.T, s store.Store) {
		seedList(t, s)
		for _, tc := range []struct {
			start, count int
			want         []string
		}{
			{1, 2, []string{"u1", "u2"}},
			{2, 2, []string{"u2", "u3"}},
			{0, 2, []string{"u1", "u2"}},
			{-3, 1, []string{"u1"}},
			{5, 10, []string{"u5"}},
			{4, -1, []string{"u4", "u5"}},
			{6, 10, []string{}},
			{100, -1, []string{}},
			{1, 0, []string{}},
			{3, 0, []string{}},
			{0, -1, []string{"u1", "u2", "u3", "u4", "u5"}},
			{1, 5, []string{"u1", "u2", "u3", "u4", "u5"}},
		} {
			p := list(t, s, scopeA, store.User, store.Query{StartIndex: tc.start, Count: tc.count})
			assert.Equal(t, 5, p.Total, "start %d count %d", tc.start, tc.count)
			assert.Equal(t, tc.want, ids(p), "start %d count %d", tc.start, tc.count)
		}
		p := list(t, s, scopeA, store.User, store.Query{})
		assert.Equal(t, 5, p.Total, "zero Query")
		assert.Empty(t, p.Resources, "zero Query: Count 0 returns no resources")
	}},
	{"Filter", func(t *testing.T, s store.Store) {
		seedList(t, s)
		for _, tc := range []struct {
			filter string
			want   []string
		}{
			{`userName eq "alice"`, []string{"u1"}},
			{`userName eq "ALICE"`, []string{"u1"}},
			{`userName eq "eve"`, []string{"u5"}},
			{`userName eq "nobody"`, []string{}},
			{`userName eq "bob" or userName eq "Alice" or userName eq "nobody"`, []string{"u1", "u2"}},
			{`id eq "u3"`, []string{"u3"}},
			{`id eq "u3" or id eq "u1"`, []string{"u1", "u3"}},
			{`id eq "nope"`, []string{}},
			{`externalId eq "E-2"`, []string{"u2"}},
			{`externalId eq "E-1"`, []string{"u1"}},
			{`externalId eq "e-1"`, []string{"u3"}}, // externalId is case-exact: not u1
			{`externalId eq "E-1" or externalId eq "E-5"`, []string{"u1", "u5"}},
			{`displayName eq "alice smith"`, []string{"u1"}},
			{`userName co "A"`, []string{"u1", "u3", "u4"}},
			{`userName sw "b"`, []string{"u2"}},
			{`name.familyName eq "Jones"`, []string{"u2", "u3"}},
			{`name.familyName eq "Jones" and userName eq "carol"`, []string{"u3"}},
			{`name.familyName eq "Smith" and userName eq "bob"`, []string{}},
			{`userName eq "dave" or name.familyName eq "Adams"`, []string{"u4", "u5"}},
			{`userName eq "alice" or externalId eq "E-2"`, []string{"u1", "u2"}},
			{`userName eq "alice" and externalId eq "E-1"`, []string{"u1"}},
			{EnterpriseURN + `:department eq "Sales"`, []string{"u1", "u5"}},
			{EnterpriseURN + `:department eq "Sales" and name.familyName eq "Adams"`, []string{"u5"}},
			{`emails.value eq "bob@example.com"`, []string{"u2"}},
			{`active eq false`, []string{"u2"}},
			{`name.familyName pr`, []string{"u1", "u2", "u3", "u5"}},
			{`groups.value eq "g2"`, []string{"u1"}},
			{`groups.value eq "g1"`, []string{"u1", "u2"}},
		} {
			assert.Equal(t, tc.want, listUserIDs(t, s, scopeA, tc.filter), tc.filter)
		}
	}},
	{"FilterTotalAndPaging", func(t *testing.T, s store.Store) {
		seedList(t, s)
		f := userFilter(t, EnterpriseURN+`:department eq "Sales" or name.familyName eq "Jones"`)
		p := list(t, s, scopeA, store.User, store.Query{Filter: f, Count: 2})
		assert.Equal(t, 4, p.Total)
		assert.Equal(t, []string{"u1", "u2"}, ids(p))
		p = list(t, s, scopeA, store.User, store.Query{Filter: f, StartIndex: 3, Count: 2})
		assert.Equal(t, 4, p.Total)
		assert.Equal(t, []string{"u3", "u5"}, ids(p))
		p = list(t, s, scopeA, store.User, store.Query{Filter: f, Count: 0})
		assert.Equal(t, 4, p.Total)
		assert.Empty(t, p.Resources)
		p = list(t, s, scopeA, store.User, store.Query{Filter: userFilter(t, `userName eq "BOB"`), Count: 0})
		assert.Equal(t, 1, p.Total)
		assert.Empty(t, p.Resources)
	}},
	{"SortBy", func(t *testing.T, s store.Store) {
		seedList(t, s)
		for _, tc := range []struct {
			path       string
			descending bool
			want       []string
		}{
			// Case-insensitive: "Eve" sorts after "dave".
			{"userName", false, []string{"u1", "u2", "u3", "u4", "u5"}},
			{"userName", true, []string{"u5", "u4", "u3", "u2", "u1"}},
			// Ties keep creation order; a missing value sorts last.
			{"name.familyName", false, []string{"u5", "u2", "u3", "u1", "u4"}},
			{EnterpriseURN + ":department", false, []string{"u2", "u3", "u1", "u5", "u4"}},
			{"emails", false, []string{"u1", "u2", "u3", "u4", "u5"}},
		} {
			p := list(t, s, scopeA, store.User, store.Query{SortBy: userPath(t, tc.path), Descending: tc.descending, Count: -1})
			assert.Equal(t, tc.want, ids(p), "sortBy %s descending %v", tc.path, tc.descending)
		}
	}},
	{"SortFilterPage", func(t *testing.T, s store.Store) {
		seedList(t, s)
		q := store.Query{
			Filter:     userFilter(t, `userName ne "carol"`),
			SortBy:     userPath(t, "userName"),
			Descending: true,
			StartIndex: 2,
			Count:      2,
		}
		p := list(t, s, scopeA, store.User, q)
		assert.Equal(t, 4, p.Total)
		assert.Equal(t, []string{"u4", "u2"}, ids(p))
	}},
	{"ResourcesAreComplete", func(t *testing.T, s store.Store) {
		seedList(t, s)
		p := list(t, s, scopeA, store.User, store.Query{Filter: userFilter(t, `userName eq "alice"`), Count: 1})
		require.Len(t, p.Resources, 1)
		got := mustGet(t, s, scopeA, store.User, "u1")
		assert.Equal(t, got.Attributes, p.Resources[0].Attributes)
		assert.Equal(t, got.Version, p.Resources[0].Version)
		assert.Equal(t, store.User, p.Resources[0].Type)
		assert.ElementsMatch(t, got.Groups, p.Resources[0].Groups)
		assert.ElementsMatch(t, []store.GroupRef{{Value: "g1", Display: "Admins"}, {Value: "g2", Display: "Users"}}, p.Resources[0].Groups)
	}},
	{"Groups", func(t *testing.T, s store.Store) {
		seedList(t, s)
		f := groupFilter(t, `displayName eq "admins"`)
		p := list(t, s, scopeA, store.Group, store.Query{Filter: f, Count: -1})
		assert.Equal(t, 1, p.Total)
		require.Len(t, p.Resources, 1)
		assert.Equal(t, store.Group, p.Resources[0].Type)
		assert.Equal(t, []store.Member{
			{Value: "u1", Type: store.User, Display: "Alice Smith"},
			{Value: "u2", Type: store.User, Display: "bob"},
		}, p.Resources[0].Members)

		// The filter sees members even when the caller will not return
		// them.
		for _, exclude := range []bool{false, true} {
			p = list(t, s, scopeA, store.Group, store.Query{Filter: groupFilter(t, `members.value eq "u1"`), Count: -1, ExcludeMembers: exclude})
			assert.Equal(t, []string{"g1", "g2"}, ids(p), "exclude %v", exclude)
			p = list(t, s, scopeA, store.Group, store.Query{Filter: groupFilter(t, `members.value eq "u2"`), Count: -1, ExcludeMembers: exclude})
			assert.Equal(t, []string{"g1"}, ids(p), "exclude %v", exclude)
			p = list(t, s, scopeA, store.Group, store.Query{Filter: groupFilter(t, `displayName sw "e"`), Count: -1, ExcludeMembers: exclude})
			assert.Equal(t, []string{"g3"}, ids(p), "exclude %v", exclude)
		}

		p = list(t, s, scopeA, store.Group, store.Query{Count: -1, ExcludeMembers: true})
		assert.Equal(t, 3, p.Total)
		assert.Equal(t, []string{"g1", "g2", "g3"}, ids(p))
		assert.Equal(t, "Admins", p.Resources[0].DisplayName())
	}},
}
