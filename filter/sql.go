package filter

import (
	"fmt"
	"strings"

	filterparser "github.com/scim2/filter-parser/v2"
)

// Dialect is the SQL dialect Filter.SQL writes.
type Dialect int

// The supported dialects.
const (
	// SQLite, with its built-in JSON functions (json_extract, json_type,
	// json_each) over TEXT JSON columns, and ? placeholders.
	SQLite Dialect = iota + 1
	// PostgreSQL, with jsonb operators and functions over jsonb columns,
	// and $n placeholders.
	PostgreSQL
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "SQLite"
	case PostgreSQL:
		return "PostgreSQL"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// SQLColumn is a scalar column holding one top-level attribute.
type SQLColumn struct {
	Name   string // column with the value as stored (NULL when absent)
	Folded string // column with Fold(value), for case-insensitive comparison; "" if none (then such comparisons are not pushed down)
	Type   string // "string", "boolean", "integer", "decimal", or "dateTime" (dateTime columns hold Unix milliseconds as an integer)
}

// SQLTarget describes where a store keeps resources.
//
// Column names (in Columns, Doc and FoldedDoc) are written into the SQL as
// they are and must be plain identifiers, optionally qualified
// (table.column); anything else is an error.
type SQLTarget struct {
	Dialect   Dialect
	Columns   map[string]SQLColumn // keyed by canonical attribute path: "id", "userName", "externalId", "displayName", "meta.created", "meta.lastModified"
	Doc       string               // JSON column holding store.Resource.Attributes (canonical names, extensions nested under their URN); TEXT json for SQLite, jsonb for PostgreSQL
	FoldedDoc string               // JSON column holding FoldDocument(Attributes); "" if none
	FirstArg  int                  // PostgreSQL: number of the first $n placeholder (default 1); SQLite uses ?
}

// SQL is a translated filter.
type SQL struct {
	Where    string  // boolean SQL expression; "" means no restriction (everything was left to Residual, or the filter was nil)
	Args     []any   // bound parameters, in order (string, int64, float64, bool, or []string for PostgreSQL paths)
	Residual *Filter // the part to evaluate in Go on the rows Where selects; nil when Where is exact
}

// maxSQLDepth bounds the expression depth of a generated WHERE clause
// (SQLite refuses expressions deeper than 1000 by default). Conjuncts
// that would exceed it are left to the residual filter.
const maxSQLDepth = 400

// SQL translates the filter into a parameterised SQL WHERE clause for the
// store described by t. A row satisfies the filter exactly when Where
// holds for it (Where is TRUE) and Residual matches its document, where
// documents are what store.Resource.Document returns; see the package
// documentation for the assumptions this rests on.
//
// What cannot be expressed exactly is left to Residual: the conjuncts of
// a top-level "and" are translated one by one, while an "or" or "not" is
// translated only as a whole. Filters compiled without WithSchemas, and
// value filters from CompileValueFilter, are never translated (Where is
// "" and Residual is f). A nil filter gives an empty SQL. Where may
// evaluate to NULL instead of FALSE for rows that do not match, so use it
// as a condition (WHERE ... AND (Where)), never negated.
//
// The error is non-nil only when t is invalid (unknown dialect, bad
// column name or type); a filter that cannot be translated is not an
// error.
func (f *Filter) SQL(t SQLTarget) (SQL, error) {
	g, err := newSQLGen(t)
	if err != nil {
		return SQL{}, err
	}
	if f == nil || f.root == nil {
		return SQL{}, nil
	}
	if f.schemas == nil || f.inValue {
		return SQL{Residual: f}, nil
	}
	var nodes []node
	var exprs []filterparser.Expression
	if !conjuncts(f.root, f.expr, &nodes, &exprs) {
		nodes, exprs = []node{f.root}, []filterparser.Expression{f.expr}
	}
	var parts []string
	var rest []filterparser.Expression
	maxPart := 0
	for i, n := range nodes {
		e, ok := g.expr(n, sqlCtx{}, false)
		if ok && len(parts)+1+max(maxPart, e.depth) <= maxSQLDepth {
			parts = append(parts, e.s)
			maxPart = max(maxPart, e.depth)
			continue
		}
		rest = append(rest, exprs[i])
	}
	if len(parts) == 0 {
		return SQL{Residual: f}, nil
	}
	var res *Filter
	if len(rest) > 0 {
		e := rest[0]
		for _, r := range rest[1:] {
			e = &filterparser.LogicalExpression{Left: e, Right: r, Operator: filterparser.AND}
		}
		set := f.schemas
		res, err = compileExpr(e, func(c *config) { c.schemas = set })
		if err != nil {
			// Cannot happen: every part compiled before.
			return SQL{Residual: f}, nil
		}
	}
	where := parts[0]
	if len(parts) > 1 {
		where = "(" + strings.Join(parts, ") AND (") + ")"
	}
	w, args := g.render(where)
	return SQL{Where: w, Args: args, Residual: res}, nil
}

// conjuncts splits n (compiled from e) into the operands of its top-level
// "and" chain, pairing every operand with the expression it was compiled
// from. It reports false if the two trees do not line up.
func conjuncts(n node, e filterparser.Expression, nodes *[]node, exprs *[]filterparser.Expression) bool {
	if a, ok := n.(*andNode); ok {
		le, ok := e.(*filterparser.LogicalExpression)
		if !ok || le == nil || !strings.EqualFold(string(le.Operator), string(filterparser.AND)) {
			return false
		}
		return conjuncts(a.l, le.Left, nodes, exprs) && conjuncts(a.r, le.Right, nodes, exprs)
	}
	*nodes = append(*nodes, n)
	*exprs = append(*exprs, e)
	return true
}

func (t *SQLTarget) validate() error {
	switch t.Dialect {
	case SQLite, PostgreSQL:
	default:
		return fmt.Errorf("filter: SQL target has unknown dialect %v", t.Dialect)
	}
	if t.FirstArg < 0 {
		return fmt.Errorf("filter: SQL target has negative FirstArg %d", t.FirstArg)
	}
	for _, c := range []struct{ what, name string }{{"Doc", t.Doc}, {"FoldedDoc", t.FoldedDoc}} {
		if c.name != "" && !validIdent(c.name) {
			return fmt.Errorf("filter: SQL target %s column %q is not a plain identifier", c.what, c.name)
		}
	}
	for path, c := range t.Columns {
		if !validIdent(c.Name) {
			return fmt.Errorf("filter: SQL target column %q for %q is not a plain identifier", c.Name, path)
		}
		if c.Folded != "" && !validIdent(c.Folded) {
			return fmt.Errorf("filter: SQL target folded column %q for %q is not a plain identifier", c.Folded, path)
		}
		switch c.Type {
		case "string":
		case "boolean", "integer", "decimal", "dateTime":
			if c.Folded != "" {
				return fmt.Errorf("filter: SQL target column for %q has type %s and cannot have a folded column", path, c.Type)
			}
		default:
			return fmt.Errorf("filter: SQL target column for %q has unknown type %q", path, c.Type)
		}
	}
	return nil
}

// validIdent reports whether s is an identifier, optionally qualified
// (a.b.c), made of ASCII letters, digits and underscores and not starting
// with a digit.
func validIdent(s string) bool {
	start := true // at the start of a part
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if start {
				return false
			}
			start = true
			continue
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && !start:
		default:
			return false
		}
		start = false
	}
	return !start
}
