package filter

import (
	"github.com/scimkit/scimkit/filter/internal/fastpath"

	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/q-uint/parser"
	filterparser "github.com/scim2/filter-parser/v2"
)

// Parse parses and compiles a SCIM filter (RFC 7644 section 3.4.2.2), such
// as `userName eq "bjensen" and emails[type eq "work"]`. A filter longer
// than DefaultMaxLength bytes (or the WithMaxLength limit) is refused
// before parsing. Every error wraps ErrInvalidFilter and is an *Error.
func Parse(text string, opts ...Option) (*Filter, error) {
	cfg := newConfig(opts)
	if err := cfg.checkLength(text, "filter"); err != nil {
		return nil, err
	}
	expr, err := parseFilterText(text)
	if err != nil {
		return nil, err
	}
	return compileFilter(expr, scope{set: cfg.schemas}, func() string { return text })
}

// segment is a value path found by prescan: attr[filter] with an optional
// trailing ".sub op value".
type segment struct {
	start, end   int    // byte range of the whole construct
	path         string // the attribute path before '['
	pathStart    int
	content      string // between the brackets
	contentStart int
	suffix       string // "sub op value" after "].", or ""
	suffixStart  int
}

// parseFilterText runs filter-parser over text, working around its
// limitations:
//
//   - leading and trailing white space is trimmed (the parser rejects it);
//   - every value path attr[...] is cut out and its bracket content parsed
//     on its own with the full filter grammar, because the parser's value
//     filter grammar accepts at most two comparisons and no parentheses;
//   - attr[filter].sub op value, which the parser rejects although
//     RFC 7644 clients send it, is parsed as attr[filter and sub op value],
//     which means the same thing (some element matches both);
//   - \u escapes get upper-case hex digits, the only ones the parser knows.
//
// The value paths are replaced in the text handed to the parser by a
// same-length placeholder expression "$vN pr", and spliced back into the
// resulting tree.
func parseFilterText(orig string) (filterparser.Expression, error) {
	s, off := trimSpace(orig)
	if s == "" {
		return nil, newError(orig, -1, "empty filter")
	}
	// The lookups IdPs send on nearly every request (userName eq "…")
	// skip filter-parser: internal/fastpath builds the same tree for a
	// fraction of the cost.
	if e, ok := fastpath.Comparison(s); ok {
		return e, nil
	}
	if !utf8.ValidString(s) {
		pos := 0
		for pos < len(s) {
			r, size := utf8.DecodeRuneInString(s[pos:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			pos += size
		}
		return nil, newError(orig, off+pos, "filter is not valid UTF-8")
	}
	work, segs, perr := prescan(s)
	if perr != nil {
		perr.Filter = orig
		perr.Pos += off
		return nil, perr
	}
	prefix := placeholderPrefix(s)
	if prefix == "" {
		return nil, newError(orig, -1, "unsupported attribute names")
	}
	for i := len(segs) - 1; i >= 0; i-- {
		sg := segs[i]
		name := prefix + strconv.Itoa(i)
		n := sg.end - sg.start
		if n < len(name)+3 {
			return nil, newError(orig, sg.start+off, "too many value filters")
		}
		ph := name + strings.Repeat(" ", n-len(name)-2) + "pr"
		work = work[:sg.start] + ph + work[sg.end:]
	}
	expr, err := safeParseFilter(work)
	if err != nil {
		return nil, diagnose(orig, work, off, err)
	}
	vps := make([]*filterparser.ValuePath, len(segs))
	for i, sg := range segs {
		vp, err := buildValuePath(orig, off, sg)
		if err != nil {
			return nil, err
		}
		vps[i] = vp
	}
	used := make([]bool, len(vps))
	expr = splice(expr, prefix, vps, used)
	for _, u := range used {
		if !u {
			return nil, newError(orig, -1, "unsupported value filter")
		}
	}
	return expr, nil
}

func buildValuePath(orig string, off int, sg segment) (*filterparser.ValuePath, error) {
	ap, err := safeParseAttrPath(sg.path)
	if err != nil {
		return nil, parserError(orig, sg.path, off+sg.pathStart, err, "invalid attribute path")
	}
	content, coff := trimSpace(sg.content)
	if content == "" {
		return nil, newError(orig, off+sg.contentStart, "empty value filter in %s", quote(sg.path+"[]"))
	}
	inner, err := safeParseFilter(content)
	if err != nil {
		return nil, diagnose(orig, content, off+sg.contentStart+coff, err)
	}
	if sg.suffix != "" {
		sx, err := safeParseAttrExp(sg.suffix)
		if err != nil {
			return nil, diagnose(orig, sg.suffix, off+sg.suffixStart, err)
		}
		inner = &filterparser.LogicalExpression{Left: inner, Right: &sx, Operator: filterparser.AND}
	}
	return &filterparser.ValuePath{AttributePath: ap, ValueFilter: inner}, nil
}

// splice replaces the placeholder expressions by the value paths.
func splice(e filterparser.Expression, prefix string, vps []*filterparser.ValuePath, used []bool) filterparser.Expression {
	switch t := e.(type) {
	case *filterparser.LogicalExpression:
		t.Left = splice(t.Left, prefix, vps, used)
		t.Right = splice(t.Right, prefix, vps, used)
	case *filterparser.NotExpression:
		t.Expression = splice(t.Expression, prefix, vps, used)
	case *filterparser.AttributeExpression:
		ap := t.AttributePath
		if t.Operator != filterparser.PR || ap.URIPrefix != nil || ap.SubAttribute != nil || !strings.HasPrefix(ap.AttributeName, prefix) {
			return e
		}
		i, err := strconv.Atoi(ap.AttributeName[len(prefix):])
		if err != nil || i < 0 || i >= len(vps) || used[i] {
			return e
		}
		used[i] = true
		return vps[i]
	}
	return e
}

// placeholderPrefix picks an attribute name prefix that does not occur in s.
func placeholderPrefix(s string) string {
	ls := strings.ToLower(s)
	for c := 'v'; c != 'u'; c = 'a' + (c-'a'+1)%26 {
		p := "$" + string(c)
		if !strings.Contains(ls, p) {
			return p
		}
	}
	return ""
}

func isPathChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '$' || c == '_' || c == '-' || c == '.' || c == ':'
}

func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// prescan checks strings and brackets, finds the value paths and returns
// the text with \u escapes normalized. Positions in errors are relative to
// s.
func prescan(s string) (string, []segment, *Error) {
	b := []byte(s)
	var (
		segs   []segment
		parens []int
		open   = -1 // position of the '[' of the value filter we are in
		cur    segment
	)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			end, err := scanString(b, i)
			if err != nil {
				return "", nil, err
			}
			i = end
		case '(':
			parens = append(parens, i)
			if len(parens) > maxParens {
				return "", nil, newError(s, i, "filter is nested too deeply")
			}
		case ')':
			if len(parens) == 0 {
				return "", nil, newError(s, i, "unbalanced ')'")
			}
			if open >= 0 && parens[len(parens)-1] < open {
				return "", nil, newError(s, i, "unbalanced ')' inside value filter")
			}
			parens = parens[:len(parens)-1]
		case '[':
			if open >= 0 {
				return "", nil, newError(s, i, "value filters cannot be nested")
			}
			j := i - 1
			for j >= 0 && b[j] == ' ' {
				j--
			}
			pathEnd := j + 1
			for j >= 0 && isPathChar(b[j]) {
				j--
			}
			pathStart := j + 1
			if pathStart == pathEnd || (j >= 0 && b[j] != ' ' && b[j] != '(') {
				return "", nil, newError(s, i, "'[' must follow an attribute name")
			}
			open = i
			cur = segment{start: pathStart, path: string(b[pathStart:pathEnd]), pathStart: pathStart, contentStart: i + 1}
		case ']':
			if open < 0 {
				return "", nil, newError(s, i, "unbalanced ']'")
			}
			if len(parens) > 0 && parens[len(parens)-1] > open {
				return "", nil, newError(s, parens[len(parens)-1], "missing ')' inside value filter")
			}
			cur.content = string(b[cur.contentStart:i])
			cur.end = i + 1
			if sfxEnd, ok := scanSuffix(b, i+1); ok {
				cur.suffix = string(b[i+2 : sfxEnd])
				cur.suffixStart = i + 2
				cur.end = sfxEnd
				i = sfxEnd - 1
			} else if i+1 < len(b) && b[i+1] == '.' {
				if pos, reason, bad := validate(string(b[i+2:])); bad {
					return "", nil, newError(s, i+2+pos, "%s", reason)
				}
				return "", nil, newError(s, i+1, `a value filter can only be followed by ".subAttribute operator value"`)
			}
			segs = append(segs, cur)
			open = -1
		}
	}
	if open >= 0 {
		return "", nil, newError(s, open, "missing ']'")
	}
	if len(parens) > 0 {
		return "", nil, newError(s, parens[len(parens)-1], "missing ')'")
	}
	return string(b), segs, nil
}

// scanString returns the position of the quote closing the string that
// starts at b[i], upper-casing the hex digits of \u escapes on the way.
func scanString(b []byte, i int) (int, *Error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			if j+1 < len(b) && b[j+1] == 'u' && j+5 < len(b) {
				for k := j + 2; k < j+6; k++ {
					if isHex(b[k]) && b[k] >= 'a' {
						b[k] -= 'a' - 'A'
					}
				}
			}
			j++
		case '"':
			return j, nil
		}
	}
	return 0, newError(string(b), i, "unterminated string")
}

// scanSuffix recognizes ".sub op value" (or ".sub pr") at b[i:], the
// attribute expression clients write after a value filter, and returns
// where it ends.
func scanSuffix(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '.' {
		return 0, false
	}
	j := i + 1
	if j < len(b) && b[j] == '$' {
		j++
	}
	start := j
	for j < len(b) && isNameChar(b[j]) {
		j++
	}
	if j == start || j >= len(b) || b[j] != ' ' {
		return 0, false
	}
	for j < len(b) && b[j] == ' ' {
		j++
	}
	opStart := j
	for j < len(b) && b[j] != ' ' && b[j] != ')' {
		j++
	}
	op := strings.ToLower(string(b[opStart:j]))
	switch op {
	case "pr":
		return j, true
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	default:
		return 0, false
	}
	if j >= len(b) || b[j] != ' ' {
		return 0, false
	}
	for j < len(b) && b[j] == ' ' {
		j++
	}
	if j >= len(b) {
		return 0, false
	}
	if b[j] == '"' {
		end, err := scanString(b, j)
		if err != nil {
			return 0, false
		}
		return end + 1, true
	}
	vs := j
	for j < len(b) && b[j] != ' ' && b[j] != ')' && b[j] != ']' && b[j] != '[' && b[j] != '"' {
		j++
	}
	return j, j > vs
}

// safeParseFilter, safeParseAttrPath, safeParsePath and safeParseAttrExp
// call filter-parser, turning any panic into an error.
func safeParseFilter(s string) (e filterparser.Expression, err error) {
	defer recoverParser(&err)
	return filterparser.ParseFilterNumber([]byte(s))
}

func safeParseAttrPath(s string) (ap filterparser.AttributePath, err error) {
	if ap, ok := fastpath.AttrPath(s); ok {
		return ap, nil
	}
	defer recoverParser(&err)
	return filterparser.ParseAttrPath([]byte(s))
}

// safeParsePath parses a PATCH path with filter-parser, as scim did
// before this package took it over: numbers as int or float64, not
// json.Number.
func safeParsePath(s string) (p filterparser.Path, err error) {
	defer recoverParser(&err)
	return filterparser.ParsePath([]byte(s))
}

func safeParseAttrExp(s string) (e filterparser.AttributeExpression, err error) {
	defer recoverParser(&err)
	return filterparser.ParseAttrExpNumber([]byte(s))
}

func recoverParser(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("parser failure: %v", r)
	}
}

// conflictOffset extracts the byte offset in text of a filter-parser
// syntax error, or -1.
func conflictOffset(text string, err error) int {
	var pe *parser.ExpectedParseError
	if !errors.As(err, &pe) {
		return -1
	}
	row, col := pe.Conflict.Position()
	off := 0
	for r := 0; r < row; r++ {
		k := strings.IndexByte(text[off:], '\n')
		if k < 0 {
			return -1
		}
		off += k + 1
	}
	for c := 0; c < col && off < len(text); c++ {
		_, size := utf8.DecodeRuneInString(text[off:])
		off += size
	}
	if off > len(text) {
		return -1
	}
	return off
}

// parserError maps a filter-parser error on text (found at offset base of
// orig) to an *Error.
func parserError(orig, text string, base int, err error, what string) *Error {
	if pos := conflictOffset(text, err); pos > 0 {
		return newError(orig, base+pos, "%s: unexpected %s", what, near(text, pos))
	}
	return newError(orig, base, "%s %s", what, quote(text))
}

// diagnose explains why filter-parser rejected text, a piece of orig
// starting at byte offset base. filter-parser's own errors mostly point at
// the start of the alternative that failed, so the text is checked again
// with a simple validator that knows which token is wrong.
func diagnose(orig, text string, base int, err error) *Error {
	if pos, reason, bad := validate(text); bad {
		return newError(orig, base+pos, "%s", reason)
	}
	if pos := conflictOffset(text, err); pos > 1 {
		return newError(orig, base+pos, "syntax error: unexpected %s", near(text, pos))
	}
	return newError(orig, base, "syntax error")
}

// near quotes the token at text[pos:] for an error message.
func near(text string, pos int) string {
	if pos >= len(text) {
		return "end of filter"
	}
	end := pos + 1
	for end < len(text) && end-pos < 20 && text[end] != ' ' {
		end++
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	return strconv.Quote(text[pos:end])
}
