package filter

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// node is one compiled filter expression.
type node interface {
	match(doc map[string]any) bool
	render(b *strings.Builder)
}

type andNode struct{ l, r node }

func (n *andNode) match(doc map[string]any) bool { return n.l.match(doc) && n.r.match(doc) }

func (n *andNode) render(b *strings.Builder) {
	renderChild(b, n.l, true)
	b.WriteString(" and ")
	renderChild(b, n.r, true)
}

type orNode struct{ l, r node }

func (n *orNode) match(doc map[string]any) bool { return n.l.match(doc) || n.r.match(doc) }

func (n *orNode) render(b *strings.Builder) {
	n.l.render(b)
	b.WriteString(" or ")
	n.r.render(b)
}

// renderChild renders an operand of "and", putting "or" in parentheses.
func renderChild(b *strings.Builder, n node, inAnd bool) {
	if _, ok := n.(*orNode); ok && inAnd {
		b.WriteByte('(')
		n.render(b)
		b.WriteByte(')')
		return
	}
	n.render(b)
}

type notNode struct{ x node }

func (n *notNode) match(doc map[string]any) bool { return !n.x.match(doc) }

func (n *notNode) render(b *strings.Builder) {
	b.WriteString("not (")
	n.x.render(b)
	b.WriteByte(')')
}

// valueNode is a value path, attr[filter]: it matches when the filter
// matches at least one element of the (multi-valued complex) attribute.
type valueNode struct {
	path  rpath
	inner node
}

func (n *valueNode) match(doc map[string]any) bool {
	switch t := n.path.top(doc).(type) {
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok && n.inner.match(m) {
				return true
			}
		}
	case []map[string]any:
		for _, m := range t {
			if n.inner.match(m) {
				return true
			}
		}
	case map[string]any:
		return n.inner.match(t)
	}
	return false
}

func (n *valueNode) render(b *strings.Builder) {
	b.WriteString(n.path.String())
	b.WriteByte('[')
	n.inner.render(b)
	b.WriteByte(']')
}

// Kinds of comparison a cmpNode makes.
const (
	kPresent = iota // pr
	kNullEq         // eq null: attribute absent
	kNullNe         // ne null: attribute present
	kString         // string (optionally dateTime) comparison
	kNumber         // numeric comparison
	kBool           // boolean comparison
)

// cmpNode is a compiled attribute expression.
type cmpNode struct {
	path      rpath
	op        string
	lit       any // the compare value for rendering: string, json.Number, bool or nil
	kind      int
	implicit  bool // compare the "value" of complex values
	caseExact bool
	str       string    // kString: the constant
	folded    string    // kString: Fold of the constant
	isTime    bool      // kString: the constant is a dateTime
	dateTime  bool      // kString: the attribute is a dateTime by schema
	t         time.Time // kString with isTime: the constant as an instant
	num       number    // kNumber
	b         bool      // kBool
}

func (n *cmpNode) match(doc map[string]any) bool {
	switch n.kind {
	case kPresent, kNullNe:
		return n.path.each(doc, false, isPresent)
	case kNullEq:
		return !n.path.each(doc, false, isPresent)
	}
	if n.op == "ne" {
		// ne holds when some value differs, or when there is no value at
		// all (an absent attribute is not equal to anything).
		return n.path.each(doc, n.implicit, n.test) || !n.path.each(doc, n.implicit, isAnything)
	}
	return n.path.each(doc, n.implicit, n.test)
}

func isAnything(any) bool { return true }

// isPresent reports whether v counts as present for "pr": not nil, not an
// empty string, not an empty array or object.
func isPresent(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	case []string:
		return len(t) > 0
	case []map[string]any:
		return len(t) > 0
	}
	return true
}

// test compares one value with the constant. A value of the wrong type
// never matches, except for "ne".
func (n *cmpNode) test(v any) bool {
	switch n.kind {
	case kString:
		s, ok := v.(string)
		if !ok {
			return n.op == "ne"
		}
		if n.isTime && (n.dateTime || looksLikeTime(s)) {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return cmpResult(n.op, t.Compare(n.t))
			}
		}
		return n.testString(s)
	case kNumber:
		x, ok := toNumber(v)
		if !ok {
			return n.op == "ne"
		}
		return cmpResult(n.op, x.cmp(n.num))
	case kBool:
		x, ok := v.(bool)
		if !ok {
			return n.op == "ne"
		}
		switch n.op {
		case "eq":
			return x == n.b
		case "ne":
			return x != n.b
		}
	}
	return false
}

func (n *cmpNode) testString(s string) bool {
	if n.caseExact {
		switch n.op {
		case "eq":
			return s == n.str
		case "ne":
			return s != n.str
		case "co":
			return strings.Contains(s, n.str)
		case "sw":
			return strings.HasPrefix(s, n.str)
		case "ew":
			return strings.HasSuffix(s, n.str)
		}
		return cmpResult(n.op, strings.Compare(s, n.str))
	}
	// Case-insensitive comparisons are defined on folded strings:
	// co is strings.Contains(Fold(s), Fold(c)), gt is Fold(s) > Fold(c)
	// bytewise, and so on. (strings.EqualFold(s, c) is Fold(s) == Fold(c).)
	switch n.op {
	case "eq":
		return strings.EqualFold(s, n.str)
	case "ne":
		return !strings.EqualFold(s, n.str)
	case "co":
		return containsFold(s, n.folded)
	case "sw":
		return prefixFold(s, n.folded)
	case "ew":
		return suffixFold(s, n.folded)
	}
	return cmpResult(n.op, compareFold(s, n.folded))
}

// cmpResult applies an ordering (or equality) operator to a three-way
// comparison result.
func cmpResult(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

func (n *cmpNode) render(b *strings.Builder) {
	b.WriteString(n.path.String())
	b.WriteByte(' ')
	b.WriteString(n.op)
	if n.kind == kPresent {
		return
	}
	b.WriteByte(' ')
	writeLiteral(b, n.lit)
}

func writeLiteral(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case json.Number:
		b.WriteString(t.String())
	case string:
		writeQuoted(b, t)
	}
}

// writeQuoted writes s as a filter string literal, escaping only what the
// grammar requires (and with the upper-case hex digits filter-parser
// insists on).
func writeQuoted(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// looksLikeTime is a cheap test for an RFC 3339 timestamp, used to avoid
// parsing arbitrary strings as times when no schema says they are.
func looksLikeTime(s string) bool {
	return len(s) >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') && s[13] == ':'
}

func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// number is a numeric value, exact for integers.
type number struct {
	i     int64
	f     float64
	isInt bool
}

func (a number) cmp(b number) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}

func intNumber(i int64) number { return number{i: i, f: float64(i), isInt: true} }

func floatNumber(f float64) number {
	if f == math.Trunc(f) && f >= -9.2e18 && f <= 9.2e18 {
		return number{i: int64(f), f: f, isInt: true}
	}
	return number{f: f}
}

func parseNumber(s string) (number, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return intNumber(i), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return number{}, false
	}
	return floatNumber(f), true
}

func toNumber(v any) (number, bool) {
	switch t := v.(type) {
	case float64:
		if math.IsNaN(t) {
			return number{}, false
		}
		return floatNumber(t), true
	case float32:
		return toNumber(float64(t))
	case int:
		return intNumber(int64(t)), true
	case int64:
		return intNumber(t), true
	case int32:
		return intNumber(int64(t)), true
	case int16:
		return intNumber(int64(t)), true
	case int8:
		return intNumber(int64(t)), true
	case uint:
		return toNumber(uint64(t))
	case uint32:
		return intNumber(int64(t)), true
	case uint16:
		return intNumber(int64(t)), true
	case uint8:
		return intNumber(int64(t)), true
	case uint64:
		if t > math.MaxInt64 {
			return number{f: float64(t)}, true
		}
		return intNumber(int64(t)), true
	case json.Number:
		return parseNumber(string(t))
	}
	return number{}, false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// compareValues orders two non-nil values for Path.Compare.
func compareValues(a, b any, typ string, caseExact bool) int {
	switch typ {
	case "dateTime":
		as, aok := a.(string)
		bs, bok := b.(string)
		if aok && bok {
			ta, ok1 := parseTime(as)
			tb, ok2 := parseTime(bs)
			if ok1 && ok2 {
				return ta.Compare(tb)
			}
		}
	}
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		if ra < rb {
			return -1
		}
		return 1
	}
	switch ra {
	case 0: // bool
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case 1: // number
		x, _ := toNumber(a)
		y, _ := toNumber(b)
		return x.cmp(y)
	case 2: // string
		x, y := a.(string), b.(string)
		if typ == "" && looksLikeTime(x) && looksLikeTime(y) {
			if ta, ok := parseTime(x); ok {
				if tb, ok := parseTime(y); ok {
					return ta.Compare(tb)
				}
			}
		}
		if caseExact {
			return strings.Compare(x, y)
		}
		if c := compareFoldBoth(x, y); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	}
	return 0
}

// typeRank orders values of different types: booleans, numbers, strings,
// then everything else.
func typeRank(v any) int {
	switch v.(type) {
	case bool:
		return 0
	case string:
		return 2
	}
	if _, ok := toNumber(v); ok {
		return 1
	}
	return 3
}
