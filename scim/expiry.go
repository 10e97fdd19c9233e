package scim

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// ExpiryActor is the audit actor of deletions made by ExpireDeactivated.
const ExpiryActor = "scimkit:deactivation-expiry"

// ExpireDeactivated deletes the users of scope that have been inactive for
// longer than Config.DeactivationGracePeriod, measured from their last
// change, and returns how many it deleted. Each goes through the same
// path as a SCIM DELETE, in a transaction of its own: the UserDeleted hook
// runs and an audit record (actor ExpiryActor) is written. Until then a
// deactivated user keeps its groups and the app keeps the member, so a
// reactivation within the grace period restores everything. With no grace
// period configured it does nothing. Call it periodically, per scope.
func (h *Handler) ExpireDeactivated(ctx context.Context, scope store.Scope) (int, error) {
	grace := h.cfg.DeactivationGracePeriod
	if grace <= 0 {
		return 0, nil
	}
	cutoff := h.cfg.Now().Add(-grace)
	f, err := filter.Parse(fmt.Sprintf(`active eq false and meta.lastModified lt %q`, store.FormatTime(cutoff)), h.users.filterOpts...)
	if err != nil {
		return 0, fmt.Errorf("scim: expiry filter: %w", err)
	}
	page, err := h.store.List(ctx, scope, store.User, store.Query{Filter: f, StartIndex: 1, Count: -1})
	if err != nil {
		return 0, fmt.Errorf("scim: listing deactivated users: %w", err)
	}
	ctx = auth.NewContext(ctx, auth.Principal{Tenant: scope.Tenant, Directory: scope.Directory, CredentialID: ExpiryActor})
	n := 0
	for _, u := range page.Resources {
		// The If-Match guard skips a user changed (reactivated, say) since
		// it was listed.
		_, err := h.write(ctx, scope, writeOp{kind: opDelete, rt: h.users, id: u.ID, ifMatch: u.ETag(), status: http.StatusNoContent})
		switch {
		case err == nil:
			n++
		case errors.Is(err, store.ErrNotFound), isPreconditionFailed(err):
		default:
			return n, fmt.Errorf("scim: expiring user %s: %w", u.ID, err)
		}
	}
	return n, nil
}

func isPreconditionFailed(err error) bool {
	se, _ := toSCIMError(err)
	return se.Status == http.StatusPreconditionFailed
}
