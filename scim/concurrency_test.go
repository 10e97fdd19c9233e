package scim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

// parallel runs fn(i) for i in [0, n) at once and returns the statuses.
func parallel(n int, fn func(i int) int) []int {
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return statuses
}

func count(statuses []int, status int) int {
	n := 0
	for _, s := range statuses {
		if s == status {
			n++
		}
	}
	return n
}

func TestConcurrentMembershipChangesLoseNothing(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		const n = 24
		ids := make([]string, n)
		for i := range ids {
			ids[i] = c.createUser(fmt.Sprintf("m%d@example.com", i), nil)["id"].(string)
		}
		// The group starts with the odd users; at once, every even user is
		// added and every odd user removed, one PATCH each.
		var odd []string
		for i := 1; i < n; i += 2 {
			odd = append(odd, ids[i])
		}
		g := c.createGroup("Busy", odd...)["id"].(string)
		statuses := parallel(n, func(i int) int {
			o := op("add", "members", []any{map[string]any{"value": ids[i]}})
			if i%2 == 1 {
				o = op("remove", `members[value eq "`+ids[i]+`"]`, nil)
			}
			return c.do("PATCH", "/Groups/"+g, patchBody(o)).status
		})
		assert.Equal(t, n, count(statuses, http.StatusNoContent), "%v", statuses)
		var even []string
		for i := 0; i < n; i += 2 {
			even = append(even, ids[i])
		}
		got := memberIDs(c.must(http.StatusOK, "GET", "/Groups/"+g, nil).body)
		sort.Strings(got)
		sort.Strings(even)
		assert.Equal(t, even, got, "every add and every remove took effect")
		for i, id := range ids {
			groups := groupIDsOf(t, c, id)
			if i%2 == 0 {
				assert.Equal(t, []string{g}, groups)
			} else {
				assert.Empty(t, groups)
			}
		}
	})
}

func TestConcurrentCreatesOfOneUserName(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		statuses := parallel(20, func(i int) int {
			return c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "SAME@example.com"}).status
		})
		assert.Equal(t, 1, count(statuses, http.StatusCreated), "%v", statuses)
		assert.Equal(t, 19, count(statuses, http.StatusConflict), "%v", statuses)
		assert.Equal(t, float64(1), c.must(http.StatusOK, "GET", "/Users", nil).body["totalResults"])
	})
}

func TestConcurrentPatchesOfOneUserLoseNothing(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		id := c.createUser("busy@example.com", nil)["id"].(string)
		const n = 20
		statuses := parallel(n, func(i int) int {
			return c.do("PATCH", "/Users/"+id, patchBody(op("add", "emails", []any{map[string]any{"value": fmt.Sprintf("e%d@example.com", i)}}))).status
		})
		assert.Equal(t, n, count(statuses, http.StatusOK), "%v", statuses)
		u := c.must(http.StatusOK, "GET", "/Users/"+id, nil)
		assert.Len(t, u.body["emails"], n, "no lost update")
		assert.Equal(t, fmt.Sprintf(`W/"%d"`, n+1), u.header.Get("ETag"), "one version per change")
	})
}

// TestConcurrentConditionalWrites: writers that all hold the same ETag
// race; exactly one wins, the others get 412 (RFC 7644 §3.14).
func TestConcurrentConditionalWrites(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		r := c.must(http.StatusCreated, "POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "cas@example.com"})
		id, etag := r.body["id"].(string), r.header.Get("ETag")
		statuses := parallel(12, func(i int) int {
			return c.do("PUT", "/Users/"+id, map[string]any{"schemas": []string{userURN}, "userName": "cas@example.com", "title": fmt.Sprint("T", i)},
				"If-Match", etag).status
		})
		assert.Equal(t, 1, count(statuses, http.StatusOK), "%v", statuses)
		assert.Equal(t, 11, count(statuses, http.StatusPreconditionFailed), "%v", statuses)
	})
}

func TestConcurrentTenantsStayApart(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		as, _ := tenantServer(t, sk.open(t))
		statuses := parallel(20, func(i int) int {
			tenant := []string{"token-a", "token-b"}[i%2]
			return as(tenant)("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": fmt.Sprintf("u%d@example.com", i/2)}).status
		})
		assert.Equal(t, 20, count(statuses, http.StatusCreated), "the same userNames in two tenants never clash: %v", statuses)
		for _, token := range []string{"token-a", "token-b"} {
			r := as(token)("GET", "/Users", nil)
			require.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, float64(10), r.body["totalResults"])
		}
	})
}

// TestConcurrentMembershipIfMatch: membership-only PATCHes of one group
// (the delta path, which never loads the member list) check If-Match under
// the group's lock: of n PATCHes sent at once with the same If-Match,
// exactly one succeeds and the rest get 412 (on PostgreSQL every one
// succeeded). Without If-Match all succeed, and the audit records chain:
// each one's before-version is the version the one before it left, so
// none shows a version the group never had at that point.
func TestConcurrentMembershipIfMatch(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		audit := &memory.AuditLog{}
		c := sk.newClient(t, scim.Config{Audit: audit})
		const n = 12
		ids := make([]string, 2*n)
		for i := range ids {
			ids[i] = c.createUser(fmt.Sprintf("im%d@example.com", i), nil)["id"].(string)
		}
		created := c.createGroup("Guarded")
		g, etag := created["id"].(string), at(created, "meta", "version").(string)

		for _, remove := range []bool{false, true} {
			statuses := parallel(n, func(i int) int {
				o := op("add", "members", []any{map[string]any{"value": ids[i]}})
				if remove {
					o = op("remove", `members[value eq "`+ids[i]+`"]`, nil)
				}
				return c.do("PATCH", "/Groups/"+g, patchBody(o), "If-Match", etag).status
			})
			assert.Equal(t, 1, count(statuses, http.StatusNoContent), "remove=%v: %v", remove, statuses)
			assert.Equal(t, n-1, count(statuses, http.StatusPreconditionFailed), "remove=%v: %v", remove, statuses)
			if !remove {
				// Make every user a member, for the removals to race on.
				o := []any{}
				for _, id := range ids[:n] {
					o = append(o, map[string]any{"value": id})
				}
				c.must(http.StatusNoContent, "PATCH", "/Groups/"+g, patchBody(op("add", "members", o)))
			}
			etag = c.must(http.StatusOK, "GET", "/Groups/"+g, nil).header.Get("ETag")
		}

		statuses := parallel(n, func(i int) int {
			o := op("add", "members", []any{map[string]any{"value": ids[n+i]}})
			return c.do("PATCH", "/Groups/"+g, patchBody(o)).status
		})
		assert.Equal(t, n, count(statuses, http.StatusNoContent), "%v", statuses)
		recs, err := audit.AuditRecords(t.Context(), store.Scope{}, store.AuditQuery{ResourceID: g, Limit: 1000})
		require.NoError(t, err)
		versions := map[string]int{}
		for _, r := range recs {
			if r.Operation != "patch" || r.Status != http.StatusNoContent {
				continue
			}
			var before, after struct {
				Meta struct{ Version string } `json:"meta"`
			}
			require.NoError(t, json.Unmarshal(r.Before, &before))
			require.NoError(t, json.Unmarshal(r.After, &after))
			require.NotEqual(t, before.Meta.Version, after.Meta.Version)
			versions[before.Meta.Version]++
		}
		for v, k := range versions {
			assert.Equal(t, 1, k, "%d successful PATCHes claim the before-version %s", k, v)
		}
	})
}
