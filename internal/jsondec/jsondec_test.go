package jsondec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nest wraps leaf in n levels of open and close.
func nest(open, leaf, close string, n int) string {
	return strings.Repeat(open, n) + leaf + strings.Repeat(close, n)
}

// requireSameAsOld decodes s with DecodeObject and the old multi-pass
// decoding and requires the same result.
func requireSameAsOld(t *testing.T, s string) (map[string]any, error) {
	t.Helper()
	got, err := DecodeObject([]byte(s))
	want, wantO, wantKey := refDecode([]byte(s))
	require.Equal(t, wantO, outcomeOf(err), "refusal of %.200q: %v", s, err)
	require.Equal(t, want, got)
	if wantO == refusedDup {
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, wantKey, e.Key)
	}
	return got, err
}

func TestValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     map[string]any
	}{
		{"empty object", `{}`, map[string]any{}},
		{"whitespace around and inside", " \t\r\n{ \t\r\n\"a\" \n:\t1 \r, \"b\"\n:\n[ ] ,\"c\":{ } }\n\t ",
			map[string]any{"a": json.Number("1"), "b": []any{}, "c": map[string]any{}}},
		{"scalars", `{"s":"x","t":true,"f":false,"n":null,"e":""}`,
			map[string]any{"s": "x", "t": true, "f": false, "n": nil, "e": ""}},
		{"nested", `{"a":[{"b":[[],[1,"2",[null]]]},{}],"c":{"d":{"e":{}}}}`, map[string]any{
			"a": []any{map[string]any{"b": []any{[]any{}, []any{json.Number("1"), "2", []any{nil}}}}, map[string]any{}},
			"c": map[string]any{"d": map[string]any{"e": map[string]any{}}},
		}},
		{"the empty key", `{"":1}`, map[string]any{"": json.Number("1")}},
		{"unicode keys and values", `{"ünïcødé":"日本語 😀","Ω":"\u00e9"}`,
			map[string]any{"ünïcødé": "日本語 😀", "Ω": "é"}},
		{"keys differing in more than case", `{"a":1,"b":2,"ab":3,"ba":4,"straße":5,"STRASSE":6,"σ":7,"ς":8}`,
			map[string]any{"a": json.Number("1"), "b": json.Number("2"), "ab": json.Number("3"), "ba": json.Number("4"),
				"straße": json.Number("5"), "STRASSE": json.Number("6"), "σ": json.Number("7"), "ς": json.Number("8")}},
		{"same key in different objects", `{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}`, map[string]any{
			"a": map[string]any{"a": map[string]any{"a": json.Number("1")}},
			"b": []any{map[string]any{"a": json.Number("1")}, map[string]any{"a": json.Number("2")}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := requireSameAsOld(t, tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestNumbers(t *testing.T) {
	t.Parallel()
	for _, n := range []string{
		"0", "-0", "1", "-1", "10", "0.0", "-0.0", "1.5", "0.1e-5", "1e400", "-1e400", "1E+2", "1e-2", "1e0",
		"123456789012345678901234567890", "-9223372036854775809", "18446744073709551616",
		"3.141592653589793238462643383279", "0.000000000000000000000000000001", "1.0e+00000",
	} {
		t.Run(n, func(t *testing.T) {
			got, err := requireSameAsOld(t, `{"n":`+n+`,"a":[`+n+`]}`)
			require.NoError(t, err)
			assert.Equal(t, json.Number(n), got["n"], "kept as the literal text")
			assert.Equal(t, []any{json.Number(n)}, got["a"])
		})
	}
	for _, n := range []string{
		"01", "-01", "00", "+1", "-", "1.", ".5", "1.e5", "1e", "1e+", "1e-", "--1", "0x10", "1_000", "NaN",
		"Infinity", "-Infinity", "1.5.5", "1e5e5", "١",
	} {
		t.Run(n, func(t *testing.T) {
			_, err := requireSameAsOld(t, `{"n":`+n+`}`)
			require.ErrorIs(t, err, ErrSyntax)
			_, err = requireSameAsOld(t, `{"n":[`+n+`]}`)
			require.ErrorIs(t, err, ErrSyntax)
		})
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"plain", `abc`, "abc"},
		{"short escapes", `\"\\\/\b\f\n\r\t`, "\"\\/\b\f\n\r\t"},
		{"escapes between text", `a\nb\tc`, "a\nb\tc"},
		{"\\u ASCII", `\u0041\u0062`, "Ab"},
		{"\\u upper and lower hex", `\u00E9\u00e9\uABCD\uabcd`, "éé\uabcd\uabcd"},
		{"\\u control", `\u0001\u001f\u007f`, "\x01\x1f\x7f"},
		{"\\u line separator", `\u2028\u2029`, "\u2028\u2029"},
		{"\\u BOM and U+FFFD", `\ufeff\ufffd`, "\ufeff\ufffd"},
		{"raw UTF-8", `é日😀`, "é日😀"},
		{"raw UTF-8 after an escape", `\té日😀`, "\té日😀"},
		{"raw DEL and U+FFFD", "\x7f\uFFFD", "\x7f\uFFFD"},
		{"surrogate pair", `\ud83d\ude00`, "😀"},
		{"surrogate pair upper case", `\uD83D\uDE00`, "😀"},
		{"first and last pairs", `\ud800\udc00\udbff\udfff`, "\U00010000\U0010FFFF"},
		{"lone high surrogate", `\ud800`, "\uFFFD"},
		{"lone high surrogate then text", `\ud800x`, "\uFFFDx"},
		{"lone low surrogate", `\udc00`, "\uFFFD"},
		{"low then high", `\udc00\ud800`, "\uFFFD\uFFFD"},
		{"two highs then a low", `\ud800\ud800\udc00`, "\uFFFD\U00010000"},
		{"high then a non-surrogate escape", `\ud800\u0041`, "\uFFFDA"},
		{"high then a short escape", `\ud800\n`, "\uFFFD\n"},
		{"high then an escaped backslash and u", `\ud800\\udc00`, "\uFFFD\\udc00"},
		{"high then raw text looking like an escape", `\ud800udc00`, "\uFFFDudc00"},
		{"high at the end after text", `ab\udbff`, "ab\uFFFD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := requireSameAsOld(t, `{"v":"`+tc.in+`","`+tc.in+`":0}`)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got["v"])
			assert.Contains(t, got, tc.want, "keys are unescaped the same")
			var viaJSON string
			require.NoError(t, json.Unmarshal([]byte(`"`+tc.in+`"`), &viaJSON))
			assert.Equal(t, viaJSON, got["v"], "as encoding/json")
		})
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	ext := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	for _, tc := range []struct {
		name, in string
		want     error
		key      string // for ErrDuplicateKey
	}{
		// Invalid UTF-8, anywhere.
		{"UTF-8 in a value", "{\"a\":\"\xff\"}", ErrInvalidUTF8, ""},
		{"UTF-8 in a key", "{\"a\xfe\":1}", ErrInvalidUTF8, ""},
		{"UTF-8 truncated sequence", "{\"a\":\"\xc3\"}", ErrInvalidUTF8, ""},
		{"UTF-8 overlong", "{\"a\":\"\xc0\xaf\"}", ErrInvalidUTF8, ""},
		{"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", ErrInvalidUTF8, ""},
		{"UTF-8 beyond U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", ErrInvalidUTF8, ""},
		{"UTF-8 between values", "{\"a\":1\xff}", ErrInvalidUTF8, ""},
		{"UTF-8 after the object", "{}\xff", ErrInvalidUTF8, ""},
		{"UTF-8 after a syntax error", "{\"a\":x \"\xff\"}", ErrInvalidUTF8, ""},
		{"UTF-8 after a duplicate", "{\"a\":1,\"a\":\"\xff\"}", ErrInvalidUTF8, ""},
		{"UTF-8 at the start", "\xef\xbb{}", ErrInvalidUTF8, ""},
		{"UTF-8 after an escape", "{\"a\":\"\\n\xff\"}", ErrInvalidUTF8, ""},

		// Syntax.
		{"empty", ``, ErrSyntax, ""},
		{"whitespace only", " \n\t\r", ErrSyntax, ""},
		{"unclosed object", `{"a":1`, ErrSyntax, ""},
		{"unclosed object after a comma", `{"a":1,`, ErrSyntax, ""},
		{"unclosed array", `{"a":[1`, ErrSyntax, ""},
		{"unclosed string", `{"a":"x`, ErrSyntax, ""},
		{"unclosed key", `{"a`, ErrSyntax, ""},
		{"unclosed escape", `{"a":"\`, ErrSyntax, ""},
		{"unclosed after an escape", `{"a":"\n`, ErrSyntax, ""},
		{"unclosed literal", `{"a":tr`, ErrSyntax, ""},
		{"raw control character after an escape", "{\"a\":\"\\n\x01\"}", ErrSyntax, ""},
		{"unclosed \\u", `{"a":"\u00`, ErrSyntax, ""},
		{"missing colon", `{"a" 1}`, ErrSyntax, ""},
		{"missing value", `{"a":}`, ErrSyntax, ""},
		{"missing comma", `{"a":1 "b":2}`, ErrSyntax, ""},
		{"trailing comma in an object", `{"a":1,}`, ErrSyntax, ""},
		{"trailing comma in an array", `{"a":[1,]}`, ErrSyntax, ""},
		{"leading comma in an array", `{"a":[,1]}`, ErrSyntax, ""},
		{"comma only", `{,}`, ErrSyntax, ""},
		{"unquoted key", `{a:1}`, ErrSyntax, ""},
		{"single quotes", `{'a':1}`, ErrSyntax, ""},
		{"number key", `{1:1}`, ErrSyntax, ""},
		{"mismatched close", `{"a":[1}`, ErrSyntax, ""},
		{"mismatched close of an object", `{"a":{"b":1]}`, ErrSyntax, ""},
		{"bad literal", `{"a":tru}`, ErrSyntax, ""},
		{"bad literal letter", `{"a":nul1}`, ErrSyntax, ""},
		{"capitalised literal", `{"a":True}`, ErrSyntax, ""},
		{"literal run on", `{"a":truex}`, ErrSyntax, ""},
		{"raw NUL byte in a string", "{\"a\":\"\x00\"}", ErrSyntax, ""},
		{"raw newline in a string", "{\"a\":\"\n\"}", ErrSyntax, ""},
		{"raw tab in a key", "{\"\t\":1}", ErrSyntax, ""},
		{"bad escape", `{"a":"\x"}`, ErrSyntax, ""},
		{"escaped single quote", `{"a":"\'"}`, ErrSyntax, ""},
		{"bad \\u digit", `{"a":"\u00g0"}`, ErrSyntax, ""},
		{"upper-case \\U", `{"a":"\U0041"}`, ErrSyntax, ""},
		{"pair with a bad low escape", `{"a":"\ud800\udcxx"}`, ErrSyntax, ""},
		{"comment", `{/**/}`, ErrSyntax, ""},
		{"non-JSON whitespace", "{\u00a0}", ErrSyntax, ""},
		{"form feed is not whitespace", "{\f}", ErrSyntax, ""},
		{"starts with garbage", `x{}`, ErrSyntax, ""},
		{"a syntax error wins over an earlier duplicate", `{"a":1,"a":2,}`, ErrSyntax, ""},
		{"a syntax error wins over an earlier NUL", `{"a":"\u0000",}`, ErrSyntax, ""},

		// Not an object.
		{"array", `["x"]`, ErrNotObject, ""},
		{"string", `"x"`, ErrNotObject, ""},
		{"number", ` 1`, ErrNotObject, ""},
		{"null", `null`, ErrNotObject, ""},
		{"true", `true`, ErrNotObject, ""},

		// Trailing data.
		{"second object", `{} {}`, ErrTrailingData, ""},
		{"stray close", `{}}`, ErrTrailingData, ""},
		{"text", `{"a":1} x`, ErrTrailingData, ""},
		{"NUL byte", "{}\x00", ErrTrailingData, ""},
		{"trailing data wins over a duplicate", `{"a":1,"a":2} 1`, ErrTrailingData, ""},

		// Duplicate keys, ignoring case.
		{"same key", `{"a":1,"a":2}`, ErrDuplicateKey, "a"},
		{"same key, null values", `{"a":null,"a":null}`, ErrDuplicateKey, "a"},
		{"userName and USERNAME", `{"userName":"a","USERNAME":"b"}`, ErrDuplicateKey, "USERNAME"},
		{"empty keys", `{"":1,"":2}`, ErrDuplicateKey, ""},
		{"escaped the second time", `{"userName":1,"user\u004Eame":2}`, ErrDuplicateKey, "userName"},
		{"nested", `{"name":{"givenName":"a","GivenName":"b"}}`, ErrDuplicateKey, "GivenName"},
		{"in an array element", `{"emails":[{"value":"a"},{"value":"b","Value":"c"}]}`, ErrDuplicateKey, "Value"},
		{"after a nested object", `{"a":{"b":1},"c":2,"A":3}`, ErrDuplicateKey, "A"},
		{"extension URN", `{"` + ext + `":{},"` + strings.ToUpper(ext) + `":{}}`, ErrDuplicateKey, strings.ToUpper(ext)},
		{"non-ASCII", `{"ÉCOLE":1,"école":2}`, ErrDuplicateKey, "école"},
		{"Kelvin sign", `{"key":1,"\u212Aey":2}`, ErrDuplicateKey, "\u212Aey"},
		{"dotted capital I", `{"id":1,"İd":2}`, ErrDuplicateKey, "İd"},
		{"capital and small sigma", `{"Σ":1,"σ":2}`, ErrDuplicateKey, "σ"},
		{"two lone surrogates are both U+FFFD", `{"\ud800":1,"\udc00":2}`, ErrDuplicateKey, "\uFFFD"},
		{"the first duplicate is reported", `{"a":{"x":1,"X":2},"b":1,"B":2}`, ErrDuplicateKey, "X"},
		{"a duplicate wins over an earlier NUL", `{"a":"\u0000","b":1,"b":2}`, ErrDuplicateKey, "b"},

		// NUL.
		{"NUL in a value", `{"a":"\u0000"}`, ErrNUL, ""},
		{"NUL inside a value", `{"a":"x\u0000y"}`, ErrNUL, ""},
		{"NUL in a key", `{"\u0000":1}`, ErrNUL, ""},
		{"NUL deep down", `{"a":[{"b":["c","\u0000"]}]}`, ErrNUL, ""},

		// Depth.
		{"arrays one too deep", `{"a":` + nest("[", "1", "]", MaxDepth) + `}`, ErrTooDeep, ""},
		{"objects one too deep", `{"a":` + nest(`{"a":`, "1", "}", MaxDepth) + `}`, ErrTooDeep, ""},
		{"far too deep and unclosed", `{"a":` + strings.Repeat("[", 100000), ErrTooDeep, ""},
		{"too deep wins over an earlier duplicate", `{"a":1,"a":` + nest("[", "1", "]", MaxDepth) + `}`, ErrTooDeep, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := requireSameAsOld(t, tc.in)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, m)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.key, e.Key)
			assert.GreaterOrEqual(t, e.Offset, 0)
			assert.LessOrEqual(t, e.Offset, len(tc.in))
			assert.NotEmpty(t, e.Detail)
		})
	}
}

// A top-level value that is not an object is refused at its first byte,
// where encoding/json first reads it whole: one licensed difference.
func TestNotObjectRefusedEarly(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`[`, `[1,`, `"abc`, `[1] x`, `1x`, nest("[", "", "]", MaxDepth+1)} {
		_, err := DecodeObject([]byte(s))
		require.ErrorIs(t, err, ErrNotObject, s)
		_, o, _ := refDecode([]byte(s))
		assert.NotEqual(t, accepted, o)
	}
}

func TestDepthLimit(t *testing.T) {
	t.Parallel()
	// The top-level object is one level: MaxDepth-1 more are accepted.
	for _, s := range []string{
		`{"a":` + nest("[", "1", "]", MaxDepth-1) + `}`,
		`{"a":` + nest("[", "", "]", MaxDepth-1) + `}`,
		`{"a":` + nest(`{"a":`, "1", "}", MaxDepth-1) + `}`,
		`{"a":` + nest(`{"a":`, "{}", "}", MaxDepth-2) + `}`,
		`{"a":` + nest(`[{"a":`, "{}", "}]", (MaxDepth-2)/2) + `}`,
	} {
		got, err := requireSameAsOld(t, s)
		require.NoError(t, err)
		require.NotNil(t, got)
	}
	for _, s := range []string{
		`{"a":` + nest("[", "1", "]", MaxDepth) + `}`,
		`{"a":` + nest(`{"a":`, "{}", "}", MaxDepth-1) + `}`,
		`{"a":` + nest(`[{"a":`, "{}", "}]", MaxDepth/2) + `}`,
	} {
		_, err := requireSameAsOld(t, s)
		require.ErrorIs(t, err, ErrTooDeep)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Contains(t, "[{", string(s[e.Offset]), "the offset is at the bracket")
	}
}

// Objects with more keys than the linear scan handles switch to an index:
// duplicates are found the same way either side of the switch.
func TestManyKeys(t *testing.T) {
	t.Parallel()
	keys := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`%q:%d`, f(i), i)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	plain := func(i int) string { return fmt.Sprintf("attr%d", i) }
	for _, n := range []int{1, indexAt - 1, indexAt, indexAt + 1, 2 * indexAt, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			got, err := requireSameAsOld(t, keys(n, plain))
			require.NoError(t, err)
			assert.Len(t, got, n)
			for _, at := range []int{0, n / 2, n - 1} {
				if n < 2 {
					break
				}
				dup := func(i int) string {
					if i == n-1 {
						return strings.ToUpper(plain(at))
					}
					return plain(i)
				}
				if at == n-1 {
					continue
				}
				_, err := requireSameAsOld(t, keys(n, dup))
				require.ErrorIs(t, err, ErrDuplicateKey)
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, strings.ToUpper(plain(at)), e.Key)
			}
			// Non-ASCII folding across the switch as well.
			kelvin := func(i int) string {
				switch i {
				case 0:
					return "key"
				case n - 1:
					return "\u212AEY"
				}
				return plain(i)
			}
			if n >= 2 {
				_, err := requireSameAsOld(t, keys(n, kelvin))
				require.ErrorIs(t, err, ErrDuplicateKey)
			}
		})
	}
}

// A hostile object of 100,000 keys, distinct or all the same but for case,
// is decoded in linear time.
func TestHostileKeys(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("{")
	for i := range 100000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":0`, i)
	}
	b.WriteString("}")
	got, err := DecodeObject([]byte(b.String()))
	require.NoError(t, err)
	assert.Len(t, got, 100000)

	same := "{" + strings.Repeat(`"aaaaaaaaaaaaaaaa":0,`, 100000) + `"A":0}`
	_, err = DecodeObject([]byte(same))
	require.ErrorIs(t, err, ErrDuplicateKey)
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`{"a":1 "b":2}`, `invalid character '"' after object key:value pair at byte 7`},
		{`{"a" 1}`, `invalid character '1' after object key at byte 5`},
		{`{"a":[1 2]}`, `invalid character '2' after array element at byte 8`},
		{`{"a":x}`, `invalid character 'x' looking for beginning of value at byte 5`},
		{`{'a':1}`, `invalid character '\'' looking for beginning of object key string at byte 1`},
		{`{"a":tru}`, `invalid character '}' in literal true (expecting 'e') at byte 8`},
		{`{"a":"\q"}`, `invalid character 'q' in string escape code at byte 7`},
		{`{"a":"\u12x4"}`, `invalid character 'x' in \u hexadecimal character escape at byte 10`},
		{"{\"a\":\"\t\"}", `invalid character '\t' in string literal at byte 6`},
		{`{"a":-}`, `invalid character '}' in numeric literal at byte 6`},
		{`{"a":1.}`, `invalid character '}' after decimal point in numeric literal at byte 7`},
		{`{"a":1e}`, `invalid character '}' in exponent of numeric literal at byte 7`},
		{`{"a":1`, `unexpected end of JSON input at byte 6`},
		{"{\"a\":\"b\xffc\"}", `invalid UTF-8 at byte 7`},
		{`[]`, `top-level value is not an object at byte 0`},
		{`{} x`, `data after the top-level object at byte 3`},
		{`{"a":1,"A":2}`, `key "A" appears twice in one object at byte 7`},
		{`{"a":"\u0000"}`, `NUL character in a string at byte 5`},
	} {
		_, err := DecodeObject([]byte(tc.in))
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error(), tc.in)
	}
}

// A refusal leaves nothing behind in the pooled decoder for the next call.
func TestRefusalThenAcceptance(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{`{"a":1,"a":2}`, `{"a":"\u0000"}`, `{"a":[{"b":{"c":1,"C":2}}]`, `{"a":[[[[`} {
		_, err := DecodeObject([]byte(bad))
		require.Error(t, err)
		got, err := DecodeObject([]byte(`{"a":[{"b":"c"}],"d":"e"}`))
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"a": []any{map[string]any{"b": "c"}}, "d": "e"}, got)
	}
}

// The results share nothing with the input or with each other.
func TestResultsAreCopies(t *testing.T) {
	t.Parallel()
	raw := []byte(`{"key":"value","esc":"a\nb","n":12,"arr":["x"]}`)
	first, err := DecodeObject(raw)
	require.NoError(t, err)
	for i := range raw {
		raw[i] = ' '
	}
	second, err := DecodeObject([]byte(`{"key":"other"}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"key": "value", "esc": "a\nb", "n": json.Number("12"), "arr": []any{"x"}}, first)
	assert.Equal(t, map[string]any{"key": "other"}, second)
}

func TestErrorsAreDistinct(t *testing.T) {
	t.Parallel()
	all := []error{ErrInvalidUTF8, ErrSyntax, ErrTooDeep, ErrNotObject, ErrTrailingData, ErrDuplicateKey, ErrNUL}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(&Error{Err: a}, b))
		}
	}
}
