package filter

import (
	"encoding/json"

	"github.com/scimkit/scimkit/schema"
)

const (
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	testURN       = "urn:example:params:scim:schemas:extension:test:2.0:User"
)

// testExtension has the attribute types the standard schemas lack.
func testExtension() schema.Schema {
	return schema.Schema{
		ID: testURN,
		Attributes: []schema.Attribute{
			{Name: "level", Type: schema.Integer},
			{Name: "score", Type: schema.Decimal},
			{Name: "hired", Type: schema.DateTime},
			{Name: "vip", Type: schema.Boolean},
			{Name: "tags", MultiValued: true},
			{Name: "code", CaseExact: true},
			{Name: "lucky", Type: schema.Integer, MultiValued: true},
		},
	}
}

var (
	userOpt  = WithSchemas(schema.User(), schema.EnterpriseUser(), testExtension())
	groupOpt = WithSchemas(schema.Group())
)

func userDoc() map[string]any {
	return map[string]any{
		"id":          "2819c223-7f76-453a-919d-413861904646",
		"externalId":  "BJensen-Ext",
		"userName":    "bjensen@example.com",
		"displayName": "Babs Jensen",
		"nickName":    "Babs",
		"title":       "",
		"userType":    "Employee",
		"active":      true,
		"name": map[string]any{
			"familyName": "Jensen",
			"givenName":  "Barbara",
			"formatted":  "Ms. Barbara J Jensen, III",
		},
		"emails": []any{
			map[string]any{"value": "bjensen@example.com", "type": "work", "primary": true},
			map[string]any{"value": "babs@jensen.org", "type": "home"},
		},
		"phoneNumbers": []any{
			map[string]any{"value": "555-555-8377", "type": "work"},
		},
		"addresses": []any{},
		"roles":     []any{map[string]any{"value": "Admin", "primary": false}},
		"meta": map[string]any{
			"resourceType": "User",
			"created":      "2010-01-23T04:56:22.000Z",
			"lastModified": "2011-05-13T04:42:34.000Z",
			"version":      `W/"a330bc54f0671c9"`,
		},
		"groups": []any{
			map[string]any{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides", "type": "direct"},
		},
		enterpriseURN: map[string]any{
			"employeeNumber": "701984",
			"department":     "R&D",
			"costCenter":     "4130",
			"manager":        map[string]any{"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"},
		},
		testURN: map[string]any{
			"level": int64(7),
			"score": 3.75,
			"hired": "2015-06-01T09:00:00+02:00",
			"vip":   false,
			"tags":  []any{"alpha", "Beta"},
			"code":  "AbC",
			"lucky": []any{json.Number("3"), 7, float64(13)},
		},
	}
}

// minimalDoc has little more than a userName.
func minimalDoc() map[string]any {
	return map[string]any{
		"id":       "abc",
		"userName": "alice",
		"emails":   []any{},
		"meta":     map[string]any{"resourceType": "User", "created": "not a time"},
	}
}

func groupDoc() map[string]any {
	return map[string]any{
		"id":          "e9e30dba-f08f-4109-8486-d5c6a331660a",
		"displayName": "Tour Guides",
		"members": []any{
			map[string]any{"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen", "type": "User"},
			map[string]any{"value": "902c246b-6245-4190-8e05-00816be7344a", "type": "User"},
			map[string]any{"value": "fc348aa8-3835-40eb-a20b-c726e15c55b5", "display": "Admins", "type": "Group"},
		},
		"meta": map[string]any{"resourceType": "Group", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"},
	}
}

// looseDoc exercises value types without schemas.
func looseDoc() map[string]any {
	return map[string]any{
		"count":   json.Number("42"),
		"ratio":   0.5,
		"small":   int(3),
		"big":     int64(9007199254740993),
		"flag":    true,
		"nothing": nil,
		"empty":   map[string]any{},
		"list":    []any{"x", "Y", nil},
		"nested":  map[string]any{"deep": map[string]any{"x": 1}},
		"when":    "2020-02-29T12:00:00Z",
		"Mixed":   "Value",
		"odd":     []any{1, "1", true, map[string]any{"value": "v"}},
	}
}
