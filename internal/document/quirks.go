package document

import (
	"strings"

	"github.com/elimity-com/scim/schema"
)

// This file is the one list of what real identity providers send that
// RFC 7643 and RFC 7644 do not describe, and what the engine makes of it.
// Each entry names the IdP and the request. Most quirks contradict nothing
// (an RFC client never sends them) and are accepted from every client;
// the two that contradict the RFC, 6 and 7, apply only when Options say
// so, which the handler sets from the directory's IdP profile
// (directory.Profile). Where the engine has code for a
// quirk, that code is the function below the list; the rest of the engine
// calls it and holds no IdP-specific rule of its own. TestQuirks
// (quirks_test.go) replays every request of the list through the engine.
//
// Quirks of documents and PATCH requests (this package):
//
//  1. stringBoolean. Microsoft Entra ID without the aadOptscim062020 flag:
//     PATCH /Users/{id} {"op":"Replace","path":"active","value":"False"}.
//     A boolean sent as the string "true" or "false", in any case, is that
//     boolean.
//  2. opName. Entra ID without aadOptscim062020: "op":"Add", "Replace",
//     "Remove". Operation names are matched ignoring case.
//  3. managerAsID. Entra ID: PATCH {"op":"Add","path":"urn:ietf:params:scim:
//     schemas:extension:enterprise:2.0:User:manager","value":"<id>"}, and
//     "manager":"<id>" in a body. A bare string for manager is its id:
//     {"value":"<id>"}.
//  4. singleValueInArray. Entra ID: "manager":[{"$ref":null,"value":"<id>"}].
//     A one-element array for a single-valued attribute is its element.
//  5. bareExtensionAttr. Entra ID: PATCH {"op":"Replace","path":"manager",
//     ...}. An unqualified name the core schema lacks names the extension
//     attribute of that name (extensions in order).
//  6. removeListed (Options.RemoveListed). Entra ID: PATCH /Groups/{id}
//     {"op":"Remove","path":"members","value":[{"value":"<id>"}]}. A
//     remove whose path is a whole multi-valued attribute and which
//     carries a value removes the listed values only. RFC 7644 §3.5.2.2
//     defines no value for remove and removes the whole attribute; without
//     the option such a request is refused (400 invalidValue) rather than
//     read as "remove every member".
//  7. newElement (Options.CreateOnFilterMiss). Entra ID: PATCH {"op":"Replace","path":
//     "emails[type eq \"work\"].value","value":"b@example.com"} on a user
//     without a work email. A value filter made only of eq tests that
//     matches nothing describes the element to create; RFC 7644 §3.5.2.3
//     would answer 400 noTarget.
//  8. ignoredInNoPathValue. Okta group rename: PATCH {"op":"replace",
//     "value":{"id":"<id>","displayName":"New name"}}. id, meta and
//     schemas in the value of an add or replace without a path are ignored
//     rather than refused as read-only.
//  9. Empty Operations. Microsoft's SCIM validator: PATCH {"schemas":[
//     "urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}.
//     RFC 7644 §3.5.2 asks for one or more operations; ParsePatch accepts
//     none, and the PATCH changes nothing.
//  10. Extra schema URNs. Entra ID group create: "schemas":[
//     "urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.
//     microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"]. A body
//     must name its core schema (checkSchemas); other URNs it names are
//     ignored.
//
// Quirks of the protocol, answered by package scim:
//
//  11. Entra ID expects 204 No Content to a group PATCH (scim/crud.go,
//     successStatus); RFC 7644 §3.5.2 allows it.
//  12. Entra ID refuses "Resources":null in a list response: the list is
//     always an array (scim/list.go).
//  13. Entra ID asks for groups with excludedAttributes=members: such reads
//     never load the member list (scim/crud.go getForRead, scim/list.go).

// Options select the quirks that contradict the RFC, for one request. The
// zero Options are the RFC.
type Options struct {
	// RemoveListed accepts quirk 6.
	RemoveListed bool
	// CreateOnFilterMiss accepts quirk 7.
	CreateOnFilterMiss bool
}

// stringBoolean returns the boolean a string spells (quirk 1), or v as it
// is.
func stringBoolean(v any) any {
	if s, ok := v.(string); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return v
}

// opName is the PATCH operation name s, matched ignoring case (quirk 2).
func opName(s string) string { return strings.ToLower(s) }

// managerAsID reads a bare string sent for the complex attribute manager
// as the manager's id (quirk 3).
func managerAsID(a schema.CoreAttribute, v any) (map[string]any, bool) {
	if s, ok := v.(string); ok && a.Name() == "manager" {
		return map[string]any{"value": s}, true
	}
	return nil, false
}

// singleValueInArray returns the element of a one-element array sent for
// a single-valued attribute (quirk 4), or v as it is.
func singleValueInArray(v any) any {
	if list, ok := v.([]any); ok && len(list) == 1 {
		return list[0]
	}
	return v
}

// bareExtensionAttr looks an unqualified, lowercased attribute name the
// core schema lacks up in the extensions, in order (quirk 5).
func (rt *Type) bareExtensionAttr(lower string) (attrRef, bool) {
	for i := range rt.Extensions {
		for _, a := range rt.Extensions[i].Attributes {
			if strings.ToLower(a.Name()) == lower {
				return attrRef{ext: &rt.Extensions[i], attr: a}, true
			}
		}
	}
	return attrRef{}, false
}

// removeListed removes from the multi-valued attribute t the elements
// whose "value" (or, without one, whole content) equals one of the values
// listed in value (quirk 6).
func (t *target) removeListed(value any) {
	l := t.st.list(t)
	values := asList(value)
	ids := make([]string, len(values))
	for i, v := range values {
		ids[i] = elementIdentity(v, true)
	}
	for _, i := range l.withValues(ids) {
		l.remove(i)
	}
	l.publish()
}

// newElement builds the element a value filter made only of eq tests
// describes (type eq "work" → {"type": "work"}), for an add or replace
// whose filter matched nothing (quirk 7). It reports false for any other
// filter.
func (t *target) newElement() (map[string]any, bool) {
	eqs, ok := t.selPath.Equalities()
	if !ok {
		return nil, false
	}
	out := make(map[string]any, len(eqs))
	for name, v := range eqs {
		s, ok := subAttr(t.attr, name)
		if !ok {
			return nil, false
		}
		out[s.Name()] = v
	}
	return out, true
}

// ignoredInNoPathValue reports whether key, in the value of an add or
// replace without a path, is skipped (quirk 8).
func ignoredInNoPathValue(key string) bool {
	switch strings.ToLower(key) {
	case "id", "meta", "schemas":
		return true
	}
	return false
}
