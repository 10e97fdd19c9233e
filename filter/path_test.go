package filter

import (
	"encoding/json"
	"sort"
	"testing"

	filterparser "github.com/scim2/filter-parser/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEqualities(t *testing.T) {
	t.Parallel()
	cases := []struct {
		filter string
		opt    Option
		attr   string
		values []string
		ok     bool
	}{
		{`userName eq "bjensen"`, userOpt, "userName", []string{"bjensen"}, true},
		{`USERNAME eq "BJensen"`, userOpt, "userName", []string{"BJensen"}, true},
		{`username eq "a" or userName eq "b" or USERNAME eq "c"`, nil, "userName", []string{"a", "b", "c"}, true},
		{`id eq "2819c223"`, userOpt, "id", []string{"2819c223"}, true},
		{`ID eq "x" or id eq "y"`, nil, "id", []string{"x", "y"}, true},
		{`externalId eq "e1"`, userOpt, "externalId", []string{"e1"}, true},
		{`externalid eq "e1" or EXTERNALID eq "e2"`, nil, "externalId", []string{"e1", "e2"}, true},
		{`displayName eq "Tour Guides"`, groupOpt, "displayName", []string{"Tour Guides"}, true},
		{`displayName eq "a\"b"`, groupOpt, "displayName", []string{`a"b`}, true},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen"`, userOpt, "userName", []string{"bjensen"}, true},
		{`urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "g"`, groupOpt, "displayName", []string{"g"}, true},
		{`(userName eq "a" or userName eq "b")`, userOpt, "userName", []string{"a", "b"}, true},
		{`userName eq "a" or (userName eq "b" or userName eq "c")`, userOpt, "userName", []string{"a", "b", "c"}, true},
		{`userName eq "a" or id eq "b"`, userOpt, "", nil, false},
		{`userName eq "a" and userName eq "b"`, userOpt, "", nil, false},
		{`userName ne "a"`, userOpt, "", nil, false},
		{`userName co "a"`, userOpt, "", nil, false},
		{`userName eq null`, userOpt, "", nil, false},
		{`nickName eq "a"`, userOpt, "", nil, false},
		{`name.familyName eq "a"`, userOpt, "", nil, false},
		{`emails[value eq "a"]`, userOpt, "", nil, false},
		{`not (userName eq "a")`, userOpt, "", nil, false},
		{`userName eq "a" or userName pr`, userOpt, "", nil, false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName eq "a"`, nil, "", nil, false},
		{`userName eq 5`, nil, "", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			f, err := Parse(tc.filter, opts...)
			require.NoError(t, err)
			attr, values, ok := f.Equalities()
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.attr, attr)
			assert.Equal(t, tc.values, values)
		})
	}
}

func TestEqualitiesReturnsCopy(t *testing.T) {
	t.Parallel()
	f, err := Parse(`userName eq "a" or userName eq "b"`)
	require.NoError(t, err)
	_, v, _ := f.Equalities()
	v[0] = "changed"
	_, v, _ = f.Equalities()
	assert.Equal(t, []string{"a", "b"}, v)
}

func TestParsePath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
		opt      Option
	}{
		{"userName", "userName", userOpt},
		{"USERNAME", "userName", userOpt},
		{" name.familyName ", "name.familyName", userOpt},
		{"NAME.FAMILYNAME", "name.familyName", userOpt},
		{"emails.value", "emails.value", userOpt},
		{"emails", "emails", userOpt},
		{"meta.lastModified", "meta.lastModified", userOpt},
		{"meta.LASTMODIFIED", "meta.lastModified", userOpt},
		{"id", "id", userOpt},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", userOpt},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:MANAGER.VALUE", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", userOpt},
		{"urn:ietf:params:scim:schemas:core:2.0:User:userName", "userName", userOpt},
		{"members.display", "members.display", groupOpt},
		{"anything.goes", "anything.goes", nil},
		{"urn:ietf:params:scim:schemas:core:2.0:User:userName", "userName", nil},
		{"urn:example:ext:1.0:attr", "urn:example:ext:1.0:attr", nil},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			p, err := ParsePath(tc.in, opts...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.String())
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in     string
		opt    Option
		reason string
	}{
		{"", nil, "empty"},
		{"  ", nil, "empty"},
		{"a.b.c", nil, "invalid attribute path"},
		{"1abc", nil, "invalid attribute path"},
		{`emails[type eq "work"]`, nil, "invalid attribute path"},
		{"userName eq", nil, "invalid attribute path"},
		{"foo", userOpt, `unknown attribute "foo"`},
		{"name.foo", userOpt, `unknown attribute "name.foo"`},
		{"urn:example:nope:attr", userOpt, `unknown schema`},
		{"userName", groupOpt, `unknown attribute "userName"`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			p, err := ParsePath(tc.in, opts...)
			assert.Nil(t, p)
			require.ErrorIs(t, err, ErrInvalidFilter)
			assert.Contains(t, err.Error(), tc.reason)
		})
	}
}

func mustPath(t *testing.T, s string, opts ...Option) *Path {
	t.Helper()
	p, err := ParsePath(s, opts...)
	require.NoError(t, err)
	return p
}

func TestPathValues(t *testing.T) {
	t.Parallel()
	doc := userDoc()
	cases := []struct {
		path string
		want []any
	}{
		{"userName", []any{"bjensen@example.com"}},
		{"USERNAME", []any{"bjensen@example.com"}},
		{"name.familyName", []any{"Jensen"}},
		{"emails.value", []any{"bjensen@example.com", "babs@jensen.org"}},
		{"emails.type", []any{"work", "home"}},
		{"emails.display", nil},
		{"nickName", []any{"Babs"}},
		{"profileUrl", nil},
		{"addresses", nil},
		{"active", []any{true}},
		{"meta.lastModified", []any{"2011-05-13T04:42:34.000Z"}},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", []any{"R&D"}},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", []any{"26118915-6090-4610-87e4-49d8ca9f808d"}},
		{"urn:example:params:scim:schemas:extension:test:2.0:User:tags", []any{"alpha", "Beta"}},
		{"urn:example:params:scim:schemas:extension:test:2.0:User:level", []any{int64(7)}},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			assert.Equal(t, tc.want, mustPath(t, tc.path, userOpt).Values(doc))
		})
	}
	assert.Nil(t, mustPath(t, "userName", userOpt).Values(nil))
	assert.Len(t, mustPath(t, "emails", userOpt).Values(doc), 2)
}

func TestPathSortValue(t *testing.T) {
	t.Parallel()
	doc := userDoc()
	cases := []struct {
		path string
		doc  map[string]any
		want any
	}{
		{"userName", doc, "bjensen@example.com"},
		{"name.familyName", doc, "Jensen"},
		{"emails.value", doc, "bjensen@example.com"},
		{"emails", doc, "bjensen@example.com"},
		{"emails.type", doc, "work"},
		{"emails.value", map[string]any{"emails": []any{
			map[string]any{"value": "first@x"},
			map[string]any{"value": "second@x", "primary": true},
		}}, "second@x"},
		{"emails.value", map[string]any{"emails": []any{
			map[string]any{"value": "first@x"},
			map[string]any{"value": "second@x"},
		}}, "first@x"},
		{"emails", map[string]any{"emails": []any{
			map[string]any{"value": "first@x", "primary": false},
			map[string]any{"value": "second@x", "primary": true},
		}}, "second@x"},
		{"emails.value", map[string]any{"emails": []any{}}, nil},
		{"emails.value", map[string]any{}, nil},
		{"emails.display", doc, nil},
		{"phoneNumbers.value", doc, "555-555-8377"},
		{"meta.created", doc, "2010-01-23T04:56:22.000Z"},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", doc, "R&D"},
		{"urn:example:params:scim:schemas:extension:test:2.0:User:tags", doc, "alpha"},
		{"name", doc, nil},
		{"profileUrl", doc, nil},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			assert.Equal(t, tc.want, mustPath(t, tc.path, userOpt).SortValue(tc.doc))
		})
	}
	assert.Nil(t, mustPath(t, "userName").SortValue(nil))
	assert.Equal(t, "v", mustPath(t, "x").SortValue(map[string]any{"x": []string{"v"}}))
	assert.Equal(t, "b", mustPath(t, "x.y").SortValue(map[string]any{"x": []map[string]any{{"y": "a"}, {"y": "b", "primary": true}}}))
}

func TestPathCompare(t *testing.T) {
	t.Parallel()
	cases := []struct {
		path string
		opt  Option
		a, b any
		want int
	}{
		{"userName", userOpt, "alice", "Bob", -1},
		{"userName", userOpt, "ALICE", "alice", -1}, // case-insensitive tie broken by byte order
		{"userName", userOpt, "b", "A", 1},
		{"id", userOpt, "B", "a", -1}, // caseExact
		{"externalId", userOpt, "a", "a", 0},
		{"userName", userOpt, nil, "a", 1},
		{"userName", userOpt, "a", nil, -1},
		{"userName", userOpt, nil, nil, 0},
		{"meta.lastModified", userOpt, "2011-05-13T04:42:34Z", "2011-05-13T06:42:33+02:00", 1},
		{"meta.lastModified", userOpt, "2011-05-13T04:42:34.000Z", "2011-05-13T04:42:34Z", 0},
		{"meta.lastModified", userOpt, "garbage", "2011-05-13T04:42:34Z", 1},
		{"active", userOpt, false, true, -1},
		{"active", userOpt, true, true, 0},
		{"urn:example:params:scim:schemas:extension:test:2.0:User:level", userOpt, int64(10), json.Number("9"), 1},
		{"urn:example:params:scim:schemas:extension:test:2.0:User:score", userOpt, 2.5, 10, -1},
		{"urn:example:params:scim:schemas:extension:test:2.0:User:score", userOpt, float64(3), int(3), 0},
		{"x", nil, "2020-01-01T00:00:00Z", "2020-01-01T01:00:00+02:00", 1},
		{"x", nil, 1, "1", -1},
		{"x", nil, true, 0, -1},
		{"x", nil, "a", map[string]any{}, -1},
		{"x", nil, "B", "a", 1},
	}
	for _, tc := range cases {
		var opts []Option
		if tc.opt != nil {
			opts = append(opts, tc.opt)
		}
		p := mustPath(t, tc.path, opts...)
		got := p.Compare(tc.a, tc.b)
		assert.Equal(t, tc.want, sign(got), "%s: Compare(%v, %v)", tc.path, tc.a, tc.b)
		assert.Equal(t, -tc.want, sign(p.Compare(tc.b, tc.a)), "%s: Compare(%v, %v)", tc.path, tc.b, tc.a)
	}
}

func sign(i int) int {
	switch {
	case i < 0:
		return -1
	case i > 0:
		return 1
	}
	return 0
}

func TestPathSortDocuments(t *testing.T) {
	t.Parallel()
	docs := []map[string]any{
		{"userName": "carol", "meta": map[string]any{"lastModified": "2020-01-03T00:00:00Z"}},
		{"userName": "Alice", "meta": map[string]any{"lastModified": "2020-01-01T00:00:00Z"}},
		{"meta": map[string]any{"lastModified": "2020-01-01T15:00:00+05:00"}},
		{"userName": "bob", "meta": map[string]any{"lastModified": "2020-01-01T12:00:00Z"}},
	}
	byName := mustPath(t, "userName", userOpt)
	sort.SliceStable(docs, func(i, j int) bool {
		return byName.Compare(byName.SortValue(docs[i]), byName.SortValue(docs[j])) < 0
	})
	var names []any
	for _, d := range docs {
		names = append(names, byName.SortValue(d))
	}
	assert.Equal(t, []any{"Alice", "bob", "carol", nil}, names)

	byMod := mustPath(t, "meta.lastModified", userOpt)
	sort.SliceStable(docs, func(i, j int) bool {
		return byMod.Compare(byMod.SortValue(docs[i]), byMod.SortValue(docs[j])) < 0
	})
	names = nil
	for _, d := range docs {
		names = append(names, byName.SortValue(d))
	}
	assert.Equal(t, []any{"Alice", nil, "bob", "carol"}, names)
}

func TestCompileValueFilter(t *testing.T) {
	t.Parallel()
	parse := func(s string) filterparser.Expression {
		t.Helper()
		e, err := filterparser.ParseFilter([]byte(s))
		require.NoError(t, err)
		return e
	}
	member := map[string]any{"value": "2819c223", "display": "Babs", "type": "User"}
	email := map[string]any{"value": "b@example.com", "type": "work", "primary": true}

	cases := []struct {
		parent, filter string
		opt            Option
		el             map[string]any
		want           bool
	}{
		{"members", `value eq "2819c223"`, groupOpt, member, true},
		{"members", `value eq "2819C223"`, groupOpt, member, true},
		{"members", `value eq "other"`, groupOpt, member, false},
		{"MEMBERS", `VALUE eq "2819c223" and type eq "user"`, groupOpt, member, true},
		{"members", `display pr`, groupOpt, member, true},
		{"members", `display pr`, groupOpt, map[string]any{"value": "x"}, false},
		{"emails", `type eq "work"`, userOpt, email, true},
		{"emails", `type eq "home"`, userOpt, email, false},
		{"emails", `type eq "work" and primary eq true`, userOpt, email, true},
		{"emails", `not (primary eq true)`, userOpt, email, false},
		{"emails", `value ew "EXAMPLE.COM"`, nil, email, true},
		{"urn:ietf:params:scim:schemas:core:2.0:User:emails", `type eq "work"`, userOpt, email, true},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", `value eq "m1"`, userOpt, map[string]any{"value": "m1"}, true},
		{"members", `value eq "x"`, groupOpt, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.parent+"["+tc.filter+"]", func(t *testing.T) {
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			f, err := compileValueFilter(tc.parent, parse(tc.filter), opts...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, f.Match(tc.el))
			_, _, ok := f.Equalities()
			assert.False(t, ok)
		})
	}

	// From a PATCH path as filter-parser parses it.
	p, err := filterparser.ParsePath([]byte(`members[value eq "2819c223"].display`))
	require.NoError(t, err)
	f, err := compileValueFilter(p.AttributePath.String(), p.ValueExpression, groupOpt)
	require.NoError(t, err)
	assert.True(t, f.Match(member))
	assert.Equal(t, `value eq "2819c223"`, f.String())
}

func TestCompileValueFilterErrors(t *testing.T) {
	t.Parallel()
	expr := &filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: "value"}, Operator: filterparser.EQ, CompareValue: "x"}
	cases := []struct {
		parent string
		expr   filterparser.Expression
		opt    Option
		reason string
	}{
		{"", expr, groupOpt, "empty"},
		{"members[", expr, groupOpt, "invalid attribute path"},
		{"nope", expr, groupOpt, `unknown attribute "nope"`},
		{"displayName", expr, groupOpt, "complex attribute"},
		{"members.value", expr, groupOpt, "sub-attribute"},
		{"members", &filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: "foo"}, Operator: filterparser.EQ, CompareValue: "x"}, groupOpt, `unknown attribute "members.foo"`},
		{"members", nil, groupOpt, "missing expression"},
		{"members", &filterparser.ValuePath{AttributePath: filterparser.AttributePath{AttributeName: "x"}, ValueFilter: expr}, nil, "nested"},
	}
	for _, tc := range cases {
		t.Run(tc.parent+"/"+tc.reason, func(t *testing.T) {
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			f, err := compileValueFilter(tc.parent, tc.expr, opts...)
			assert.Nil(t, f)
			require.ErrorIs(t, err, ErrInvalidFilter)
			assert.Contains(t, err.Error(), tc.reason)
		})
	}
}

func TestValueEqualities(t *testing.T) {
	t.Parallel()
	cases := []struct {
		parent, filter string
		opt            Option
		sub            string
		values         []string
		ok             bool
	}{
		{"members", `value eq "2819c223"`, groupOpt, "value", []string{Fold("2819c223")}, true},
		{"emails", `Type eq "Work"`, userOpt, "type", []string{Fold("Work")}, true},
		{"emails", `value eq "a@x.io" or value eq "B@x.io"`, userOpt, "value", []string{Fold("a@x.io"), Fold("B@x.io")}, true},
		{"emails", `primary eq true and type eq "work"`, userOpt, "type", []string{Fold("work")}, true},
		{"emails", `type eq "work" and value co "x"`, userOpt, "type", []string{Fold("work")}, true},
		{"emails", `value eq "a@x.io" or type eq "work"`, userOpt, "", nil, false},
		{"emails", `value co "x"`, userOpt, "", nil, false},
		{"emails", `value ne "x"`, userOpt, "", nil, false},
		{"emails", `not (value eq "x")`, userOpt, "", nil, false},
		{"emails", `primary eq true`, userOpt, "", nil, false},
		{"emails", `value eq null`, userOpt, "", nil, false},
		{"emails", `value eq "2024-01-01T00:00:00Z"`, nil, "", nil, false}, // compares instants
	}
	for _, tc := range cases {
		t.Run(tc.parent+"["+tc.filter+"]", func(t *testing.T) {
			e, err := filterparser.ParseFilter([]byte(tc.filter))
			require.NoError(t, err)
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			f, err := compileValueFilter(tc.parent, e, opts...)
			require.NoError(t, err)
			sub, values, ok := f.ValueEqualities()
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.sub, sub)
			assert.Equal(t, tc.values, values)
		})
	}
	// A resource filter is not a value filter.
	f, err := Parse(`userName eq "x"`)
	require.NoError(t, err)
	_, _, ok := f.ValueEqualities()
	assert.False(t, ok)
}
