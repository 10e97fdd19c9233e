package filter

import (
	"strconv"
	"unicode/utf8"
)

// The limits below apply to every filter and attribute path that Parse,
// ParsePath and ParsePatchPath accept, whatever request parameter it came
// from, so that hostile input costs time and memory linear in a small,
// fixed size. The package documentation lists them.

// DefaultMaxLength is the longest filter or attribute path, in bytes after
// trimming surrounding white space, that Parse, ParsePath and
// ParsePatchPath accept unless WithMaxLength sets another limit. Longer
// text is refused before any parsing. It is far above what identity
// providers send.
const DefaultMaxLength = 4096

// maxParens bounds the nesting of parentheses and brackets (value filters)
// in a filter or PATCH path.
const maxParens = 100

// maxDepth bounds the depth of expression trees (long and/or chains are
// as deep as they are long) so that hostile input cannot exhaust the stack.
// Parse cannot reach it within DefaultMaxLength; it guards Compile, whose
// expressions come from elsewhere.
const maxDepth = 10000

// maxExcerpt is how many bytes of client input an error message quotes.
const maxExcerpt = 64

// WithMaxLength sets the longest filter or attribute path, in bytes, that
// Parse, ParsePath and ParsePatchPath accept (DefaultMaxLength without this
// option). A value of zero or less keeps DefaultMaxLength. Raising it
// raises the cost of parsing hostile input in proportion: the parser
// allocates about 2 KiB per byte of a long filter.
func WithMaxLength(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxLen = n
		} else {
			c.maxLen = DefaultMaxLength
		}
	}
}

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

// checkLength refuses orig when, without surrounding white space, it is
// longer than the configured limit. what names the input in the message.
func (c *config) checkLength(orig, what string) error {
	if s, _ := trimSpace(orig); len(s) > c.maxLen {
		return newError(orig, -1, "%s is longer than %d bytes", what, c.maxLen)
	}
	return nil
}

// checkNesting refuses s when its parentheses and brackets, outside quoted
// strings, nest more than maxParens deep. Balance is left to the parser.
func checkNesting(s string) (int, bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '(', '[':
			if depth++; depth > maxParens {
				return i, false
			}
		case ')', ']':
			depth--
		}
	}
	return 0, true
}
