package schema_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/schema"
)

func TestBuiltInSchemas(t *testing.T) {
	t.Parallel()
	u := schema.User()
	assert.Equal(t, "urn:ietf:params:scim:schemas:core:2.0:User", u.ID)
	byName := map[string]schema.Attribute{}
	for _, a := range u.Attributes {
		byName[a.Name] = a
	}
	assert.Equal(t, schema.Server, byName["userName"].Uniqueness)
	assert.True(t, byName["userName"].Required)
	assert.Equal(t, schema.Boolean, byName["active"].Type)
	assert.Equal(t, schema.Complex, byName["emails"].Type)
	assert.True(t, byName["emails"].MultiValued)
	assert.NotEmpty(t, byName["emails"].SubAttributes)
	assert.Equal(t, schema.WriteOnly, byName["password"].Mutability)
	assert.Equal(t, schema.Never, byName["password"].Returned)
	for _, s := range []schema.Schema{schema.User(), schema.Group(), schema.EnterpriseUser()} {
		assert.NoError(t, s.Validate(), s.ID)
	}
	var common []string
	for _, a := range schema.Common() {
		common = append(common, a.Name)
	}
	assert.Equal(t, []string{"schemas", "id", "externalId", "meta"}, common)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := schema.Attribute{Name: "badge"}
	for _, tc := range []struct {
		name string
		s    schema.Schema
		err  string
	}{
		{"fine", schema.Schema{ID: "urn:x", Attributes: []schema.Attribute{ok, {Name: "level", Type: schema.Integer}}}, ""},
		{"not a URN", schema.Schema{ID: "acme", Attributes: []schema.Attribute{ok}}, "not a URN"},
		{"bad name", schema.Schema{ID: "urn:x", Attributes: []schema.Attribute{{Name: "1st"}}}, "invalid attribute name"},
		{"repeated name", schema.Schema{ID: "urn:x", Attributes: []schema.Attribute{ok, {Name: "BADGE"}}}, "declared twice"},
		{"unknown type", schema.Schema{ID: "urn:x", Attributes: []schema.Attribute{{Name: "a", Type: "money"}}}, "unknown type"},
		{"complex without subs", schema.Schema{ID: "urn:x", Attributes: []schema.Attribute{{Name: "a", Type: schema.Complex}}}, "no sub-attributes"},
		{"nested complex", schema.Schema{ID: "urn:x", Attributes: []schema.Attribute{{Name: "a", Type: schema.Complex,
			SubAttributes: []schema.Attribute{{Name: "b", Type: schema.Complex, SubAttributes: []schema.Attribute{ok}}}}}}, "is complex"},
		{"subs on a simple attribute", schema.Schema{ID: "urn:x", Attributes: []schema.Attribute{{Name: "a", SubAttributes: []schema.Attribute{ok}}}}, "not complex"},
		{"unknown mutability", schema.Schema{ID: "urn:x", Attributes: []schema.Attribute{{Name: "a", Mutability: "sometimes"}}}, "mutability"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.s.Validate()
			if tc.err == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestJSONIsRFC7643(t *testing.T) {
	t.Parallel()
	s := schema.Schema{ID: "urn:x", Attributes: []schema.Attribute{{Name: "badge", CaseExact: true}}}.WithDefaults()
	raw, err := json.Marshal(s)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"urn:x","attributes":[{"name":"badge","type":"string","multiValued":false,"required":false,
		"caseExact":true,"mutability":"readWrite","returned":"default","uniqueness":"none"}]}`, string(raw))
}
