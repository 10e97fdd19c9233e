// Package fastpath parses the simplest and by far most common SCIM
// attribute paths and comparisons without github.com/scim2/filter-parser/v2.
//
// Why: filter-parser is a generic PEG parser that costs about 70 µs and
// 2,000 allocations even for `userName eq "x"` or the PATCH path `title`,
// which made it most of the cost of a filtered GET and of every PATCH
// (docs/PERFORMANCE.md). The shapes here, `[urn:...:]attr[.sub]` and
// `attrPath op "string"`, are what IdPs send on nearly every request; for
// them this package builds exactly the AST filter-parser would (a
// differential fuzz test holds it to that), and it declines everything
// else, which then goes to filter-parser as before.
package fastpath

import (
	"strings"

	fp "github.com/scim2/filter-parser/v2"
)

// AttrPath parses `[URI ":"] ATTRNAME ["." ATTRNAME]` (RFC 7644 §3.10),
// reporting false for anything else.
func AttrPath(s string) (fp.AttributePath, bool) {
	var p fp.AttributePath
	name := s
	if len(s) > 4 && strings.EqualFold(s[:4], "urn:") {
		i := strings.LastIndexByte(s, ':')
		if i <= 4 || !validURN(s[:i]) {
			return p, false
		}
		uri := s[:i]
		p.URIPrefix = &uri
		name = s[i+1:]
	}
	attr, sub, hasSub := strings.Cut(name, ".")
	if !validName(attr) || (hasSub && !validName(sub)) {
		return p, false
	}
	p.AttributeName = attr
	if hasSub {
		p.SubAttribute = &sub
	}
	return p, true
}

// Path parses a PATCH path (RFC 7644 §3.5.2): an attribute path, or a
// value path with one comparison and an optional sub-attribute,
// `attr[sub op "string"][.sub]`, such as `members[value eq "2819c223"]` or
// `emails[type eq "work"].value` (what Entra ID and Okta send). It reports
// false for anything else.
func Path(s string) (fp.Path, bool) {
	open := strings.IndexByte(s, '[')
	if open < 0 {
		ap, ok := AttrPath(s)
		return fp.Path{AttributePath: ap}, ok
	}
	end := strings.LastIndexByte(s, ']')
	if end < open {
		return fp.Path{}, false
	}
	ap, ok := AttrPath(s[:open])
	if !ok || ap.SubAttribute != nil {
		return fp.Path{}, false
	}
	cmp, ok := Comparison(s[open+1 : end])
	if !ok || cmp.AttributePath.URIPrefix != nil || cmp.AttributePath.SubAttribute != nil {
		return fp.Path{}, false
	}
	p := fp.Path{AttributePath: ap, ValueExpression: cmp}
	if rest := s[end+1:]; rest != "" {
		if rest[0] != '.' || !validName(rest[1:]) {
			return fp.Path{}, false
		}
		sub := rest[1:]
		p.SubAttribute = &sub
	}
	return p, true
}

// Comparison parses `attrPath SP op SP "string"` for the operators eq, ne,
// co, sw, ew, gt, ge, lt and le, with a string free of escapes and control
// characters, reporting false for anything else. Like filter-parser, the
// compare value is the text between the quotes.
func Comparison(s string) (*fp.AttributeExpression, bool) {
	path, rest, ok := strings.Cut(s, " ")
	if !ok {
		return nil, false
	}
	op, value, ok := strings.Cut(rest, " ")
	if !ok || len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
		return nil, false
	}
	var operator fp.CompareOperator
	switch strings.ToLower(op) {
	case "eq":
		operator = fp.EQ
	case "ne":
		operator = fp.NE
	case "co":
		operator = fp.CO
	case "sw":
		operator = fp.SW
	case "ew":
		operator = fp.EW
	case "gt":
		operator = fp.GT
	case "ge":
		operator = fp.GE
	case "lt":
		operator = fp.LT
	case "le":
		operator = fp.LE
	default:
		return nil, false
	}
	str := value[1 : len(value)-1]
	for i := 0; i < len(str); i++ {
		if c := str[i]; c == '"' || c == '\\' || c < 0x20 || c == 0x7f || c >= 0x80 {
			return nil, false
		}
	}
	ap, ok := AttrPath(path)
	if !ok {
		return nil, false
	}
	return &fp.AttributeExpression{AttributePath: ap, Operator: operator, CompareValue: str}, true
}

func validName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// validURN accepts exactly what filter-parser's URI rule accepts: segments
// of letters, digits, "." and "-" separated by ":", none empty. ("_" is
// legal in RFC 8141 but not there, so the fast path declines it too.)
func validURN(s string) bool {
	for _, seg := range strings.Split(s, ":") {
		if seg == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !isAlpha(c) && !isDigit(c) && c != '.' && c != '-' {
				return false
			}
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
