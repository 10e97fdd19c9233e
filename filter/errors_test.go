package filter

import (
	"errors"
	"testing"

	filterparser "github.com/scim2/filter-parser/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		filter string
		opt    Option
		pos    int    // -2: don't check
		reason string // substring
	}{
		{``, nil, -1, "empty filter"},
		{`   `, nil, -1, "empty filter"},
		{`userName`, nil, 8, "expected an operator"},
		{`userName eq`, nil, 11, "expected a compare value"},
		{`userName xx "a"`, nil, 9, `unknown operator "xx"`},
		{`userName eq "x" garbage`, nil, 16, `expected "and", "or" or end of filter`},
		{`userName eq bjensen`, nil, 12, "must be in double quotes"},
		{`userName eq "bjensen`, nil, 12, "unterminated string"},
		{`(userName eq "a"`, nil, 0, "missing ')'"},
		{`userName eq "a")`, nil, 15, "unbalanced ')'"},
		{`userName eq "a" and`, nil, 19, "unexpected end of filter"},
		{`userName eq "a" and or b pr`, nil, 23, `unknown operator "b"`},
		{`not userName pr`, nil, 0, `"not" must be followed`},
		{`emails[type eq "work"`, nil, 6, "missing ']'"},
		{`emails type eq "work"]`, nil, 21, "unbalanced ']'"},
		{`emails[type eq "work" and addresses[type pr]]`, nil, 35, "cannot be nested"},
		{`emails[]`, nil, 7, "empty value filter"},
		{`emails[type xx "work"]`, nil, 12, `unknown operator "xx"`},
		{`emails[(type eq "work"]`, nil, 7, "missing ')'"},
		{`"x"[type pr]`, nil, 3, "must follow an attribute name"},
		{`emails[type eq "work"] eq "x"`, nil, 23, `expected "and", "or"`},
		{`1abc eq "x"`, nil, 0, "invalid attribute path"},
		{`a.b.c eq "x"`, nil, 0, "invalid attribute path"},
		{`userName eq 01`, nil, 12, "must be in double quotes"},
		{`userName eq "x" and (`, nil, -2, ""},
		{"userName eq \"a\"\tor b pr", nil, 15, "control character"},
		{`  userName eq`, nil, 13, "expected a compare value"},
		{`userName eq "é" and x zz 1`, nil, 23, `unknown operator "zz"`},
		{`userName gt`, userOpt, 11, "compare value"},
		{"userName eq \"a\xffb\"", nil, 14, "not valid UTF-8"},
		{`emails[type eq "work"].value eq`, nil, 31, "expected a compare value"},
		{`emails[type eq "work"].value`, nil, 28, "expected an operator"},
		{`emails[type eq "work"].`, nil, 23, "expected an attribute name"},
		{`emails[type eq "work"].value eq "x" and emails[type eq "home"].display`, nil, 70, "expected an operator"},
		// compile errors with schemas
		{`foo eq "x"`, userOpt, 0, `unknown attribute "foo"`},
		{`name.foo eq "x"`, userOpt, 0, `unknown attribute "name.foo"`},
		{`userName.foo eq "x"`, userOpt, 0, `no sub-attributes`},
		{`emails[foo eq "x"]`, userOpt, 7, `unknown attribute "emails.foo"`},
		{`urn:example:foo:bar eq "x"`, userOpt, 0, `unknown schema "urn:example:foo"`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:foo eq "x"`, userOpt, 0, `unknown attribute`},
		{`active gt true`, userOpt, 0, "operator \"gt\" not supported for boolean"},
		{`active lt false`, userOpt, 0, "not supported for boolean"},
		{`active co "t"`, userOpt, 0, "not supported for boolean"},
		{`active eq "maybe"`, userOpt, 0, "boolean"},
		{`active eq 1`, userOpt, 0, "boolean"},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:level eq "seven"`, userOpt, 0, "not a number"},
		{`urn:example:params:scim:schemas:extension:test:2.0:User:level co 7`, userOpt, 0, "not supported for integer"},
		{`meta.created gt 5`, userOpt, 0, "dateTime"},
		{`name eq "x"`, userOpt, 0, "complex"},
		{`userName gt null`, userOpt, 0, "null"},
		{`userName[value eq "x"]`, userOpt, 0, "complex attribute"},
		{`emails.value[value eq "x"]`, userOpt, 0, "sub-attribute"},
		{`emails[type eq "work"].foo eq "x"`, userOpt, 23, `unknown attribute "emails.foo"`},
		{`members eq "x"`, userOpt, 0, `unknown attribute "members"`},
		{`userName eq "x"`, groupOpt, 0, `unknown attribute "userName"`},
		// the position is that of the offending attribute path, skipping
		// quoted strings and earlier, valid occurrences of the same path
		{`userName eq "x" and foo eq "y"`, userOpt, 20, `unknown attribute "foo"`},
		{`title eq "foo" or FOO eq "y"`, userOpt, 18, `unknown attribute "FOO"`},
		{`active eq true and active gt true`, userOpt, 19, `not supported for boolean`},
		{`emails[type eq "a" and foo pr] or userName pr`, userOpt, 23, `unknown attribute "emails.foo"`},
		{`userName pr and not (meta.created gt 5)`, userOpt, 21, "dateTime"},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			f, err := Parse(tc.filter, opts...)
			require.Error(t, err)
			assert.Nil(t, f)
			assert.ErrorIs(t, err, ErrInvalidFilter)
			var fe *Error
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, tc.filter, fe.Filter)
			assert.Contains(t, fe.Reason, tc.reason)
			if tc.pos != -2 {
				assert.Equal(t, tc.pos, fe.Pos, "reason: %s", fe.Reason)
			}
			assert.Contains(t, err.Error(), fe.Reason)
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	e := &Error{Filter: `a eq`, Pos: 4, Reason: "boom"}
	assert.Equal(t, `invalid filter "a eq": boom (at offset 4)`, e.Error())
	assert.True(t, errors.Is(e, ErrInvalidFilter))
	e = &Error{Pos: -1, Reason: "boom"}
	assert.Equal(t, `invalid filter: boom`, e.Error())
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	str := "x"
	cases := []filterparser.Expression{
		nil,
		(*filterparser.AttributeExpression)(nil),
		(*filterparser.LogicalExpression)(nil),
		(*filterparser.NotExpression)(nil),
		(*filterparser.ValuePath)(nil),
		&filterparser.NotExpression{},
		&filterparser.LogicalExpression{Left: &filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: "a"}, Operator: "pr"}, Operator: "and"},
		&filterparser.LogicalExpression{
			Left:     &filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: "a"}, Operator: "pr"},
			Right:    &filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: "a"}, Operator: "pr"},
			Operator: "xor",
		},
		&filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: "a"}, Operator: "zz", CompareValue: "x"},
		&filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: ""}, Operator: "eq", CompareValue: "x"},
		&filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: "a", SubAttribute: new(string)}, Operator: "eq", CompareValue: "x"},
		&filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: "a"}, Operator: "eq", CompareValue: []int{1}},
		&filterparser.ValuePath{AttributePath: filterparser.AttributePath{AttributeName: "emails"}, ValueFilter: &filterparser.ValuePath{AttributePath: filterparser.AttributePath{AttributeName: "x"}, ValueFilter: &filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: "a"}, Operator: "pr"}}},
		&filterparser.ValuePath{AttributePath: filterparser.AttributePath{AttributeName: "emails", SubAttribute: &str}, ValueFilter: &filterparser.AttributeExpression{AttributePath: filterparser.AttributePath{AttributeName: "a"}, Operator: "pr"}},
	}
	for i, e := range cases {
		f, err := compileExpr(e)
		assert.Nil(t, f, "case %d", i)
		assert.ErrorIs(t, err, ErrInvalidFilter, "case %d", i)
		var fe *Error
		if assert.True(t, errors.As(err, &fe), "case %d", i) {
			// A position, when known, is in the expression's rendering.
			assert.True(t, fe.Pos >= -1 && fe.Pos <= len(fe.Filter), "case %d: position %d in %q", i, fe.Pos, fe.Filter)
		}
	}
}

func TestCompileParsedExpression(t *testing.T) {
	t.Parallel()
	// An expression straight from filter-parser, with its numbers as int
	// and float64 and escapes left in strings.
	expr, err := filterparser.ParseFilter([]byte(`displayName eq "a\"b" and urn:example:params:scim:schemas:extension:test:2.0:User:level ge 7 and urn:example:params:scim:schemas:extension:test:2.0:User:score lt 4.5`))
	require.NoError(t, err)
	f, err := compileExpr(expr, userOpt)
	require.NoError(t, err)
	doc := userDoc()
	doc["displayName"] = `a"b`
	assert.True(t, f.Match(doc))
	assert.Equal(t, `displayName eq "a\"b" and urn:example:params:scim:schemas:extension:test:2.0:User:level ge 7 and urn:example:params:scim:schemas:extension:test:2.0:User:score lt 4.5`, f.String())
	assert.Same(t, expr, f.expression())
}
