package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTenantIsolationUnderHostileInputAndFaults: tenant A sends hostile
// requests aimed at tenant B's ids, makes its own requests fail in the
// store midway, and hammers its own group concurrently; B's directory is
// unchanged throughout and nothing of it appears in any answer A gets.
func TestTenantIsolationUnderHostileInputAndFaults(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		fs := &faultyStore{Store: sk.open(t)}
		as, _ := tenantServer(t, fs)
		doA, doB := as("token-a"), as("token-b")

		// B's directory, and what must never leak from it.
		const secretUser, secretGroup = "secret-b@globex.example", "Globex Secret Team"
		r := doB("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": secretUser, "externalId": "ext-b"})
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		bUser := r.body["id"].(string)
		r = doB("POST", "/Groups", groupData(secretGroup, bUser))
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		bGroup := r.body["id"].(string)
		snapshotB := func() string {
			return doB("GET", "/Users?sortBy=userName", nil).raw + doB("GET", "/Groups?sortBy=displayName", nil).raw
		}
		before := snapshotB()

		// A's own directory.
		r = doA("POST", "/Users", userData("a@acme.example"))
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		aUser := r.body["id"].(string)
		r = doA("POST", "/Groups", groupData("Acme", aUser))
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		aGroup := r.body["id"].(string)

		var answers []string
		record := func(r response) { answers = append(answers, r.raw) }
		longOr := strings.Repeat(`id eq "`+bUser+`" or `, 500) + `userName pr`
		hostile := []struct {
			method, path string
			body         any
		}{
			{"GET", "/Users/" + bUser, nil},
			{"GET", "/Users?filter=" + url.QueryEscape(`id eq "`+bUser+`" or externalId eq "ext-b"`), nil},
			{"GET", "/Users?filter=" + url.QueryEscape(longOr) + "&count=1000000000", nil},
			{"POST", "/.search", map[string]any{"schemas": []string{searchURN}, "filter": `userName eq "` + secretUser + `"`}},
			{"PUT", "/Users/" + bUser, map[string]any{"schemas": []string{userURN}, "userName": "pwned"}},
			{"PUT", "/Users/" + bUser, `{"schemas":["` + userURN + `"],"userName":"x` + "\xff" + `"}`},
			{"PATCH", "/Users/" + bUser, patchBody(op("replace", "active", "False"))},
			{"PATCH", "/Groups/" + bGroup, patchBody(op("remove", `members[value eq "`+bUser+`"]`, nil))},
			{"PATCH", "/Groups/" + aGroup, patchBody(op("add", "members", []any{map[string]any{"value": bUser}}))},
			{"PATCH", "/Groups/" + aGroup, patchBody(op("add", "members", []any{map[string]any{"value": bGroup}}))},
			{"PUT", "/Groups/" + bGroup, groupData("Taken over")},
			{"DELETE", "/Groups/" + bGroup, nil},
			{"DELETE", "/Users/" + bUser, nil},
			{"DELETE", "/Users/..%2F" + bUser, nil},
			{"POST", "/Bulk", bulk(0,
				bop("PATCH", "/Users/"+bUser, "", patchBody(op("replace", "title", "pwned"))),
				bop("DELETE", "/Groups/"+bGroup, "", nil),
				bop("POST", "/Groups", "x", groupData("Mixed", aUser, bUser)))},
			{"POST", "/Users", `{"schemas":["` + userURN + `"],"userName":"big","title":"` + strings.Repeat("x", 2<<20) + `"}`},
		}
		for _, hc := range hostile {
			r := doA(hc.method, hc.path, hc.body)
			assert.Less(t, r.status, 500, "%s %.80s: %s", hc.method, hc.path, short(r.raw))
			record(r)
		}

		// Faults in A's own writes, midway through the store transaction:
		// each request below reaches the armed method, fails with a 500 and
		// leaves nothing behind.
		r = doA("POST", "/Users", userData("a2@acme.example"))
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		aUser2 := r.body["id"].(string)
		for _, method := range []string{"Delete", "AddMembers", "RemoveMembers", "Replace"} {
			fs.method = method
			fs.armed.Store(true)
			if method == "Delete" {
				r = doA("DELETE", "/Users/"+aUser, nil)
			} else {
				r = doA("PATCH", "/Groups/"+aGroup, patchBody(op("replace", "displayName", "Renamed"),
					op("remove", `members[value eq "`+aUser+`"]`, nil), op("add", "members", []any{map[string]any{"value": aUser2}})))
			}
			fs.armed.Store(false)
			assert.Equal(t, http.StatusInternalServerError, r.status, "%s: %s", method, short(r.raw))
			record(r)
		}

		// A hammers its own group while B's is left alone.
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				v := doA("POST", "/Users", userData(fmt.Sprintf("c%d@acme.example", i)))
				if v.status == http.StatusCreated {
					id := v.body["id"].(string)
					doA("PATCH", "/Groups/"+aGroup, patchBody(op("add", "members", []any{map[string]any{"value": id}})))
					doA("PATCH", "/Groups/"+aGroup, patchBody(op("remove", `members[value eq "`+id+`"]`, nil)))
				}
			})
		}
		wg.Wait()

		assert.Equal(t, before, snapshotB(), "B's directory changed")
		for _, raw := range answers {
			assert.NotContains(t, raw, secretUser)
			assert.NotContains(t, raw, secretGroup)
			assert.NotContains(t, raw, "ext-b")
		}
		// And A's directory is intact and A's own.
		r = doA("GET", "/Groups/"+aGroup, nil)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, []string{aUser}, memberIDs(r.body))
		assert.Equal(t, "Acme", r.body["displayName"])
	})
}
