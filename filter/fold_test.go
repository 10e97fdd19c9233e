package filter

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFold(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"", ""},
		{"abc", "ABC"},
		{"ABC", "ABC"},
		{"a_b[c]", "A_B[C]"},
		{"\u212Aelvin", "KELVIN"}, // Kelvin sign
		{"\u017Fam", "SAM"},       // long s
		{"Ümit", "ÜMIT"},
		{"ümit", "ÜMIT"},
		{"straße", "STRAßE"}, // ß has no simple folding to "SS"
		{"σς", "ΣΣ"},
		{"ǆ", "Ǆ"},
		{"ǅ", "Ǆ"},
		{"\xff", "\uFFFD"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, Fold(tc.in), "Fold(%q)", tc.in)
		assert.Equal(t, tc.want, Fold(tc.want), "folding is idempotent for %q", tc.want)
	}
}

// TestFoldAgreesWithEqualFold checks Fold(a) == Fold(b) ⟺ EqualFold(a, b)
// over every pair of runes of a folding orbit and its neighbours.
func TestFoldAgreesWithEqualFold(t *testing.T) {
	t.Parallel()
	var runes []rune
	for r := rune(0); r < 0x2000; r++ {
		runes = append(runes, r)
	}
	runes = append(runes, 0x212A, 0x212B, 0x2126, 0x1E9E, 0xFB05, 0xFB06, 0x10400, 0x10428, unicode.ReplacementChar)
	for _, r := range runes {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			a, b := string(r), string(f)
			require.Equal(t, Fold(a), Fold(b), "%U %U", r, f)
		}
		a, b := string(r), string(r+1)
		require.Equal(t, strings.EqualFold(a, b), Fold(a) == Fold(b), "%U %U", r, r+1)
		require.Equal(t, string(foldRune(r)), Fold(a))
	}
	for _, pair := range [][2]string{{"\xff", "\uFFFD"}, {"a\xffb", "A\uFFFDB"}, {"ab", "a"}, {"K", "\u212A"}} {
		assert.Equal(t, strings.EqualFold(pair[0], pair[1]), Fold(pair[0]) == Fold(pair[1]), "%q %q", pair[0], pair[1])
	}
}

func TestFoldNoAllocWhenFolded(t *testing.T) {
	for _, s := range []string{"ABC@EXAMPLE.COM", "ÜMIT", ""} {
		assert.Zero(t, testing.AllocsPerRun(100, func() { _ = Fold(s) }), s)
	}
}

func TestFoldDocument(t *testing.T) {
	t.Parallel()
	doc := map[string]any{
		"userName": "BJensen",
		"active":   true,
		"n":        int64(3),
		"emails":   []any{map[string]any{"value": "a@Ex.com", "primary": true}, "x", nil},
		"urn:x":    map[string]any{"code": "\u212A"},
		"tags":     []string{"a"},
	}
	got := FoldDocument(doc)
	assert.Equal(t, map[string]any{
		"userName": "BJENSEN",
		"active":   true,
		"n":        int64(3),
		"emails":   []any{map[string]any{"value": "A@EX.COM", "primary": true}, "X", nil},
		"urn:x":    map[string]any{"code": "K"},
		"tags":     []string{"A"},
	}, got)
	assert.Equal(t, "BJensen", doc["userName"], "the input is not modified")
	assert.Nil(t, FoldDocument(nil))
}

func TestMatchASCIIDoesNotAllocate(t *testing.T) {
	doc := userDoc()
	for _, text := range []string{
		`userName eq "BJENSEN@example.com"`,
		`userName co "JENSEN@"`,
		`userName sw "Bj"`,
		`userName ew ".COM"`,
		`userName gt "A"`,
		`emails[type eq "work" and value co "@example.com"]`,
	} {
		f, err := Parse(text, userOpt)
		require.NoError(t, err)
		require.True(t, f.Match(doc), text)
		assert.Zero(t, testing.AllocsPerRun(100, func() { f.Match(doc) }), text)
	}
}

func TestFoldedComparisons(t *testing.T) {
	t.Parallel()
	// Ordering is defined on folded strings: "_" (0x5F) sorts after the
	// folded (upper-case) letters and before the lower-case ones.
	doc := map[string]any{"userName": "abc", "displayName": "\u212Aelvin ümit"}
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{`userName lt "_"`, true},
		{`userName gt "Z"`, false},
		{`userName eq "ABC"`, true},
		{`displayName sw "kel"`, true},
		{`displayName co "ÜMIT"`, true},
		{`displayName ew "Ümit"`, true},
		{`displayName gt "KELVIN"`, true},
		{`displayName lt "kelvinz"`, true},
	} {
		f, err := Parse(tc.filter, userOpt)
		require.NoError(t, err)
		assert.Equal(t, tc.want, f.Match(doc), tc.filter)
	}
	p, err := ParsePath("userName", userOpt)
	require.NoError(t, err)
	assert.Negative(t, p.Compare("abc", "_"))
	assert.Zero(t, p.Compare("\u212A", "\u212A"))
	assert.Negative(t, p.Compare("K", "\u212A"), "ties are broken bytewise")
	assert.Zero(t, p.Compare("k", "k"))
}
