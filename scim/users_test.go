package scim_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
)

func fullUser() map[string]any {
	return map[string]any{
		"schemas":     []string{userURN, enterpriseURN},
		"userName":    "bjensen@example.com",
		"externalId":  "00u1",
		"name":        map[string]any{"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen"},
		"displayName": "Babs Jensen",
		"title":       "Tour Guide",
		"active":      true,
		"password":    "t1meMa$heen",
		"groups":      []any{},
		"emails": []any{
			map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
			map[string]any{"value": "babs@jensen.org", "type": "home"},
		},
		"phoneNumbers": []any{map[string]any{"value": "555-555-8377", "type": "work"}},
		enterpriseURN: map[string]any{
			"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios",
			"division": "Theme Park", "department": "Tour Operations",
			"manager": map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d"},
		},
	}
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		r := c.must(http.StatusCreated, "POST", "/Users", fullUser())
		u := r.body
		id, _ := u["id"].(string)
		require.Len(t, id, 36)
		assert.Equal(t, c.base+"/Users/"+id, r.header.Get("Location"))
		assert.Equal(t, r.header.Get("Location"), at(u, "meta", "location"))
		assert.Equal(t, r.header.Get("ETag"), at(u, "meta", "version"))
		assert.Equal(t, `W/"1"`, r.header.Get("ETag"))
		assert.Equal(t, "User", at(u, "meta", "resourceType"))
		assert.NotEmpty(t, at(u, "meta", "created"))
		assert.Equal(t, at(u, "meta", "created"), at(u, "meta", "lastModified"))
		assert.ElementsMatch(t, []any{userURN, enterpriseURN}, u["schemas"])
		assert.Equal(t, "bjensen@example.com", u["userName"])
		assert.Equal(t, "00u1", u["externalId"])
		assert.Equal(t, "Jensen", at(u, "name", "familyName"))
		assert.Equal(t, true, u["active"])
		assert.Equal(t, "work", at(u, "emails", 0, "type"))
		assert.Equal(t, true, at(u, "emails", 0, "primary"))
		for k, v := range fullUser()[enterpriseURN].(map[string]any) {
			assert.Equal(t, v, at(u, enterpriseURN, k), "enterprise %s round-trips", k)
		}
		assert.Equal(t, "26118915-6090-4610-87e4-49d8ca9f808d", at(u, enterpriseURN, "manager", "value"))
		assert.NotContains(t, u, "password", "password is write-only and never returned")
		assert.NotContains(t, u, "groups", "a user in no group has no groups attribute")

		got := c.must(http.StatusOK, "GET", "/Users/"+id, nil)
		assert.Equal(t, u, got.body)
		assert.Equal(t, `W/"1"`, got.header.Get("ETag"))
	})
}

func TestCreateUserAcceptsIdPQuirks(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		// Entra ID without the aadOptscim062020 flag: string booleans,
		// manager as a bare id, attribute names in any case; Okta: groups [].
		u := c.createUser("quirky@example.com", map[string]any{
			"Active":      "False",
			"DisplayName": "Q",
			"emails":      map[string]any{"value": "q@example.com", "primary": "True"},
			enterpriseURN: map[string]any{"manager": "mgr-1"},
		})
		assert.Equal(t, false, u["active"])
		assert.Equal(t, "Q", u["displayName"])
		assert.Equal(t, true, at(u, "emails", 0, "primary"))
		assert.Equal(t, "mgr-1", at(u, enterpriseURN, "manager", "value"))
	})
}

func TestCreateUserRejectsBadInput(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		cases := []struct {
			name     string
			body     string
			status   int
			scimType string
		}{
			{"malformed JSON", `{"schemas":["` + userURN + `"],"userName":`, 400, "invalidSyntax"},
			{"not an object", `["x"]`, 400, "invalidSyntax"},
			{"trailing data", `{"schemas":["` + userURN + `"],"userName":"a"} {}`, 400, "invalidSyntax"},
			{"empty body", ``, 400, "invalidSyntax"},
			{"no schemas", `{"userName":"a"}`, 400, "invalidSyntax"},
			{"wrong schema", `{"schemas":["` + groupURN + `"],"userName":"a"}`, 400, "invalidSyntax"},
			{"no userName", `{"schemas":["` + userURN + `"]}`, 400, "invalidValue"},
			{"empty userName", `{"schemas":["` + userURN + `"],"userName":" "}`, 400, "invalidValue"},
			{"userName not a string", `{"schemas":["` + userURN + `"],"userName":5}`, 400, "invalidValue"},
			{"active maybe", `{"schemas":["` + userURN + `"],"userName":"a","active":"maybe"}`, 400, "invalidValue"},
			{"name not an object", `{"schemas":["` + userURN + `"],"userName":"a","name":"x"}`, 400, "invalidValue"},
			{"enterprise not an object", `{"schemas":["` + userURN + `"],"userName":"a","` + enterpriseURN + `":"x"}`, 400, "invalidSyntax"},
			{"duplicate key", `{"schemas":["` + userURN + `"],"userName":"a","userName":"b"}`, 400, "invalidSyntax"},
			{"duplicate key in a nested object", `{"schemas":["` + userURN + `"],"userName":"a","name":{"givenName":"x","givenName":"y"}}`, 400, "invalidSyntax"},
			{"duplicate key in an array element", `{"schemas":["` + userURN + `"],"userName":"a","emails":[{"value":"x"},{"value":"y","value":"z"}]}`, 400, "invalidSyntax"},
			{"keys differing only in case", `{"schemas":["` + userURN + `"],"userName":"a","USERNAME":"b"}`, 400, "invalidSyntax"},
			{"invalid UTF-8", "{\"schemas\":[\"" + userURN + "\"],\"userName\":\"a\xff\"}", 400, "invalidSyntax"},
			{"too deeply nested", `{"schemas":["` + userURN + `"],"userName":"a","title":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, 400, "invalidSyntax"},
			{"too large", `{"schemas":["` + userURN + `"],"userName":"a","title":"` + strings.Repeat("x", 70000) + `"}`, 413, ""},
		}
		c := sk.newClient(t, scim.Config{MaxBodyBytes: 64 << 10})
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := c.do("POST", "/Users", tc.body)
				requireError(t, r, tc.status, tc.scimType)
			})
		}
		list := c.must(http.StatusOK, "GET", "/Users", nil)
		assert.Equal(t, float64(0), list.body["totalResults"], "no failed request may create anything")
	})
}

func TestDefaultBodyLimitIsOneMiB(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		big := `{"schemas":["` + userURN + `"],"userName":"a","title":"` + strings.Repeat("x", 1<<20) + `"}`
		requireError(t, c.do("POST", "/Users", big), http.StatusRequestEntityTooLarge, "")
		c.must(http.StatusCreated, "POST", "/Users", `{"schemas":["`+userURN+`"],"userName":"a","title":"`+strings.Repeat("x", 1<<19)+`"}`)
	})
}

func TestUserNameUniqueIgnoringCase(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		c.createUser("Alice@Example.com", nil)
		r := c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "alice@example.COM"})
		requireError(t, r, http.StatusConflict, "uniqueness")

		bob := c.createUser("bob@example.com", nil)
		r = c.do("PUT", "/Users/"+bob["id"].(string), map[string]any{"schemas": []string{userURN}, "userName": "ALICE@example.com"})
		requireError(t, r, http.StatusConflict, "uniqueness")
		r = c.do("PATCH", "/Users/"+bob["id"].(string), patchBody(op("replace", "userName", "ALICE@EXAMPLE.com")))
		requireError(t, r, http.StatusConflict, "uniqueness")
		r = c.do("PATCH", "/Users/"+bob["id"].(string), patchBody(op("replace", "", map[string]any{"userName": "alice@example.com"})))
		requireError(t, r, http.StatusConflict, "uniqueness")
		assert.Equal(t, "bob@example.com", c.must(200, "GET", "/Users/"+bob["id"].(string), nil).body["userName"])
		// Changing only the case of one's own userName is no conflict.
		c.must(http.StatusOK, "PATCH", "/Users/"+bob["id"].(string), patchBody(op("replace", "userName", "Bob@example.com")))
	})
}

func TestGetUnknownUser(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		for _, m := range []string{"GET", "PUT", "PATCH", "DELETE"} {
			var body any
			switch m {
			case "PUT":
				body = map[string]any{"schemas": []string{userURN}, "userName": "x"}
			case "PATCH":
				body = patchBody(map[string]any{"op": "replace", "path": "title", "value": "x"})
			}
			requireError(t, c.do(m, "/Users/does-not-exist", body), http.StatusNotFound, "")
		}
	})
}

func TestReplaceUser(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		created := c.must(http.StatusCreated, "POST", "/Users", fullUser()).body
		id := created["id"].(string)

		put := map[string]any{
			"schemas":  []string{userURN},
			"id":       "client-chosen-id-is-ignored",
			"userName": "bjensen@example.com",
			"name":     map[string]any{"givenName": "Barbara", "familyName": "Jensen-Smith"},
			"active":   false,
			"meta":     map[string]any{"version": `W/"99"`},
		}
		r := c.must(http.StatusOK, "PUT", "/Users/"+id, put)
		u := r.body
		assert.Equal(t, id, u["id"])
		assert.Equal(t, "Jensen-Smith", at(u, "name", "familyName"))
		assert.Nil(t, at(u, "name", "formatted"), "PUT replaces: omitted sub-attributes are cleared")
		assert.NotContains(t, u, "emails", "PUT replaces: omitted attributes are cleared")
		assert.NotContains(t, u, enterpriseURN)
		assert.Equal(t, false, u["active"])
		assert.Equal(t, `W/"2"`, r.header.Get("ETag"))
		assert.Equal(t, at(created, "meta", "created"), at(u, "meta", "created"))

		// The same PUT again changes nothing and keeps the version.
		r = c.must(http.StatusOK, "PUT", "/Users/"+id, put)
		assert.Equal(t, `W/"2"`, r.header.Get("ETag"))
	})
}

func TestETags(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		u := c.createUser("etag@example.com", nil)
		id := u["id"].(string)
		put := map[string]any{"schemas": []string{userURN}, "userName": "etag@example.com", "title": "x"}
		patch := patchBody(map[string]any{"op": "replace", "path": "title", "value": "y"})

		// If-None-Match on GET.
		r := c.do("GET", "/Users/"+id, nil, "If-None-Match", `W/"1"`)
		assert.Equal(t, http.StatusNotModified, r.status)
		assert.Empty(t, r.raw)
		assert.Equal(t, `W/"1"`, r.header.Get("ETag"))
		c.must(http.StatusOK, "GET", "/Users/"+id, nil, "If-None-Match", `W/"7"`)

		// Stale If-Match: 412 and nothing changes.
		requireError(t, c.do("PUT", "/Users/"+id, put, "If-Match", `W/"7"`), http.StatusPreconditionFailed, "")
		requireError(t, c.do("PATCH", "/Users/"+id, patch, "If-Match", `W/"7"`), http.StatusPreconditionFailed, "")
		requireError(t, c.do("DELETE", "/Users/"+id, nil, "If-Match", `W/"7"`), http.StatusPreconditionFailed, "")
		got := c.must(http.StatusOK, "GET", "/Users/"+id, nil)
		assert.NotContains(t, got.body, "title")
		assert.Equal(t, `W/"1"`, got.header.Get("ETag"))

		// Matching If-Match (weak or strong spelling, or in a list) succeeds.
		r = c.must(http.StatusOK, "PUT", "/Users/"+id, put, "If-Match", `"1"`)
		assert.Equal(t, `W/"2"`, r.header.Get("ETag"))
		c.must(http.StatusOK, "PATCH", "/Users/"+id, patch, "If-Match", `W/"9", W/"2"`)
		c.must(http.StatusNoContent, "DELETE", "/Users/"+id, nil, "If-Match", `*`)
	})
}

func TestDeleteUser(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		u := c.createUser("gone@example.com", nil)
		id := u["id"].(string)
		r := c.must(http.StatusNoContent, "DELETE", "/Users/"+id, nil)
		assert.Empty(t, r.raw)
		requireError(t, c.do("GET", "/Users/"+id, nil), http.StatusNotFound, "")
		requireError(t, c.do("DELETE", "/Users/"+id, nil), http.StatusNotFound, "")
		// The userName is free again.
		c.createUser("gone@example.com", nil)
	})
}

func TestRouting(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		requireError(t, c.do("GET", "/Nope", nil), http.StatusNotFound, "")
		requireError(t, c.do("GET", "/Users/a/b", nil), http.StatusNotFound, "")
		r := c.do("DELETE", "/Users", nil)
		requireError(t, r, http.StatusMethodNotAllowed, "")
		assert.Equal(t, "GET, HEAD, POST", r.header.Get("Allow"))
		requireError(t, c.do("POST", "/Users/x", "{}"), http.StatusMethodNotAllowed, "")
		requireError(t, c.do("GET", "/Users/.search", nil), http.StatusMethodNotAllowed, "")
		requireError(t, c.do("POST", "/ServiceProviderConfig", "{}"), http.StatusMethodNotAllowed, "")
		requireError(t, c.do("GET", "/Bulk", nil), http.StatusMethodNotAllowed, "")
		requireError(t, c.do("GET", "/Me", nil), http.StatusNotImplemented, "")
		// Trailing slashes and a repeated /v2 segment are tolerated.
		c.must(http.StatusOK, "GET", "/Users/", nil)
		c.must(http.StatusOK, "GET", "/v2/ServiceProviderConfig", nil)
	})
}

func TestNewHandlerValidatesConfig(t *testing.T) {
	t.Parallel()
	_, err := scim.NewHandler(scim.Config{})
	require.Error(t, err)
}

// The mount prefix in meta.location is found for escaped request paths too.
func TestLocationWithEscapedRequestPath(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		id := c.must(http.StatusCreated, "POST", "/Users", fullUser()).body["id"].(string)
		for _, path := range []string{"/Users/" + id, "/Users/" + strings.Replace(id, "-", "%2D", 1), "/Users/" + id + "?attributes=meta"} {
			r := c.must(http.StatusOK, "GET", path, nil)
			assert.Equal(t, c.base+"/Users/"+id, at(r.body, "meta", "location"), path)
		}
	})
}

// TestMultiValuedDuplicatesCollapse: a write that sends the same (type,
// value) twice in a multi-valued attribute stores it once (RFC 7643 §2.4),
// on POST, PUT, PATCH replace and add alike, comparing as the schema says
// (emails.value and type ignore case); a primary flag on a dropped copy
// stays with the kept one.
func TestMultiValuedDuplicatesCollapse(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		dup := []any{
			map[string]any{"type": "work", "value": "bjensen@example.com"},
			map[string]any{"type": "home", "value": "bjensen@example.com"},
			map[string]any{"type": "Work", "value": "BJensen@example.com", "primary": true},
			map[string]any{"type": "work", "value": "bjensen@example.com"},
		}
		want := []any{
			map[string]any{"type": "work", "value": "bjensen@example.com", "primary": true},
			map[string]any{"type": "home", "value": "bjensen@example.com"},
		}
		phones := []any{map[string]any{"value": "+1 555"}, map[string]any{"value": "+1 555"}}
		cases := []struct {
			name  string
			write func(c *client, id string) response
		}{
			{"POST", nil},
			{"PUT", func(c *client, id string) response {
				return c.do("PUT", "/Users/"+id, map[string]any{"schemas": []string{userURN}, "userName": "bjensen", "emails": dup, "phoneNumbers": phones})
			}},
			{"PATCH replace", func(c *client, id string) response {
				return c.do("PATCH", "/Users/"+id, patchBody(op("replace", "emails", dup), op("replace", "phoneNumbers", phones)))
			}},
			{"PATCH replace without path", func(c *client, id string) response {
				return c.do("PATCH", "/Users/"+id, patchBody(op("replace", "", map[string]any{"emails": dup, "phoneNumbers": phones})))
			}},
			{"PATCH add", func(c *client, id string) response {
				return c.do("PATCH", "/Users/"+id, patchBody(op("add", "emails", dup), op("add", "phoneNumbers", phones)))
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				c := sk.newClient(t, scim.Config{})
				var r response
				if tc.write == nil {
					r = c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "bjensen", "emails": dup, "phoneNumbers": phones})
				} else {
					id := c.createUser("bjensen", nil)["id"].(string)
					r = tc.write(c, id)
				}
				require.Less(t, r.status, 300, r.raw)
				got := c.must(http.StatusOK, "GET", "/Users/"+r.body["id"].(string), nil).body
				assert.Equal(t, want, got["emails"])
				assert.Equal(t, []any{map[string]any{"value": "+1 555"}}, got["phoneNumbers"])
			})
		}
	})
}

// TestIndexedValuesAreBounded: userName, externalId and displayName are
// what stores index, and a value over store.MaxKeyLen bytes gets the same
// 400 invalidValue naming the limit on every store (PostgreSQL answered
// 500, index row too large) and writes nothing; a value of exactly the
// limit, in characters whose lower case is longer, is stored.
func TestIndexedValuesAreBounded(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		long := incompressible(3000) // PostgreSQL compresses "aaa…" below its limit
		// Characters of 2 bytes, about half of them 3 bytes in lower case (Ⱥ
		// and Ⱦ), in an order PostgreSQL's compression cannot shorten much.
		var b strings.Builder
		for _, c := range incompressible(store.MaxKeyLen / 2) {
			switch {
			case c < '4':
				b.WriteRune('Ⱥ')
			case c < '8':
				b.WriteRune('Ⱦ')
			default:
				b.WriteRune(0x0400 + c) // Cyrillic
			}
		}
		atLimit := b.String()
		require.Len(t, atLimit, store.MaxKeyLen)
		c := sk.newClient(t, scim.Config{})
		uid := c.createUser("keep@example.com", nil)["id"].(string)
		gid := c.createGroup("Keep")["id"].(string)
		cases := []struct {
			name, method, path string
			body               any
		}{
			{"POST userName", "POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": long}},
			{"POST externalId", "POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "x", "externalId": long}},
			{"POST user displayName", "POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "x", "displayName": long}},
			{"POST group displayName", "POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": long}},
			{"POST group externalId", "POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "G", "externalId": long}},
			{"PUT userName", "PUT", "/Users/" + uid, map[string]any{"schemas": []string{userURN}, "userName": long}},
			{"PATCH userName", "PATCH", "/Users/" + uid, patchBody(op("replace", "userName", long))},
			{"PATCH externalId without path", "PATCH", "/Users/" + uid, patchBody(op("replace", "", map[string]any{"externalId": long}))},
			{"PATCH group displayName", "PATCH", "/Groups/" + gid, patchBody(op("replace", "displayName", long))},
			{"Bulk userName", "POST", "/Bulk", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
				"Operations": []any{map[string]any{"method": "POST", "path": "/Users", "bulkId": "1",
					"data": map[string]any{"schemas": []string{userURN}, "userName": long}}}}},
		}
		for _, tc := range cases {
			r := c.do(tc.method, tc.path, tc.body)
			if tc.path == "/Bulk" {
				require.Equal(t, http.StatusOK, r.status, r.raw)
				assert.Equal(t, "400", at(r.body, "Operations", 0, "status"), tc.name)
				assert.Contains(t, at(r.body, "Operations", 0, "response", "detail"), "1024 bytes", tc.name)
				continue
			}
			if !assert.Equal(t, http.StatusBadRequest, r.status, tc.name) {
				continue
			}
			requireError(t, r, http.StatusBadRequest, "invalidValue")
			assert.Contains(t, r.body["detail"], "1024 bytes", tc.name)
			assert.Less(t, len(r.raw), 500, "%s: the error does not echo the value", tc.name)
		}
		assert.Equal(t, float64(1), c.must(http.StatusOK, "GET", "/Users", nil).body["totalResults"], "nothing was written")
		assert.Equal(t, float64(1), c.must(http.StatusOK, "GET", "/Groups", nil).body["totalResults"])
		assert.Equal(t, "keep@example.com", c.must(http.StatusOK, "GET", "/Users/"+uid, nil).body["userName"])

		u := c.createUser(atLimit, map[string]any{"externalId": atLimit, "displayName": atLimit})
		got := c.must(http.StatusOK, "GET", `/Users?filter=userName+eq+"`+url.QueryEscape(strings.ToLower(atLimit))+`"`, nil).body
		assert.Equal(t, u["id"], at(got, "Resources", 0, "id"))
		c.createGroup(atLimit)

		// The limit is advertised with the attributes in /Schemas.
		for _, urn := range []string{userURN, groupURN} {
			for _, a := range c.must(http.StatusOK, "GET", "/Schemas/"+urn, nil).body["attributes"].([]any) {
				if name := a.(map[string]any)["name"]; name == "userName" || name == "displayName" {
					assert.Contains(t, a.(map[string]any)["description"], "At most 1024 bytes.", "%s %s", urn, name)
				}
			}
		}
	})
}

// incompressible returns n bytes of text that does not compress.
func incompressible(n int) string {
	var b strings.Builder
	for seed := sha256.Sum256(nil); b.Len() < n; seed = sha256.Sum256(seed[:]) {
		b.WriteString(hex.EncodeToString(seed[:]))
	}
	return b.String()[:n]
}
