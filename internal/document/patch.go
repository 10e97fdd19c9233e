package document

import (
	"strings"

	"github.com/elimity-com/scim/schema"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/jsonenc"
	"github.com/scimkit/scimkit/store"
)

// PATCH (RFC 7644 §3.5.2) is applied here: elimity-com/scim only validates
// operations, and rejects some that Entra ID and Okta send (an empty
// Operations array, capitalised ops, string booleans).

// PatchOpURN is the schema of a PATCH request body.
const PatchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// Op is one operation of a PATCH request, as ParsePatch read it.
type Op struct {
	op      string // add, replace or remove
	path    string // "" when absent
	value   any
	hasPath bool
}

// AddOp is the operation that adds value at path.
func AddOp(path string, value any) Op {
	return Op{op: "add", path: path, value: value, hasPath: true}
}

// ReplaceOp is the operation that replaces the value at path with value.
func ReplaceOp(path string, value any) Op {
	return Op{op: "replace", path: path, value: value, hasPath: true}
}

// ParsePatch reads a PatchOp request body.
func ParsePatch(body map[string]any) ([]Op, error) {
	k, ok := LookupKey(body, "schemas")
	if !ok {
		return nil, badRequest(typeInvalidSyntax, `"schemas" must contain %q`, PatchOpURN)
	}
	list, _ := body[k].([]any)
	found := false
	for _, s := range list {
		if str, ok := s.(string); ok && strings.EqualFold(str, PatchOpURN) {
			found = true
		}
	}
	if !found {
		return nil, badRequest(typeInvalidSyntax, `"schemas" must contain %q`, PatchOpURN)
	}
	k, ok = LookupKey(body, "Operations")
	if !ok {
		return nil, badRequest(typeInvalidSyntax, `"Operations" is required`)
	}
	raw, ok := body[k].([]any)
	if !ok {
		return nil, badRequest(typeInvalidSyntax, `"Operations" must be an array`)
	}
	// An empty array is a no-op (quirk 9 of quirks.go).
	ops := make([]Op, 0, len(raw))
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, badRequest(typeInvalidSyntax, "operation %d must be an object", i)
		}
		var op Op
		if k, ok := LookupKey(m, "op"); ok {
			s, _ := m[k].(string)
			op.op = opName(s)
		}
		switch op.op {
		case "add", "replace", "remove":
		default:
			return nil, badRequest(typeInvalidSyntax, `operation %d: "op" must be add, replace or remove`, i)
		}
		if k, ok := LookupKey(m, "path"); ok && m[k] != nil {
			s, isStr := m[k].(string)
			if !isStr {
				return nil, badRequest(typeInvalidPath, `operation %d: "path" must be a string`, i)
			}
			op.path, op.hasPath = strings.TrimSpace(s), strings.TrimSpace(s) != ""
		}
		if k, ok := LookupKey(m, "value"); ok {
			op.value = m[k]
		}
		if op.op != "remove" && op.value == nil {
			return nil, badRequest(typeInvalidValue, `operation %d: %s needs a "value"`, i, op.op)
		}
		if op.op == "remove" && !op.hasPath {
			return nil, badRequest(typeNoTarget, `operation %d: remove needs a "path"`, i)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// ApplyPatch applies ops to a copy of cur and validates the result like a
// PUT body. cur is never modified.
func (rt *Type) ApplyPatch(cur *store.Resource, ops []Op, opts Options) (*Decoded, error) {
	doc := store.CloneMap(cur.Attributes)
	if doc == nil {
		doc = map[string]any{}
	}
	if rt.Kind == store.Group {
		members := make([]any, 0, len(cur.Members))
		for _, m := range cur.Members {
			members = append(members, map[string]any{"value": m.Value, "type": string(m.Type)})
		}
		doc["members"] = members
	}
	st := &patchState{opts: opts}
	budget := patchWorkBudget(doc, ops)
	for _, op := range ops {
		var err error
		if op.hasPath {
			err = applyAtPath(st, rt, doc, op.op, op.path, op.value)
		} else {
			err = applyNoPath(st, rt, doc, op.op, op.value)
		}
		if err != nil {
			return nil, err
		}
		// Only an operation that sets primary can demote others.
		st.endOp(op.op != "remove" && (mentionsPrimary(op.value) || strings.Contains(strings.ToLower(op.path), "primary")))
		if st.work > budget {
			return nil, badRequest(typeTooMany, "this PATCH examines more than %d elements of multi-valued attributes "+
				"(operations whose filters no index answers, each over the whole list); send fewer operations per request", budget)
		}
	}
	st.flush()
	d, err := rt.Decode(doc, false)
	if err != nil {
		return nil, err
	}
	if rt.Kind == store.Group && !d.MembersPresent {
		// The operations removed the members attribute itself: the group
		// now has no members (RFC 7644 §3.5.2.2).
		d.MembersPresent, d.Members = true, nil
	}
	return d, nil
}

// patchWorkBudget is how many elements the passes of one PATCH over whole
// multi-valued lists may visit: patchWorkFactor times what the request
// and the resource hold (the elements of doc's multi-valued attributes,
// the operations and their values), plus a floor. Most operations are
// answered from indexes and visit nothing; one whose filter no index
// answers (co, sw, not, ...) visits the whole list, and a thousand of those
// on a list of 100,000 would cost operations × size. Past the budget the
// PATCH is refused (400 tooMany), so its cost stays linear in the size of
// the request and the resource, whatever its operations.
func patchWorkBudget(doc map[string]any, ops []Op) int {
	n := len(ops)
	var count func(v any, depth int)
	count = func(v any, depth int) {
		switch x := v.(type) {
		case []any:
			n += len(x)
		case map[string]any:
			if depth < 2 {
				for _, e := range x {
					count(e, depth+1)
				}
			}
		}
	}
	count(doc, 0)
	for _, op := range ops {
		count(op.value, 1)
	}
	return patchWorkFactor*n + patchWorkFloor
}

// patchWorkFactor and patchWorkFloor shape patchWorkBudget: every list may
// be passed over 16 times in one PATCH, and any PATCH may visit 65,536
// elements.
const (
	patchWorkFactor = 16
	patchWorkFloor  = 1 << 16
)

func primaryFlag(m map[string]any) bool {
	k, ok := LookupKey(m, "primary")
	return ok && isTrue(m[k])
}

// elementKey identifies an element by its content other than "primary".
func elementKey(m map[string]any) string {
	c := make(map[string]any, len(m))
	for k, v := range m {
		if !strings.EqualFold(k, "primary") {
			c[strings.ToLower(k)] = v
		}
	}
	b, _ := jsonenc.Marshal(c) // JSON-shaped values always marshal; keys sorted
	return string(b)
}

// elementsOfAnyCase is elementsOf for the PATCH working document, whose
// keys may still be spelled as the client sent them.
func elementsOfAnyCase(doc map[string]any, pa [2]string) []any {
	if pa[0] != "" {
		k, ok := LookupKey(doc, pa[0])
		if !ok {
			return nil
		}
		doc, _ = doc[k].(map[string]any)
	}
	k, ok := LookupKey(doc, pa[1])
	if !ok {
		return nil
	}
	list, _ := doc[k].([]any)
	return list
}

// applyNoPath handles an add or replace without a path: the value is an
// object whose keys are attribute paths ("displayName", "name.givenName",
// "urn:...:enterprise:2.0:User:employeeNumber", or an extension URN with an
// object value).
func applyNoPath(st *patchState, rt *Type, doc map[string]any, op string, value any) error {
	obj, ok := value.(map[string]any)
	if !ok {
		return badRequest(typeInvalidValue, "%s without a path needs an object value", op)
	}
	for k, v := range obj {
		if ignoredInNoPathValue(k) {
			continue
		}
		if ext, ok := rt.extension(k); ok {
			inner, isMap := v.(map[string]any)
			if !isMap {
				return badRequest(typeInvalidValue, "extension %q needs an object value", ext.ID)
			}
			for ik, iv := range inner {
				if err := applyAtPath(st, rt, doc, op, ext.ID+":"+ik, iv); err != nil {
					return err
				}
			}
			continue
		}
		if err := applyAtPath(st, rt, doc, op, k, v); err != nil {
			if isUnknownAttr(err) {
				continue // unknown attributes are ignored, as on POST and PUT
			}
			return err
		}
	}
	return nil
}

type unknownAttrError struct{ error }

func (e unknownAttrError) Unwrap() error { return e.error }

func isUnknownAttr(err error) bool {
	_, ok := err.(unknownAttrError)
	return ok
}

// target is a PATCH path resolved against the schema table.
type target struct {
	st        *patchState
	container map[string]any // the resource, or an extension's object
	attr      schema.CoreAttribute
	key       string                // canonical attribute name
	valueSel  *filter.Filter        // the [filter] part, if any
	selPath   *filter.PatchPath     // the path it is from, to build new elements from
	sub       *schema.CoreAttribute // the .sub part, if any
}

func applyAtPath(st *patchState, rt *Type, doc map[string]any, op, path string, value any) error {
	// A path that is exactly an extension URN targets the whole extension.
	if ext, ok := rt.extension(path); ok {
		switch op {
		case "remove":
			if k, found := LookupKey(doc, ext.ID); found {
				delete(doc, k)
			}
			return nil
		default:
			return applyNoPath(st, rt, doc, op, map[string]any{ext.ID: value})
		}
	}
	t, err := resolveTarget(rt, doc, path, op != "remove")
	if err != nil {
		return err
	}
	if t == nil {
		return nil // remove of something that is not there
	}
	if t.sub == nil && t.valueSel == nil && op != "remove" {
		value = normalizeValue(t.attr, value)
	}
	t.st = st
	switch op {
	case "add":
		return t.add(value)
	case "replace":
		return t.replace(value)
	default:
		return t.remove(value)
	}
}

// pathRef is a PATCH path resolved against the schema table, before it is
// applied to a document: the attribute and its schema, the sub-attribute,
// and the parsed path, whose value filter the caller compiles if it needs
// it. ApplyPatch and MemberDelta both resolve paths with resolvePath.
type pathRef struct {
	attrRef
	sub  *schema.CoreAttribute // the .sub part, if any
	path *filter.PatchPath
	text string // an excerpt of the path, to quote in errors
}

func (rt *Type) resolvePath(path string) (pathRef, error) {
	// The one parsing entry for paths and filters, with their limits
	// (length, nesting) and bounded error messages; it keeps the
	// internal/fastpath shortcut for what IdPs send.
	p, err := filter.ParsePatchPath(path, rt.FilterOptions...)
	if err != nil {
		return pathRef{}, badRequest(typeInvalidPath, "%v", err)
	}
	path = filter.Excerpt(path) // below, path is only quoted in error messages
	name := p.Attribute
	if p.URN != "" {
		name = p.URN + ":" + name
	}
	ref, ok := rt.lookup(name)
	if !ok {
		return pathRef{}, unknownAttrError{badRequest(typeInvalidPath, "path %q names no attribute of %s", path, rt.Name)}
	}
	if ref.attr.Mutability() == "readOnly" {
		return pathRef{}, badRequest(typeMutability, "attribute %q is read-only", ref.attr.Name())
	}
	r := pathRef{attrRef: ref, path: p, text: path}
	if p.Sub != "" {
		s, ok := subAttr(ref.attr, p.Sub)
		if !ok {
			return pathRef{}, badRequest(typeInvalidPath, "path %q: %q has no sub-attribute %q", path, ref.attr.Name(), filter.Excerpt(p.Sub))
		}
		r.sub = &s
	}
	if p.HasValueFilter() && !ref.attr.MultiValued() {
		return pathRef{}, badRequest(typeInvalidPath, "path %q: a value filter needs a multi-valued attribute", path)
	}
	return r, nil
}

// resolveTarget resolves path and finds what it names in doc, creating the
// extension object it lives in when create is set. It returns nil when
// there is nothing to remove.
func resolveTarget(rt *Type, doc map[string]any, path string, create bool) (*target, error) {
	r, err := rt.resolvePath(path)
	if err != nil {
		return nil, err
	}
	t := &target{container: doc, attr: r.attr, key: r.attr.Name(), sub: r.sub}
	if r.ext != nil {
		k, found := LookupKey(doc, r.ext.ID)
		ext, _ := doc[k].(map[string]any)
		if !found || ext == nil {
			if !create {
				return nil, nil
			}
			ext = map[string]any{}
			doc[r.ext.ID] = ext
		}
		t.container = ext
	}
	// Normalise the key's spelling in the container to the canonical one.
	if k, found := LookupKey(t.container, t.key); found && k != t.key {
		t.container[t.key] = t.container[k]
		delete(t.container, k)
	}
	if r.path.HasValueFilter() {
		parent := r.attr.Name()
		if r.ext != nil {
			parent = r.ext.ID + ":" + parent
		}
		f, err := r.path.ValueFilter(parent, rt.FilterOptions...)
		if err != nil {
			return nil, badRequest(typeInvalidPath, "path %q: %v", r.text, err)
		}
		t.valueSel, t.selPath = f, r.path
	}
	return t, nil
}

// elements returns the current values of a multi-valued attribute.
func (t *target) elements() []any {
	switch v := t.container[t.key].(type) {
	case []any:
		return v
	case nil:
		return nil
	default:
		return []any{v}
	}
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func (t *target) add(value any) error {
	switch {
	case t.valueSel != nil:
		return t.setSelected(value, true)
	case t.sub != nil:
		return t.setSub(value)
	case t.attr.MultiValued():
		// RFC 7643 §2.4: values already present are not added again.
		l := t.st.list(t)
		for _, v := range asList(value) {
			if !l.contains(v) {
				l.append(v)
			}
		}
		l.publish()
	case t.attr.AttributeType() == "complex":
		obj, ok := value.(map[string]any)
		if !ok {
			return badRequest(typeInvalidValue, "attribute %q needs an object value", t.key)
		}
		cur, _ := t.container[t.key].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
		}
		for k, v := range obj {
			cur[k] = v
		}
		t.container[t.key] = cur
	default:
		t.container[t.key] = value
	}
	return nil
}

func (t *target) replace(value any) error {
	switch {
	case t.valueSel != nil:
		return t.setSelected(value, false)
	case t.sub != nil:
		return t.setSub(value)
	case t.attr.MultiValued():
		t.st.list(t).replaceAll(asList(value))
	case t.attr.AttributeType() == "complex":
		// RFC 7644 §3.5.2.3: sub-attributes not in the value are kept.
		return t.add(value)
	default:
		t.container[t.key] = value
	}
	return nil
}

// setSub sets a sub-attribute: of a single complex attribute, or of every
// element of a multi-valued one.
func (t *target) setSub(value any) error {
	name := t.sub.Name()
	if t.attr.MultiValued() {
		l := t.st.list(t)
		if l.live == 0 {
			l.replaceAll([]any{map[string]any{name: value}})
			return nil
		}
		l.changeAll(func(e any) {
			if m, ok := e.(map[string]any); ok {
				setKey(m, name, value)
			}
		})
		return nil
	}
	cur, _ := t.container[t.key].(map[string]any)
	if cur == nil {
		cur = map[string]any{}
		t.container[t.key] = cur
	}
	setKey(cur, name, value)
	return nil
}

// setSelected applies add/replace to the elements a value filter selects.
func (t *target) setSelected(value any, merge bool) error {
	l := t.st.list(t)
	idx := l.matched(t.valueSel)
	if len(idx) == 0 {
		el, ok := t.newElement()
		if !ok || !t.st.opts.CreateOnFilterMiss {
			return badRequest(typeNoTarget, "no value of %q matches the filter", t.key)
		}
		if t.sub != nil {
			el[t.sub.Name()] = value
		} else if obj, isMap := value.(map[string]any); isMap {
			for k, v := range obj {
				el[k] = v
			}
		} else {
			return badRequest(typeInvalidValue, "attribute %q needs an object value", t.key)
		}
		l.append(el)
		return nil
	}
	var obj map[string]any
	if t.sub == nil {
		var ok bool
		if obj, ok = value.(map[string]any); !ok {
			return badRequest(typeInvalidValue, "attribute %q needs an object value", t.key)
		}
	}
	for _, i := range idx {
		l.change(i, func(e any) any {
			m := e.(map[string]any)
			if t.sub != nil {
				setKey(m, t.sub.Name(), value)
				return m
			}
			if !merge {
				m = map[string]any{}
			}
			for k, v := range obj {
				setKey(m, k, v)
			}
			return m
		})
	}
	l.publish()
	return nil
}

func (t *target) remove(value any) error {
	switch {
	case t.valueSel != nil:
		l := t.st.list(t)
		idx := l.matched(t.valueSel)
		if t.sub != nil {
			name := t.sub.Name()
			for _, i := range idx {
				l.change(i, func(e any) any {
					m := e.(map[string]any)
					if k, ok := LookupKey(m, name); ok {
						delete(m, k)
					}
					return m
				})
			}
			return nil
		}
		for _, i := range idx {
			l.remove(i)
		}
		l.publish()
	case t.sub != nil:
		name := t.sub.Name()
		if t.attr.MultiValued() {
			t.st.list(t).changeAll(func(e any) {
				if m, ok := e.(map[string]any); ok {
					if k, found := LookupKey(m, name); found {
						delete(m, k)
					}
				}
			})
			return nil
		}
		if m, ok := t.container[t.key].(map[string]any); ok {
			if k, found := LookupKey(m, name); found {
				delete(m, k)
			}
		}
	case t.attr.MultiValued() && value != nil:
		if !t.st.opts.RemoveListed {
			return badRequest(typeInvalidValue, "remove of %q takes no value (RFC 7644 §3.5.2.2 would remove every value); "+
				"name one with a filter, such as %s[value eq \"...\"], or use an IdP profile that removes the values listed", t.key, t.key)
		}
		t.removeListed(value)
	case t.attr.MultiValued():
		t.st.list(t).removeAll()
	default:
		delete(t.container, t.key)
	}
	return nil
}

// elementIdentity is what makes two elements of a multi-valued attribute
// the same: their "value" sub-attribute when byValue (members, and
// removals by value), else their whole content; either way as canonical
// JSON, so that comparing n values against m elements is a set lookup,
// not n×m comparisons.
func elementIdentity(v any, byValue bool) string {
	if m, ok := v.(map[string]any); ok && byValue {
		if k, found := LookupKey(m, "value"); found {
			b, _ := jsonenc.Marshal(m[k])
			return "v:" + string(b)
		}
	}
	b, _ := jsonenc.Marshal(v) // JSON-shaped values always marshal; keys sorted
	return "j:" + string(b)
}

func setKey(m map[string]any, name string, v any) {
	if k, ok := LookupKey(m, name); ok && k != name {
		delete(m, k)
	}
	m[name] = v
}

// mentionsPrimary reports whether a PATCH value sets a "primary"
// sub-attribute anywhere.
func mentionsPrimary(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if strings.EqualFold(k, "primary") || strings.HasSuffix(strings.ToLower(k), ".primary") || mentionsPrimary(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if mentionsPrimary(e) {
				return true
			}
		}
	}
	return false
}
