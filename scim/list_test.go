package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
)

// seed creates five users in a known order and returns their ids.
func seed(c *client) []string {
	people := []struct{ user, family, dept string }{
		{"carol@example.com", "Cole", "Sales"},
		{"alice@example.com", "Adams", "R&D"},
		{"erin@example.com", "Evans", "R&D"},
		{"bob@example.com", "Brown", "Sales"},
		{"dave@example.com", "Davis", "Support"},
	}
	var out []string
	for i, p := range people {
		u := c.createUser(p.user, map[string]any{
			"externalId":  fmt.Sprintf("ext-%d", i),
			"name":        map[string]any{"familyName": p.family},
			"active":      i%2 == 0,
			"emails":      []any{map[string]any{"value": p.user, "type": "work", "primary": true}},
			enterpriseURN: map[string]any{"department": p.dept},
		})
		out = append(out, u["id"].(string))
	}
	return out
}

func list(c *client, query string) map[string]any {
	c.t.Helper()
	r := c.must(http.StatusOK, "GET", "/Users?"+query, nil)
	assert.Equal(c.t, []any{listURN}, r.body["schemas"])
	res, ok := r.body["Resources"].([]any)
	require.True(c.t, ok, "Resources must be an array, never null: %s", r.raw)
	assert.Equal(c.t, float64(len(res)), r.body["itemsPerPage"])
	return r.body
}

func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{MaxResults: 4})
		id := seed(c)

		cases := []struct {
			name       string
			query      string
			total      int
			startIndex int
			want       []string
		}{
			{"default order is creation order, capped at MaxResults", "", 5, 1, id[:4]},
			{"Okta existence check", q("filter", `userName eq "ALICE@example.com"`, "startIndex", "1", "count", "100"), 1, 1, id[1:2]},
			{"Okta existence check, no match", q("filter", `userName eq "zoe@example.com"`, "startIndex", "1", "count", "100"), 0, 1, nil},
			{"externalId eq is case-exact", q("filter", `externalId eq "EXT-2"`), 0, 1, nil},
			{"externalId eq", q("filter", `externalId eq "ext-2"`), 1, 1, id[2:3]},
			{"id eq", q("filter", `id eq "`+id[3]+`"`), 1, 1, id[3:4]},
			{"or of userName eq", q("filter", `userName eq "bob@example.com" or userName eq "dave@example.com"`), 2, 1, []string{id[3], id[4]}},
			{"and with boolean", q("filter", `active eq true and name.familyName sw "e"`), 1, 1, id[2:3]},
			{"enterprise attribute", q("filter", enterpriseURN+`:department eq "r&d"`), 2, 1, []string{id[1], id[2]}},
			{"value path", q("filter", `emails[type eq "work" and value co "bob"]`), 1, 1, id[3:4]},
			{"not", q("filter", `not (active eq true)`), 2, 1, []string{id[1], id[3]}},
			{"paging", q("startIndex", "2", "count", "2"), 5, 2, id[1:3]},
			{"past the end", q("startIndex", "9", "count", "2"), 5, 9, nil},
			{"startIndex below 1 means 1", q("startIndex", "-3", "count", "1"), 5, 1, id[:1]},
			{"count 0 gives only the total", q("count", "0"), 5, 1, nil},
			{"negative count is 0", q("count", "-1"), 5, 1, nil},
			{"huge count is capped", q("count", "1000000000000000000000"), 5, 1, id[:4]},
			{"sortBy userName", q("sortBy", "userName"), 5, 1, []string{id[1], id[3], id[0], id[4]}},
			{"sortBy descending", q("sortBy", "name.familyName", "sortOrder", "descending", "count", "2"), 5, 1, []string{id[2], id[4]}},
			{"sortBy multi-valued uses primary", q("sortBy", "emails", "count", "1"), 5, 1, id[1:2]},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				body := list(c, tc.query)
				assert.Equal(t, float64(tc.total), body["totalResults"])
				assert.Equal(t, float64(tc.startIndex), body["startIndex"])
				got := ids(body["Resources"])
				assert.Equal(t, tc.want, got)
			})
		}
	})
}

func TestListErrors(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		seed(c)
		cases := []struct {
			name, query, scimType string
		}{
			{"malformed filter", q("filter", `userName eq`), "invalidFilter"},
			{"unknown operator", q("filter", `userName xx "a"`), "invalidFilter"},
			{"unknown attribute", q("filter", `fooBar eq "a"`), "invalidFilter"},
			{"bad startIndex", q("startIndex", "one"), "invalidValue"},
			{"bad count", q("count", "1.5"), "invalidValue"},
			{"bad sortOrder", q("sortOrder", "up"), "invalidValue"},
			{"bad sortBy", q("sortBy", "fooBar"), "invalidValue"},
			{"filter too long", q("filter", `userName eq "`+strings.Repeat("x", 5000)+`"`), "invalidFilter"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				requireError(t, c.do("GET", "/Users?"+tc.query, nil), http.StatusBadRequest, tc.scimType)
			})
		}
	})
}

func TestProjection(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		id := seed(c)

		body := list(c, q("filter", `userName eq "alice@example.com"`, "attributes", "userName,name.familyName,"+enterpriseURN+":department"))
		assert.Equal(t, map[string]any{
			"schemas": []any{userURN, enterpriseURN}, "id": id[1], "userName": "alice@example.com",
			"name": map[string]any{"familyName": "Adams"}, enterpriseURN: map[string]any{"department": "R&D"},
		}, at(body, "Resources", 0))

		body = list(c, q("filter", `userName eq "alice@example.com"`, "attributes", "emails.value"))
		assert.Equal(t, []any{map[string]any{"value": "alice@example.com"}}, at(body, "Resources", 0, "emails"))

		body = list(c, q("filter", `userName eq "alice@example.com"`, "excludedAttributes", "emails,name,meta,id,"+enterpriseURN))
		u := at(body, "Resources", 0).(map[string]any)
		assert.Equal(t, id[1], u["id"], "id is always returned")
		for _, gone := range []string{"emails", "name", "meta", enterpriseURN} {
			assert.NotContains(t, u, gone)
		}
		assert.Contains(t, u, "userName")

		one := c.must(http.StatusOK, "GET", "/Users/"+id[0]+"?attributes=userName", nil).body
		assert.Equal(t, map[string]any{"schemas": []any{userURN, enterpriseURN}, "id": id[0], "userName": "carol@example.com"}, one)
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		id := seed(c)
		r := c.must(http.StatusOK, "POST", "/Users/.search", map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"filter":     `name.familyName co "a"`,
			"sortBy":     "userName",
			"sortOrder":  "descending",
			"startIndex": 1,
			"count":      2,
			"attributes": []string{"userName"},
		})
		assert.Equal(t, float64(3), r.body["totalResults"])
		assert.Equal(t, []string{id[2], id[4]}, ids(r.body["Resources"]))
		assert.Equal(t, map[string]any{"schemas": []any{userURN, enterpriseURN}, "id": id[2], "userName": "erin@example.com"}, at(r.body, "Resources", 0))

		// Entra and Okta search by id and externalId.
		r = c.must(http.StatusOK, "POST", "/Users/.search", map[string]any{"filter": `id eq "` + id[2] + `"`})
		assert.Equal(t, []string{id[2]}, ids(r.body["Resources"]))

		requireError(t, c.do("POST", "/Users/.search", map[string]any{"filter": "bad filter"}), http.StatusBadRequest, "invalidFilter")
		requireError(t, c.do("POST", "/Users/.search", map[string]any{"count": true}), http.StatusBadRequest, "invalidValue")
		requireError(t, c.do("POST", "/Users/.search", `{`), http.StatusBadRequest, "invalidSyntax")
	})
}

func TestListGroups(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		u := c.createUser("u@example.com", nil)["id"].(string)
		g := c.createGroup("Admins", u)["id"].(string)
		c.createGroup("Users")
		// Entra: groups by displayName with excludedAttributes=members.
		r := c.must(http.StatusOK, "GET", "/Groups?"+q("filter", `displayName eq "admins"`, "excludedAttributes", "members"), nil)
		assert.Equal(t, float64(1), r.body["totalResults"])
		assert.Equal(t, []string{g}, ids(r.body["Resources"]))
		assert.NotContains(t, at(r.body, "Resources", 0), "members")
		// Members are filterable.
		r = c.must(http.StatusOK, "GET", "/Groups?"+q("filter", `members[value eq "`+u+`"]`), nil)
		assert.Equal(t, []string{g}, ids(r.body["Resources"]))
	})
}

func TestRootQuery(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		id := seed(c)
		g1 := c.createGroup("Alpha")["id"].(string)
		g2 := c.createGroup("Zeta")["id"].(string)

		// Users first, then groups; paging crosses the boundary.
		r := c.must(http.StatusOK, "GET", "/?"+q("startIndex", "5", "count", "2"), nil)
		assert.Equal(t, float64(7), r.body["totalResults"])
		assert.Equal(t, []string{id[4], g1}, ids(r.body["Resources"]))
		assert.Equal(t, "Group", at(r.body, "Resources", 1, "meta", "resourceType"))

		// A filter only groups can satisfy selects only groups.
		r = c.must(http.StatusOK, "POST", "/.search", map[string]any{"filter": `displayName sw "z"`})
		assert.Equal(t, []string{g2}, ids(r.body["Resources"]))
		// An attribute of users only: groups are simply not matched.
		r = c.must(http.StatusOK, "POST", "/.search", map[string]any{"filter": `userName eq "bob@example.com"`})
		assert.Equal(t, []string{id[3]}, ids(r.body["Resources"]))

		// Sorting merges across types; resources without the key sort last.
		r = c.must(http.StatusOK, "POST", "/.search", map[string]any{"sortBy": "displayName", "count": 3})
		assert.Equal(t, float64(7), r.body["totalResults"])
		assert.Equal(t, []string{g1, g2, id[0]}, ids(r.body["Resources"]))
		r = c.must(http.StatusOK, "GET", "/?"+q("sortBy", "userName", "count", "2", "startIndex", "2"), nil)
		assert.Equal(t, []string{id[3], id[0]}, ids(r.body["Resources"]))

		requireError(t, c.do("POST", "/.search", map[string]any{"filter": `nothing eq "x"`}), http.StatusBadRequest, "invalidFilter")
		requireError(t, c.do("GET", "/.search", nil), http.StatusMethodNotAllowed, "")
		requireError(t, c.do("POST", "/", "{}"), http.StatusMethodNotAllowed, "")
		requireError(t, c.do("GET", "/?"+q("sortBy", "userName", "startIndex", "20000"), nil), http.StatusBadRequest, "tooMany")
	})
}

// A bad filter's error says what is wrong and where, for syntax and
// meaning alike.
func TestFilterErrorsCarryThePosition(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		for _, tc := range []struct{ filter, detail string }{
			{`userName xx "a"`, `unknown operator "xx" (at offset 9)`},
			{`userName eq "a" and fooBar eq "b"`, `unknown attribute "fooBar" (at offset 20)`},
			{`userName eq "a" or active eq "maybe"`, `(at offset 19)`},
		} {
			r := c.do("GET", "/Users?"+q("filter", tc.filter), nil)
			requireError(t, r, http.StatusBadRequest, "invalidFilter")
			assert.Contains(t, r.body["detail"], tc.detail, tc.filter)
		}
	})
}
