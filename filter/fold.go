package filter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold returns the canonical case folding of s: every rune replaced by the
// smallest rune of its Unicode simple case folding orbit (unicode.SimpleFold),
// so that Fold(a) == Fold(b) exactly when strings.EqualFold(a, b). ASCII
// letters fold to upper case ("k", "K" and the Kelvin sign U+212A all fold
// to "K"). Invalid UTF-8 bytes become U+FFFD, as strings.EqualFold treats
// them, so the result is always valid UTF-8.
//
// Every case-insensitive comparison of this package is defined on folded
// strings (see the package documentation), and stores use Fold for their
// case-insensitive keys and folded columns. Fold does not allocate when s
// is already folded.
func Fold(s string) string {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.Map(foldRune, s)
		}
		if 'a' <= c && c <= 'z' {
			upper = true
		}
	}
	if !upper {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		b[i] = upperASCII(c)
	}
	return string(b)
}

// foldRune maps r to the smallest rune of its simple folding orbit.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		return rune(upperASCII(byte(r)))
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// FoldDocument returns a deep copy of doc in which every string value
// (at any depth, including inside arrays) is replaced by Fold of it; keys
// are left untouched. Stores that translate filters to SQL (Filter.SQL)
// keep it beside the document so that case-insensitive comparisons become
// plain comparisons. Values other than strings, maps and slices are copied
// as they are.
func FoldDocument(doc map[string]any) map[string]any {
	if doc == nil {
		return nil
	}
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		out[k] = foldValue(v)
	}
	return out
}

func foldValue(v any) any {
	switch t := v.(type) {
	case string:
		return Fold(t)
	case map[string]any:
		return FoldDocument(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = foldValue(e)
		}
		return out
	case []string:
		out := make([]string, len(t))
		for i, e := range t {
			out[i] = Fold(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(t))
		for i, e := range t {
			out[i] = FoldDocument(e)
		}
		return out
	}
	return v
}

// Case-insensitive comparisons. The constant side is already folded; s is
// folded on the fly, without allocating when it is ASCII (the fold of an
// ASCII string is its upper-case form, byte for byte).

// equalFoldedASCII reports whether Fold(s) equals folded, for ASCII s of
// the same length as folded.
func equalFoldedASCII(s, folded string) bool {
	for i := 0; i < len(s); i++ {
		if upperASCII(s[i]) != folded[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether Fold(s) contains folded.
func containsFold(s, folded string) bool {
	if isASCII(s) {
		n := len(folded)
		for i := 0; i+n <= len(s); i++ {
			if equalFoldedASCII(s[i:i+n], folded) {
				return true
			}
		}
		return false
	}
	return strings.Contains(Fold(s), folded)
}

// prefixFold reports whether Fold(s) starts with folded.
func prefixFold(s, folded string) bool {
	if isASCII(s) {
		return len(s) >= len(folded) && equalFoldedASCII(s[:len(folded)], folded)
	}
	return strings.HasPrefix(Fold(s), folded)
}

// suffixFold reports whether Fold(s) ends with folded.
func suffixFold(s, folded string) bool {
	if isASCII(s) {
		return len(s) >= len(folded) && equalFoldedASCII(s[len(s)-len(folded):], folded)
	}
	return strings.HasSuffix(Fold(s), folded)
}

// compareFold compares Fold(s) with folded bytewise.
func compareFold(s, folded string) int {
	if isASCII(s) {
		n := min(len(s), len(folded))
		for i := 0; i < n; i++ {
			a, b := upperASCII(s[i]), folded[i]
			if a != b {
				if a < b {
					return -1
				}
				return 1
			}
		}
		switch {
		case len(s) < len(folded):
			return -1
		case len(s) > len(folded):
			return 1
		}
		return 0
	}
	return strings.Compare(Fold(s), folded)
}

// compareFoldBoth compares Fold(a) with Fold(b) bytewise.
func compareFoldBoth(a, b string) int {
	if !isASCII(a) || !isASCII(b) {
		return strings.Compare(Fold(a), Fold(b))
	}
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := upperASCII(a[i]), upperASCII(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}
