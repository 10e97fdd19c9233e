package scim_test

// Regression tests from an adversarial review: black-box HTTP checks of RFC 7643/7644 behaviour and of what
// Entra ID and Okta send.

import (
	"net/http"
	"testing"

	"github.com/scimkit/scimkit/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
)

const rvExtURN = "urn:example:params:scim:schemas:extension:review:2.0:User"

func rvExtension() schema.Schema {
	return schema.Schema{
		ID:   rvExtURN,
		Name: "ReviewUser",
		Attributes: []schema.Attribute{
			{Name: "badge", Mutability: schema.Immutable},
			{Name: "serverSet", Mutability: schema.ReadOnly},
			{Name: "level", Type: schema.Integer},
		},
	}
}

func TestReviewPatchRemoveMembersWithoutValueRemovesAll(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		u1 := c.createUser("a@example.com", nil)["id"].(string)
		u2 := c.createUser("b@example.com", nil)["id"].(string)
		g := c.createGroup("G", u1, u2)["id"].(string)
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+g, patchBody(op("remove", "members", nil)))
		got := c.must(http.StatusOK, "GET", "/Groups/"+g, nil).body
		assert.Empty(t, memberIDs(got), "RFC 7644 §3.5.2.2: remove of a multi-valued attribute without filter removes all values")
	})
}

func TestReviewPatchPrimaryTrueUnsetsOthers(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		id := c.createUser("p@example.com", map[string]any{
			"emails": []any{map[string]any{"value": "p@example.com", "type": "work", "primary": true}},
		})["id"].(string)
		u := c.must(http.StatusOK, "PATCH", "/Users/"+id, patchBody(op("add", "emails",
			[]any{map[string]any{"value": "p@home.example", "type": "home", "primary": true}}))).body
		primaries := 0
		for _, e := range u["emails"].([]any) {
			if e.(map[string]any)["primary"] == true {
				primaries++
			}
		}
		assert.Equal(t, 1, primaries, "RFC 7644 §3.5.2: setting primary true SHALL set primary false on the other values: %v", u["emails"])
	})
}

func TestReviewPatchImmutableExtensionAttribute(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{UserExtensions: []schema.Schema{rvExtension()}})
		id := c.createUser("imm@example.com", map[string]any{rvExtURN: map[string]any{"badge": "B1"}})["id"].(string)
		r := c.do("PATCH", "/Users/"+id, patchBody(op("replace", rvExtURN+":badge", "B2")))
		requireError(t, r, http.StatusBadRequest, "mutability")
		u := c.must(http.StatusOK, "GET", "/Users/"+id, nil).body
		assert.Equal(t, "B1", at(u, rvExtURN, "badge"), "RFC 7643 §7: immutable attributes SHALL NOT be updated")
	})
}

func TestReviewPutImmutableExtensionAttribute(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{UserExtensions: []schema.Schema{rvExtension()}})
		id := c.createUser("imm2@example.com", map[string]any{rvExtURN: map[string]any{"badge": "B1"}})["id"].(string)
		r := c.do("PUT", "/Users/"+id, map[string]any{"schemas": []string{userURN}, "userName": "imm2@example.com",
			rvExtURN: map[string]any{"badge": "B2"}})
		requireError(t, r, http.StatusBadRequest, "mutability")
	})
}

func TestReviewCreateAttributeNamesCaseInsensitive(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		r := c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "UserName": "caps@example.com", "DisplayName": "Caps"})
		require.Equal(t, http.StatusCreated, r.status, "RFC 7643 §2.1: attribute names are case-insensitive: %s", r.raw)
		assert.Equal(t, "caps@example.com", r.body["userName"])
		r = c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "DISPLAYNAME": "Caps group"})
		require.Equal(t, http.StatusCreated, r.status, r.raw)
	})
}

func TestReviewReplaceAttributeNamesCaseInsensitive(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		id := c.createUser("put@example.com", nil)["id"].(string)
		r := c.do("PUT", "/Users/"+id, map[string]any{"schemas": []string{userURN}, "USERNAME": "put2@example.com"})
		require.Equal(t, http.StatusOK, r.status, "RFC 7643 §2.1: attribute names are case-insensitive: %s", r.raw)
		assert.Equal(t, "put2@example.com", r.body["userName"])
	})
}

func TestReviewTwoPrimaryValuesOnCreate(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		r := c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "pp@example.com",
			"emails": []any{
				map[string]any{"value": "a@example.com", "primary": true},
				map[string]any{"value": "b@example.com", "primary": true},
			}})
		if r.status == http.StatusCreated {
			n := 0
			for _, e := range r.body["emails"].([]any) {
				if e.(map[string]any)["primary"] == true {
					n++
				}
			}
			assert.LessOrEqual(t, n, 1, "RFC 7643 §2.4: primary true MUST appear no more than once: %s", r.raw)
			return
		}
		requireError(t, r, http.StatusBadRequest, "invalidValue")
	})
}

func TestReviewHeadOnResources(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		id := c.createUser("head@example.com", nil)["id"].(string)
		r := c.do("HEAD", "/Users/"+id, nil)
		assert.Equal(t, http.StatusOK, r.status, "RFC 9110 §9.3.2: HEAD is GET without a body")
		r = c.do("HEAD", "/Users", nil)
		assert.Equal(t, http.StatusOK, r.status, "RFC 9110 §9.3.2: HEAD is GET without a body")
	})
}

func TestReviewIfNoneMatchStarOnWrite(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		created := c.must(http.StatusCreated, "POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "inm@example.com"})
		id := created.body["id"].(string)
		r := c.do("PUT", "/Users/"+id, map[string]any{"schemas": []string{userURN}, "userName": "inm2@example.com"}, "If-None-Match", "*")
		assert.Equal(t, http.StatusPreconditionFailed, r.status, "RFC 7232 §3.2: If-None-Match * on an existing resource fails a PUT")
		r = c.do("PATCH", "/Users/"+id, patchBody(op("replace", "title", "x")), "If-None-Match", created.header.Get("ETag"))
		assert.Equal(t, http.StatusPreconditionFailed, r.status, "RFC 7232 §3.2: matching If-None-Match on a PATCH must fail with 412")
	})
}

func TestReviewIfMatchOnGet(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		id := c.createUser("img@example.com", nil)["id"].(string)
		r := c.do("GET", "/Users/"+id, nil, "If-Match", `W/"999"`)
		assert.Equal(t, http.StatusPreconditionFailed, r.status, "RFC 7232 §3.1: a false If-Match condition on GET answers 412")
	})
}

func TestReviewHugeStartIndex(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		seed(c)
		r := c.do("GET", "/Users?startIndex=99999999999999999999", nil)
		require.Equal(t, http.StatusOK, r.status, "a start index past the end is an empty page (RFC 7644 §3.4.2.4): %s", r.raw)
		assert.Equal(t, []any{}, r.body["Resources"])
		r = c.do("GET", "/Users?startIndex=-99999999999999999999", nil)
		require.Equal(t, http.StatusOK, r.status, "RFC 7644 §3.4.2.4: a startIndex below 1 SHALL be interpreted as 1: %s", r.raw)
	})
}
func TestReviewUserETagChangesWhenGroupsChange(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		uid := c.createUser("etag@example.com", nil)["id"].(string)
		before := c.must(http.StatusOK, "GET", "/Users/"+uid, nil)
		etag := before.header.Get("ETag")
		c.createGroup("Staff", uid)
		r := c.do("GET", "/Users/"+uid, nil, "If-None-Match", etag)
		assert.Equal(t, http.StatusOK, r.status, "the representation gained a group, so the old ETag must not yield 304")
		assert.NotEqual(t, etag, r.header.Get("ETag"), "RFC 7232 §2.3 / RFC 7644 §3.14: version must change when the resource changes")
	})
}

func TestReviewGroupETagChangesWhenMemberRenamed(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		uid := c.createUser("ren@example.com", map[string]any{"displayName": "Old"})["id"].(string)
		gid := c.createGroup("G", uid)["id"].(string)
		g := c.must(http.StatusOK, "GET", "/Groups/"+gid, nil)
		require.Equal(t, "Old", at(g.body, "members", 0, "display"))
		c.must(http.StatusOK, "PATCH", "/Users/"+uid, patchBody(op("replace", "displayName", "New")))
		r := c.do("GET", "/Groups/"+gid, nil, "If-None-Match", g.header.Get("ETag"))
		assert.Equal(t, http.StatusOK, r.status, "members[].display changed, so the old ETag must not yield 304")
	})
}
