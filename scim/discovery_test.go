package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/scimkit/scimkit/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

const acmeURN = "urn:acme:params:scim:schemas:extension:acme:2.0:User"

func acmeExtension() schema.Schema {
	return schema.Schema{
		ID:          acmeURN,
		Name:        "AcmeUser",
		Description: "Acme's own user attributes",
		Attributes: []schema.Attribute{
			{Name: "badgeNumber", CaseExact: true},
			{Name: "clearance", Type: schema.Integer},
			{Name: "contractor", Type: schema.Boolean},
		},
	}
}

func TestServiceProviderConfig(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{MaxResults: 250, DocumentationURI: "https://docs.example.com/scim"})
		spc := c.must(http.StatusOK, "GET", "/ServiceProviderConfig", nil).body
		assert.Equal(t, []any{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}, spc["schemas"])
		assert.Equal(t, true, at(spc, "patch", "supported"))
		assert.Equal(t, true, at(spc, "filter", "supported"))
		assert.Equal(t, float64(250), at(spc, "filter", "maxResults"))
		assert.Equal(t, true, at(spc, "sort", "supported"))
		assert.Equal(t, true, at(spc, "etag", "supported"))
		assert.Equal(t, true, at(spc, "bulk", "supported"))
		assert.Equal(t, float64(scim.DefaultBulkMaxOperations), at(spc, "bulk", "maxOperations"))
		assert.Equal(t, float64(scim.DefaultBulkMaxPayloadBytes), at(spc, "bulk", "maxPayloadSize"))
		assert.Equal(t, false, at(spc, "changePassword", "supported"))
		assert.Equal(t, "https://docs.example.com/scim", spc["documentationUri"])
		assert.Equal(t, "oauthbearertoken", at(spc, "authenticationSchemes", 0, "type"))
	})
}

func TestSchemasAndResourceTypes(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{UserExtensions: []schema.Schema{acmeExtension()}})
		list := c.must(http.StatusOK, "GET", "/Schemas", nil).body
		var got []string
		for _, s := range list["Resources"].([]any) {
			got = append(got, s.(map[string]any)["id"].(string))
		}
		assert.Equal(t, []string{userURN, groupURN, enterpriseURN, acmeURN}, got)
		assert.Equal(t, float64(4), list["totalResults"])

		user := c.must(http.StatusOK, "GET", "/Schemas/"+userURN, nil).body
		assert.Equal(t, "User", user["name"])
		assert.Equal(t, c.base+"/Schemas/"+userURN, at(user, "meta", "location"))
		var names []string
		for _, a := range user["attributes"].([]any) {
			names = append(names, a.(map[string]any)["name"].(string))
		}
		assert.Contains(t, names, "userName")
		assert.Contains(t, names, "emails")
		acme := c.must(http.StatusOK, "GET", "/Schemas/"+acmeURN, nil).body
		assert.Equal(t, "badgeNumber", at(acme, "attributes", 0, "name"))
		requireError(t, c.do("GET", "/Schemas/urn:nope", nil), http.StatusNotFound, "")

		rts := c.must(http.StatusOK, "GET", "/ResourceTypes", nil).body
		require.Len(t, rts["Resources"], 2)
		u := c.must(http.StatusOK, "GET", "/ResourceTypes/User", nil).body
		assert.Equal(t, "/Users", u["endpoint"])
		assert.Equal(t, userURN, u["schema"])
		assert.Equal(t, []any{
			map[string]any{"schema": enterpriseURN, "required": false},
			map[string]any{"schema": acmeURN, "required": false},
		}, u["schemaExtensions"])
		g := c.must(http.StatusOK, "GET", "/ResourceTypes/Group", nil).body
		assert.Equal(t, []any{}, g["schemaExtensions"])
		requireError(t, c.do("GET", "/ResourceTypes/Device", nil), http.StatusNotFound, "")
	})
}

func TestCustomExtension(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{UserExtensions: []schema.Schema{acmeExtension()}})
		u := c.createUser("x@example.com", map[string]any{acmeURN: map[string]any{"badgeNumber": "B-7", "clearance": 3, "contractor": "True"}})
		id := u["id"].(string)
		assert.Contains(t, u["schemas"], acmeURN)
		assert.Equal(t, map[string]any{"badgeNumber": "B-7", "clearance": float64(3), "contractor": true}, u[acmeURN])

		body := list(c, q("filter", acmeURN+`:clearance ge 2`))
		assert.Equal(t, []string{id}, ids(body["Resources"]))
		body = list(c, q("filter", acmeURN+`:badgeNumber eq "b-7"`))
		assert.Empty(t, body["Resources"], "badgeNumber is caseExact")

		r := c.must(http.StatusOK, "PATCH", "/Users/"+id, patchBody(op("replace", acmeURN+":clearance", 5)))
		assert.Equal(t, float64(5), at(r.body, acmeURN, "clearance"))
		requireError(t, c.do("PATCH", "/Users/"+id, patchBody(op("replace", acmeURN+":clearance", "high"))), http.StatusBadRequest, "invalidValue")

		_, err := scim.NewHandler(scim.Config{Store: nil})
		require.Error(t, err)
	})
}

func TestNewHandlerRejectsBadExtensions(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{})
		_ = c
		ext := acmeExtension()
		_, err := scim.NewHandler(scim.Config{Store: memory.New(), UserExtensions: []schema.Schema{ext, ext}})
		require.Error(t, err)
		ext.ID = "not-a-urn"
		_, err = scim.NewHandler(scim.Config{Store: memory.New(), UserExtensions: []schema.Schema{ext}})
		require.Error(t, err)
		// A declaration the validator would have panicked on is an error.
		bad := schema.Schema{ID: "urn:acme:bad", Attributes: []schema.Attribute{{Name: "no spaces"}}}
		_, err = scim.NewHandler(scim.Config{Store: memory.New(), GroupExtensions: []schema.Schema{bad}})
		require.ErrorContains(t, err, "invalid attribute name")
	})
}

// /Schemas says what the handler enforces: Group displayName is unique
// exactly when Config.UniqueGroupDisplayName makes it so.
func TestSchemasTellGroupNameUniqueness(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		for _, unique := range []bool{false, true} {
			c := sk.newClient(t, scim.Config{UniqueGroupDisplayName: unique})
			g := c.must(http.StatusOK, "GET", "/Schemas/"+groupURN, nil).body
			var got any
			for _, a := range g["attributes"].([]any) {
				if a.(map[string]any)["name"] == "displayName" {
					got = a.(map[string]any)["uniqueness"]
				}
			}
			want, status := "none", http.StatusCreated
			if unique {
				want, status = "server", http.StatusConflict
			}
			assert.Equal(t, want, got)
			c.must(http.StatusCreated, "POST", "/Groups", groupData("Team"))
			c.must(status, "POST", "/Groups", groupData("TEAM"))
			// userName is always unique.
			u := c.must(http.StatusOK, "GET", "/Schemas/"+userURN, nil).body
			assert.Equal(t, "server", at(u, "attributes", 0, "uniqueness"))
		}
	})
}

const acmeGroupURN = "urn:acme:params:scim:schemas:extension:2.0:Group"

func acmeGroupExtension() schema.Schema {
	return schema.Schema{
		ID:   acmeGroupURN,
		Name: "AcmeGroup",
		Attributes: []schema.Attribute{
			{Name: "costCode"},
			{Name: "private", Type: schema.Boolean},
		},
	}
}

// A host app's own Group extension is stored, returned, filtered,
// patched, validated and described like the built-in schemas.
func TestGroupExtension(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{GroupExtensions: []schema.Schema{acmeGroupExtension()}})
		rt := c.must(http.StatusOK, "GET", "/ResourceTypes/Group", nil).body
		assert.Equal(t, []any{map[string]any{"schema": acmeGroupURN, "required": false}}, rt["schemaExtensions"])
		s := c.must(http.StatusOK, "GET", "/Schemas/"+acmeGroupURN, nil).body
		assert.Equal(t, "costCode", at(s, "attributes", 0, "name"))

		body := groupData("Finance")
		body["schemas"] = []string{groupURN, acmeGroupURN}
		body[acmeGroupURN] = map[string]any{"costCode": "CC-7", "private": true}
		g := c.must(http.StatusCreated, "POST", "/Groups", body).body
		id := g["id"].(string)
		assert.ElementsMatch(t, []any{groupURN, acmeGroupURN}, g["schemas"])
		assert.Equal(t, "CC-7", at(g, acmeGroupURN, "costCode"))
		assert.Equal(t, true, at(g, acmeGroupURN, "private"))
		c.must(http.StatusCreated, "POST", "/Groups", groupData("Other"))

		list := c.must(http.StatusOK, "GET", "/Groups?filter="+url.QueryEscape(acmeGroupURN+`:costCode eq "cc-7"`), nil).body
		assert.Equal(t, float64(1), list["totalResults"])
		assert.Equal(t, id, at(list, "Resources", 0, "id"))

		c.must(http.StatusNoContent, "PATCH", "/Groups/"+id, patchBody(op("replace", acmeGroupURN+":private", false)))
		assert.Equal(t, false, at(c.must(http.StatusOK, "GET", "/Groups/"+id, nil).body, acmeGroupURN, "private"))

		bad := groupData("Bad")
		bad[acmeGroupURN] = map[string]any{"private": "perhaps"}
		requireError(t, c.do("POST", "/Groups", bad), http.StatusBadRequest, "invalidValue")

		// PUT without the extension removes it.
		put := c.must(http.StatusOK, "PUT", "/Groups/"+id, groupData("Finance")).body
		assert.NotContains(t, put, acmeGroupURN)
		assert.Equal(t, []any{groupURN}, put["schemas"])
	})
}

// TestDiscoveryOmitsUnsetAttributes: an attribute without a value is left
// out of a response (RFC 7643 §2.5), never sent as "" (a documentationUri
// the host app did not set was).
func TestDiscoveryOmitsUnsetAttributes(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		c := sk.newClient(t, scim.Config{UserExtensions: []schema.Schema{acmeExtension()}})
		spc := c.must(http.StatusOK, "GET", "/ServiceProviderConfig", nil).body
		assert.NotContains(t, spc, "documentationUri")
		for _, path := range []string{"/ServiceProviderConfig", "/Schemas", "/ResourceTypes"} {
			body := c.must(http.StatusOK, "GET", path, nil).body
			assert.Empty(t, emptyStrings("", body), "%s has attributes set to \"\"", path)
		}
	})
}

// emptyStrings returns the paths in v whose value is "".
func emptyStrings(path string, v any) []string {
	var out []string
	switch t := v.(type) {
	case string:
		if t == "" {
			out = append(out, path)
		}
	case map[string]any:
		for k, e := range t {
			out = append(out, emptyStrings(path+"."+k, e)...)
		}
	case []any:
		for i, e := range t {
			out = append(out, emptyStrings(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
	}
	return out
}
