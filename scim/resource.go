package scim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/elimity-com/scim/schema"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/jsondec"
	"github.com/scimkit/scimkit/internal/jsonenc"
	"github.com/scimkit/scimkit/store"
)

// readJSON decodes a request body that must be one JSON object. It is
// stricter than encoding/json where the difference matters for security:
// invalid UTF-8 (which encoding/json silently replaces) and duplicate
// object keys, ignoring case (of which encoding/json silently keeps the
// last, so two parsers could disagree on what a request says), are refused
// with 400 invalidSyntax, a NUL character in any key or string with 400
// invalidValue. The body is bounded by the handler's MaxBytesReader and
// nesting by jsondec.MaxDepth (encoding/json's limit). jsondec checks all
// of it while decoding, in one pass.
func readJSON(r *http.Request) (map[string]any, error) {
	if r.Body == nil {
		return nil, badRequest(typeInvalidSyntax, "request body is empty")
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, badRequest(typeInvalidSyntax, "reading request body: %v", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, badRequest(typeInvalidSyntax, "request body is empty")
	}
	m, err := jsondec.DecodeObject(raw)
	if err == nil {
		return m, nil
	}
	var de *jsondec.Error
	if !errors.As(err, &de) {
		return nil, badRequest(typeInvalidSyntax, "request body is not valid JSON: %v", err)
	}
	switch {
	case errors.Is(err, jsondec.ErrInvalidUTF8):
		return nil, badRequest(typeInvalidSyntax, "request body is not valid UTF-8 (byte %d)", de.Offset)
	case errors.Is(err, jsondec.ErrNotObject):
		return nil, badRequest(typeInvalidSyntax, "request body must be a JSON object")
	case errors.Is(err, jsondec.ErrTrailingData):
		return nil, badRequest(typeInvalidSyntax, "request body has data after the JSON object")
	case errors.Is(err, jsondec.ErrDuplicateKey):
		// SCIM attribute names (and schema URNs) are case-insensitive, so
		// keys differing only in case are duplicates too.
		return nil, badRequest(typeInvalidSyntax, "key %q appears twice in one JSON object", de.Key)
	case errors.Is(err, jsondec.ErrNUL):
		// JSON allows "\u0000", no SCIM value needs it, and PostgreSQL
		// cannot store it: refused the same on every store.
		return nil, badRequest(typeInvalidValue, "strings may not contain the NUL character")
	}
	// ErrSyntax or ErrTooDeep: "invalid character 'x' after object key at
	// byte 17".
	return nil, badRequest(typeInvalidSyntax, "request body is not valid JSON: %v", err)
}

// validText reports whether a string from the URL can name anything:
// valid UTF-8 without NUL.
func validText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// decoded is a client-supplied resource after normalisation and validation.
type decoded struct {
	attrs map[string]any
	// members is the Group member list, when the body had a members key.
	members        []store.Member
	membersPresent bool
}

// decodeResource turns a POST or PUT body (or the result of applying a
// PATCH) into stored form: canonical attribute names, typed values, each
// extension under its URN, read-only and write-only attributes dropped.
func (h *Handler) decodeResource(rt *resourceType, body map[string]any, requireSchemas bool) (*decoded, error) {
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
	body["schemas"] = []any{rt.core.ID}
	valid, serr := rt.core.Validate(body)
	if serr != nil {
		return nil, locateInvalid(rt, body, *serr)
	}

	out := &decoded{attrs: make(map[string]any, len(valid)+1)}
	// externalId is a common attribute (RFC 7643 §3.1), which elimity's
	// core schemas do not list, so Validate would drop it.
	if k, ok := lookupKey(body, "externalId"); ok && body[k] != nil {
		ext, isStr := body[k].(string)
		if !isStr {
			return nil, badRequest(typeInvalidValue, `attribute "externalId" must be a string`)
		}
		if ext != "" {
			out.attrs["externalId"] = ext
		}
	}
	for k, v := range valid {
		switch k {
		case "schemas", "password", "id", "meta", "groups":
			// Not stored: schemas is derived, password is write-only and
			// never kept, the rest are read-only.
			continue
		case "members":
			if rt.typ == store.Group {
				continue
			}
		}
		if v = prune(v); v != nil {
			out.attrs[k] = v
		}
	}
	dedupeValues(rt.core.Attributes, out.attrs)
	for _, k := range [...]string{"userName", "externalId", "displayName"} {
		if v, _ := out.attrs[k].(string); len(v) > store.MaxKeyLen {
			return nil, badRequest(typeInvalidValue, "attribute %q is %d bytes long; the limit is %d bytes", k, len(v), store.MaxKeyLen)
		}
	}
	if rt.typ == store.Group {
		if k, ok := lookupKey(body, "members"); ok {
			out.membersPresent = true
			members, err := parseMembers(body[k])
			if err != nil {
				return nil, err
			}
			out.members = members
		}
	}
	for i := range rt.extensions {
		ext := &rt.extensions[i]
		k, ok := lookupKey(body, ext.ID)
		if !ok || body[k] == nil {
			continue
		}
		obj, ok := body[k].(map[string]any)
		if !ok {
			return nil, badRequest(typeInvalidSyntax, "extension %q must be a JSON object", ext.ID)
		}
		valid, serr := ext.ValidateExtension(obj)
		if serr != nil {
			se := *serr
			se.Detail = "extension " + ext.ID + ": " + se.Detail
			return nil, se
		}
		if v := prune(map[string]any(valid)); v != nil {
			dedupeValues(ext.Attributes, v.(map[string]any))
			out.attrs[ext.ID] = v
		}
	}
	// After dedupeValues: copies of one value, one of them primary, are
	// one primary value.
	if err := checkPrimary(rt, out.attrs); err != nil {
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
// deduplicated by id when parsed (parseMembers).
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

func requiredAttr(rt *resourceType) string {
	if rt.typ == store.User {
		return "userName"
	}
	return "displayName"
}

// checkSchemas enforces RFC 7643 §3: a resource body names its core schema
// in "schemas". Extra URNs (Entra adds its own to group creates) are
// tolerated.
func checkSchemas(rt *resourceType, body map[string]any) error {
	k, ok := lookupKey(body, "schemas")
	if !ok {
		return badRequest(typeInvalidSyntax, `"schemas" is required and must contain %q`, rt.core.ID)
	}
	list, ok := body[k].([]any)
	if !ok {
		return badRequest(typeInvalidSyntax, `"schemas" must be an array of schema URNs`)
	}
	for _, s := range list {
		if str, ok := s.(string); ok && strings.EqualFold(str, rt.core.ID) {
			return nil
		}
	}
	return badRequest(typeInvalidSyntax, `"schemas" must contain %q`, rt.core.ID)
}

// locateInvalid turns elimity's anonymous validation error into one that
// names the offending attribute, by validating one attribute at a time.
func locateInvalid(rt *resourceType, body map[string]any, serr error) error {
	required := requiredAttr(rt)
	for k, v := range body {
		if strings.EqualFold(k, "schemas") {
			continue
		}
		probe := map[string]any{"schemas": []any{rt.core.ID}, required: "x", k: v}
		if _, e := rt.core.Validate(probe); e != nil {
			return badRequest(typeInvalidValue, "attribute %q has an invalid value", k)
		}
	}
	var se interface{ Error() string }
	if errors.As(serr, &se) {
		return serr
	}
	return badRequest(typeInvalidValue, "invalid resource")
}

// parseMembers reads a members value ([{"value": id, "type": ...}]).
func parseMembers(v any) ([]store.Member, error) {
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
		k, _ := lookupKey(m, "value")
		id, _ := m[k].(string)
		if id == "" {
			return nil, badRequest(typeInvalidValue, `each member needs a non-empty string "value"`)
		}
		var typ store.ResourceType
		if tk, ok := lookupKey(m, "type"); ok {
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

// normalize rewrites what real IdPs send into what RFC 7643 says, before
// validation: attribute names in any case become the schema's spelling
// (RFC 7643 §2.1; two keys differing only in case are refused), booleans
// sent as strings ("active":"False", Entra without the aadOptscim062020
// flag) become booleans, a single object where an array is due is wrapped,
// manager sent as a bare id string becomes {"value": id}, and extension
// attributes sent flat as "urn:...:User:attr" keys move into their
// extension. Values it does not recognise are left for validation.
func (rt *resourceType) normalize(body map[string]any) (map[string]any, error) {
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
	if list, ok := v.([]any); ok && len(list) == 1 {
		// A one-element array for a single-valued attribute: Entra ID sends
		// manager as [{"$ref": null, "value": "<id>"}].
		v = list[0]
	}
	return normalizeSingle(a, v)
}

func normalizeSingle(a schema.CoreAttribute, v any) any {
	switch a.AttributeType() {
	case "boolean":
		if s, ok := v.(string); ok {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true":
				return true
			case "false":
				return false
			}
		}
	case "complex":
		if s, ok := v.(string); ok && a.Name() == "manager" {
			// Entra ID may send manager as the manager's id.
			return map[string]any{"value": s}
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

// resolveMembers fills in the Type of members the client did not type, by
// looking the id up as a user, then as a group.
func resolveMembers(ctx context.Context, tx store.Tx, members []store.Member) error {
	// Only existence matters: a view spares a copy of what is not read.
	get := viewGet(tx)
	for i := range members {
		if members[i].Type != "" {
			continue
		}
		if _, err := get(ctx, store.User, members[i].Value); err == nil {
			members[i].Type = store.User
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := get(ctx, store.Group, members[i].Value); err == nil {
			members[i].Type = store.Group
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return badRequest(typeInvalidValue, "member %q is not a user or group", members[i].Value)
	}
	return nil
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
func (rt *resourceType) findPrimaryAttrs() [][2]string {
	var out [][2]string
	add := func(urn string, attrs []schema.CoreAttribute) {
		for _, a := range attrs {
			if _, ok := subAttr(a, "primary"); ok && a.MultiValued() {
				out = append(out, [2]string{urn, a.Name()})
			}
		}
	}
	add("", rt.core.Attributes)
	for _, e := range rt.extensions {
		add(e.ID, e.Attributes)
	}
	return out
}

// checkPrimary enforces RFC 7643 §2.4: "primary": true appears at most
// once in a multi-valued attribute.
func checkPrimary(rt *resourceType, doc map[string]any) error {
	for _, pa := range rt.primaryAttrs {
		n := 0
		for _, e := range elementsOfAnyCase(doc, pa) {
			if m, ok := e.(map[string]any); ok {
				if k, found := lookupKey(m, "primary"); found && isTrue(m[k]) {
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
