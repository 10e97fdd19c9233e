package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

const bulkURN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"

func bulk(failOnErrors int, ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	b := map[string]any{"schemas": []string{bulkURN}, "Operations": list}
	if failOnErrors > 0 {
		b["failOnErrors"] = failOnErrors
	}
	return b
}

func bop(method, path, bulkID string, data any) map[string]any {
	m := map[string]any{"method": method, "path": path}
	if bulkID != "" {
		m["bulkId"] = bulkID
	}
	if data != nil {
		m["data"] = data
	}
	return m
}

func userData(name string) map[string]any {
	return map[string]any{"schemas": []string{userURN}, "userName": name}
}

func groupData(name string, memberValues ...string) map[string]any {
	members := []any{}
	for _, v := range memberValues {
		members = append(members, map[string]any{"value": v})
	}
	return map[string]any{"schemas": []string{groupURN}, "displayName": name, "members": members}
}

// results maps each result to "METHOD bulkId status".
func results(t *testing.T, body map[string]any) []string {
	t.Helper()
	assert.Equal(t, []any{"urn:ietf:params:scim:api:messages:2.0:BulkResponse"}, body["schemas"])
	var out []string
	for _, r := range body["Operations"].([]any) {
		m := r.(map[string]any)
		out = append(out, fmt.Sprintf("%s %v %s", m["method"], m["bulkId"], m["status"]))
	}
	return out
}

func opResult(body map[string]any, i int) map[string]any {
	return body["Operations"].([]any)[i].(map[string]any)
}

func idFromLocation(loc string) string { return loc[strings.LastIndex(loc, "/")+1:] }

// TestBulkRFCExample follows RFC 7644 §3.7.3: a user and a group that
// refers to it by bulkId, then PUT, PATCH and DELETE of existing resources.
func TestBulkRFCExample(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		existing := c.createUser("existing@example.com", nil)["id"].(string)
		old := c.createUser("old@example.com", nil)["id"].(string)
		r := c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			bop("POST", "/Users", "qwerty", userData("Alice")),
			bop("POST", "/Groups", "ytrewq", groupData("Tour Guides", "bulkId:qwerty")),
			bop("PUT", "/Users/"+existing, "", map[string]any{"schemas": []string{userURN}, "userName": "existing@example.com", "title": "Guide"}),
			bop("PATCH", "/Users/"+existing, "", patchBody(op("add", "nickName", "Bob"))),
			bop("DELETE", "/Users/"+old, "", nil),
		))
		assert.Equal(t, []string{"POST qwerty 201", "POST ytrewq 201", "PUT <nil> 200", "PATCH <nil> 200", "DELETE <nil> 204"}, results(t, r.body))
		alice := idFromLocation(opResult(r.body, 0)["location"].(string))
		assert.Equal(t, c.base+"/Users/"+alice, opResult(r.body, 0)["location"])
		assert.Equal(t, `W/"1"`, opResult(r.body, 0)["version"], "the version when that operation answered")
		group := c.must(http.StatusOK, "GET", "/Groups/"+idFromLocation(opResult(r.body, 1)["location"].(string)), nil).body
		assert.Equal(t, []string{alice}, memberIDs(group), "bulkId:qwerty resolved to the new user")
		u := c.must(http.StatusOK, "GET", "/Users/"+existing, nil).body
		assert.Equal(t, "Guide", u["title"])
		assert.Equal(t, "Bob", u["nickName"])
		requireError(t, c.do("GET", "/Users/"+old, nil), http.StatusNotFound, "")
	})
}

func TestBulkReferencesInAnyOrder(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		// The group comes first but names users created later in the request.
		r := c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			bop("POST", "/Groups", "g", groupData("Late", "bulkId:u1", "bulkId:u2")),
			bop("POST", "/Users", "u1", userData("u1@example.com")),
			bop("POST", "/Users", "u2", map[string]any{"schemas": []string{userURN, enterpriseURN}, "userName": "u2@example.com",
				enterpriseURN: map[string]any{"manager": map[string]any{"value": "bulkId:u1"}}}),
			bop("PATCH", "/Users/bulkId:u1", "", patchBody(op("replace", "title", "Lead"))),
		))
		assert.Equal(t, []string{"POST g 201", "POST u1 201", "POST u2 201", "PATCH <nil> 200"}, results(t, r.body),
			"results are listed in request order")
		u1 := idFromLocation(opResult(r.body, 1)["location"].(string))
		u2 := idFromLocation(opResult(r.body, 2)["location"].(string))
		g := c.must(http.StatusOK, "GET", "/Groups/"+idFromLocation(opResult(r.body, 0)["location"].(string)), nil).body
		assert.ElementsMatch(t, []string{u1, u2}, memberIDs(g))
		assert.Equal(t, u1, at(c.must(http.StatusOK, "GET", "/Users/"+u2, nil).body, enterpriseURN, "manager", "value"))
		assert.Equal(t, "Lead", c.must(http.StatusOK, "GET", "/Users/"+u1, nil).body["title"])
	})
}

func TestBulkCircularReferences(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		// RFC 7644 §3.7.1: two groups that contain each other.
		r := c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			bop("POST", "/Groups", "a", groupData("A", "bulkId:b")),
			bop("POST", "/Groups", "b", groupData("B", "bulkId:a")),
		))
		assert.Equal(t, []string{"POST a 201", "POST b 201"}, results(t, r.body))
		a := idFromLocation(opResult(r.body, 0)["location"].(string))
		b := idFromLocation(opResult(r.body, 1)["location"].(string))
		assert.Equal(t, []string{b}, memberIDs(c.must(http.StatusOK, "GET", "/Groups/"+a, nil).body))
		assert.Equal(t, []string{a}, memberIDs(c.must(http.StatusOK, "GET", "/Groups/"+b, nil).body))

		// A cycle that is not only group membership cannot be broken: 409.
		r = c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			bop("POST", "/Users", "x", map[string]any{"schemas": []string{userURN}, "userName": "x@example.com",
				enterpriseURN: map[string]any{"manager": map[string]any{"value": "bulkId:y"}}}),
			bop("POST", "/Users", "y", map[string]any{"schemas": []string{userURN}, "userName": "y@example.com",
				enterpriseURN: map[string]any{"manager": map[string]any{"value": "bulkId:x"}}}),
		))
		assert.Equal(t, []string{"POST x 409", "POST y 409"}, results(t, r.body))
		assert.Equal(t, []any{errorURN}, at(opResult(r.body, 0), "response", "schemas"))
		list := c.must(http.StatusOK, "GET", "/Users", nil).body
		assert.Equal(t, float64(0), list["totalResults"], "nothing of the cycle was created")

		// A reference to an operation that failed fails too.
		r = c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			bop("POST", "/Users", "bad", map[string]any{"schemas": []string{userURN}}),
			bop("POST", "/Groups", "g", groupData("G", "bulkId:bad")),
			bop("POST", "/Groups", "h", groupData("H", "bulkId:nowhere")),
		))
		assert.Equal(t, []string{"POST bad 400", "POST g 400", "POST h 400"}, results(t, r.body))
	})
}

func TestBulkFailOnErrors(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		c.createUser("taken@example.com", nil)
		r := c.must(http.StatusOK, "POST", "/Bulk", bulk(1,
			bop("POST", "/Users", "1", userData("one@example.com")),
			bop("POST", "/Users", "2", userData("TAKEN@example.com")),
			bop("POST", "/Users", "3", userData("three@example.com")),
		))
		assert.Equal(t, []string{"POST 1 201", "POST 2 409"}, results(t, r.body), "processing stops at the first error")
		assert.Equal(t, "uniqueness", at(opResult(r.body, 1), "response", "scimType"))
		assert.Equal(t, float64(2), c.must(http.StatusOK, "GET", "/Users", nil).body["totalResults"])

		// Without failOnErrors, every operation runs; each failure is its own.
		r = c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			bop("POST", "/Users", "4", userData("TAKEN@example.com")),
			bop("POST", "/Users", "5", userData("five@example.com")),
			bop("PATCH", "/Users/nope", "", patchBody(op("replace", "title", "x"))),
			bop("DELETE", "/Users", "", nil),
			bop("GET", "/Users", "", nil),
			bop("POST", "/Users", "", userData("no-bulk-id@example.com")),
		))
		assert.Equal(t, []string{"POST 4 409", "POST 5 201", "PATCH <nil> 404", "DELETE <nil> 400", "GET <nil> 400", "POST <nil> 400"}, results(t, r.body))
	})
}

func TestBulkVersionsAndHooks(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		rec := &recorder{}
		c := sk.newClient(t, scim.Config{Hooks: rec.hooks()})
		u := c.createUser("v@example.com", nil)["id"].(string)
		rec.take()
		r := c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			map[string]any{"method": "PATCH", "path": "/Users/" + u, "version": `W/"9"`, "data": patchBody(op("replace", "title", "x"))},
			map[string]any{"method": "PATCH", "path": "/Users/" + u, "version": `W/"1"`, "data": patchBody(op("replace", "active", false))},
		))
		assert.Equal(t, []string{"PATCH <nil> 412", "PATCH <nil> 200"}, results(t, r.body))
		assert.Equal(t, []string{"UserUpdated v@example.com active", "UserDeactivated v@example.com"}, rec.take(),
			"bulk operations run the same hooks as single requests")
	})
}

func TestBulkLimits(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{BulkMaxOperations: 2, BulkMaxPayloadBytes: 2048})
		r := c.do("POST", "/Bulk", bulk(0,
			bop("POST", "/Users", "1", userData("a@example.com")),
			bop("POST", "/Users", "2", userData("b@example.com")),
			bop("POST", "/Users", "3", userData("c@example.com")),
		))
		requireError(t, r, http.StatusRequestEntityTooLarge, "tooMany")
		r = c.do("POST", "/Bulk", bulk(0, bop("POST", "/Users", "1",
			map[string]any{"schemas": []string{userURN}, "userName": "big@example.com", "title": strings.Repeat("x", 4096)})))
		requireError(t, r, http.StatusRequestEntityTooLarge, "")
		assert.Contains(t, r.body["detail"], "maxPayloadSize")
		assert.Equal(t, float64(0), c.must(http.StatusOK, "GET", "/Users", nil).body["totalResults"], "nothing was applied")

		spc := c.must(http.StatusOK, "GET", "/ServiceProviderConfig", nil).body
		assert.Equal(t, float64(2), at(spc, "bulk", "maxOperations"))
		assert.Equal(t, float64(2048), at(spc, "bulk", "maxPayloadSize"))

		requireError(t, c.do("POST", "/Bulk", map[string]any{"Operations": []any{}}), http.StatusBadRequest, "invalidSyntax")
		requireError(t, c.do("POST", "/Bulk", bulk(0, bop("POST", "/Users", "dup", userData("x")), bop("POST", "/Users", "dup", userData("y")))),
			http.StatusBadRequest, "invalidValue")
		requireError(t, c.do("POST", "/Bulk", map[string]any{"schemas": []string{bulkURN}, "Operations": []any{}, "failOnErrors": -1}),
			http.StatusBadRequest, "invalidValue")
	})
}

// TestBulkSyncEqualsSingleRequests: an initial sync of 10,000 users and 100
// groups in one bulk request ends in the same directory as the same sync
// done request by request.
func TestBulkSyncEqualsSingleRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 users")
	}
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		users, groups := 10000, 100
		if sk.durable() {
			// The full size runs on the memory store; a durable store, which
			// commits every operation to disk, checks the same at a tenth.
			users, groups = 1000, 10
		}
		cfg := scim.Config{BulkMaxOperations: users + groups, BulkMaxPayloadBytes: 16 << 20, MaxResults: users}
		viaBulk, oneByOne := sk.newClient(t, cfg), sk.newClient(t, cfg)

		var ops []map[string]any
		for i := range users {
			ops = append(ops, bop("POST", "/Users", fmt.Sprintf("u%d", i), map[string]any{"schemas": []string{userURN},
				"userName": fmt.Sprintf("user%05d@example.com", i), "active": i%7 != 0, "name": map[string]any{"givenName": fmt.Sprint("G", i)}}))
		}
		for g := range groups {
			var members []string
			for i := g; i < users; i += groups * 3 {
				members = append(members, fmt.Sprintf("bulkId:u%d", i))
			}
			ops = append(ops, bop("POST", "/Groups", fmt.Sprintf("g%d", g), groupData(fmt.Sprintf("Group %03d", g), members...)))
		}
		r := viaBulk.must(http.StatusOK, "POST", "/Bulk", bulk(0, ops...))
		for _, res := range r.body["Operations"].([]any) {
			require.Equal(t, "201", res.(map[string]any)["status"])
		}

		ids := map[string]string{}
		for i := range users {
			u := oneByOne.must(http.StatusCreated, "POST", "/Users", ops[i]["data"]).body
			ids[fmt.Sprintf("bulkId:u%d", i)] = u["id"].(string)
		}
		for g := range groups {
			data := ops[users+g]["data"].(map[string]any)
			var members []any
			for _, m := range data["members"].([]any) {
				members = append(members, map[string]any{"value": ids[m.(map[string]any)["value"].(string)]})
			}
			oneByOne.must(http.StatusCreated, "POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": data["displayName"], "members": members})
		}
		assert.Equal(t, contents(oneByOne), contents(viaBulk))
	})
}

// contents describes a client's users and groups without ids or times:
// each user's attributes and group names, each group's members by userName.
func contents(c *client) []string {
	userName := map[string]string{}
	var out []string
	for _, u := range c.must(http.StatusOK, "GET", "/Users", nil).body["Resources"].([]any) {
		m := u.(map[string]any)
		userName[m["id"].(string)] = m["userName"].(string)
		var groups []string
		gs, _ := m["groups"].([]any)
		for _, g := range gs {
			groups = append(groups, g.(map[string]any)["display"].(string))
		}
		sort.Strings(groups)
		out = append(out, fmt.Sprintf("user %v active=%v name=%v groups=%v version=%v", m["userName"], m["active"], m["name"], groups, at(m, "meta", "version")))
	}
	for _, g := range c.must(http.StatusOK, "GET", "/Groups", nil).body["Resources"].([]any) {
		m := g.(map[string]any)
		var names []string
		for _, id := range memberIDs(m) {
			names = append(names, userName[id])
		}
		sort.Strings(names)
		out = append(out, fmt.Sprintf("group %v members=%v", m["displayName"], names))
	}
	sort.Strings(out)
	return out
}

// A circular POST whose other half fails is undone: the group created
// without its members is deleted again, so the client's retry of the whole
// request does not collide with a half-made group.
func TestBulkFailedCycleLeavesNothing(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		audit := &memory.AuditLog{}
		c := sk.newClient(t, scim.Config{Audit: audit})
		r := c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			bop("POST", "/Groups", "a", groupData("A", "bulkId:b")),
			// No displayName: refused.
			bop("POST", "/Groups", "b", map[string]any{"schemas": []string{groupURN},
				"members": []any{map[string]any{"value": "bulkId:a"}}}),
		))
		assert.Equal(t, []string{"POST a 400", "POST b 400"}, results(t, r.body))
		assert.Contains(t, at(opResult(r.body, 0), "response", "detail"), "bulkId:b")
		assert.Nil(t, opResult(r.body, 0)["location"])
		assert.Equal(t, float64(0), c.must(http.StatusOK, "GET", "/Groups", nil).body["totalResults"],
			"the half-made group A is gone")

		// The same request, corrected, now succeeds in full.
		r = c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			bop("POST", "/Groups", "a", groupData("A", "bulkId:b")),
			bop("POST", "/Groups", "b", groupData("B", "bulkId:a")),
		))
		assert.Equal(t, []string{"POST a 201", "POST b 201"}, results(t, r.body))

		// Its history: A created, B refused, A deleted again; then both made.
		recs, err := audit.AuditRecords(context.Background(), store.Scope{}, store.AuditQuery{})
		require.NoError(t, err)
		var got []string
		for i := len(recs) - 1; i >= 0; i-- {
			got = append(got, fmt.Sprintf("%s %s %d", recs[i].Operation, recs[i].ResourceType, recs[i].Status))
		}
		assert.Equal(t, []string{
			"create Group 201", "create Group 400", "delete Group 204",
			"create Group 201", "create Group 201", "patch Group 200",
		}, got)
	})
}

// Operations refused before they reach the write path (bad path, bad
// method, unparseable PATCH, unresolved bulkId) are audited like the same
// refusal of a single request.
func TestBulkRefusalsAreAudited(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		audit := &memory.AuditLog{}
		c := sk.newClient(t, scim.Config{Audit: audit})
		u := c.createUser("a@example.com", nil)["id"].(string)
		r := c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			bop("POST", "/Nowhere", "x", userData("x@example.com")),
			bop("PATCH", "/Users/"+u, "", map[string]any{"schemas": []string{patchURN}, "Operations": "nope"}),
			bop("POST", "/Groups", "g", groupData("G", "bulkId:missing")),
			bop("GET", "/Users/"+u, "", nil),
		))
		assert.Equal(t, []string{"POST x 400", "PATCH <nil> 400", "POST g 400", "GET <nil> 400"}, results(t, r.body))
		recs, err := audit.AuditRecords(context.Background(), store.Scope{}, store.AuditQuery{})
		require.NoError(t, err)
		var got []string
		for i := len(recs) - 1; i >= 0; i-- {
			got = append(got, fmt.Sprintf("%s %s %s %d", recs[i].Operation, recs[i].ResourceType, recs[i].ResourceID, recs[i].Status))
			if recs[i].Status >= 400 {
				assert.NotEmpty(t, recs[i].Error)
			}
		}
		assert.Equal(t, []string{
			"create User " + u + " 201",
			"create   400",
			"patch User " + u + " 400",
			"create Group  400",
			"get User " + u + " 400",
		}, got)
	})
}

// TestBulkRFCExampleWithVersions is RFC 7644 §3.7.3's request as written:
// failOnErrors 1, and a "version" on the PUT, PATCH and DELETE, each an
// If-Match; a stale version fails that operation with 412 and, with
// failOnErrors 1, stops the rest.
func TestBulkRFCExampleWithVersions(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		put := c.createUser("b7c14771@example.com", nil)
		patchU := c.createUser("5d8d29d3@example.com", nil)
		del := c.createUser("e9025315@example.com", nil)
		body := func(putVersion string) map[string]any {
			b := bulk(1,
				bop("POST", "/Users", "qwerty", map[string]any{"schemas": []string{userURN}, "userName": "Alice"}),
				map[string]any{"method": "PUT", "path": "/Users/" + put["id"].(string), "version": putVersion,
					"data": map[string]any{"schemas": []string{userURN}, "id": put["id"], "userName": "b7c14771@example.com",
						"externalId": "b7c14771-226c-4d05-8860-134711653041", "nickName": "Bob"}},
				map[string]any{"method": "PATCH", "path": "/Users/" + patchU["id"].(string), "version": at(patchU, "meta", "version"),
					"data": patchBody(op("add", "nickName", "Dave"))},
				map[string]any{"method": "DELETE", "path": "/Users/" + del["id"].(string), "version": at(del, "meta", "version")},
			)
			return b
		}
		// A stale PUT version: 412, and nothing after it runs.
		r := c.must(http.StatusOK, "POST", "/Bulk", body(`W/"99"`))
		assert.Equal(t, []string{"POST qwerty 201", "PUT <nil> 412"}, results(t, r.body))
		assert.Equal(t, "412", at(opResult(r.body, 1), "response", "status"))
		c.must(http.StatusOK, "GET", "/Users/"+del["id"].(string), nil)
		c.must(http.StatusNoContent, "DELETE", "/Users/"+idFromLocation(opResult(r.body, 0)["location"].(string)), nil)

		// The versions as the RFC sends them: all four succeed.
		r = c.must(http.StatusOK, "POST", "/Bulk", body(at(put, "meta", "version").(string)))
		assert.Equal(t, []string{"POST qwerty 201", "PUT <nil> 200", "PATCH <nil> 200", "DELETE <nil> 204"}, results(t, r.body))
		assert.Equal(t, `W/"2"`, opResult(r.body, 1)["version"])
		assert.Equal(t, "Bob", c.must(http.StatusOK, "GET", "/Users/"+put["id"].(string), nil).body["nickName"])
		assert.Equal(t, "Dave", c.must(http.StatusOK, "GET", "/Users/"+patchU["id"].(string), nil).body["nickName"])
		requireError(t, c.do("GET", "/Users/"+del["id"].(string), nil), http.StatusNotFound, "")
	})
}
