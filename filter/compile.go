package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	filterparser "github.com/scim2/filter-parser/v2"
)

// Filter is a compiled SCIM filter. It is immutable and safe for concurrent
// use; compile it once and call Match for every candidate document.
type Filter struct {
	expr     filterparser.Expression
	root     node
	schemas  *schemaSet // from WithSchemas; nil without
	inValue  bool       // compiled by CompileValueFilter
	eqAttr   string
	eqValues []string
	eqOK     bool
	lookups  []IndexLookup
	lookupOK bool
}

// compileExpr compiles an expression that was already parsed with
// filter-parser. String compare values are expected as that parser
// produces them, with JSON escape sequences still in place; it decodes
// them. Every error wraps ErrInvalidFilter.
func compileExpr(expr filterparser.Expression, opts ...Option) (*Filter, error) {
	cfg := newConfig(opts)
	return compileFilter(expr, scope{set: cfg.schemas}, func() string { return exprString(expr) })
}

// compileValueFilter compiles the filter of a value path, the part in
// brackets of emails[type eq "work"], to be matched against ONE element of
// the multi-valued complex attribute parent (such as "emails" or "members",
// optionally URN-qualified). Attribute names in expr are sub-attributes of
// parent. It serves PATCH paths like members[value eq "2819c223"]. Every
// error wraps ErrInvalidFilter.
func compileValueFilter(parent string, expr filterparser.Expression, opts ...Option) (*Filter, error) {
	cfg := newConfig(opts)
	if err := cfg.checkLength(parent, "attribute path"); err != nil {
		return nil, err
	}
	text, _ := trimSpace(parent)
	if text == "" {
		return nil, newError(parent, -1, "empty attribute path")
	}
	ap, err := safeParseAttrPath(text)
	if err != nil {
		return nil, parserError(parent, text, 0, err, "invalid attribute path")
	}
	rp, err := resolve(ap, scope{set: cfg.schemas})
	if err != nil {
		return nil, asError(parent, err)
	}
	sc, err := valueScope(rp)
	if err != nil {
		return nil, asError(parent, err)
	}
	return compileFilter(expr, sc, func() string { return exprString(expr) })
}

// Equal returns the filter `attr eq value`, whatever value contains: what
// Parse(attr + ` eq "` + value + `"`) would give for a value that needed no
// escaping, without writing and parsing the text. attr is an attribute
// path; options are those of Parse. Every error wraps ErrInvalidFilter.
func Equal(attr, value string, opts ...Option) (*Filter, error) {
	cfg := newConfig(opts)
	if err := cfg.checkLength(attr, "attribute path"); err != nil {
		return nil, err
	}
	ap, err := safeParseAttrPath(attr)
	if err != nil {
		return nil, parserError(attr, attr, 0, err, "invalid attribute path")
	}
	if strings.ContainsRune(value, '\\') {
		// Compare values are decoded as the parser leaves them: with
		// JSON escape sequences in place.
		quoted, _ := json.Marshal(value) // a string always marshals
		value = string(quoted[1 : len(quoted)-1])
	}
	expr := &filterparser.AttributeExpression{AttributePath: ap, Operator: filterparser.EQ, CompareValue: value}
	return compileFilter(expr, scope{set: cfg.schemas}, func() string { return exprString(expr) })
}

func compileFilter(expr filterparser.Expression, sc scope, text func() string) (*Filter, error) {
	c := compiler{}
	root, err := c.compile(expr, sc)
	if err != nil {
		return nil, asError(text(), err)
	}
	f := &Filter{expr: expr, root: root, schemas: sc.set, inValue: sc.inValue}
	if !sc.inValue {
		f.eqAttr, f.eqValues, f.eqOK = equalities(root)
		f.lookups, f.lookupOK = indexLookups(root, 0)
	}
	return f, nil
}

// Match reports whether doc satisfies the filter. A nil Filter matches
// every document.
func (f *Filter) Match(doc map[string]any) bool {
	if f == nil || f.root == nil {
		return true
	}
	return f.root.match(doc)
}

// String returns the filter in SCIM filter syntax, with attribute names in
// canonical spelling. Parsing the result gives an equivalent filter.
func (f *Filter) String() string {
	if f == nil || f.root == nil {
		return ""
	}
	var b strings.Builder
	f.root.render(&b)
	return b.String()
}

// expression returns the parsed expression the filter was compiled from.
// For filters from Parse it is the expression after this package's
// rewrites (see the package documentation). Callers must not modify it.
func (f *Filter) expression() filterparser.Expression {
	if f == nil {
		return nil
	}
	return f.expr
}

// Equalities reports whether the filter is `A eq "v"` or an or-chain of eq
// comparisons on the same attribute A, where A is one of id, userName,
// externalId or displayName (case-insensitively, optionally qualified with
// the core schema URN). attr is returned in canonical form ("id",
// "userName", "externalId", "displayName") and values in filter order.
// Stores use it for index lookups; note that id and externalId compare
// case-exactly while userName and displayName do not.
func (f *Filter) Equalities() (attr string, values []string, ok bool) {
	if f == nil || !f.eqOK {
		return "", nil, false
	}
	return f.eqAttr, append([]string(nil), f.eqValues...), true
}

func equalities(n node) (string, []string, bool) {
	switch t := n.(type) {
	case *cmpNode:
		if t.op != "eq" || t.kind != kString || t.path.ext != "" || t.path.sub != "" {
			return "", nil, false
		}
		attr := canonicalIndexed(t.path.attr)
		if attr == "" {
			return "", nil, false
		}
		return attr, []string{t.str}, true
	case *orNode:
		la, lv, ok := equalities(t.l)
		if !ok {
			return "", nil, false
		}
		ra, rv, ok := equalities(t.r)
		if !ok || ra != la {
			return "", nil, false
		}
		return la, append(lv, rv...), true
	}
	return "", nil, false
}

// ValueEqualities reports, for a filter from CompileValueFilter, a
// sub-attribute and the strings that bound what the filter can match: the
// filter is `sub eq "v"`, an or-chain of such comparisons on the same
// sub-attribute, or an and with one of those as a conjunct. Every element
// the filter matches then has, under sub (looked up like Match does: the
// exact key, else a case-insensitive one), either a value that is not a
// string or a string s with Fold(s) equal to Fold of one of values. The
// values are returned folded. PATCH uses it to find the elements of a
// large multi-valued attribute that `emails[value eq "…"]` selects without
// testing every element; it still evaluates the filter on what it finds.
// Comparisons with timestamps (which compare instants) do not qualify.
func (f *Filter) ValueEqualities() (sub string, folded []string, ok bool) {
	if f == nil || !f.inValue {
		return "", nil, false
	}
	return valueEqualities(f.root, 0)
}

func valueEqualities(n node, depth int) (string, []string, bool) {
	if depth > maxDepth {
		return "", nil, false
	}
	switch t := n.(type) {
	case *cmpNode:
		if t.op != "eq" || t.kind != kString || t.isTime || t.path.ext != "" || t.path.sub != "" {
			return "", nil, false
		}
		return t.path.attr, []string{t.folded}, true
	case *orNode:
		la, lv, ok := valueEqualities(t.l, depth+1)
		if !ok {
			return "", nil, false
		}
		ra, rv, ok := valueEqualities(t.r, depth+1)
		if !ok || ra != la || len(lv)+len(rv) > maxIndexProbes {
			return "", nil, false
		}
		return la, append(lv, rv...), true
	case *andNode:
		if a, v, ok := valueEqualities(t.l, depth+1); ok {
			return a, v, true
		}
		return valueEqualities(t.r, depth+1)
	}
	return "", nil, false
}

// IndexLookup is one index probe: the resources whose attribute Attr
// (canonical "id", "userName", "externalId" or "displayName") equals one
// of Values, compared as Equalities describes.
type IndexLookup struct {
	Attr   string
	Values []string
}

// IndexLookups reports index probes whose union holds every resource the
// filter can match, or false when a match could be outside every index (a
// store must then scan). It covers what Equalities does and more: or-chains
// across indexed attributes (`userName eq "a" or externalId eq "b"`) and
// an indexed conjunct of an and (`userName eq "a" and active eq true`).
// The probes over-approximate: a store still evaluates the whole filter on
// what they return. Each attribute appears at most once.
func (f *Filter) IndexLookups() ([]IndexLookup, bool) {
	if f == nil || !f.lookupOK {
		return nil, false
	}
	out := make([]IndexLookup, len(f.lookups))
	for i, l := range f.lookups {
		out[i] = IndexLookup{Attr: l.Attr, Values: append([]string(nil), l.Values...)}
	}
	return out, true
}

// maxIndexProbes bounds the values IndexLookups returns: beyond it, probing
// costs more than a scan saves, and hostile filters stay cheap.
const maxIndexProbes = 1000

func indexLookups(n node, depth int) ([]IndexLookup, bool) {
	if depth > maxDepth {
		return nil, false
	}
	switch t := n.(type) {
	case *cmpNode:
		attr, values, ok := equalities(t)
		if !ok {
			return nil, false
		}
		return []IndexLookup{{Attr: attr, Values: values}}, true
	case *orNode:
		l, ok := indexLookups(t.l, depth+1)
		if !ok {
			return nil, false
		}
		r, ok := indexLookups(t.r, depth+1)
		if !ok {
			return nil, false
		}
		merged := append([]IndexLookup(nil), l...)
		for _, x := range r {
			i := slices.IndexFunc(merged, func(m IndexLookup) bool { return m.Attr == x.Attr })
			if i < 0 {
				merged = append(merged, x)
			} else {
				merged[i].Values = append(append([]string(nil), merged[i].Values...), x.Values...)
			}
		}
		return merged, probes(merged) <= maxIndexProbes
	case *andNode:
		l, lok := indexLookups(t.l, depth+1)
		r, rok := indexLookups(t.r, depth+1)
		switch {
		case lok && rok:
			if probes(r) < probes(l) {
				return r, true
			}
			return l, true
		case lok:
			return l, true
		case rok:
			return r, true
		}
	}
	return nil, false
}

func probes(ls []IndexLookup) int {
	n := 0
	for _, l := range ls {
		n += len(l.Values)
	}
	return n
}

type compiler struct {
	depth int
	// seen counts the attribute paths compiled so far, lower-cased, so an
	// error about one can be placed in the text (locateAttr).
	seen map[string]int
}

// place tags an error about attribute path ap (as written) with where it
// occurs, unless it is already placed.
func (c *compiler) place(err error, ap filterparser.AttributePath, occurrence int) error {
	var ce *compileError
	if errors.As(err, &ce) && ce.needle == "" {
		return &compileError{reason: ce.reason, needle: ap.String(), occurrence: occurrence}
	}
	return err
}

// visit records one more occurrence of ap and returns its index.
func (c *compiler) visit(ap filterparser.AttributePath) int {
	if c.seen == nil {
		c.seen = map[string]int{}
	}
	k := strings.ToLower(ap.String())
	n := c.seen[k]
	c.seen[k] = n + 1
	return n
}

func (c *compiler) compile(e filterparser.Expression, sc scope) (node, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxDepth {
		return nil, errorf("filter is nested too deeply")
	}
	switch t := e.(type) {
	case *filterparser.LogicalExpression:
		if t == nil {
			break
		}
		l, err := c.compile(t.Left, sc)
		if err != nil {
			return nil, err
		}
		r, err := c.compile(t.Right, sc)
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(string(t.Operator)) {
		case "and":
			return &andNode{l: l, r: r}, nil
		case "or":
			return &orNode{l: l, r: r}, nil
		}
		return nil, errorf("unknown logical operator %q", string(t.Operator))
	case *filterparser.NotExpression:
		if t == nil {
			break
		}
		x, err := c.compile(t.Expression, sc)
		if err != nil {
			return nil, err
		}
		return &notNode{x: x}, nil
	case *filterparser.ValuePath:
		if t == nil {
			break
		}
		occ := c.visit(t.AttributePath)
		if sc.inValue {
			return nil, c.place(errorf("value filters cannot be nested (in %q)", sc.pname), t.AttributePath, occ)
		}
		rp, err := resolve(t.AttributePath, sc)
		if err != nil {
			return nil, c.place(err, t.AttributePath, occ)
		}
		inner, err := valueScope(rp)
		if err != nil {
			return nil, c.place(err, t.AttributePath, occ)
		}
		x, err := c.compile(t.ValueFilter, inner)
		if err != nil {
			return nil, err
		}
		return &valueNode{path: rp, inner: x}, nil
	case *filterparser.AttributeExpression:
		if t == nil {
			break
		}
		occ := c.visit(t.AttributePath)
		n, err := compileCompare(t, sc)
		if err != nil {
			return nil, c.place(err, t.AttributePath, occ)
		}
		return n, nil
	}
	if e == nil {
		return nil, errorf("missing expression")
	}
	return nil, errorf("unsupported expression %T", e)
}

// valueScope is the scope of the filter in brackets after rp.
func valueScope(rp rpath) (scope, error) {
	if rp.sub != "" {
		return scope{}, errorf("a value filter must follow a multi-valued complex attribute, not the sub-attribute %q", rp.String())
	}
	if rp.attrDef != nil && rp.attrDef.subs == nil {
		return scope{}, errorf("a value filter must follow a complex attribute; %q is of type %s", rp.String(), rp.attrDef.typ)
	}
	return scope{inValue: true, parent: rp.attrDef, pname: rp.String()}, nil
}

func compileCompare(e *filterparser.AttributeExpression, sc scope) (node, error) {
	rp, err := resolve(e.AttributePath, sc)
	if err != nil {
		return nil, err
	}
	op := strings.ToLower(string(e.Operator))
	n := &cmpNode{path: rp, op: op, implicit: rp.sub == ""}
	switch op {
	case "pr":
		n.kind = kPresent
		return n, nil
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	default:
		return nil, errorf("unknown operator %q", string(e.Operator))
	}
	name := rp.String()
	if rp.sub == "" && rp.attrDef != nil && rp.attrDef.subs != nil && rp.attrDef.subs["value"] == nil {
		return nil, errorf("attribute %q is complex; compare one of its sub-attributes", name)
	}
	val, err := normalizeLiteral(e.CompareValue)
	if err != nil {
		return nil, err
	}
	n.lit = val
	if val == nil {
		switch op {
		case "eq":
			n.kind = kNullEq
		case "ne":
			n.kind = kNullNe
		default:
			return nil, errorf("operator %q cannot compare %q with null", op, name)
		}
		return n, nil
	}
	leaf := rp.leafDef()
	typ := ""
	if leaf != nil {
		typ = leaf.typ
		n.caseExact = leaf.caseExact
	}
	switch typ {
	case "boolean":
		if op != "eq" && op != "ne" {
			return nil, errorf("operator %q not supported for boolean attribute %q", op, name)
		}
		switch t := val.(type) {
		case bool:
			n.b = t
		case string:
			switch strings.ToLower(t) {
			case "true":
				n.b = true
			case "false":
				n.b = false
			default:
				return nil, errorf("attribute %q is boolean; compare it with true or false, not %q", name, t)
			}
			n.lit = n.b
		default:
			return nil, errorf("attribute %q is boolean; compare it with true or false", name)
		}
		n.kind = kBool
	case "integer", "decimal":
		if op == "co" || op == "sw" || op == "ew" {
			return nil, errorf("operator %q not supported for %s attribute %q", op, typ, name)
		}
		switch t := val.(type) {
		case json.Number:
			n.num, _ = parseNumber(string(t))
		case string:
			x, ok := parseNumber(strings.TrimSpace(t))
			if !ok {
				return nil, errorf("attribute %q is %s; %q is not a number", name, typ, t)
			}
			n.num = x
		default:
			return nil, errorf("attribute %q is %s; compare it with a number", name, typ)
		}
		n.kind = kNumber
	case "dateTime":
		s, ok := val.(string)
		if !ok {
			return nil, errorf("attribute %q is a dateTime; compare it with a quoted timestamp", name)
		}
		n.kind, n.str, n.folded, n.dateTime = kString, s, Fold(s), true
		n.t, n.isTime = parseTime(s)
		n.caseExact = false
	case "complex":
		return nil, errorf("attribute %q is complex; compare one of its sub-attributes", name)
	case "string", "reference", "binary":
		var s string
		switch t := val.(type) {
		case string:
			s = t
		case json.Number:
			s = t.String()
		case bool:
			s = strconv.FormatBool(t)
		}
		n.kind, n.str, n.folded = kString, s, Fold(s)
	default: // no schema: go by the constant
		switch t := val.(type) {
		case string:
			n.kind, n.str, n.folded = kString, t, Fold(t)
			if looksLikeTime(t) {
				n.t, n.isTime = parseTime(t)
			}
		case json.Number:
			n.kind = kNumber
			n.num, _ = parseNumber(string(t))
		case bool:
			n.kind, n.b = kBool, t
		}
	}
	return n, nil
}

// normalizeLiteral turns a compare value from the parser into string
// (escapes decoded), json.Number, bool or nil.
func normalizeLiteral(v any) (any, error) {
	switch t := v.(type) {
	case nil, bool:
		return t, nil
	case string:
		return decodeString(t), nil
	case json.Number:
		if _, ok := parseNumber(string(t)); !ok {
			return nil, errorf("invalid number %q", string(t))
		}
		return t, nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, errorf("invalid number %v", t)
		}
		return json.Number(strconv.FormatFloat(t, 'g', -1, 64)), nil
	case float32:
		return normalizeLiteral(float64(t))
	case int:
		return json.Number(strconv.Itoa(t)), nil
	case int64:
		return json.Number(strconv.FormatInt(t, 10)), nil
	case int32:
		return json.Number(strconv.FormatInt(int64(t), 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(t, 10)), nil
	}
	return nil, errorf("unsupported compare value %v of type %T", v, v)
}

// decodeString decodes the JSON escape sequences filter-parser leaves in
// string compare values (it only strips the quotes). A string that is not
// valid JSON string content is returned unchanged.
func decodeString(s string) string {
	if !strings.ContainsRune(s, '\\') {
		return s
	}
	var out string
	if err := json.Unmarshal([]byte(`"`+s+`"`), &out); err != nil {
		return s
	}
	return out
}

// exprString renders an expression for error messages without trusting it
// to be well-formed.
func exprString(e filterparser.Expression) (s string) {
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("%T", e)
		}
	}()
	if e == nil {
		return ""
	}
	return fmt.Sprint(e)
}
