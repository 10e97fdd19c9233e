package filter

import (
	"strings"

	filterparser "github.com/scim2/filter-parser/v2"

	"github.com/scimkit/scimkit/filter/internal/fastpath"
)

// Path is a resolved attribute path, [URN:]attr[.sub], such as
// "name.familyName", "emails.value", "meta.lastModified" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".
// It is what a store sorts by (store.Query.SortBy). A Path is immutable and
// safe for concurrent use.
type Path struct {
	rp rpath
}

// ParsePath parses and resolves an attribute path such as the sortBy query
// parameter or one name of attributes or excludedAttributes. With
// WithSchemas an attribute the schemas do not define is an error. A path
// longer than DefaultMaxLength bytes (or the WithMaxLength limit) is
// refused before parsing, and so is a value filter (emails[type eq
// "work"]), which selects values, not attributes. Every error wraps
// ErrInvalidFilter and is an *Error.
func ParsePath(s string, opts ...Option) (*Path, error) {
	p, err := parsePath(s, newConfig(opts))
	return p, withKind(err, "invalid attribute path")
}

func parsePath(s string, cfg *config) (*Path, error) {
	if err := cfg.checkLength(s, "attribute path"); err != nil {
		return nil, err
	}
	text, off := trimSpace(s)
	if text == "" {
		return nil, newError(s, -1, "empty attribute path")
	}
	if i := strings.IndexByte(text, '['); i >= 0 {
		if name := text[:i]; name != "" {
			return nil, newError(s, off+i, "a value filter is not allowed in an attribute path; name the attribute %s or one of its sub-attributes", quote(name))
		}
		return nil, newError(s, off+i, "a value filter is not allowed in an attribute path")
	}
	ap, err := safeParseAttrPath(text)
	if err != nil {
		return nil, parserError(s, text, off, err, "invalid attribute path")
	}
	rp, err := resolve(ap, scope{set: cfg.schemas})
	if err != nil {
		return nil, asError(s, err)
	}
	return &Path{rp: rp}, nil
}

// PatchPath is the path of a PATCH operation, parsed: which attribute,
// sub-attribute and value filter it names. The attribute is not resolved
// against schemas (the caller does that, and may refuse it first); the
// value filter is compiled on request, against the attribute it belongs to.
type PatchPath struct {
	// URN is the schema URN the attribute is qualified with, "" for none.
	URN string
	// Attribute is the attribute name as written, without its URN.
	Attribute string
	// Sub is the sub-attribute, as written: "givenName" in name.givenName,
	// "value" in emails[type eq "work"].value; "" for none.
	Sub string

	expr filterparser.Expression // the value filter, nil for none
}

// HasValueFilter reports whether the path has a value filter, the part
// in brackets of emails[type eq "work"].
func (p *PatchPath) HasValueFilter() bool { return p.expr != nil }

// ValueFilter compiles the path's value filter to be matched against one
// element of the multi-valued attribute parent (its canonical name, such
// as "emails", or "urn:…:User:department"-style with its URN). Options are
// those of Parse. It returns nil for a path without a value filter. Every
// error wraps ErrInvalidFilter.
func (p *PatchPath) ValueFilter(parent string, opts ...Option) (*Filter, error) {
	if p.expr == nil {
		return nil, nil
	}
	return compileValueFilter(parent, p.expr, opts...)
}

// Equalities reports whether the value filter is one `sub eq value`
// comparison, or an `and` of them on distinct plain sub-attributes (no
// URN, no further sub-attribute, none named twice in any case), and
// returns the compared values by sub-attribute name as written: strings as the client wrote them between
// the quotes (escape sequences not decoded), numbers, booleans and null as
// parsed. They say what an element the filter selects holds, for PATCH
// operations that create the element (RFC 7644 §3.5.2.1).
func (p *PatchPath) Equalities() (map[string]any, bool) {
	if p.expr == nil {
		return nil, false
	}
	out := map[string]any{}
	var walk func(e filterparser.Expression) bool
	walk = func(e filterparser.Expression) bool {
		switch x := e.(type) {
		case *filterparser.AttributeExpression:
			if x.Operator != filterparser.EQ || x.AttributePath.SubAttribute != nil || x.AttributePath.URIPrefix != nil {
				return false
			}
			name := x.AttributePath.AttributeName
			for k := range out {
				if strings.EqualFold(k, name) {
					return false
				}
			}
			out[name] = x.CompareValue
			return true
		case *filterparser.LogicalExpression:
			return x.Operator == filterparser.AND && walk(x.Left) && walk(x.Right)
		}
		return false
	}
	return out, walk(p.expr)
}

// ParsePatchPath parses the path of a PATCH operation (RFC 7644 section
// 3.5.2): an attribute path such as "title", "name.givenName" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
// or a value path such as `members[value eq "2819c223"]` or
// `emails[type eq "work"].value`. It only parses: the caller resolves the
// attribute and compiles the value filter (PatchPath.ValueFilter).
//
// It applies the limits of Parse: a path longer than DefaultMaxLength
// bytes (or the WithMaxLength limit) is refused before parsing, and so is
// one whose parentheses and brackets nest more than 100 deep. Options
// other than WithMaxLength have no effect. Every error wraps
// ErrInvalidFilter and is an *Error.
func ParsePatchPath(s string, opts ...Option) (*PatchPath, error) {
	p, err := parsePatchPath(s, newConfig(opts))
	if err != nil {
		return nil, withKind(err, "invalid path")
	}
	out := &PatchPath{Attribute: p.AttributePath.AttributeName, expr: p.ValueExpression}
	if p.AttributePath.URIPrefix != nil {
		out.URN = *p.AttributePath.URIPrefix
	}
	switch {
	case p.AttributePath.SubAttribute != nil:
		out.Sub = *p.AttributePath.SubAttribute
	case p.SubAttribute != nil:
		out.Sub = *p.SubAttribute
	}
	return out, nil
}

func parsePatchPath(s string, cfg *config) (filterparser.Path, error) {
	if err := cfg.checkLength(s, "path"); err != nil {
		return filterparser.Path{}, err
	}
	text, off := trimSpace(s)
	if text == "" {
		return filterparser.Path{}, newError(s, -1, "empty path")
	}
	// Plain paths (title, name.givenName, urn:…:department) and
	// one-comparison value paths (members[value eq "…"],
	// emails[type eq "work"].value), nearly all that IdPs send, skip
	// filter-parser; see internal/fastpath.
	if p, ok := fastpath.Path(text); ok {
		return p, nil
	}
	if pos, ok := checkNesting(text); !ok {
		return filterparser.Path{}, newError(s, off+pos, "path is nested too deeply")
	}
	p, err := safeParsePath(text)
	if err != nil {
		return filterparser.Path{}, parserError(s, text, off, err, "invalid path")
	}
	return p, nil
}

// String returns the path in canonical spelling: the schema's names when
// schemas were given, the extension URN for extension attributes, and no URN
// for core attributes.
func (p *Path) String() string { return p.rp.String() }

// Values returns every value found at the path in doc, in document order.
// Values of multi-valued attributes are flattened: "emails.value" yields one
// value per email. Nil and missing values are left out.
func (p *Path) Values(doc map[string]any) []any {
	var out []any
	p.rp.each(doc, false, func(v any) bool {
		out = append(out, v)
		return false
	})
	return out
}

// SortValue returns the value resources are ordered by when sorting by p
// (RFC 7644 section 3.4.2.3): for a multi-valued attribute, the value of the
// element whose "primary" sub-attribute is true, or else of the first
// element. A multi-valued complex attribute without a sub-attribute sorts by
// the elements' "value". It returns nil when there is no value.
func (p *Path) SortValue(doc map[string]any) any {
	v := p.rp.top(doc)
	if p.rp.sub == "" {
		switch t := v.(type) {
		case []any:
			e := pickPrimary(t)
			if m, ok := e.(map[string]any); ok {
				e, _ = lookup(m, "value")
			}
			return e
		case []string:
			if len(t) > 0 {
				return t[0]
			}
			return nil
		case []map[string]any:
			arr := make([]any, len(t))
			for i := range t {
				arr[i] = t[i]
			}
			e, _ := pickPrimary(arr).(map[string]any)
			if e == nil {
				return nil
			}
			sv, _ := lookup(e, "value")
			return sv
		case map[string]any:
			if p.rp.attrDef != nil && p.rp.attrDef.subs != nil {
				if _, ok := p.rp.attrDef.subs["value"]; !ok {
					return nil
				}
			}
			sv, _ := lookup(t, "value")
			return sv
		}
		return v
	}
	var el map[string]any
	switch t := v.(type) {
	case map[string]any:
		el = t
	case []any:
		el, _ = pickPrimary(t).(map[string]any)
	case []map[string]any:
		for _, m := range t {
			if isTrue(lookupv(m, "primary")) {
				el = m
				break
			}
		}
		if el == nil && len(t) > 0 {
			el = t[0]
		}
	}
	if el == nil {
		return nil
	}
	sv, _ := lookup(el, p.rp.sub)
	if arr, ok := sv.([]any); ok {
		if len(arr) == 0 {
			return nil
		}
		return arr[0]
	}
	return sv
}

// pickPrimary returns the element of a multi-valued attribute whose
// "primary" is true, else the first non-nil element, else nil.
func pickPrimary(arr []any) any {
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok && isTrue(lookupv(m, "primary")) {
			return m
		}
	}
	for _, e := range arr {
		if e != nil {
			return e
		}
	}
	return nil
}

func isTrue(v any) bool {
	b, ok := v.(bool)
	return ok && b
}

// Compare orders two values of the path's attribute for sorting, returning
// a negative number when a sorts before b, zero when they are equal and a
// positive number otherwise. It is type-aware (dateTime as instants,
// integer and decimal numerically, booleans false before true) and honours
// caseExact; strings of attributes that are not caseExact compare
// case-insensitively. Nil sorts after every non-nil value. Values of
// different types are ordered by type so the order stays total.
func (p *Path) Compare(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	d := p.rp.leafDef()
	caseExact, typ := false, ""
	if d != nil {
		caseExact, typ = d.caseExact, d.typ
	}
	return compareValues(a, b, typ, caseExact)
}

// rpath is an attribute path resolved against the schemas (or, without
// schemas, taken as written).
type rpath struct {
	ext     string // URN key of the extension holding the attribute; "" for top-level
	attr    string // canonical attribute name
	sub     string // canonical sub-attribute name, or ""
	attrDef *attrDef
	subDef  *attrDef
}

func (p *rpath) String() string {
	var b strings.Builder
	if p.ext != "" {
		b.WriteString(p.ext)
		b.WriteByte(':')
	}
	b.WriteString(p.attr)
	if p.sub != "" {
		b.WriteByte('.')
		b.WriteString(p.sub)
	}
	return b.String()
}

// leafDef is the definition of the values the path yields, nil when
// unknown. For a complex attribute without sub-attribute it is the
// definition of its "value" sub-attribute, if any.
func (p *rpath) leafDef() *attrDef {
	if p.sub != "" {
		return p.subDef
	}
	if p.attrDef != nil && p.attrDef.subs != nil {
		return p.attrDef.subs["value"]
	}
	return p.attrDef
}

// top returns the raw value of the attribute (before sub-attribute
// selection).
func (p *rpath) top(doc map[string]any) any {
	if doc == nil {
		return nil
	}
	base := doc
	if p.ext != "" {
		e, _ := lookup(doc, p.ext)
		m, ok := e.(map[string]any)
		if !ok {
			return nil
		}
		base = m
	}
	v, _ := lookup(base, p.attr)
	return v
}

// each calls fn with every non-nil value at the path until fn returns true,
// and reports whether it did. Multi-valued attributes are flattened. With
// implicitValue, complex values reached without a sub-attribute are replaced
// by their "value" sub-attribute (so that `emails eq "x"` compares
// addresses).
func (p *rpath) each(doc map[string]any, implicitValue bool, fn func(any) bool) bool {
	v := p.top(doc)
	if v == nil {
		return false
	}
	if p.sub == "" {
		return eachFlat(v, implicitValue, fn)
	}
	switch t := v.(type) {
	case map[string]any:
		sv, _ := lookup(t, p.sub)
		return eachFlat(sv, false, fn)
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				sv, _ := lookup(m, p.sub)
				if eachFlat(sv, false, fn) {
					return true
				}
			}
		}
	case []map[string]any:
		for _, m := range t {
			sv, _ := lookup(m, p.sub)
			if eachFlat(sv, false, fn) {
				return true
			}
		}
	}
	return false
}

func eachFlat(v any, implicitValue bool, fn func(any) bool) bool {
	switch t := v.(type) {
	case nil:
		return false
	case []any:
		for _, e := range t {
			if implicitValue {
				if m, ok := e.(map[string]any); ok {
					e = lookupv(m, "value")
				}
			}
			if e != nil && fn(e) {
				return true
			}
		}
		return false
	case []string:
		for _, e := range t {
			if fn(e) {
				return true
			}
		}
		return false
	case []map[string]any:
		for _, m := range t {
			var e any = m
			if implicitValue {
				e = lookupv(m, "value")
			}
			if e != nil && fn(e) {
				return true
			}
		}
		return false
	case map[string]any:
		if implicitValue {
			e := lookupv(t, "value")
			return e != nil && fn(e)
		}
		return fn(t)
	}
	return fn(v)
}

// lookup finds key in m, preferring an exact match and falling back to a
// case-insensitive one.
func lookup(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func lookupv(m map[string]any, key string) any {
	v, _ := lookup(m, key)
	return v
}

// scope is where attribute names are resolved: the resource's schemas, or
// the sub-attributes of a multi-valued complex attribute inside a value
// filter.
type scope struct {
	set     *schemaSet // nil without schemas
	inValue bool       // inside a value filter
	parent  *attrDef   // inside a value filter: the complex attribute (nil without schemas)
	pname   string     // inside a value filter: the parent's name, for messages
}

func resolve(ap filterparser.AttributePath, sc scope) (rpath, error) {
	name := ap.AttributeName
	if name == "" {
		return rpath{}, errorf("missing attribute name")
	}
	sub := ap.SubAttributeName()
	if ap.SubAttribute != nil && sub == "" {
		return rpath{}, errorf("empty sub-attribute name after %q", name)
	}
	uri := ap.URI()
	if sc.inValue {
		if uri != "" {
			return rpath{}, errorf("schema URN %q is not allowed inside the value filter of %q", uri, sc.pname)
		}
		rp := rpath{attr: name, sub: sub}
		if sc.parent == nil {
			return rp, nil
		}
		d, ok := sc.parent.subs[strings.ToLower(name)]
		if !ok {
			return rpath{}, errorf("unknown attribute %q: %q has no sub-attribute %q", sc.pname+"."+name, sc.pname, name)
		}
		rp.attr, rp.attrDef = d.name, d
		if sub != "" {
			return rpath{}, errorf("attribute %q has no sub-attributes", sc.pname+"."+d.name)
		}
		return rp, nil
	}
	if sc.set == nil {
		rp := rpath{attr: name, sub: sub}
		if uri != "" && !hasPrefixFold(uri, coreURNPrefix) {
			rp.ext = uri
		}
		return rp, nil
	}
	var (
		d   *attrDef
		ext string
	)
	switch {
	case uri == "":
		d = sc.set.core.attrs[strings.ToLower(name)]
		if d == nil {
			// Be forgiving with clients that leave out the URN of an
			// extension attribute.
			for _, e := range sc.set.exts {
				if ed := e.attrs[strings.ToLower(name)]; ed != nil {
					d, ext = ed, e.id
					break
				}
			}
		}
	case strings.EqualFold(uri, sc.set.core.id):
		d = sc.set.core.attrs[strings.ToLower(name)]
	default:
		found := false
		for _, e := range sc.set.exts {
			if strings.EqualFold(uri, e.id) {
				d, ext, found = e.attrs[strings.ToLower(name)], e.id, true
				break
			}
		}
		if !found {
			return rpath{}, errorf("unknown schema %q in attribute path %q", uri, ap.String())
		}
	}
	if d == nil {
		return rpath{}, errorf("unknown attribute %q", ap.String())
	}
	rp := rpath{ext: ext, attr: d.name, attrDef: d}
	if sub != "" {
		if d.subs == nil {
			return rpath{}, errorf("attribute %q has no sub-attributes (in %q)", d.name, ap.String())
		}
		sd, ok := d.subs[strings.ToLower(sub)]
		if !ok {
			return rpath{}, errorf("unknown attribute %q: %q has no sub-attribute %q", ap.String(), d.name, sub)
		}
		rp.sub, rp.subDef = sd.name, sd
	}
	return rp, nil
}

// trimSpace trims leading and trailing white space and returns the offset
// of the result in s.
func trimSpace(s string) (string, int) {
	t := strings.TrimLeft(s, " \t\r\n")
	off := len(s) - len(t)
	return strings.TrimRight(t, " \t\r\n"), off
}
