package scim_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/scim"
)

func groupIDsOf(t *testing.T, c *client, userID string) []string {
	t.Helper()
	u := c.must(http.StatusOK, "GET", "/Users/"+userID, nil).body
	var out []string
	gs, _ := u["groups"].([]any)
	for _, g := range gs {
		out = append(out, g.(map[string]any)["value"].(string))
	}
	return out
}

func TestGroupLifecycle(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		// The lifecycle includes Entra ID's removal of listed members.
		c := sk.newClient(t, scim.Config{IdPProfile: directory.Entra.Profile()})
		alice := c.createUser("alice@example.com", map[string]any{"displayName": "Alice"})["id"].(string)
		bob := c.createUser("bob@example.com", nil)["id"].(string)
		carol := c.createUser("carol@example.com", nil)["id"].(string)

		// Entra's create carries an extra schema URN; Okta's has members: [].
		r := c.must(http.StatusCreated, "POST", "/Groups", map[string]any{
			"schemas":     []string{groupURN, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"},
			"displayName": "Engineering", "externalId": "eng",
			"members": []any{map[string]any{"value": alice}},
		})
		g := r.body
		gid := g["id"].(string)
		assert.Equal(t, c.base+"/Groups/"+gid, r.header.Get("Location"))
		assert.Equal(t, []any{groupURN}, g["schemas"])
		require.Len(t, g["members"], 1)
		assert.Equal(t, map[string]any{"value": alice, "display": "Alice", "type": "User", "$ref": c.base + "/Users/" + alice}, at(g, "members", 0))

		// User.groups reflects membership.
		u := c.must(http.StatusOK, "GET", "/Users/"+alice, nil).body
		assert.Equal(t, []any{map[string]any{"value": gid, "display": "Engineering", "type": "direct", "$ref": c.base + "/Groups/" + gid}}, u["groups"])

		// Entra: add members with a null $ref; 204 for group PATCH.
		r = c.must(http.StatusNoContent, "PATCH", "/Groups/"+gid, patchBody(
			op("Add", "members", []any{map[string]any{"$ref": nil, "value": bob}, map[string]any{"value": carol}})))
		assert.Empty(t, r.raw)
		assert.Equal(t, `W/"2"`, r.header.Get("ETag"))
		assert.ElementsMatch(t, []string{alice, bob, carol}, memberIDs(c.must(200, "GET", "/Groups/"+gid, nil).body))
		assert.Equal(t, []string{gid}, groupIDsOf(t, c, bob))

		// Entra/Okta: remove by value filter.
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+gid, patchBody(op("Remove", `members[value eq "`+bob+`"]`, nil)))
		assert.ElementsMatch(t, []string{alice, carol}, memberIDs(c.must(200, "GET", "/Groups/"+gid, nil).body))
		assert.Empty(t, groupIDsOf(t, c, bob))

		// Entra: remove by listing members in the value.
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+gid, patchBody(op("Remove", "members", []any{map[string]any{"value": carol}})))
		assert.Equal(t, []string{alice}, memberIDs(c.must(200, "GET", "/Groups/"+gid, nil).body))

		// Okta Push Groups: replace of members, and rename repeating the id.
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+gid, patchBody(
			op("replace", "members", []any{map[string]any{"value": bob, "display": "bob"}, map[string]any{"value": carol}}),
			op("replace", "", map[string]any{"id": gid, "displayName": "Eng"})))
		g = c.must(200, "GET", "/Groups/"+gid, nil).body
		assert.Equal(t, "Eng", g["displayName"])
		assert.ElementsMatch(t, []string{bob, carol}, memberIDs(g))
		assert.Empty(t, groupIDsOf(t, c, alice))
		assert.Equal(t, "eng", g["externalId"])

		// A PATCH asking for attributes gets 200 with the resource.
		r = c.must(http.StatusOK, "PATCH", "/Groups/"+gid+"?attributes=displayName", patchBody(op("replace", "displayName", "Engineering")))
		assert.Equal(t, map[string]any{"schemas": []any{groupURN}, "id": gid, "displayName": "Engineering"}, r.body)

		// PUT replaces the member list.
		r = c.must(http.StatusOK, "PUT", "/Groups/"+gid, map[string]any{"schemas": []string{groupURN}, "displayName": "Engineering",
			"members": []any{map[string]any{"value": alice}}})
		assert.Equal(t, []string{alice}, memberIDs(r.body))
		assert.NotContains(t, r.body, "externalId", "PUT clears omitted attributes")
		// PUT without members leaves membership alone.
		r = c.must(http.StatusOK, "PUT", "/Groups/"+gid, map[string]any{"schemas": []string{groupURN}, "displayName": "Engineering"})
		assert.Equal(t, []string{alice}, memberIDs(r.body))

		// excludedAttributes=members (Entra) leaves members out.
		g = c.must(200, "GET", "/Groups/"+gid+"?excludedAttributes=members", nil).body
		assert.NotContains(t, g, "members")
		assert.Equal(t, "Engineering", g["displayName"])

		// Deleting a user removes it from every group.
		c.must(http.StatusNoContent, "DELETE", "/Users/"+alice, nil)
		assert.Empty(t, memberIDs(c.must(200, "GET", "/Groups/"+gid, nil).body))

		// Deleting a group empties its members' groups.
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+gid, patchBody(op("add", "members", []any{map[string]any{"value": bob}})))
		c.must(http.StatusNoContent, "DELETE", "/Groups/"+gid, nil)
		assert.Empty(t, groupIDsOf(t, c, bob))
		requireError(t, c.do("GET", "/Groups/"+gid, nil), http.StatusNotFound, "")
	})
}

func TestNestedGroups(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		u := c.createUser("u@example.com", nil)["id"].(string)
		inner := c.createGroup("Inner", u)["id"].(string)
		outer := c.must(http.StatusCreated, "POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Outer",
			"members": []any{map[string]any{"value": inner, "type": "Group"}}}).body
		assert.Equal(t, "Group", at(outer, "members", 0, "type"))
		assert.Equal(t, c.base+"/Groups/"+inner, at(outer, "members", 0, "$ref"))
		// An untyped member id is resolved to a group too.
		outer2 := c.createGroup("Outer2", inner)
		assert.Equal(t, "Group", at(outer2, "members", 0, "type"))
		// Deleting the inner group removes it from the outer ones.
		c.must(http.StatusNoContent, "DELETE", "/Groups/"+inner, nil)
		assert.Empty(t, memberIDs(c.must(200, "GET", "/Groups/"+outer["id"].(string), nil).body))
	})
}

func TestGroupMemberErrorsChangeNothing(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		u := c.createUser("u@example.com", nil)["id"].(string)
		v := c.createUser("v@example.com", nil)["id"].(string)
		g := c.createGroup("G", u)
		gid := g["id"].(string)

		cases := []struct {
			name     string
			body     any
			scimType string
		}{
			{"unknown member id", patchBody(op("add", "members", []any{map[string]any{"value": "nope"}})), "invalidValue"},
			{"member without value", patchBody(op("add", "members", []any{map[string]any{"display": "x"}})), "invalidValue"},
			{"wrong member type", patchBody(op("add", "members", []any{map[string]any{"value": v, "type": "Device"}})), "invalidValue"},
			{"member typed as group but is a user", patchBody(op("add", "members", []any{map[string]any{"value": v, "type": "Group"}})), "invalidValue"},
			{"group member of itself", patchBody(op("add", "members", []any{map[string]any{"value": gid}})), "invalidValue"},
			{"valid rename then bad member", patchBody(op("replace", "displayName", "X"), op("add", "members", []any{map[string]any{"value": "nope"}})), "invalidValue"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				requireError(t, c.do("PATCH", "/Groups/"+gid, tc.body), http.StatusBadRequest, tc.scimType)
				assert.Equal(t, g, c.must(200, "GET", "/Groups/"+gid, nil).body)
			})
		}
		requireError(t, c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Bad",
			"members": []any{map[string]any{"value": "nope"}}}), http.StatusBadRequest, "invalidValue")
		requireError(t, c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}}), http.StatusBadRequest, "invalidValue")
		list := c.must(200, "GET", "/Groups", nil).body
		assert.Equal(t, float64(1), list["totalResults"])
	})
}

func TestGroupDisplayNameUniqueness(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		t.Run("off by default", func(t *testing.T) {
			c := sk.newClient(t, scim.Config{})
			c.createGroup("Sales")
			c.createGroup("sales")
		})
		t.Run("on", func(t *testing.T) {
			c := sk.newClient(t, scim.Config{UniqueGroupDisplayName: true})
			c.createGroup("Sales")
			requireError(t, c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "SALES"}),
				http.StatusConflict, "uniqueness")
			other := c.createGroup("Marketing")["id"].(string)
			requireError(t, c.do("PATCH", "/Groups/"+other, patchBody(op("replace", "displayName", "sales"))),
				http.StatusConflict, "uniqueness")
			// Renaming a group to its own name in another case is fine.
			c.must(http.StatusNoContent, "PATCH", "/Groups/"+other, patchBody(op("replace", "displayName", "MARKETING")))
		})
	})
}
