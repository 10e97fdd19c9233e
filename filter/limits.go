package filter

import (
	"strconv"
	"unicode/utf8"
)

// maxExcerpt is how many bytes of client input an error message quotes.
const maxExcerpt = 64

// Excerpt returns s if it is at most 64 bytes long, and else its first 64
// bytes (fewer when that would cut a UTF-8 sequence) followed by "…". Error
// messages of this package quote client input only through Excerpt, so
// that an error never echoes a long input back; callers can use it for
// their own messages about the same input.
func Excerpt(s string) string { return excerpt(s, maxExcerpt) }

// excerpt is s cut to at most n bytes, at a rune boundary, with "…" added
// when anything was cut.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// quote is strconv.Quote of the Excerpt of s.
func quote(s string) string { return strconv.Quote(Excerpt(s)) }
