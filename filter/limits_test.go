package filter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxMessage bounds the message of any error about hostile input: the
// input is quoted only through Excerpt.
const maxMessage = 300

// entries are the package's parsing entries, each as a func returning only
// the error.
var entries = []struct {
	name  string
	parse func(s string, opts ...Option) error
}{
	{"Parse", func(s string, opts ...Option) error { _, err := Parse(s, opts...); return err }},
	{"ParsePath", func(s string, opts ...Option) error { _, err := ParsePath(s, opts...); return err }},
	{"ParsePatchPath", func(s string, opts ...Option) error { _, err := ParsePatchPath(s, opts...); return err }},
}

// requireBoundedError checks that err is an *Error wrapping
// ErrInvalidFilter whose message is short.
func requireBoundedError(t *testing.T, err error, reason string) {
	t.Helper()
	require.ErrorIs(t, err, ErrInvalidFilter)
	var fe *Error
	require.True(t, errors.As(err, &fe), "%T is not an *Error", err)
	assert.Contains(t, err.Error(), reason)
	assert.Less(t, len(err.Error()), maxMessage, err.Error())
}

// TestLengthLimit: every entry refuses text longer than its limit before
// parsing it, and quotes only a prefix of it.
func TestLengthLimit(t *testing.T) {
	const big = 900 << 10
	atLimit := strings.Repeat("b", DefaultMaxLength)
	for _, e := range entries {
		for _, tc := range []struct {
			name, text string
			opts       []Option
			reason     string // "" when the text must be accepted
		}{
			{name: "900 KB name", text: strings.Repeat("a", big), reason: "longer than 4096 bytes"},
			{name: "900 KB dotted", text: strings.Repeat("a.", big/2), reason: "longer than 4096 bytes"},
			{name: "900 KB value path", text: `emails[type eq "` + strings.Repeat("x", big) + `"]`, reason: "longer than 4096 bytes"},
			{name: "900 KB with a raised limit", text: strings.Repeat("a", big), opts: []Option{WithMaxLength(big - 1)}, reason: "longer than 921599 bytes"},
			{name: "one byte over", text: "a" + strings.Repeat("b", DefaultMaxLength), reason: "longer than 4096 bytes"},
			{name: "one byte over a lowered limit", text: "userName", opts: []Option{WithMaxLength(7)}, reason: "longer than 7 bytes"},
			{name: "at the limit", text: atLimit},
			{name: "at the limit with white space around", text: "  " + atLimit + "\n"},
			{name: "zero keeps the default", text: atLimit, opts: []Option{WithMaxLength(0)}},
		} {
			t.Run(e.name+"/"+tc.name, func(t *testing.T) {
				if e.name == "Parse" && tc.reason == "" {
					// A filter of the same length: "bbb…b pr".
					i := strings.LastIndex(tc.text, "bbb")
					tc.text = tc.text[:i] + " pr" + tc.text[i+3:]
				}
				start := time.Now()
				err := e.parse(tc.text, tc.opts...)
				// Refusing is a length check: far below the seconds
				// filter-parser takes for 900 KB, even under -race.
				assert.Less(t, time.Since(start), 500*time.Millisecond)
				if tc.reason == "" {
					require.NoError(t, err)
					return
				}
				requireBoundedError(t, err, tc.reason)
				var fe *Error
				require.True(t, errors.As(err, &fe))
				assert.Equal(t, -1, fe.Pos)
				assert.Contains(t, err.Error(), quote(strings.TrimSpace(tc.text)))
			})
		}
	}
}

// TestErrorsQuoteAPrefix: inputs within the length limit are quoted only
// through Excerpt, in the text and in the reason.
func TestErrorsQuoteAPrefix(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 4000)
	for _, tc := range []struct {
		name   string
		err    func() error
		reason string
	}{
		{"Parse/unquoted value", func() error { _, err := Parse("userName eq " + long); return err }, "invalid compare value"},
		{"Parse/unknown attribute", func() error { _, err := Parse(long+" pr", userOpt); return err }, "unknown attribute"},
		{"Parse/unknown operator", func() error { _, err := Parse("userName " + long + ` "x"`); return err }, "unknown operator"},
		{"Parse/unknown sub-attribute", func() error { _, err := Parse("name."+long+" pr", userOpt); return err }, "no sub-attribute"},
		{"Parse/not a number", func() error {
			_, err := Parse(`urn:example:params:scim:schemas:extension:test:2.0:User:level eq "`+long+`"`, userOpt)
			return err
		}, "is not a number"},
		{"Parse/invalid attribute path", func() error { _, err := Parse(long + ".a.b pr"); return err }, "invalid attribute path"},
		{"Parse/empty value filter", func() error { _, err := Parse(long + "[]"); return err }, "empty value filter"},
		{"ParsePath/unknown attribute", func() error { _, err := ParsePath(long, userOpt); return err }, "unknown attribute"},
		{"ParsePath/syntax", func() error { _, err := ParsePath(long + ".a.b"); return err }, "invalid attribute path"},
		{"ParsePath/value filter", func() error { _, err := ParsePath(long + `[type eq "work"]`); return err }, "value filter is not allowed"},
		{"ParsePatchPath/syntax", func() error { _, err := ParsePatchPath(long + ".a.b"); return err }, "invalid path"},
		{"CompileValueFilter/unknown sub-attribute", func() error {
			p, err := ParsePatchPath(`emails[` + long + ` eq "x"]`)
			require.NoError(t, err)
			_, err = p.ValueFilter("emails", userOpt)
			return err
		}, "no sub-attribute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireBoundedError(t, tc.err(), tc.reason)
		})
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "", Excerpt(""))
	assert.Equal(t, strings.Repeat("a", 64), Excerpt(strings.Repeat("a", 64)))
	assert.Equal(t, strings.Repeat("a", 64)+"…", Excerpt(strings.Repeat("a", 65)))
	// A cut never splits a UTF-8 sequence.
	assert.Equal(t, strings.Repeat("a", 63)+"…", Excerpt(strings.Repeat("a", 63)+"é"+"b"))
}

func TestParsePatchPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want PatchPath // without its value filter
		vf   string    // the value filter's rendering, when there is one
		eqs  map[string]any
	}{
		{in: "title", want: PatchPath{Attribute: "title"}},
		{in: " name.givenName ", want: PatchPath{Attribute: "name", Sub: "givenName"}},
		{in: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
			want: PatchPath{URN: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", Attribute: "department"}},
		{in: `members[value eq "2819c223"]`, want: PatchPath{Attribute: "members"}, vf: `value eq "2819c223"`,
			eqs: map[string]any{"value": "2819c223"}},
		{in: `emails[type eq "work"].value`, want: PatchPath{Attribute: "emails", Sub: "value"}, vf: `type eq "work"`,
			eqs: map[string]any{"type": "work"}},
		// Beyond the fast path: filter-parser.
		{in: `emails[type eq "work" and value co "@example.com"]`, want: PatchPath{Attribute: "emails"},
			vf: `type eq "work" and value co "@example.com"`},
		{in: `emails[type eq "work" and value eq "a@b.c"]`, want: PatchPath{Attribute: "emails"},
			vf: `type eq "work" and value eq "a@b.c"`, eqs: map[string]any{"type": "work", "value": "a@b.c"}},
		{in: `emails[type eq "a" and Type eq "b"]`, want: PatchPath{Attribute: "emails"}, vf: `type eq "a" and Type eq "b"`},
		{in: `addresses[type eq "work"].streetAddress`, want: PatchPath{Attribute: "addresses", Sub: "streetAddress"},
			vf: `type eq "work"`, eqs: map[string]any{"type": "work"}},
		{in: `emails[primary eq true]`, want: PatchPath{Attribute: "emails"}, vf: `primary eq true`, eqs: map[string]any{"primary": true}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePatchPath(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.vf != "", p.HasValueFilter())
			if tc.vf != "" {
				assert.Equal(t, tc.vf, exprString(p.expr))
			}
			eqs, ok := p.Equalities()
			assert.Equal(t, tc.eqs != nil, ok)
			if tc.eqs != nil {
				assert.Equal(t, tc.eqs, eqs)
			}
			got := *p
			got.expr = nil
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParsePatchPathErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, reason string }{
		{"", "empty path"},
		{"   ", "empty path"},
		{"a.b.c", "invalid path"},
		{`emails[type eq "work"`, "invalid path"},
		{`emails[type eq work]`, "invalid path"},
		{`emails[` + strings.Repeat("(", 200) + `type eq "x"` + strings.Repeat(")", 200) + `]`, "nested too deeply"},
		{strings.Repeat("[", 101), "nested too deeply"},
	} {
		t.Run(Excerpt(tc.in), func(t *testing.T) {
			_, err := ParsePatchPath(tc.in)
			requireBoundedError(t, err, tc.reason)
			assert.True(t, strings.HasPrefix(err.Error(), "invalid path"), err.Error())
		})
	}
}
