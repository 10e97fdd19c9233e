package scim_test

// Hostile paths and filters: every path and filter a client sends (list
// and search filters, sortBy, attributes and excludedAttributes, PATCH
// paths, also inside Bulk) is parsed by package filter under one set of
// limits. Too long an input is refused before any parsing, and the error
// quotes at most a short prefix of it.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
)

// parseCap is how long one request with a rejected ~900 KB path or filter
// may take. Refusing it costs about as much as reading the body (well
// under 100 ms, a few hundred under the race detector); parsing it with
// filter-parser took seconds, ten times that under the race detector.
const parseCap = time.Second * raceSlowdown / 3

// maxDetail bounds the "detail" of the error for a hostile path or filter.
const maxDetail = 300

func TestHostileParseIsBounded(t *testing.T) {
	everyStoreInTurn(t, func(t *testing.T, sk storeKind) {
		const big = 900 << 10
		long := strings.Repeat("a", big)
		dotted := strings.Repeat("a.", big/2) // no attribute path the fast path takes
		under := strings.Repeat("x", 4000)    // within the default length limit
		patch := func(path string) string {
			return patchJSON(`{"op":"replace","path":"` + path + `","value":"x"}`)
		}
		bulkPatch := func(path string) string {
			return `{"schemas":["` + bulkURN + `"],"Operations":[{"method":"PATCH","path":"/Users/{alice}","data":` + patch(path) + `}]}`
		}
		for _, tc := range []struct {
			name         string
			method, path string
			body         any
			scimType     string
			bulk         bool // the answer is a Bulk response whose only operation failed
		}{
			{name: "patch/900 KB path the fast path declines", method: "PATCH", path: "/Users/{alice}",
				body: patch(`emails[type eq \"work\" and value eq \"` + long + `\"]`), scimType: "invalidPath"},
			{name: "patch/900 KB dotted path", method: "PATCH", path: "/Users/{alice}", body: patch(dotted), scimType: "invalidPath"},
			{name: "patch/900 KB attribute name", method: "PATCH", path: "/Users/{alice}", body: patch(long), scimType: "invalidPath"},
			{name: "patch/4 KB attribute name within the limit", method: "PATCH", path: "/Users/{alice}", body: patch(under), scimType: "invalidPath"},
			{name: "patch/900 KB value filter on a group's members", method: "PATCH", path: "/Groups/{staff}",
				body: patchJSON(`{"op":"remove","path":"members[value eq \"` + long + `\"]"}`), scimType: "invalidPath"},
			{name: "bulk/900 KB PATCH path", method: "POST", path: "/Bulk", body: bulkPatch(dotted), scimType: "invalidPath", bulk: true},
			{name: "bulk/900 KB resource path", method: "POST", path: "/Bulk",
				body:     `{"schemas":["` + bulkURN + `"],"Operations":[{"method":"DELETE","path":"/` + long + `"}]}`,
				scimType: "invalidPath", bulk: true},
			{name: "filter/900 KB in a search body", method: "POST", path: "/Users/.search",
				body: map[string]any{"filter": "userName eq " + long}, scimType: "invalidFilter"},
			{name: "filter/4 KB token within the limit", method: "GET", path: "/Users?filter=" + urlq("userName eq "+under), scimType: "invalidFilter"},
			{name: "filter/4 KB unknown attribute within the limit", method: "GET", path: "/Users?filter=" + urlq(under+" pr"), scimType: "invalidFilter"},
			{name: "sortBy/900 KB", method: "GET", path: "/Users?sortBy=" + long, scimType: "invalidValue"},
			{name: "sortBy/900 KB dotted", method: "GET", path: "/Users?sortBy=" + dotted, scimType: "invalidValue"},
			{name: "sortBy/900 KB in a root search body", method: "POST", path: "/.search",
				body: map[string]any{"sortBy": dotted}, scimType: "invalidValue"},
			{name: "sortBy/4 KB unknown attribute within the limit", method: "GET", path: "/Users?sortBy=" + under, scimType: "invalidValue"},
			{name: "attributes/900 KB name", method: "GET", path: "/Users?attributes=" + long, scimType: "invalidValue"},
			{name: "attributes/900 KB dotted name on one user", method: "GET", path: "/Users/{alice}?attributes=" + dotted, scimType: "invalidValue"},
			{name: "excludedAttributes/900 KB name", method: "GET", path: "/Groups?excludedAttributes=" + long, scimType: "invalidValue"},
			{name: "attributes/900 KB name in a search body", method: "POST", path: "/.search",
				body: map[string]any{"attributes": []string{"userName", long}}, scimType: "invalidValue"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := sk.newHostileEnv(t, scim.Config{})
				before := e.snapshot()
				start := time.Now()
				r := e.send(tc.method, tc.path, tc.body)
				elapsed := time.Since(start)
				assert.Less(t, elapsed, parseCap, "%s %.100s took %v", tc.method, tc.path, elapsed)
				errBody := r.body
				if tc.bulk {
					require.Equal(t, http.StatusOK, r.status, short(r.raw))
					assert.Equal(t, "400", at(r.body, "Operations", 0, "status"), short(r.raw))
					errBody, _ = at(r.body, "Operations", 0, "response").(map[string]any)
					assert.Equal(t, tc.scimType, errBody["scimType"], short(r.raw))
				} else {
					requireSCIMError(t, r, http.StatusBadRequest, tc.scimType)
				}
				detail, _ := errBody["detail"].(string)
				t.Logf("%v: %s", elapsed, short(detail))
				assert.NotEmpty(t, detail)
				assert.Less(t, len(detail), maxDetail, "detail: %s", short(detail))
				assert.Equal(t, before, e.snapshot(), "a rejected request changed users or groups")
			})
		}
	})
}

// TestHostileFilterInAttributes: attributes and excludedAttributes name
// attributes; a value filter there is refused with 400 invalidValue rather
// than silently ignored, before anything is written.
func TestHostileFilterInAttributes(t *testing.T) {
	everyStoreInTurn(t, func(t *testing.T, sk storeKind) {
		const filtered = `emails[type eq "work"]`
		detailSays := func(param string) func(t *testing.T, e *hostileEnv, r response) {
			return func(t *testing.T, e *hostileEnv, r response) {
				detail, _ := r.body["detail"].(string)
				t.Log(detail)
				assert.Contains(t, detail, param, detail)
				assert.Contains(t, detail, "value filter", detail)
				assert.Less(t, len(detail), maxDetail, detail)
			}
		}
		runHostile(t, sk, []hostileCase{
			{name: "attributes on a list", method: "GET", path: "/Users?attributes=" + urlq(filtered),
				status: 400, scimType: "invalidValue", check: detailSays("attributes")},
			{name: "attributes with a sub-attribute", method: "GET", path: "/Users?attributes=userName," + urlq(filtered+".value"),
				status: 400, scimType: "invalidValue", check: detailSays("attributes")},
			{name: "excludedAttributes on a list", method: "GET", path: "/Users?excludedAttributes=" + urlq(filtered),
				status: 400, scimType: "invalidValue", check: detailSays("excludedAttributes")},
			{name: "attributes on one user", method: "GET", path: "/Users/{alice}?attributes=" + urlq(filtered),
				status: 400, scimType: "invalidValue", check: detailSays("attributes")},
			{name: "attributes on a root query", method: "GET", path: "/?attributes=" + urlq(filtered),
				status: 400, scimType: "invalidValue", check: detailSays("attributes")},
			{name: "attributes in a search body", method: "POST", path: "/Users/.search",
				body:   map[string]any{"schemas": []string{searchURN}, "attributes": []string{"userName", filtered}},
				status: 400, scimType: "invalidValue", check: detailSays("attributes")},
			{name: "excludedAttributes in a root search body", method: "POST", path: "/.search",
				body:   map[string]any{"schemas": []string{searchURN}, "excludedAttributes": []string{filtered}},
				status: 400, scimType: "invalidValue", check: detailSays("excludedAttributes")},
			{name: "attributes on a PATCH is refused before the write", method: "PATCH", path: "/Users/{alice}?attributes=" + urlq(filtered),
				body: patchJSON(`{"op":"replace","path":"title","value":"Boss"}`), status: 400, scimType: "invalidValue", check: detailSays("attributes")},
			{name: "attributes on a POST is refused before the write", method: "POST", path: "/Users?attributes=" + urlq(filtered),
				body: userJSON(""), status: 400, scimType: "invalidValue", check: detailSays("attributes")},
			{name: "plain attributes still work", method: "GET", path: "/Users/{alice}?attributes=emails.value,name", status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, "alice@example.com", at(r.body, "emails", 0, "value"))
					assert.Nil(t, r.body["userName"])
				}},
		})
	})
}
