package scim_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/scim"
)

func op(o, path string, value any) map[string]any {
	m := map[string]any{"op": o}
	if path != "" {
		m["path"] = path
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

func TestPatchUser(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		cases := []struct {
			name  string
			ops   []map[string]any
			check func(t *testing.T, u map[string]any)
		}{
			{"Entra Replace active string False", []map[string]any{op("Replace", "active", "False")},
				func(t *testing.T, u map[string]any) { assert.Equal(t, false, u["active"]) }},
			{"Okta no-path replace active", []map[string]any{op("replace", "", map[string]any{"active": false})},
				func(t *testing.T, u map[string]any) { assert.Equal(t, false, u["active"]) }},
			{"Entra no-path replace with dotted and URN keys", []map[string]any{op("replace", "", map[string]any{
				"name.givenName": "Babs", enterpriseURN + ":employeeNumber": "42", "displayName": "B J"})},
				func(t *testing.T, u map[string]any) {
					assert.Equal(t, "Babs", at(u, "name", "givenName"))
					assert.Equal(t, "Jensen", at(u, "name", "familyName"), "other sub-attributes kept")
					assert.Equal(t, "42", at(u, enterpriseURN, "employeeNumber"))
					assert.Equal(t, "Tour Operations", at(u, enterpriseURN, "department"))
					assert.Equal(t, "B J", u["displayName"])
				}},
			{"add to multi-valued appends", []map[string]any{op("add", "emails", []any{map[string]any{"value": "new@x.org", "type": "other"}})},
				func(t *testing.T, u map[string]any) {
					require.Len(t, u["emails"], 3)
					assert.Equal(t, "new@x.org", at(u, "emails", 2, "value"))
				}},
			{"add duplicate value is idempotent", []map[string]any{op("add", "emails", []any{map[string]any{"value": "babs@jensen.org", "type": "home"}})},
				func(t *testing.T, u map[string]any) { assert.Len(t, u["emails"], 2) }},
			{"no-path add of multi-valued appends", []map[string]any{op("add", "", map[string]any{"phoneNumbers": []any{map[string]any{"value": "1", "type": "mobile"}}})},
				func(t *testing.T, u map[string]any) { assert.Len(t, u["phoneNumbers"], 2) }},
			{"replace value-path sub-attribute", []map[string]any{op("replace", `emails[type eq "work"].value`, "bj@corp.example")},
				func(t *testing.T, u map[string]any) {
					assert.Equal(t, "bj@corp.example", at(u, "emails", 0, "value"))
					assert.Equal(t, "babs@jensen.org", at(u, "emails", 1, "value"))
				}},
			{"replace value-path with no match creates the element (Entra)", []map[string]any{op("replace", `phoneNumbers[type eq "mobile"].value`, "555-1")},
				func(t *testing.T, u map[string]any) {
					require.Len(t, u["phoneNumbers"], 2)
					assert.Equal(t, map[string]any{"type": "mobile", "value": "555-1"}, at(u, "phoneNumbers", 1))
				}},
			{"replace whole matched element", []map[string]any{op("replace", `emails[type eq "home"]`, map[string]any{"value": "h@x.org", "type": "home"})},
				func(t *testing.T, u map[string]any) {
					assert.Equal(t, map[string]any{"value": "h@x.org", "type": "home"}, at(u, "emails", 1))
				}},
			{"remove value-path element", []map[string]any{op("remove", `emails[type eq "home"]`, nil)},
				func(t *testing.T, u map[string]any) {
					require.Len(t, u["emails"], 1)
					assert.Equal(t, "work", at(u, "emails", 0, "type"))
				}},
			{"remove with complex filter", []map[string]any{op("remove", `emails[type eq "home" or value co "bjensen"]`, nil)},
				func(t *testing.T, u map[string]any) { assert.NotContains(t, u, "emails") }},
			{"remove sub-attribute of matched elements", []map[string]any{op("remove", `emails[type eq "work"].primary`, nil)},
				func(t *testing.T, u map[string]any) { assert.Nil(t, at(u, "emails", 0, "primary")) }},
			{"remove whole attribute", []map[string]any{op("remove", "title", nil)},
				func(t *testing.T, u map[string]any) { assert.NotContains(t, u, "title") }},
			{"remove whole multi-valued attribute", []map[string]any{op("remove", "emails", nil)},
				func(t *testing.T, u map[string]any) { assert.NotContains(t, u, "emails") }},
			{"remove absent attribute is a no-op", []map[string]any{op("remove", "nickName", nil)},
				func(t *testing.T, u map[string]any) { assert.Equal(t, "Tour Guide", u["title"]) }},
			{"add sub-attribute", []map[string]any{op("add", "name.middleName", "Jane")},
				func(t *testing.T, u map[string]any) {
					assert.Equal(t, "Jane", at(u, "name", "middleName"))
					assert.Equal(t, "Barbara", at(u, "name", "givenName"))
				}},
			{"replace complex merges", []map[string]any{op("replace", "name", map[string]any{"familyName": "Smith"})},
				func(t *testing.T, u map[string]any) {
					assert.Equal(t, "Smith", at(u, "name", "familyName"))
					assert.Equal(t, "Barbara", at(u, "name", "givenName"))
				}},
			{"replace multi-valued replaces all", []map[string]any{op("replace", "emails", []any{map[string]any{"value": "only@x.org"}})},
				func(t *testing.T, u map[string]any) {
					require.Len(t, u["emails"], 1)
					assert.Equal(t, "only@x.org", at(u, "emails", 0, "value"))
				}},
			{"replace enterprise attribute by URN path", []map[string]any{op("replace", enterpriseURN+":department", "R&D")},
				func(t *testing.T, u map[string]any) { assert.Equal(t, "R&D", at(u, enterpriseURN, "department")) }},
			{"manager as plain string (Entra)", []map[string]any{op("Add", enterpriseURN+":manager", "boss-id")},
				func(t *testing.T, u map[string]any) {
					assert.Equal(t, "boss-id", at(u, enterpriseURN, "manager", "value"))
				}},
			{"Entra manager by bare name with a one-element array", []map[string]any{op("Add", "manager", []any{map[string]any{"$ref": nil, "value": "mgr-7"}})},
				func(t *testing.T, u map[string]any) {
					assert.Equal(t, "mgr-7", at(u, enterpriseURN, "manager", "value"))
				}},
			{"bare extension attribute name", []map[string]any{op("replace", "department", "Sales")},
				func(t *testing.T, u map[string]any) { assert.Equal(t, "Sales", at(u, enterpriseURN, "department")) }},
			{"replace manager.value sub-attribute", []map[string]any{op("replace", enterpriseURN+":manager.value", "m2")},
				func(t *testing.T, u map[string]any) { assert.Equal(t, "m2", at(u, enterpriseURN, "manager", "value")) }},
			{"remove enterprise attribute", []map[string]any{op("remove", enterpriseURN+":manager", nil)},
				func(t *testing.T, u map[string]any) {
					assert.Nil(t, at(u, enterpriseURN, "manager"))
					assert.Equal(t, "Tour Operations", at(u, enterpriseURN, "department"))
				}},
			{"remove whole extension", []map[string]any{op("remove", enterpriseURN, nil)},
				func(t *testing.T, u map[string]any) {
					assert.NotContains(t, u, enterpriseURN)
					assert.NotContains(t, u["schemas"], enterpriseURN)
				}},
			{"replace extension object by URN", []map[string]any{op("replace", "", map[string]any{enterpriseURN: map[string]any{"costCenter": "9"}})},
				func(t *testing.T, u map[string]any) {
					assert.Equal(t, "9", at(u, enterpriseURN, "costCenter"))
					assert.Equal(t, "Tour Operations", at(u, enterpriseURN, "department"))
				}},
			{"attribute names are case-insensitive", []map[string]any{op("REPLACE", "NAME.FAMILYNAME", "Upper"), op("replace", "DisplayName", "D")},
				func(t *testing.T, u map[string]any) {
					assert.Equal(t, "Upper", at(u, "name", "familyName"))
					assert.Equal(t, "D", u["displayName"])
				}},
			{"several operations apply in order", []map[string]any{op("replace", "title", "A"), op("replace", "title", "B"), op("add", "nickName", "n")},
				func(t *testing.T, u map[string]any) {
					assert.Equal(t, "B", u["title"])
					assert.Equal(t, "n", u["nickName"])
				}},
			{"no-path value ignores unknown and read-only keys", []map[string]any{op("replace", "", map[string]any{"id": "x", "unknownThing": 1, "title": "T"})},
				func(t *testing.T, u map[string]any) { assert.Equal(t, "T", u["title"]) }},
			{"empty Operations is a no-op", nil,
				func(t *testing.T, u map[string]any) { assert.Equal(t, "Tour Guide", u["title"]) }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				// The cases include Entra ID's requests.
				c := sk.newClient(t, scim.Config{IdPProfile: directory.Entra.Profile()})
				id := c.must(http.StatusCreated, "POST", "/Users", fullUser()).body["id"].(string)
				r := c.must(http.StatusOK, "PATCH", "/Users/"+id, patchBody(tc.ops...))
				tc.check(t, r.body)
				// The response is what is stored.
				got := c.must(http.StatusOK, "GET", "/Users/"+id, nil)
				assert.Equal(t, r.body, got.body)
				assert.Equal(t, r.header.Get("ETag"), got.header.Get("ETag"))
			})
		}
	})
}

func TestPatchUserErrorsChangeNothing(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		cases := []struct {
			name     string
			body     any
			scimType string
		}{
			{"remove without path", patchBody(op("remove", "", nil)), "noTarget"},
			{"unknown op", patchBody(op("move", "title", "x")), "invalidSyntax"},
			{"no schemas", map[string]any{"Operations": []any{op("replace", "title", "x")}}, "invalidSyntax"},
			{"Operations not an array", map[string]any{"schemas": []string{patchURN}, "Operations": "x"}, "invalidSyntax"},
			{"add without value", patchBody(op("add", "title", nil)), "invalidValue"},
			{"unknown attribute path", patchBody(op("replace", "fooBar", "x")), "invalidPath"},
			{"unknown sub-attribute", patchBody(op("replace", "name.fooBar", "x")), "invalidPath"},
			{"malformed path", patchBody(op("replace", `emails[type eq "work"`, "x")), "invalidPath"},
			{"read-only id", patchBody(op("replace", "id", "x")), "mutability"},
			{"read-only groups", patchBody(op("add", "groups", []any{map[string]any{"value": "g"}})), "mutability"},
			{"wrong type", patchBody(op("replace", "active", "maybe")), "invalidValue"},
			{"remove required userName", patchBody(op("remove", "userName", nil)), "invalidValue"},
			{"filter with no match and no way to create", patchBody(op("replace", `emails[value co "nomatch"].type`, "x")), "noTarget"},
			{"filter on single-valued attribute", patchBody(op("replace", `name[givenName eq "x"].familyName`, "x")), "invalidPath"},
			{"too many operations", patchBody(func() []map[string]any {
				ops := make([]map[string]any, scim.DefaultMaxPatchOperations+1)
				for i := range ops {
					ops[i] = op("replace", "title", fmt.Sprint(i))
				}
				return ops
			}()...), "invalidValue"},
			{"later op fails after earlier succeeds", patchBody(op("replace", "title", "changed"), op("replace", "fooBar", "x")), "invalidPath"},
		}
		c := sk.newClient(t, scim.Config{})
		created := c.must(http.StatusCreated, "POST", "/Users", fullUser())
		id := created.body["id"].(string)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				requireError(t, c.do("PATCH", "/Users/"+id, tc.body), http.StatusBadRequest, tc.scimType)
				got := c.must(http.StatusOK, "GET", "/Users/"+id, nil)
				assert.Equal(t, created.body, got.body, "a failed PATCH changes nothing")
			})
		}
	})
}
