package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/store"
)

// Origin is what every hook event carries besides what happened: where
// the write came from and the transaction it runs in.
type Origin struct {
	// Scope is the tenant and directory the request acts on.
	Scope store.Scope
	// Principal is the authenticated credential, if any.
	Principal auth.Principal
	// Tx is the store transaction the request runs in. A hook that
	// changes the app's own data through it (with store/sqlstore, via
	// sqlstore.TxOf) commits or rolls back together with the SCIM change.
	Tx store.Tx
	// Directory is the scope's directory record (Config.Directories), nil
	// when it has none.
	Directory *directory.Directory
	// Settings are what the write follows: the directory's settings, or
	// the handler-wide options. A provisioning hook reads the default
	// role and team permission for new members here.
	Settings directory.Settings
	// Cause says why the write happened: a SCIM client's request
	// (CauseRequest), the expiry of a grace period, or a disconnect.
	Cause Cause
}

// Cause says why a write happened.
type Cause string

// The causes of writes.
const (
	// CauseRequest: a SCIM client's request (the IdP's).
	CauseRequest Cause = ""
	// CauseExpiry: ExpireDeactivated deleting a user whose grace period
	// ended.
	CauseExpiry Cause = "expiry"
	// CauseDisconnect: Disconnect carrying out the directory's disconnect
	// policy.
	CauseDisconnect Cause = "disconnect"
)

// The events hooks receive: what happened (the embedded events type, as
// events.Derive computed it) with its Origin.
type (
	// UserProvisioned: a user was created. To link it to a member the app
	// already has (same userName or e-mail), do so here; to refuse,
	// return Reject(http.StatusConflict, ...).
	UserProvisioned struct {
		Origin
		events.UserProvisioned
	}
	// UserUpdated: a user's attributes changed (by PUT or PATCH). It
	// comes before UserDeactivated or UserReactivated when active also
	// flipped.
	UserUpdated struct {
		Origin
		events.UserUpdated
	}
	// UserDeactivated: active went from true (or absent) to false, in any
	// form an IdP sends it. Revoke the member's access and end its
	// sessions.
	UserDeactivated struct {
		Origin
		events.UserDeactivated
	}
	// UserReactivated: active went from false to true.
	UserReactivated struct {
		Origin
		events.UserReactivated
	}
	// UserDeleted: a user was deleted; User is its last state, Groups
	// included.
	UserDeleted struct {
		Origin
		events.UserDeleted
	}
	// GroupCreated: a group was created. Its initial members follow as a
	// MembersAdded event.
	GroupCreated struct {
		Origin
		events.GroupCreated
	}
	// GroupRenamed: a group's displayName changed.
	GroupRenamed struct {
		Origin
		events.GroupRenamed
	}
	// GroupDeleted: a group was deleted; Group is its last state, Members
	// included. With Config.GroupDeletion set to RemoveMembers, a
	// MembersRemoved event for all its members comes first.
	GroupDeleted struct {
		Origin
		events.GroupDeleted
	}
	// UserReleased: a disconnect with directory.KeepUnmanaged let go of
	// the user: its SCIM record is gone; keep the member, now managed in
	// the app instead of by the IdP.
	UserReleased struct {
		Origin
		events.UserReleased
	}
	// GroupReleased: as UserReleased, for a group (a team): keep it.
	GroupReleased struct {
		Origin
		events.GroupReleased
	}
	// MembersAdded: members were added to a group, by PATCH, PUT (the
	// difference between the old and new lists) or create. Members are
	// the exact ones added, users and nested groups, as the store
	// reported them. Group is the group after the change; when the
	// request was a PATCH that only added or removed members, its Members
	// are not loaded (nil): a group may have 100,000 members and IdPs
	// change them one at a time. Read them through Origin.Tx when a hook
	// needs them.
	MembersAdded struct {
		Origin
		events.MembersAdded
	}
	// MembersRemoved: members were removed from a group, as MembersAdded
	// describes; also when a nested group is deleted (to each group it
	// was in), and, with RemoveMembers, when the group itself is.
	MembersRemoved struct {
		Origin
		events.MembersRemoved
	}
)

// Hooks connect SCIM changes to the host app's own members and teams: set
// the functions for the events the app handles, and leave the rest nil.
//
// Every hook runs inside the store transaction of the request that caused
// it, after the store change, in the order events.Derive gives: if a hook
// returns an error (or panics), the whole request is rolled back and the
// client gets an error it will retry: 500 by default, or the status of a
// *HookError. The context carries the request's deadline.
//
// Hooks is a struct of optional functions, as net/http/httptrace's
// ClientTrace is, rather than an interface, so that it can grow: a new
// lifecycle event is a new field, which breaks no app written before it
// (adding a method to an interface breaks every implementation that does
// not embed a base type), and, unlike optional interfaces found by type
// assertion, a hook with the wrong signature or a misspelt name does not
// compile instead of silently never running.
type Hooks struct {
	UserProvisioned func(ctx context.Context, e *UserProvisioned) error
	UserUpdated     func(ctx context.Context, e *UserUpdated) error
	UserDeactivated func(ctx context.Context, e *UserDeactivated) error
	UserReactivated func(ctx context.Context, e *UserReactivated) error
	UserDeleted     func(ctx context.Context, e *UserDeleted) error
	GroupCreated    func(ctx context.Context, e *GroupCreated) error
	GroupRenamed    func(ctx context.Context, e *GroupRenamed) error
	GroupDeleted    func(ctx context.Context, e *GroupDeleted) error
	MembersAdded    func(ctx context.Context, e *MembersAdded) error
	MembersRemoved  func(ctx context.Context, e *MembersRemoved) error
	UserReleased    func(ctx context.Context, e *UserReleased) error
	GroupReleased   func(ctx context.Context, e *GroupReleased) error

	// ProtectedRefused is told, after the refused write was rolled back
	// and audited, that a write would have deactivated or deleted a user
	// Config.Protected protects. Origin.Tx is nil.
	ProtectedRefused func(ctx context.Context, e *ProtectedRefused)
}

// ProtectedRefused: a write that would have deactivated or deleted a
// protected user was refused with 403.
type ProtectedRefused struct {
	Origin
	// User is the user as it is (unchanged).
	User *store.Resource
	// Change is "deactivate" or "delete".
	Change string
}

// run delivers the events of one write to hk, in order, stopping at the
// first error.
func (hk *Hooks) run(ctx context.Context, o Origin, evs []events.Event) error {
	for _, ev := range evs {
		var err error
		switch e := ev.(type) {
		case *events.UserProvisioned:
			err = fire(ctx, hk.UserProvisioned, &UserProvisioned{o, *e})
		case *events.UserUpdated:
			err = fire(ctx, hk.UserUpdated, &UserUpdated{o, *e})
		case *events.UserDeactivated:
			err = fire(ctx, hk.UserDeactivated, &UserDeactivated{o, *e})
		case *events.UserReactivated:
			err = fire(ctx, hk.UserReactivated, &UserReactivated{o, *e})
		case *events.UserDeleted:
			err = fire(ctx, hk.UserDeleted, &UserDeleted{o, *e})
		case *events.GroupCreated:
			err = fire(ctx, hk.GroupCreated, &GroupCreated{o, *e})
		case *events.GroupRenamed:
			err = fire(ctx, hk.GroupRenamed, &GroupRenamed{o, *e})
		case *events.GroupDeleted:
			err = fire(ctx, hk.GroupDeleted, &GroupDeleted{o, *e})
		case *events.MembersAdded:
			err = fire(ctx, hk.MembersAdded, &MembersAdded{o, *e})
		case *events.MembersRemoved:
			err = fire(ctx, hk.MembersRemoved, &MembersRemoved{o, *e})
		case *events.UserReleased:
			err = fire(ctx, hk.UserReleased, &UserReleased{o, *e})
		case *events.GroupReleased:
			err = fire(ctx, hk.GroupReleased, &GroupReleased{o, *e})
		default:
			err = fmt.Errorf("scim: no hook for event %T", ev)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// fire runs one hook, if set, turning a panic into an error so the
// transaction rolls back instead of taking the process down.
func fire[E any](ctx context.Context, hook func(context.Context, *E) error, e *E) (err error) {
	if hook == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errHookPanic, p)
		}
	}()
	return hook(ctx, e)
}

// GroupDeletion says what deleting a group (or unlinking a pushed group,
// which Okta does with DELETE) means for its members' team memberships.
// It is directory.GroupDeletion, a directory setting; Config.GroupDeletion
// is the default for scopes without a directory record.
type GroupDeletion = directory.GroupDeletion

const (
	// KeepMembers: only GroupDeleted is sent; the app decides. The zero
	// GroupDeletion means it too.
	KeepMembers = directory.KeepMembers
	// RemoveMembers: a MembersRemoved event for every member precedes
	// GroupDeleted, so team memberships end like any other removal.
	RemoveMembers = directory.RemoveMembers
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
