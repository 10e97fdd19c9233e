package scim

import (
	"context"
	"errors"
	"net/http"

	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/store"
)

// ProtectedError refuses a write that would deactivate or delete a user the
// app protects (Config.Protected). Clients get 403 with its message.
type ProtectedError struct {
	User   *store.Resource
	Change string // "deactivate" or "delete"
}

// Error says which user and which change.
func (e *ProtectedError) Error() string {
	return "user " + e.User.ID + " is protected by the application: SCIM may update it but not " + e.Change + " it"
}

// status is the HTTP status of the refusal.
func (e *ProtectedError) status() int { return http.StatusForbidden }

// checkProtected refuses the write whose events evs deactivate or delete
// a protected user. The user handed to Config.Protected is the one the
// event carries (for a deactivation, as it would be after the write); the
// app knows it by its id, which never changes.
func (h *Handler) checkProtected(ctx context.Context, scope store.Scope, evs []events.Event) error {
	if h.cfg.Protected == nil {
		return nil
	}
	for _, ev := range evs {
		var u *store.Resource
		var change string
		switch e := ev.(type) {
		case *events.UserDeactivated:
			u, change = e.User, "deactivate"
		case *events.UserDeleted:
			u, change = e.User, "delete"
		default:
			continue
		}
		if h.cfg.Protected(ctx, scope, u) {
			return &ProtectedError{User: u, Change: change}
		}
	}
	return nil
}

// tellProtected tells Hooks.ProtectedRefused of a write err refused for a
// protected user, outside the transaction that rolled back.
func (h *Handler) tellProtected(ctx context.Context, o Origin, err error) {
	var pe *ProtectedError
	if h.cfg.Hooks == nil || h.cfg.Hooks.ProtectedRefused == nil || !errors.As(err, &pe) {
		return
	}
	o.Tx = nil
	h.cfg.Hooks.ProtectedRefused(ctx, &ProtectedRefused{Origin: o, User: pe.User, Change: pe.Change})
}
