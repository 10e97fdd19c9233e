package document

import (
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/jsonenc"
	"github.com/scimkit/scimkit/store"
)

// Decoded is a client-supplied resource after normalisation and validation.
type Decoded struct {
	// Attrs are the attributes in stored form.
	Attrs map[string]any
	// Members is the Group member list, when the body had a members key
	// (MembersPresent).
	Members        []store.Member
	MembersPresent bool
}

// Decode turns a POST or PUT body (or the result of applying a
// PATCH) into stored form: canonical attribute names, typed values, each
// extension under its URN, read-only and write-only attributes dropped.
func (rt *Type) Decode(body map[string]any, requireSchemas bool) (*Decoded, error) {
	if requireSchemas {
		if err := checkSchemas(rt, body); err != nil {
			return nil, err
		}
	}
	body, err := rt.normalize(body)
	if err != nil {
		return nil, err
	}
	required := requiredAttr(rt)
	if v, ok := body[required].(string); !ok || strings.TrimSpace(v) == "" {
		return nil, badRequest(typeInvalidValue, "attribute %q is required and must be a non-empty string", required)
	}

	// elimity's Validate demands the core URN in "schemas", spelled
	// exactly; checkSchemas above already enforced it for client bodies.
	// body is normalize's fresh map, so it can be set in place.
	body["schemas"] = []any{rt.Core.ID}
	valid, serr := rt.Core.Validate(body)
	if serr != nil {
		return nil, locateInvalid(rt, body, *serr)
	}

	out := &Decoded{Attrs: make(map[string]any, len(valid)+1)}
	// externalId is a common attribute (RFC 7643 §3.1), which elimity's
	// core schemas do not list, so Validate would drop it.
	if k, ok := LookupKey(body, "externalId"); ok && body[k] != nil {
		ext, isStr := body[k].(string)
		if !isStr {
			return nil, badRequest(typeInvalidValue, `attribute "externalId" must be a string`)
		}
		if ext != "" {
			out.Attrs["externalId"] = ext
		}
	}
	for k, v := range valid {
		switch k {
		case "schemas", "password", "id", "meta", "groups":
			// Not stored: schemas is derived, password is write-only and
			// never kept, the rest are read-only.
			continue
		case "members":
			if rt.Kind == store.Group {
				continue
			}
		}
		if v = prune(v); v != nil {
			out.Attrs[k] = v
		}
	}
	dedupeValues(rt.Core.Attributes, out.Attrs)
	for _, k := range [...]string{"userName", "externalId", "displayName"} {
		if v, _ := out.Attrs[k].(string); len(v) > store.MaxKeyLen {
			return nil, badRequest(typeInvalidValue, "attribute %q is %d bytes long; the limit is %d bytes", k, len(v), store.MaxKeyLen)
		}
	}
	if rt.Kind == store.Group {
		if k, ok := LookupKey(body, "members"); ok {
			out.MembersPresent = true
			members, err := ParseMembers(body[k])
			if err != nil {
				return nil, err
			}
			out.Members = members
		}
	}
	for i := range rt.Extensions {
		ext := &rt.Extensions[i]
		k, ok := LookupKey(body, ext.ID)
		if !ok || body[k] == nil {
			continue
		}
		obj, ok := body[k].(map[string]any)
		if !ok {
			return nil, badRequest(typeInvalidSyntax, "extension %q must be a JSON object", ext.ID)
		}
		valid, serr := ext.ValidateExtension(obj)
		if serr != nil {
			return nil, fromValidator(*serr, "extension "+ext.ID+": ")
		}
		if v := prune(map[string]any(valid)); v != nil {
			dedupeValues(ext.Attributes, v.(map[string]any))
			out.Attrs[ext.ID] = v
		}
	}
	// After dedupeValues: copies of one value, one of them primary, are
	// one primary value.
	if err := checkPrimary(rt, out.Attrs); err != nil {
		return nil, err
	}
	return out, nil
}

// dedupeValues applies RFC 7643 §2.4 to every write (POST, PUT, and the
// result of any PATCH): a multi-valued attribute never holds the same
// (type, value) twice. attrs are the validated attributes of one schema,
// defs its attribute definitions. An element that repeats an earlier one's
// type and value, compared as the schema compares them (ignoring case
// unless the sub-attribute is caseExact), is dropped, and when it was the
// primary one the kept element becomes primary instead. Elements without
// a "value" are duplicates only when equal in full. Group members are
// deduplicated by id when parsed (ParseMembers).
func dedupeValues(defs []schema.CoreAttribute, attrs map[string]any) {
	for _, a := range defs {
		list, ok := attrs[a.Name()].([]any)
		if !a.MultiValued() || !ok || len(list) < 2 {
			continue
		}
		id := identityOf(a)
		first := make(map[string]int, len(list))
		out := make([]any, 0, len(list))
		for _, e := range list {
			k := id(e)
			i, dup := first[k]
			if !dup {
				first[k] = len(out)
				out = append(out, e)
				continue
			}
			if m, ok := e.(map[string]any); ok && isTrue(m["primary"]) {
				if kept, ok := out[i].(map[string]any); ok {
					kept["primary"] = true
				}
			}
		}
		attrs[a.Name()] = out
	}
}

// identityOf returns what makes two elements of the multi-valued attribute
// a the same value: their type and value, folded where a says they are
// not case-exact, or else (no "value") their whole content.
func identityOf(a schema.CoreAttribute) func(e any) string {
	if !a.HasSubAttributes() {
		fold := !a.CaseExact()
		return func(e any) string { return foldIf(fold, e) }
	}
	foldType, foldValue := true, true
	for _, sub := range a.SubAttributes() {
		switch sub.Name() {
		case "type":
			foldType = !sub.CaseExact()
		case "value":
			foldValue = !sub.CaseExact()
		}
	}
	return func(e any) string {
		m, _ := e.(map[string]any)
		v, ok := m["value"]
		if !ok {
			return elementIdentity(e, false)
		}
		return foldIf(foldType, m["type"]) + "\x00" + foldIf(foldValue, v)
	}
}

// foldIf renders v as canonical JSON, case-folded first (filter.Fold, the
// rule filters and stores compare case-insensitively by) when fold and v
// is a string.
func foldIf(fold bool, v any) string {
	if s, ok := v.(string); ok && fold {
		v = filter.Fold(s)
	}
	b, _ := jsonenc.Marshal(v) // JSON-shaped values always marshal
	return string(b)
}

func requiredAttr(rt *Type) string {
	if rt.Kind == store.User {
		return "userName"
	}
	return "displayName"
}

// checkSchemas enforces RFC 7643 §3: a resource body names its core schema
// in "schemas". Other URNs it names are ignored (quirk 10 of quirks.go).
func checkSchemas(rt *Type, body map[string]any) error {
	k, ok := LookupKey(body, "schemas")
	if !ok {
		return badRequest(typeInvalidSyntax, `"schemas" is required and must contain %q`, rt.Core.ID)
	}
	list, ok := body[k].([]any)
	if !ok {
		return badRequest(typeInvalidSyntax, `"schemas" must be an array of schema URNs`)
	}
	for _, s := range list {
		if str, ok := s.(string); ok && strings.EqualFold(str, rt.Core.ID) {
			return nil
		}
	}
	return badRequest(typeInvalidSyntax, `"schemas" must contain %q`, rt.Core.ID)
}

// locateInvalid turns elimity's anonymous validation error into one that
// names the offending attribute, by validating one attribute at a time.
func locateInvalid(rt *Type, body map[string]any, serr scimerrors.ScimError) error {
	required := requiredAttr(rt)
	for k, v := range body {
		if strings.EqualFold(k, "schemas") {
			continue
		}
		probe := map[string]any{"schemas": []any{rt.Core.ID}, required: "x", k: v}
		if _, e := rt.Core.Validate(probe); e != nil {
			return badRequest(typeInvalidValue, "attribute %q has an invalid value", k)
		}
	}
	return fromValidator(serr, "")
}

// ParseMembers reads a members value ([{"value": id, "type": ...}]).
func ParseMembers(v any) ([]store.Member, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		if m, isMap := v.(map[string]any); isMap {
			list = []any{m}
		} else {
			return nil, badRequest(typeInvalidValue, `"members" must be an array of {"value": id}`)
		}
	}
	out := make([]store.Member, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, badRequest(typeInvalidValue, `each member must be an object with a "value"`)
		}
		k, _ := LookupKey(m, "value")
		id, _ := m[k].(string)
		if id == "" {
			return nil, badRequest(typeInvalidValue, `each member needs a non-empty string "value"`)
		}
		var typ store.ResourceType
		if tk, ok := LookupKey(m, "type"); ok {
			switch t, _ := m[tk].(string); strings.ToLower(t) {
			case "user":
				typ = store.User
			case "group":
				typ = store.Group
			case "":
			default:
				return nil, badRequest(typeInvalidValue, "member type %q is not User or Group", t)
			}
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, store.Member{Value: id, Type: typ})
	}
	return out, nil
}

// normalize rewrites a body into the form RFC 7643 describes, before
// validation: attribute names in any case become the schema's spelling
// (RFC 7643 §2.1; two keys differing only in case are refused), a single
// value where an array is due is wrapped, extension attributes sent flat
// as "urn:...:User:attr" keys move into their extension, and the value
// quirks of quirks.go (string booleans, manager as an id, one-element
// arrays) are undone. Values it does not recognise are left for
// validation.
func (rt *Type) normalize(body map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(body))
	put := func(key string, v any) error {
		if _, dup := out[key]; dup {
			return badRequest(typeInvalidSyntax, "attribute %q appears more than once", key)
		}
		out[key] = v
		return nil
	}
	for k, v := range body {
		lower := strings.ToLower(k)
		if ext, ok := rt.exts[lower]; ok {
			if obj, isMap := v.(map[string]any); isMap {
				norm, err := normalizeObject(ext.Attributes, obj)
				if err != nil {
					return nil, err
				}
				if err := noOverlap(out[ext.ID], norm, ext.ID); err != nil {
					return nil, err
				}
				out[ext.ID] = mergeInto(out[ext.ID], norm)
			} else if err := put(ext.ID, v); err != nil {
				return nil, err
			}
			continue
		}
		if strings.HasPrefix(lower, "urn:") {
			ref, ok := rt.lookup(k)
			if !ok {
				continue // unknown schema: ignored like any unknown attribute
			}
			if ref.ext == nil {
				if err := put(ref.attr.Name(), normalizeValue(ref.attr, v)); err != nil {
					return nil, err
				}
				continue
			}
			flat := map[string]any{ref.attr.Name(): normalizeValue(ref.attr, v)}
			if err := noOverlap(out[ref.ext.ID], flat, ref.ext.ID); err != nil {
				return nil, err
			}
			out[ref.ext.ID] = mergeInto(out[ref.ext.ID], flat)
			continue
		}
		if a, ok := rt.attrs[lower]; ok {
			if err := put(a.Name(), normalizeValue(a, v)); err != nil {
				return nil, err
			}
			continue
		}
		if err := put(k, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// noOverlap refuses an extension attribute given twice: flat
// ("urn:...:User:department") and inside the extension object.
func noOverlap(dst any, src map[string]any, urn string) error {
	d, _ := dst.(map[string]any)
	for k := range src {
		if _, dup := d[k]; dup {
			return badRequest(typeInvalidSyntax, "attribute %q of %s appears more than once", k, urn)
		}
	}
	return nil
}

func mergeInto(dst any, src map[string]any) any {
	d, ok := dst.(map[string]any)
	if !ok {
		return src
	}
	for k, v := range src {
		d[k] = v
	}
	return d
}

// normalizeObject normalises the attributes of an extension or the
// sub-attributes of a complex value, canonicalising their names.
func normalizeObject(attrs []schema.CoreAttribute, obj map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		key := k
		for _, a := range attrs {
			if strings.EqualFold(a.Name(), k) {
				key, v = a.Name(), normalizeValue(a, v)
				break
			}
		}
		if _, dup := out[key]; dup {
			return nil, badRequest(typeInvalidSyntax, "attribute %q appears more than once", key)
		}
		out[key] = v
	}
	return out, nil
}

func normalizeValue(a schema.CoreAttribute, v any) any {
	if v == nil {
		return nil
	}
	if a.MultiValued() {
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		out := make([]any, len(list))
		for i, e := range list {
			out[i] = normalizeSingle(a, e)
		}
		return out
	}
	return normalizeSingle(a, singleValueInArray(v))
}

func normalizeSingle(a schema.CoreAttribute, v any) any {
	switch a.AttributeType() {
	case "boolean":
		return stringBoolean(v)
	case "complex":
		if m, ok := managerAsID(a, v); ok {
			return m
		}
		if obj, ok := v.(map[string]any); ok {
			if norm, err := normalizeObject(a.SubAttributes(), obj); err == nil {
				return norm
			}
			// Duplicate sub-attribute names: left as they are for
			// validation to refuse.
		}
	}
	return v
}

// prune drops empty arrays and objects (and nil) so a cleared attribute is
// absent rather than stored as [] or {}.
func prune(v any) any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		if len(t) == 0 {
			return nil
		}
		out := t[:0:0]
		for _, e := range t {
			if e = prune(e); e != nil {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case map[string]any:
		for k, e := range t {
			if e = prune(e); e == nil {
				delete(t, k)
			} else {
				t[k] = e
			}
		}
		if len(t) == 0 {
			return nil
		}
		return t
	}
	return v
}

// isTrue reports whether a primary flag is set, in any form clients send.
func isTrue(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return strings.EqualFold(strings.TrimSpace(t), "true")
	}
	return false
}

// findPrimaryAttrs lists the multi-valued attributes with a "primary"
// sub-attribute, as (extension URN or "", attribute name) pairs, once,
// when the resource type is made.
func (rt *Type) findPrimaryAttrs() [][2]string {
	var out [][2]string
	add := func(urn string, attrs []schema.CoreAttribute) {
		for _, a := range attrs {
			if _, ok := subAttr(a, "primary"); ok && a.MultiValued() {
				out = append(out, [2]string{urn, a.Name()})
			}
		}
	}
	add("", rt.Core.Attributes)
	for _, e := range rt.Extensions {
		add(e.ID, e.Attributes)
	}
	return out
}

// checkPrimary enforces RFC 7643 §2.4: "primary": true appears at most
// once in a multi-valued attribute.
func checkPrimary(rt *Type, doc map[string]any) error {
	for _, pa := range rt.primaryAttrs {
		n := 0
		for _, e := range elementsOfAnyCase(doc, pa) {
			if m, ok := e.(map[string]any); ok {
				if k, found := LookupKey(m, "primary"); found && isTrue(m[k]) {
					n++
				}
			}
		}
		if n > 1 {
			return badRequest(typeInvalidValue, "only one value of %q may be primary", pa[1])
		}
	}
	return nil
}

// CheckImmutable enforces RFC 7643 §2.2 on PUT and PATCH: an immutable
// attribute, of the core schema or of an extension, may be set when it has
// no value but never changed or removed once it has one.
func (rt *Type) CheckImmutable(cur, next map[string]any) error {
	check := func(attrs []schema.CoreAttribute, cur, next map[string]any) error {
		for _, a := range attrs {
			if a.Mutability() != "immutable" {
				continue
			}
			old, had := cur[a.Name()]
			if had && !jsonenc.Equal(old, next[a.Name()]) {
				return badRequest(typeMutability, "attribute %q is immutable", a.Name())
			}
		}
		return nil
	}
	if err := check(rt.Core.Attributes, cur, next); err != nil {
		return err
	}
	for _, e := range rt.Extensions {
		ce, _ := cur[e.ID].(map[string]any)
		ne, _ := next[e.ID].(map[string]any)
		if err := check(e.Attributes, ce, ne); err != nil {
			return err
		}
	}
	return nil
}
