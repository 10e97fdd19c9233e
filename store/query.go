package store

import (
	"context"

	"github.com/scimkit/scimkit/filter"
)

// Query selects, orders and pages resources of one type.
type Query struct {
	// Filter restricts the result; nil selects every resource.
	Filter *filter.Filter
	// SortBy is a canonical attribute path ("userName", "name.familyName",
	// "meta.lastModified", "urn:...:User:department"). Empty means the
	// store's stable default order: creation order, oldest first.
	SortBy *filter.Path
	// Descending reverses the SortBy order.
	Descending bool
	// StartIndex is the 1-based index of the first resource to return;
	// values below 1 mean 1.
	StartIndex int
	// Count is the maximum number of resources to return. 0 returns none
	// (only Total); a negative Count means no limit.
	Count int
	// ExcludeMembers lets the store skip loading Group members because the
	// caller will not return them.
	ExcludeMembers bool
	// ForUpdate, in Tx.List, says that the caller is about to change the
	// resources the page holds, in this transaction, on the strength of
	// what it read (their version, for If-Match). A store whose
	// transactions do not already serialise writers (PostgreSQL's row
	// locks, unlike the memory store's single writer or SQLite's BEGIN
	// IMMEDIATE) must lock them as Tx.Get would before reading them, so
	// that what it returns is what the writes will change. Store.List
	// ignores it.
	ForUpdate bool
}

// Page is one page of a List result.
type Page struct {
	// Total is the number of resources that match the filter, over all
	// pages.
	Total int
	// Resources is this page, in order; never nil.
	Resources []*Resource
}

// Store is the persistence contract of a scimkit handler. Implementations
// must be safe for concurrent use and must keep scopes apart. Returned
// resources are the caller's to modify: a store never hands out memory it
// keeps.
type Store interface {
	// Get returns the resource of type typ with the given id in scope, or
	// an error wrapping ErrNotFound.
	Get(ctx context.Context, scope Scope, typ ResourceType, id string) (*Resource, error)
	// List returns the page of resources of type typ in scope that q
	// selects.
	List(ctx context.Context, scope Scope, typ ResourceType, q Query) (*Page, error)
	// Update runs fn in a transaction on scope. If fn returns nil, every
	// change made through tx is committed atomically; if fn returns an
	// error (or panics), none is, and Update returns fn's error unchanged.
	// Writes made through tx are visible to reads through tx, and to
	// nobody else before commit.
	Update(ctx context.Context, scope Scope, fn func(ctx context.Context, tx Tx) error) error
}

// Tx is a read-write transaction on one scope, valid only inside the
// function passed to Store.Update.
type Tx interface {
	// Get is Store.Get inside the transaction.
	Get(ctx context.Context, typ ResourceType, id string) (*Resource, error)
	// List is Store.List inside the transaction.
	List(ctx context.Context, typ ResourceType, q Query) (*Page, error)
	// Create stores a new resource with r.ID, which must not be in use,
	// and for a Group its initial r.Members. It sets Created, LastModified
	// and Version (to 1) on r. A User whose userName equals another
	// user's, ignoring case, is refused with ErrUniqueness.
	Create(ctx context.Context, r *Resource) error
	// Replace overwrites the attributes of an existing resource. r.Version
	// must equal the stored version, else ErrVersionConflict. Members are
	// left as they are. On success r carries the new Version and
	// LastModified.
	Replace(ctx context.Context, r *Resource) error
	// Delete removes a resource. Deleting a user or group also removes it
	// from every group it was a member of.
	Delete(ctx context.Context, typ ResourceType, id string) error
	// AddMembers adds members to a group, ignoring ones already present,
	// and returns the members it actually added (Value and Type as given,
	// Display as Get would show it), so that hooks and audit records name
	// exactly what changed. Each member must exist in the scope with the
	// given Type, else ErrInvalidMember. It bumps the group's version when
	// anything changed. It must not read or rewrite the whole member list:
	// the handler calls it for one member of a group of 100,000.
	AddMembers(ctx context.Context, groupID string, members []Member) (added []Member, err error)
	// RemoveMembers removes the members with the given ids from a group,
	// ignoring ids that are not members, and returns the members it
	// actually removed (with their Type and Display). It bumps the group's
	// version when anything changed.
	RemoveMembers(ctx context.Context, groupID string, memberIDs []string) (removed []Member, err error)
}

// GroupsOfTx is an optional extension of Tx for stores that index
// membership by member (both bundled stores do). When a group is deleted,
// the handler uses it to tell hooks which groups lost that group as a
// nested member (a MembersRemoved event for each); a Tx without it gives
// those groups no event of their own.
type GroupsOfTx interface {
	// GroupsOf returns, sorted, the ids of the groups that have the
	// resource (typ, id) as a direct member. It must not scan every group.
	GroupsOf(ctx context.Context, typ ResourceType, id string) ([]string, error)
}

// ViewReader reads resources for callers that only read them: GetView and
// ListView are Store.Get and Store.List, except that the returned
// resources' Attributes, and everything reachable from them, are the
// store's own: the caller must not modify them (a Resource's other fields
// are the caller's). The store never changes what it handed out in place,
// so a view stays the resource as it was when read. The handler uses views
// only to render responses; see store.Resource.DocumentView.
type ViewReader interface {
	GetView(ctx context.Context, scope Scope, typ ResourceType, id string) (*Resource, error)
	ListView(ctx context.Context, scope Scope, typ ResourceType, q Query) (*Page, error)
}

// Viewer is an optional extension of Store for stores that keep resources
// in memory, where copying a resource costs more than reading it.
//
// ViewsFor returns the store's ViewReader when outer, the Store the caller
// was given, is the store itself, and nil otherwise. A wrapper that embeds
// such a store and overrides Get or List (to redact, or to scope further)
// inherits ViewsFor too, but is not the store: the handler, which asks
// ViewsFor(the Store it was configured with), gets nil and keeps reading
// through the wrapper's own Get and List. So a wrapper is never bypassed
// unless it overrides ViewsFor itself.
type Viewer interface {
	ViewsFor(outer Store) ViewReader
}

// TxViewReader is an optional extension of Tx, the Viewer's in a
// transaction: GetView is Tx.Get under ViewReader's terms. The handler uses it inside writes when no hooks are
// configured, so that nothing it returns reaches code that could modify
// it.
type TxViewReader interface {
	GetView(ctx context.Context, typ ResourceType, id string) (*Resource, error)
}
