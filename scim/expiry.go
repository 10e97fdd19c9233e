package scim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// ExpiryActor is the audit actor of deletions made by ExpireDeactivated.
const ExpiryActor = "scimkit:deactivation-expiry"

// deactivatedAtAttr is the internal user attribute in which the handler
// keeps when the user was deactivated (store.FormatTime text, by
// Config.Now), the start of its grace period.
//
// Why an attribute and not meta.lastModified or a store field:
// lastModified moves with every later change (a group membership, an IdP
// PATCH of title), which restarted the grace period, possibly forever. A
// new field on store.Resource would need every Store implementation, the
// host app's own included, and a SQL schema migration; every store
// already keeps a user's Attributes faithfully (the SQL store as its JSON
// document), so a key in them needs neither and survives restarts.
//
// It stays internal: its name is no SCIM attribute name, so decoding a
// POST, PUT or PATCH result drops it (a client can never set it), filters
// and sortBy refuse it, trackDeactivation recomputes it on every user
// write, events.Diff skips it (a key that begins with "_"), and dropInternal removes it from every
// rendered and audited document. Hooks do see it in a user's Attributes.
// A store that drops unknown attributes loses nothing but the fix:
// ExpireDeactivated then falls back to meta.lastModified.
const deactivatedAtAttr = "_scimkitDeactivatedAt"

// trackDeactivation sets attrs, the attributes a user write (cur nil for
// a create) is about to store, to carry the deactivation time: kept while
// the user stays inactive, set to now when it becomes inactive, and gone
// while it is active, so a reactivation clears it.
func (h *Handler) trackDeactivation(cur *store.Resource, attrs map[string]any) {
	delete(attrs, deactivatedAtAttr) // never the client's value
	if active, ok := attrs["active"].(bool); !ok || active {
		return
	}
	if cur != nil && !cur.Active() {
		if at, ok := cur.Attributes[deactivatedAtAttr].(string); ok {
			attrs[deactivatedAtAttr] = at
			return
		}
		// Deactivated before the handler kept the time (or the store
		// dropped it): its last change is the best bound left, and it
		// no longer moves.
		if !cur.LastModified.IsZero() {
			attrs[deactivatedAtAttr] = store.FormatTime(cur.LastModified)
			return
		}
	}
	attrs[deactivatedAtAttr] = store.FormatTime(h.cfg.Now())
}

// dropInternal removes the handler's internal attributes from a
// resource's document before a client or an audit record sees it.
func dropInternal(doc map[string]any) {
	delete(doc, deactivatedAtAttr)
}

// deactivatedAt is when u was deactivated: the time the handler kept, or,
// for a user without it, its meta.lastModified.
func deactivatedAt(u *store.Resource) time.Time {
	if s, ok := u.Attributes[deactivatedAtAttr].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
	}
	return u.LastModified
}

// ExpireDeactivated deletes the users of scope that have been inactive for
// longer than the scope's grace period (its directory's
// DeactivationGracePeriod setting, or Config.DeactivationGracePeriod for a
// scope without a directory record), measured from their
// deactivation (later changes to an inactive user, such as a group
// membership or an IdP update, do not restart it), and returns how many
// it deleted. Each goes through the same path as a SCIM DELETE, in a
// transaction of its own: the UserDeleted hook runs and an audit record
// (actor ExpiryActor) is written. Until then a deactivated user keeps its
// groups and the app keeps the member, so a reactivation within the grace
// period restores everything. With no grace period configured it does
// nothing. Call it periodically, per scope, or ExpireAll for every
// directory.
//
// A user that cannot be deleted (a hook returns an error) does not stop
// the run: the others are still deleted, the failure is audited and
// logged, and the returned error joins one *ExpiryError per such user.
func (h *Handler) ExpireDeactivated(ctx context.Context, scope store.Scope) (int, error) {
	pol, err := h.policyFor(ctx, scope)
	if err != nil {
		return 0, err
	}
	grace := pol.settings.DeactivationGracePeriod
	if grace <= 0 || (pol.dir != nil && pol.dir.State == directory.Paused) {
		// No grace period; or a paused directory, whose data is kept as
		// it is until it is active again.
		return 0, nil
	}
	if pol.dir != nil {
		ctx = directory.NewContext(ctx, pol.dir) // each deletion's write finds it
	}
	cutoff := h.cfg.Now().Add(-grace)
	// The deactivation time is internal, so no filter can name it: the
	// inactive users are listed and their times checked here.
	f, err := filter.Parse(`active eq false`, h.users.FilterOptions...)
	if err != nil {
		return 0, fmt.Errorf("scim: expiry filter: %w", err)
	}
	page, err := h.store.List(ctx, scope, store.User, store.Query{Filter: f, StartIndex: 1, Count: -1})
	if err != nil {
		return 0, fmt.Errorf("scim: listing deactivated users: %w", err)
	}
	ctx = auth.NewContext(ctx, auth.Principal{Tenant: scope.Tenant, Directory: scope.Directory, CredentialID: ExpiryActor})
	n := 0
	var failed []error
	for _, u := range page.Resources {
		if err := ctx.Err(); err != nil {
			failed = append(failed, fmt.Errorf("scim: expiry stopped: %w", err))
			break
		}
		if !deactivatedAt(u).Before(cutoff) {
			continue
		}
		// The If-Match guard skips a user changed (reactivated, say) since
		// it was listed; the next run looks at it again.
		_, err := h.write(ctx, scope, writeOp{kind: opDelete, rt: h.users, id: u.ID, ifMatch: u.ETag(), status: http.StatusNoContent,
			cause: CauseExpiry})
		switch {
		case err == nil:
			n++
		case errors.Is(err, store.ErrNotFound), isPreconditionFailed(err):
		default:
			// One user the app cannot delete must not keep every later
			// one: the failure is audited (write did), logged and
			// reported, and the next run tries it again.
			h.log.ErrorContext(ctx, "scim: expiring a deactivated user", slog.String("scope", scope.String()),
				slog.String("user", u.ID), slog.Any("error", err))
			failed = append(failed, &ExpiryError{UserID: u.ID, Err: err})
		}
	}
	return n, errors.Join(failed...)
}

// ExpireAll runs ExpireDeactivated for every directory of
// Config.Directories, each with its own grace period, page by page, and
// returns how many users it deleted in all. A directory that fails does
// not stop the others: the error joins each failure, wrapped with the
// directory's scope. Without Config.Directories it returns an error: the
// handler cannot know the scopes; call ExpireDeactivated for each.
func (h *Handler) ExpireAll(ctx context.Context) (int, error) {
	if h.cfg.Directories == nil {
		return 0, errors.New("scim: ExpireAll needs Config.Directories")
	}
	total := 0
	var failed []error
	q := directory.ListQuery{AllTenants: true}
	for {
		page, err := h.cfg.Directories.ListDirectories(ctx, q)
		if err != nil {
			return total, errors.Join(append(failed, fmt.Errorf("scim: listing directories: %w", err))...)
		}
		for _, d := range page.Directories {
			ctx := directory.NewContext(ctx, d)
			n, err := h.ExpireDeactivated(ctx, d.Scope())
			total += n
			if err != nil {
				failed = append(failed, fmt.Errorf("scim: expiry in %s: %w", d.Scope(), err))
			}
		}
		if page.Next == "" {
			return total, errors.Join(failed...)
		}
		q.After = page.Next
	}
}

// ExpiryError reports a user ExpireDeactivated could not delete (a hook
// refused, or the store failed). ExpireDeactivated returns one per such
// user, joined with errors.Join; errors.As finds them.
type ExpiryError struct {
	// UserID is the id of the user that was not deleted.
	UserID string
	// Err is why.
	Err error
}

// Error describes the failure.
func (e *ExpiryError) Error() string { return "scim: expiring user " + e.UserID + ": " + e.Err.Error() }

// Unwrap returns Err.
func (e *ExpiryError) Unwrap() error { return e.Err }

func isPreconditionFailed(err error) bool {
	se, _ := toSCIMError(err)
	return se.Status == http.StatusPreconditionFailed
}
