package filter

import (
	"strconv"
	"strings"
)

// validate re-checks a filter that filter-parser rejected, token by token,
// to find where it goes wrong and say why. It reports bad=false when it
// finds nothing wrong (the caller then falls back to the parser's own
// position).
func validate(text string) (pos int, reason string, bad bool) {
	const (
		operand = iota
		operator
		value
		connector
	)
	state := operand
	var parens []int
	i := 0
	for {
		spaced := i == 0
		for i < len(text) && text[i] == ' ' {
			i++
			spaced = true
		}
		if i >= len(text) {
			break
		}
		start := i
		c := text[i]
		var tok string
		switch {
		case c == '(' || c == ')' || c == '[' || c == ']':
			i++
			tok = text[start:i]
		case c == '"':
			i++
			for i < len(text) && text[i] != '"' {
				if text[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(text) {
				return start, "unterminated string", true
			}
			i++
			tok = text[start:i]
		case c < ' ' || c == 0x7f:
			return start, "unexpected control character " + strconv.QuoteRune(rune(c)), true
		default:
			for i < len(text) && !strings.ContainsRune(" ()[]\"", rune(text[i])) && text[i] >= ' ' {
				i++
			}
			tok = text[start:i]
		}
		switch state {
		case operand:
			switch {
			case tok == "(":
				parens = append(parens, start)
			case strings.EqualFold(tok, "not"):
				j := i
				for j < len(text) && text[j] == ' ' {
					j++
				}
				if j >= len(text) || text[j] != '(' {
					return start, `"not" must be followed by a parenthesized filter`, true
				}
			case tok == ")" || tok == "[" || tok == "]" || tok[0] == '"':
				return start, "expected an attribute name, got " + near(text, start), true
			default:
				if !validAttrPath(tok) {
					return start, "invalid attribute path " + quote(tok), true
				}
				state = operator
			}
		case operator:
			if !spaced {
				return start, "expected a space before " + near(text, start), true
			}
			switch strings.ToLower(tok) {
			case "pr":
				state = connector
			case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
				state = value
			default:
				if tok == "[" {
					return start, "'[' must follow the attribute name directly", true
				}
				return start, "unknown operator " + quote(tok), true
			}
		case value:
			if !spaced {
				return start, "expected a space before " + near(text, start), true
			}
			switch {
			case tok[0] == '"':
			case strings.EqualFold(tok, "true"), strings.EqualFold(tok, "false"), strings.EqualFold(tok, "null"):
			case validNumber(tok):
			case tok == "(" || tok == ")" || tok == "[" || tok == "]":
				return start, "missing compare value before " + near(text, start), true
			default:
				return start, "invalid compare value " + quote(tok) + ": strings must be in double quotes", true
			}
			state = connector
		case connector:
			switch {
			case tok == ")":
				if len(parens) == 0 {
					return start, "unbalanced ')'", true
				}
				parens = parens[:len(parens)-1]
			case strings.EqualFold(tok, "and"), strings.EqualFold(tok, "or"):
				if !spaced {
					return start, "expected a space before " + near(text, start), true
				}
				if i >= len(text) {
					return i, "unexpected end of filter after " + quote(tok), true
				}
				if text[i] != ' ' {
					return i, "expected a space after " + quote(tok), true
				}
				state = operand
			default:
				if len(parens) > 0 {
					return start, `expected "and", "or" or ")", got ` + near(text, start), true
				}
				return start, `expected "and", "or" or end of filter, got ` + near(text, start), true
			}
		}
	}
	switch state {
	case operand:
		return len(text), "unexpected end of filter: expected an attribute name", true
	case operator:
		return len(text), "unexpected end of filter: expected an operator", true
	case value:
		return len(text), "unexpected end of filter: expected a compare value", true
	}
	if len(parens) > 0 {
		return parens[len(parens)-1], "missing ')'", true
	}
	return 0, "", false
}

// validAttrPath checks [URN:]name[.sub] the way filter-parser's grammar
// does.
func validAttrPath(s string) bool {
	if k := strings.LastIndexByte(s, ':'); k >= 0 {
		for _, seg := range strings.Split(s[:k], ":") {
			if seg == "" {
				return false
			}
			for i := 0; i < len(seg); i++ {
				c := seg[i]
				if !(isNameChar(c) && c != '_' || c == '.') {
					return false
				}
			}
		}
		s = s[k+1:]
	}
	name, sub, hasSub := strings.Cut(s, ".")
	return validAttrName(name) && (!hasSub || validAttrName(sub))
}

func validAttrName(s string) bool {
	s = strings.TrimPrefix(s, "$")
	if s == "" || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// validNumber checks the JSON number syntax the grammar accepts.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
