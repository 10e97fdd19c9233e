package filter

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// sqlGen translates compiled filter nodes into SQL for one target.
//
// Bound values are never written into the SQL text. Instead the text
// carries markers, NUL-delimited indexes into pool, which render replaces
// with placeholders in order of appearance (a marker may appear several
// times: SQLite gets one ? and one argument per appearance, PostgreSQL one
// $n per value). Translations that fail leave unused pool entries behind,
// which is harmless.
type sqlGen struct {
	t      SQLTarget
	pg     bool
	pool   []any
	nalias int
}

func newSQLGen(t SQLTarget) (*sqlGen, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	if t.FirstArg == 0 {
		t.FirstArg = 1
	}
	return &sqlGen{t: t, pg: t.Dialect == PostgreSQL}, nil
}

// arg adds a bound value and returns its marker.
func (g *sqlGen) arg(v any) string {
	g.pool = append(g.pool, v)
	return "\x00" + strconv.Itoa(len(g.pool)-1) + "\x00"
}

// render replaces the markers in s with placeholders and returns the
// arguments in placeholder order.
func (g *sqlGen) render(s string) (string, []any) {
	var b strings.Builder
	var args []any
	var num map[int]int // PostgreSQL: pool index → placeholder number
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i+1:]
		j := strings.IndexByte(s, 0)
		idx, _ := strconv.Atoi(s[:j])
		s = s[j+1:]
		if !g.pg {
			b.WriteByte('?')
			args = append(args, g.pool[idx])
			continue
		}
		n, ok := num[idx]
		if !ok {
			if num == nil {
				num = make(map[int]int)
			}
			args = append(args, g.pool[idx])
			n = g.t.FirstArg + len(args) - 1
			num[idx] = n
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String(), args
}

func (g *sqlGen) alias() string {
	g.nalias++
	return "sk_e" + strconv.Itoa(g.nalias)
}

// sqlCtx is where a node is translated: the top level (a row of the
// target) or, inside a value path, one element of a multi-valued
// attribute drawn from Doc or FoldedDoc.
type sqlCtx struct {
	elem   string // alias of the element; "" at the top level
	folded bool   // the element comes from FoldedDoc
}

// sqlExpr is a translated node.
type sqlExpr struct {
	s     string
	depth int // nesting depth, to stay within the database's limits
}

// atomDepth approximates the expression depth of a translated comparison.
const atomDepth = 8

// expr translates n. neg reports whether n sits under an odd number of
// NOTs: an atom that can be NULL is then wrapped in COALESCE(..., FALSE),
// so NULL never turns into TRUE through a NOT. (At even depth a NULL atom
// acts exactly like FALSE, as AND and OR are monotone.)
func (g *sqlGen) expr(n node, c sqlCtx, neg bool) (sqlExpr, bool) {
	switch t := n.(type) {
	case *andNode, *orNode:
		var ops []node
		op := " AND "
		if _, ok := t.(*orNode); ok {
			op = " OR "
			ops = flattenOr(t, ops)
		} else {
			ops = flattenAnd(t, ops)
		}
		parts := make([]string, len(ops))
		depth := 0
		for i, o := range ops {
			e, ok := g.expr(o, c, neg)
			if !ok {
				return sqlExpr{}, false
			}
			parts[i] = e.s
			depth = max(depth, e.depth)
		}
		e := sqlExpr{s: "(" + strings.Join(parts, op) + ")", depth: depth + len(ops)}
		return e, e.depth <= maxSQLDepth
	case *notNode:
		e, ok := g.expr(t.x, c, !neg)
		if !ok {
			return sqlExpr{}, false
		}
		return sqlExpr{s: "NOT " + parens(e.s), depth: e.depth + 1}, true
	case *valueNode:
		return g.valuePath(t, c)
	case *cmpNode:
		s, nullable, ok := g.compare(t, c, neg)
		if !ok {
			return sqlExpr{}, false
		}
		if nullable && neg {
			s = "COALESCE(" + s + ", FALSE)"
		}
		return sqlExpr{s: s, depth: atomDepth}, true
	}
	return sqlExpr{}, false
}

func flattenAnd(n node, out []node) []node {
	if a, ok := n.(*andNode); ok {
		return flattenAnd(a.r, flattenAnd(a.l, out))
	}
	return append(out, n)
}

func flattenOr(n node, out []node) []node {
	if o, ok := n.(*orNode); ok {
		return flattenOr(o.r, flattenOr(o.l, out))
	}
	return append(out, n)
}

// parens puts s in parentheses unless it already is one parenthesised
// group.
func parens(s string) string {
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		depth := 0
		for i := 0; i < len(s); i++ {
			switch s[i] {
			case '(':
				depth++
			case ')':
				depth--
			}
			if depth == 0 && i < len(s)-1 {
				return "(" + s + ")"
			}
		}
		return s
	}
	return "(" + s + ")"
}

// valuePath translates attr[filter]: some element of the attribute (a
// single complex value counting as one element) that is an object
// satisfies the filter.
func (g *sqlGen) valuePath(n *valueNode, c sqlCtx) (sqlExpr, bool) {
	if c.elem != "" {
		return sqlExpr{}, false
	}
	keys, ok := docKeys(n.path)
	if !ok || n.path.sub != "" {
		return sqlExpr{}, false
	}
	for _, folded := range []bool{true, false} {
		src := g.source(folded)
		if src == "" {
			continue
		}
		a := g.alias()
		inner, ok := g.expr(n.inner, sqlCtx{elem: a, folded: folded}, false)
		if !ok {
			continue
		}
		s := "EXISTS (SELECT 1 FROM " + g.iterate(src, keys, a) + " WHERE " + g.isObject(a) + " AND " + parens(inner.s) + ")"
		return sqlExpr{s: s, depth: inner.depth + atomDepth}, true
	}
	return sqlExpr{}, false
}

// source returns the JSON column with folded or original strings, or "".
func (g *sqlGen) source(folded bool) string {
	if folded {
		return g.t.FoldedDoc
	}
	return g.t.Doc
}

// docKeys returns the JSON keys of the attribute (and sub-attribute) of
// rp in the document column, or false for attributes the column does not
// hold (id, meta, members and groups live elsewhere).
func docKeys(rp rpath) ([]string, bool) {
	if rp.ext == "" {
		switch rp.attr {
		case "id", "meta", "members", "groups":
			return nil, false
		}
	}
	var keys []string
	if rp.ext != "" {
		keys = append(keys, rp.ext)
	}
	keys = append(keys, rp.attr)
	if rp.sub != "" {
		keys = append(keys, rp.sub)
	}
	for _, k := range keys {
		if !validJSONKey(k) {
			return nil, false
		}
	}
	return keys, true
}

// validJSONKey reports whether k can be quoted in an SQLite JSON path
// (which has no escapes) and sent as a PostgreSQL text value.
func validJSONKey(k string) bool {
	if k == "" || !utf8.ValidString(k) {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c == '"' || c == '\\' || c == 0x7f {
			return false
		}
	}
	return true
}

// sqlVal is one JSON value in SQL: for SQLite an expression giving its
// json_type ("text", "integer", ...; NULL when absent) and one giving its
// SQL value (JSON text for arrays and objects); for PostgreSQL a jsonb
// expression.
type sqlVal struct {
	typ, val string // SQLite
	j        string // PostgreSQL
}

// sqlBag is the set of values a path yields, as Match iterates them
// (rpath.each): a single value, or the values of the rows of an iteration.
type sqlBag struct {
	from string // iteration (FROM item); "" for a single value
	v    sqlVal
}

func (g *sqlGen) sqlitePath(keys []string) string {
	var b strings.Builder
	b.WriteByte('$')
	for _, k := range keys {
		b.WriteString(`."`)
		b.WriteString(k)
		b.WriteByte('"')
	}
	return b.String()
}

// direct is the value at keys in the JSON column src.
func (g *sqlGen) direct(src string, keys []string) sqlVal {
	if g.pg {
		return sqlVal{j: "(" + src + " #> CAST(" + g.arg(append([]string(nil), keys...)) + " AS text[]))"}
	}
	p := g.arg(g.sqlitePath(keys))
	return sqlVal{typ: "json_type(" + src + ", " + p + ")", val: "json_extract(" + src + ", " + p + ")"}
}

// iterate is a FROM item whose rows, under alias a, are the elements of
// the value at keys in src when it is an array, else the value itself
// (JSON null when absent), as Match treats values of multi-valued
// attributes.
func (g *sqlGen) iterate(src string, keys []string, a string) string {
	if g.pg {
		x := g.direct(src, keys).j
		return "jsonb_array_elements(CASE jsonb_typeof(" + x + ") WHEN 'array' THEN " + x + " ELSE jsonb_build_array(" + x + ") END) AS " + a + "(v)"
	}
	v := g.direct(src, keys)
	return "json_each(CASE " + v.typ + " WHEN 'array' THEN " + v.val + " ELSE json_array(" + v.val + ") END) AS " + a
}

// elem is the element of alias a itself.
func (g *sqlGen) elem(a string) sqlVal {
	if g.pg {
		return sqlVal{j: a + ".v"}
	}
	return sqlVal{typ: a + ".type", val: a + ".value"}
}

// elemSub is the member key of the element of alias a if that is an
// object, else absent. With implicit, an element that is not an object is
// the value itself (as `emails eq "x"` compares emails[].value).
func (g *sqlGen) elemSub(a, key string, implicit bool) sqlVal {
	if g.pg {
		k := g.arg(key)
		if implicit {
			return sqlVal{j: "(CASE jsonb_typeof(" + a + ".v) WHEN 'object' THEN " + a + ".v -> CAST(" + k + " AS text) ELSE " + a + ".v END)"}
		}
		return sqlVal{j: "(" + a + ".v -> CAST(" + k + " AS text))"}
	}
	p := g.arg(g.sqlitePath([]string{key}))
	elseType, elseVal := " END", " END"
	if implicit {
		elseType = " ELSE " + a + ".type END"
		elseVal = " ELSE " + a + ".value END"
	}
	return sqlVal{
		typ: "CASE " + a + ".type WHEN 'object' THEN json_type(" + a + ".value, " + p + ")" + elseType,
		val: "CASE " + a + ".type WHEN 'object' THEN json_extract(" + a + ".value, " + p + ")" + elseVal,
	}
}

func (g *sqlGen) isObject(a string) string {
	if g.pg {
		return "jsonb_typeof(" + a + ".v) = 'object'"
	}
	return a + ".type = 'object'"
}

// bag returns the values of rp that Match compares (implicit: complex
// values stand for their "value" sub-attribute), read from the JSON
// column src or, in a value filter, from the element c.elem. It reports
// false for shapes it does not translate.
func (g *sqlGen) bag(rp rpath, implicit bool, c sqlCtx, src string) (sqlBag, bool) {
	if c.elem != "" {
		d := rp.attrDef
		if d == nil || d.multi || d.subs != nil || rp.sub != "" || !validJSONKey(rp.attr) {
			return sqlBag{}, false
		}
		return sqlBag{v: g.elemSub(c.elem, rp.attr, false)}, true
	}
	keys, ok := docKeys(rp)
	if !ok || rp.attrDef == nil {
		return sqlBag{}, false
	}
	a := rp.attrDef
	if rp.sub != "" {
		if s := rp.subDef; s == nil || s.multi || s.subs != nil {
			return sqlBag{}, false
		}
	}
	if !a.multi {
		if rp.sub == "" && a.subs != nil && implicit {
			keys = append(keys, "value")
		}
		return sqlBag{v: g.direct(src, keys)}, true
	}
	al := g.alias()
	if rp.sub != "" {
		from := g.iterate(src, keys[:len(keys)-1], al)
		return sqlBag{from: from, v: g.elemSub(al, rp.sub, false)}, true
	}
	from := g.iterate(src, keys, al)
	if a.subs != nil && implicit {
		return sqlBag{from: from, v: g.elemSub(al, "value", true)}, true
	}
	return sqlBag{from: from, v: g.elem(al)}, true
}

// exists is true when some value of the bag satisfies cond (which must be
// false for absent and null values). For a single value the result is
// cond itself, which may be NULL.
func (b sqlBag) exists(cond string) (string, bool) {
	if b.from == "" {
		return cond, true
	}
	return "EXISTS (SELECT 1 FROM " + b.from + " WHERE " + cond + ")", false
}

// present is Match's isPresent: not null, "", [] or {}. It is never NULL.
func (g *sqlGen) present(v sqlVal) string {
	if g.pg {
		return "COALESCE(" + v.j + " NOT IN ('null'::jsonb, '\"\"'::jsonb, '[]'::jsonb, '{}'::jsonb), FALSE)"
	}
	return "CASE COALESCE(" + v.typ + ", 'null') WHEN 'null' THEN FALSE WHEN 'text' THEN " + v.val + " <> ''" +
		" WHEN 'array' THEN EXISTS (SELECT 1 FROM json_each(" + v.val + "))" +
		" WHEN 'object' THEN EXISTS (SELECT 1 FROM json_each(" + v.val + ")) ELSE TRUE END"
}

// nonNull is true for values that are neither absent nor null.
func (g *sqlGen) nonNull(v sqlVal) string {
	if g.pg {
		return "COALESCE(jsonb_typeof(" + v.j + "), 'null') <> 'null'"
	}
	return "COALESCE(" + v.typ + ", 'null') <> 'null'"
}

// compare translates a comparison, reporting whether the result can be
// NULL.
func (g *sqlGen) compare(n *cmpNode, c sqlCtx, neg bool) (string, bool, bool) {
	if c.elem == "" {
		if col, ok := g.t.Columns[n.path.String()]; ok {
			if s, nullable, ok := g.compareColumn(n, col); ok {
				return s, nullable, true
			}
		}
	}
	// Which document the comparison needs: folded strings for
	// case-insensitive string comparisons, original ones for caseExact
	// ones, either for everything else.
	var srcs []bool
	switch {
	case n.kind == kString && n.caseExact:
		srcs = []bool{false}
	case n.kind == kString:
		srcs = []bool{true}
	default:
		srcs = []bool{false, true}
	}
	for _, folded := range srcs {
		src := ""
		if c.elem != "" {
			if c.folded != folded {
				continue
			}
		} else if src = g.source(folded); src == "" {
			continue
		}
		s, nullable, ok := g.compareDoc(n, c, src)
		if ok {
			return s, nullable, true
		}
	}
	return "", false, false
}

// compareDoc translates a comparison on JSON values.
func (g *sqlGen) compareDoc(n *cmpNode, c sqlCtx, src string) (string, bool, bool) {
	implicit := n.implicit && n.kind != kPresent && n.kind != kNullEq && n.kind != kNullNe
	b, ok := g.bag(n.path, implicit, c, src)
	if !ok {
		return "", false, false
	}
	switch n.kind {
	case kPresent, kNullNe:
		s, _ := b.exists(g.present(b.v))
		return s, false, true
	case kNullEq:
		s, _ := b.exists(g.present(b.v))
		return "NOT " + parens(s), false, true
	}
	var eq func(v sqlVal) (string, bool)
	test := func(v sqlVal) (string, bool) { return g.testJSON(n, n.op, v) }
	if n.op == "ne" {
		eq = func(v sqlVal) (string, bool) { return g.testJSON(n, "eq", v) }
		e, ok := eq(b.v)
		if !ok {
			return "", false, false
		}
		differs := "NOT COALESCE(" + e + ", FALSE)"
		if b.from == "" {
			return differs, false, true
		}
		some, _ := b.exists(g.nonNull(b.v) + " AND " + differs)
		none, _ := b.exists(g.nonNull(b.v))
		return "(" + some + " OR NOT " + none + ")", false, true
	}
	t, ok := test(b.v)
	if !ok {
		return "", false, false
	}
	s, nullable := b.exists(t)
	return s, nullable, true
}

// testJSON is the SQL condition for one JSON value v satisfying "v op
// constant" for the kind of n; wrong-typed values do not satisfy it. The
// caller has picked the document (folded or not) that n needs.
func (g *sqlGen) testJSON(n *cmpNode, op string, v sqlVal) (string, bool) {
	switch n.kind {
	case kString:
		if n.dateTime {
			return "", false // timestamps inside documents compare as instants
		}
		c := n.str
		if !n.caseExact {
			c = n.folded
		}
		if g.pg {
			return g.stringTest(op, "jsonb_typeof("+v.j+") = 'string'", "("+v.j+" #>> '{}')", c)
		}
		return g.stringTest(op, v.typ+" = 'text'", v.val, c)
	case kNumber:
		if g.pg {
			cmp, ok := sqlCmpOp(op)
			if !ok {
				return "", false
			}
			return "CASE WHEN jsonb_typeof(" + v.j + ") = 'number' THEN CAST(" + v.j + " AS numeric) " + cmp + " CAST(" + g.arg(numArg(n.num)) + " AS numeric) ELSE FALSE END", true
		}
		cmp, ok := sqlCmpOp(op)
		if !ok {
			return "", false
		}
		return v.typ + " IN ('integer', 'real') AND " + v.val + " " + cmp + " " + g.arg(numArg(n.num)), true
	case kBool:
		if op != "eq" {
			return "", false
		}
		if g.pg {
			return v.j + " = to_jsonb(CAST(" + g.arg(n.b) + " AS boolean))", true
		}
		return v.typ + " IN ('true', 'false') AND " + v.val + " = " + g.arg(n.b), true
	}
	return "", false
}

func numArg(x number) any {
	if x.isInt {
		return x.i
	}
	return x.f
}

func sqlCmpOp(op string) (string, bool) {
	switch op {
	case "eq":
		return "=", true
	case "gt":
		return ">", true
	case "ge":
		return ">=", true
	case "lt":
		return "<", true
	case "le":
		return "<=", true
	}
	return "", false
}

// stringTest compares the text x, of a value satisfying guard (no guard
// when ""), with the constant c, bytewise: "=" and ordering with binary
// collation, co/sw/ew on bytes (SQLite) or characters (PostgreSQL, whose
// text is UTF-8 and has no NUL).
func (g *sqlGen) stringTest(op, guard, x, c string) (string, bool) {
	if !utf8.ValidString(c) || (g.pg && strings.IndexByte(c, 0) >= 0) {
		return "", false
	}
	var cond string
	switch op {
	case "eq":
		cond = x + " = " + g.arg(c)
	case "co", "sw", "ew":
		if c == "" {
			cond = x + " IS NOT NULL"
			break
		}
		switch {
		case g.pg && op == "co":
			cond = "strpos(" + x + ", " + g.arg(c) + ") > 0"
		case g.pg && op == "sw":
			cond = "starts_with(" + x + ", " + g.arg(c) + ")"
		case g.pg:
			cond = "right(" + x + ", " + g.arg(int64(utf8.RuneCountInString(c))) + ") = " + g.arg(c)
		case op == "co":
			cond = "instr(CAST(" + x + " AS BLOB), CAST(" + g.arg(c) + " AS BLOB)) > 0"
		case op == "sw":
			cond = "substr(CAST(" + x + " AS BLOB), 1, " + g.arg(int64(len(c))) + ") = CAST(" + g.arg(c) + " AS BLOB)"
		default:
			cond = "substr(CAST(" + x + " AS BLOB), " + g.arg(-int64(len(c))) + ") = CAST(" + g.arg(c) + " AS BLOB)"
		}
	default:
		cmp, ok := sqlCmpOp(op)
		if !ok {
			return "", false
		}
		if g.pg {
			cond = x + ` COLLATE "C" ` + cmp + " " + g.arg(c)
		} else {
			cond = x + " " + cmp + " " + g.arg(c)
		}
	}
	if guard == "" {
		return cond, true
	}
	return guard + " AND " + cond, true
}

// compareColumn translates a comparison on a scalar column, reporting
// whether the result can be NULL.
func (g *sqlGen) compareColumn(n *cmpNode, col SQLColumn) (string, bool, bool) {
	rp := n.path
	if rp.attrDef == nil || rp.attrDef.multi || (rp.sub == "" && rp.attrDef.subs != nil) {
		return "", false, false
	}
	leaf := rp.leafDef()
	if leaf == nil || leaf.multi || !columnFits(leaf.typ, col.Type) {
		return "", false, false
	}
	x := col.Name
	switch n.kind {
	case kPresent, kNullNe, kNullEq:
		s, nullable := x+" IS NOT NULL", false
		if col.Type == "string" {
			s, nullable = x+" <> ''", true // "" is not present
		}
		if n.kind == kNullEq {
			if nullable {
				s = "COALESCE(" + s + ", FALSE)"
			}
			return "NOT " + parens(s), false, true
		}
		return s, nullable, true
	}
	var cond string
	op := n.op
	if op == "ne" {
		op = "eq"
	}
	switch n.kind {
	case kString:
		if n.dateTime {
			// Timestamp columns hold Unix milliseconds; Match compares
			// the document's (millisecond) timestamps as instants.
			if !n.isTime || n.t.Nanosecond()%1e6 != 0 {
				return "", false, false
			}
			cmp, ok := sqlCmpOp(op)
			if !ok {
				return "", false, false
			}
			cond = x + " " + cmp + " " + g.intArg(n.t.UnixMilli())
			break
		}
		c := n.str
		if !n.caseExact {
			if col.Folded == "" {
				return "", false, false
			}
			x, c = col.Folded, n.folded
		}
		s, ok := g.stringTest(op, "", x, c)
		if !ok {
			return "", false, false
		}
		cond = s
	case kNumber:
		cmp, ok := sqlCmpOp(op)
		if !ok {
			return "", false, false
		}
		if n.num.isInt {
			cond = x + " " + cmp + " " + g.intArg(n.num.i)
		} else if g.pg {
			cond = x + " " + cmp + " CAST(" + g.arg(n.num.f) + " AS numeric)"
		} else {
			cond = x + " " + cmp + " " + g.arg(n.num.f)
		}
	case kBool:
		if op != "eq" {
			return "", false, false
		}
		cond = x + " = " + g.arg(n.b)
	default:
		return "", false, false
	}
	if n.op == "ne" {
		return "NOT COALESCE(" + cond + ", FALSE)", false, true
	}
	return cond, true, true
}

func (g *sqlGen) intArg(i int64) string {
	if g.pg {
		return "CAST(" + g.arg(i) + " AS bigint)"
	}
	return g.arg(i)
}

// columnFits reports whether a column of type colType can hold values of
// the schema type typ.
func columnFits(typ, colType string) bool {
	switch typ {
	case "string", "reference", "binary":
		return colType == "string"
	case "boolean", "dateTime":
		return colType == typ
	case "integer", "decimal":
		return colType == "integer" || colType == "decimal"
	}
	return false
}
