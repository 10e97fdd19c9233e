// Package store defines the persistence contract behind a scimkit handler.
//
// A host application either uses one of the bundled implementations
// (store/memory, or store/sqlstore for SQLite and PostgreSQL) or implements
// Store itself. Every implementation proves it behaves by running the
// contract suite in store/storetest:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newMyStore(t) })
//	}
//
// The model is deliberately small. A Store reads resources (Get, List) and
// changes them only inside Update, which runs a function against a Tx and
// commits everything it did, or nothing. The SCIM handler runs one request's
// whole read-modify-write, the host app's lifecycle hooks and the audit
// record in one Update call, so a failed request leaves no trace.
//
// Every call carries a Scope: the tenant (and directory within it) that the
// request's credential resolved to. A store must never let one scope read or
// change another scope's data. A single-tenant app uses the zero Scope.
package store

import (
	"errors"
	"strconv"
	"time"
)

// Errors a Store returns. Implementations wrap them with %w so callers match
// them with errors.Is.
var (
	// ErrNotFound: no resource of that type and id exists in the scope.
	ErrNotFound = errors.New("store: resource not found")
	// ErrUniqueness: the write would give two resources in one scope the
	// same unique key (userName for Users, case-insensitively).
	ErrUniqueness = errors.New("store: uniqueness violation")
	// ErrVersionConflict: Replace was given a resource whose Version is not
	// the stored one; somebody else changed it first.
	ErrVersionConflict = errors.New("store: version conflict")
	// ErrInvalidMember: a membership change names a member that does not
	// exist in the scope, or a group as a member of itself.
	ErrInvalidMember = errors.New("store: invalid member")
)

// MaxKeyLen is the longest userName, externalId or displayName, in bytes,
// that a Store must accept. Stores index these attributes, and an index
// entry has a size limit (PostgreSQL's B-tree refuses entries over about
// 2.7 kB); the SCIM handler refuses longer values with 400 invalidValue
// before any store call, so every store answers the same. A store's
// indexes must take a value of this length even when its lower-case form,
// which case-insensitive indexes hold, is longer (up to 1.5 times).
const MaxKeyLen = 1024

// Scope is the key every stored resource lives under: the tenant the
// request's credential belongs to, and the directory (IdP connection) within
// that tenant. The zero value is the scope of a single-tenant application.
type Scope struct {
	Tenant    string
	Directory string
}

// String returns a human-readable form for logs, e.g. "acme/okta".
func (s Scope) String() string {
	if s.Directory == "" {
		return s.Tenant
	}
	return s.Tenant + "/" + s.Directory
}

// ResourceType names a kind of SCIM resource.
type ResourceType string

// The resource types the library serves.
const (
	User  ResourceType = "User"
	Group ResourceType = "Group"
)

// Member is one entry of a Group's member list.
type Member struct {
	// Value is the id of the member resource.
	Value string
	// Type is User or Group (a nested group).
	Type ResourceType
	// Display is filled in by the store on read: the member's displayName,
	// or its userName for a user without one. Ignored on write.
	Display string
}

// GroupRef is one entry of a User's read-only groups attribute: a group the
// user is a direct member of. Stores fill it in on read.
type GroupRef struct {
	Value   string
	Display string
}

// Resource is a stored User or Group.
type Resource struct {
	Type ResourceType
	ID   string

	// Attributes holds every client-writable attribute under its canonical
	// schema name: core attributes at the top level ("userName", "name",
	// "emails", "externalId", ...) and each schema extension as a nested map
	// under its URN. Values are JSON-shaped: string, bool, float64, int64,
	// map[string]any and []any. Members, groups, id and meta are never kept
	// here.
	Attributes map[string]any

	// Members is a Group's member list. Read paths fill it (unless a Query
	// asks to leave it out); Create stores it. Replace ignores it: membership
	// changes go through Tx.AddMembers and Tx.RemoveMembers.
	Members []Member
	// Groups is a User's direct group memberships, filled in on read.
	Groups []GroupRef

	// Created, LastModified and Version are set by the store on every write
	// and are ignored when passed in, except Version on Replace, which must
	// equal the stored version.
	//
	// Version (and LastModified) change whenever the resource's
	// representation does, derived attributes included (RFC 7644 §3.14):
	// a user's when it joins or leaves a group (Create of a group with it,
	// AddMembers, RemoveMembers, Delete of the group) or a group it is in
	// changes displayName; a group's when its members change or one of its
	// members changes its display value (displayName, or a user's userName
	// when it has none).
	Created      time.Time
	LastModified time.Time
	Version      int64
}

// UserName returns the userName attribute, or "".
func (r *Resource) UserName() string { return stringAttr(r.Attributes, "userName") }

// DisplayName returns the displayName attribute, or "".
func (r *Resource) DisplayName() string { return stringAttr(r.Attributes, "displayName") }

// ExternalID returns the externalId attribute, or "".
func (r *Resource) ExternalID() string { return stringAttr(r.Attributes, "externalId") }

// Active reports a user's active attribute; an absent one counts as true
// (RFC 7643 §4.1.1 leaves its meaning to the service provider, and a user
// an IdP created without it is in use).
func (r *Resource) Active() bool {
	v, ok := r.Attributes["active"].(bool)
	return !ok || v
}

// ETag returns the weak entity tag for the resource's current version, as
// used in meta.version and the ETag header.
func (r *Resource) ETag() string { return `W/"` + strconv.FormatInt(r.Version, 10) + `"` }

// Clone returns a deep copy, so callers and stores never share mutable state.
func (r *Resource) Clone() *Resource {
	if r == nil {
		return nil
	}
	c := *r
	c.Attributes = CloneMap(r.Attributes)
	if r.Members != nil {
		c.Members = append([]Member(nil), r.Members...)
	}
	if r.Groups != nil {
		c.Groups = append([]GroupRef(nil), r.Groups...)
	}
	return &c
}

// Document returns the resource as a JSON-shaped map of its attributes plus
// id, meta (resourceType, created, lastModified, version), and members or
// groups. It is what filters are evaluated against; the handler adds
// schemas and locations before sending it. The result shares nothing with r.
func (r *Resource) Document() map[string]any {
	doc := CloneMap(r.Attributes)
	if doc == nil {
		doc = make(map[string]any, 4)
	}
	return r.document(doc)
}

// DocumentView returns what Document returns at a fraction of the cost,
// for reading it: evaluating a filter, sorting, encoding. Only the
// top-level map and what the resource adds to it (id, meta, members,
// groups) are new, and may be changed; every other value in it is r's
// own, so it must not be modified and changes when r's attributes do.
func (r *Resource) DocumentView() map[string]any {
	doc := make(map[string]any, len(r.Attributes)+4)
	for k, v := range r.Attributes {
		doc[k] = v
	}
	return r.document(doc)
}

// document adds id, meta and members or groups to doc, which holds r's
// attributes.
func (r *Resource) document(doc map[string]any) map[string]any {
	doc["id"] = r.ID
	doc["meta"] = map[string]any{
		"resourceType": string(r.Type),
		"created":      FormatTime(r.Created),
		"lastModified": FormatTime(r.LastModified),
		"version":      r.ETag(),
	}
	switch r.Type {
	case Group:
		members := make([]any, 0, len(r.Members))
		for _, m := range r.Members {
			e := map[string]any{"value": m.Value, "type": string(m.Type)}
			if m.Display != "" {
				e["display"] = m.Display
			}
			members = append(members, e)
		}
		doc["members"] = members
	case User:
		groups := make([]any, 0, len(r.Groups))
		for _, g := range r.Groups {
			e := map[string]any{"value": g.Value, "type": "direct"}
			if g.Display != "" {
				e["display"] = g.Display
			}
			groups = append(groups, e)
		}
		doc["groups"] = groups
	}
	return doc
}

// FormatTime renders a timestamp the way meta.created and meta.lastModified
// carry it: RFC 3339 in UTC with millisecond precision.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// CloneMap deep-copies a JSON-shaped map.
func CloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = CloneValue(v)
	}
	return out
}

// CloneValue deep-copies a JSON-shaped value.
func CloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return CloneMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = CloneValue(e)
		}
		return out
	default:
		return v
	}
}

func stringAttr(m map[string]any, name string) string {
	s, _ := m[name].(string)
	return s
}
