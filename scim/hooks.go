package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/store"
)

// Event is what every hook event carries.
type Event struct {
	// Scope is the tenant and directory the request acts on.
	Scope store.Scope
	// Principal is the authenticated credential, if any.
	Principal auth.Principal
	// Tx is the store transaction the request runs in. A hook that
	// changes the app's own data through it (with store/sqlstore, via
	// sqlstore.TxOf) commits or rolls back together with the SCIM change.
	Tx store.Tx
}

// Change is one attribute whose value a write changed: a core attribute
// ("name", "emails", "active") or an extension attribute, spelled
// "urn:...:User:department". Before or After is nil when the attribute
// was absent.
type Change struct {
	Attribute string
	Before    any
	After     any
}

// UserProvisioned: a user was created. To link it to a member the app
// already has (same userName or e-mail), do so here; to refuse, return
// Reject(http.StatusConflict, ...).
type UserProvisioned struct {
	Event
	User *store.Resource
}

// UserUpdated: a user's attributes changed (by PUT or PATCH). It comes
// before UserDeactivated or UserReactivated when active also flipped.
type UserUpdated struct {
	Event
	Before, After *store.Resource
	Changed       []Change
}

// UserDeactivated: active went from true (or absent) to false, in any
// form an IdP sends it. Revoke the member's access and end its sessions.
type UserDeactivated struct {
	Event
	User *store.Resource
}

// UserReactivated: active went from false to true.
type UserReactivated struct {
	Event
	User *store.Resource
}

// UserDeleted: a user was deleted; User is its last state, Groups
// included.
type UserDeleted struct {
	Event
	User *store.Resource
}

// GroupCreated: a group was created. Its initial members follow as a
// MembersAdded event.
type GroupCreated struct {
	Event
	Group *store.Resource
}

// GroupRenamed: a group's displayName changed.
type GroupRenamed struct {
	Event
	Group            *store.Resource
	OldName, NewName string
}

// GroupDeleted: a group was deleted; Group is its last state, Members
// included. With Config.GroupDeletion set to RemoveMembers, a
// MembersRemoved event for all its members comes first.
type GroupDeleted struct {
	Event
	Group *store.Resource
}

// MembersChanged: members were added to or removed from a group, by
// PATCH, PUT (the difference between the old and new lists) or create.
// Members are the exact ones added or removed, users and nested groups, as
// the store reported them. Group is the group after the change; when the
// request was a PATCH that only added or removed members, its Members are
// not loaded (nil): a group may have 100,000 members and IdPs change them
// one at a time. Read them through Event.Tx when a hook needs them.
type MembersChanged struct {
	Event
	Group   *store.Resource
	Members []store.Member
}

// UserHooks receive user lifecycle events.
type UserHooks interface {
	UserProvisioned(ctx context.Context, e *UserProvisioned) error
	UserUpdated(ctx context.Context, e *UserUpdated) error
	UserDeactivated(ctx context.Context, e *UserDeactivated) error
	UserReactivated(ctx context.Context, e *UserReactivated) error
	UserDeleted(ctx context.Context, e *UserDeleted) error
}

// GroupHooks receive group lifecycle and membership events.
type GroupHooks interface {
	GroupCreated(ctx context.Context, e *GroupCreated) error
	GroupRenamed(ctx context.Context, e *GroupRenamed) error
	GroupDeleted(ctx context.Context, e *GroupDeleted) error
	MembersAdded(ctx context.Context, e *MembersChanged) error
	MembersRemoved(ctx context.Context, e *MembersChanged) error
}

// Hooks connect SCIM changes to the host app's own members and teams.
// Every hook runs inside the store transaction of the request that caused
// it, after the store change: if a hook returns an error (or panics), the
// whole request is rolled back and the client gets an error it will
// retry: 500 by default, or the status of a *HookError. The context
// carries the request's deadline.
//
// Embed NopHooks to implement only some of them.
type Hooks interface {
	UserHooks
	GroupHooks
}

// NopHooks implements Hooks doing nothing; embed it and override what the
// app needs.
type NopHooks struct{}

var _ Hooks = NopHooks{}

// UserProvisioned does nothing.
func (NopHooks) UserProvisioned(context.Context, *UserProvisioned) error { return nil }

// UserUpdated does nothing.
func (NopHooks) UserUpdated(context.Context, *UserUpdated) error { return nil }

// UserDeactivated does nothing.
func (NopHooks) UserDeactivated(context.Context, *UserDeactivated) error { return nil }

// UserReactivated does nothing.
func (NopHooks) UserReactivated(context.Context, *UserReactivated) error { return nil }

// UserDeleted does nothing.
func (NopHooks) UserDeleted(context.Context, *UserDeleted) error { return nil }

// GroupCreated does nothing.
func (NopHooks) GroupCreated(context.Context, *GroupCreated) error { return nil }

// GroupRenamed does nothing.
func (NopHooks) GroupRenamed(context.Context, *GroupRenamed) error { return nil }

// GroupDeleted does nothing.
func (NopHooks) GroupDeleted(context.Context, *GroupDeleted) error { return nil }

// MembersAdded does nothing.
func (NopHooks) MembersAdded(context.Context, *MembersChanged) error { return nil }

// MembersRemoved does nothing.
func (NopHooks) MembersRemoved(context.Context, *MembersChanged) error { return nil }

// GroupDeletion says what deleting a group (or unlinking a pushed group,
// which Okta does with DELETE) means for its members' team memberships.
type GroupDeletion int

const (
	// KeepMembers: only GroupDeleted is sent; the app decides.
	KeepMembers GroupDeletion = iota
	// RemoveMembers: a MembersRemoved event for every member precedes
	// GroupDeleted, so team memberships end like any other removal.
	RemoveMembers
)

// HookError is an error a hook returns to choose the response: its status
// (4xx to refuse for good, 5xx to make the IdP retry), SCIM error type and
// detail. The wrapped Err is logged, never shown.
type HookError struct {
	Status   int
	ScimType string
	Detail   string
	Err      error
}

// Reject returns a *HookError with the given status and detail, e.g.
// Reject(http.StatusConflict, "uniqueness", "a member with this e-mail
// exists and is not linked to SCIM").
func Reject(status int, scimType, detail string) *HookError {
	return &HookError{Status: status, ScimType: scimType, Detail: detail}
}

// Error describes the refusal, including the wrapped error.
func (e *HookError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("scim: hook refused (%d): %s: %v", e.Status, e.Detail, e.Err)
	}
	return fmt.Sprintf("scim: hook refused (%d): %s", e.Status, e.Detail)
}

// Unwrap returns the underlying error.
func (e *HookError) Unwrap() error { return e.Err }

func (e *HookError) scimError() scimerrors.ScimError {
	status := e.Status
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	detail := e.Detail
	if detail == "" {
		detail = http.StatusText(status)
	}
	return scimerrors.ScimError{Status: status, ScimType: scimerrors.ScimType(e.ScimType), Detail: detail}
}

// errHookPanic marks a recovered hook panic.
var errHookPanic = errors.New("scim: hook panicked")

// call runs one hook, turning a panic into an error so the transaction
// rolls back instead of taking the process down.
func call(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errHookPanic, p)
		}
	}()
	return fn()
}
