package scim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/store"
)

// DisconnectActor is the audit actor of the writes Disconnect makes.
const DisconnectActor = "scimkit:disconnect"

// ErrDisconnectPolicy is returned by Disconnect for a directory already
// being (or already) disconnected with another policy.
var ErrDisconnectPolicy = errors.New("scim: the directory is disconnected with another policy")

// disconnectPage is how many resources Disconnect lists at a time.
const disconnectPage = 200

// Disconnect disconnects the directory of scope (a record of
// Config.Directories) with policy, and returns how many users and groups
// it released, deactivated or deleted:
//
//   - the directory's state becomes Disconnected at once, so its
//     credentials are refused from then on, and the policy is kept in its
//     record (Directory.Disconnection);
//   - every group and user of the scope then goes through the one write
//     path, each in a transaction of its own, so hooks and audit records
//     see each change as for an IdP's request, with Origin.Cause
//     CauseDisconnect and the actor DisconnectActor: directory.KeepUnmanaged
//     releases them (GroupReleased, UserReleased: keep the members),
//     DeactivateMembers deactivates the users (UserDeactivated), and
//     DeleteMembers deletes the groups, then the users; a user the app
//     protects (Config.Protected) is released whatever the policy;
//   - once nothing is left to do, Disconnection.Finished is set.
//
// It is resumable and idempotent: run again after an interruption (a
// crash, a cancelled context, a hook that failed) it carries on with the
// same policy, handling only what is left; run after it finished, it does
// nothing. Asking for another policy than the one started gives
// ErrDisconnectPolicy. A resource whose write fails (a hook refuses) does
// not stop the others; the error joins each failure, and the next run
// tries them again. The start is audited as operation "disconnect", with
// the actor of ctx's auth.Principal when there is one (the app's admin).
func (h *Handler) Disconnect(ctx context.Context, scope store.Scope, policy directory.DisconnectPolicy) (int, error) {
	if h.cfg.Directories == nil {
		return 0, errors.New("scim: Disconnect needs Config.Directories")
	}
	if !policy.Valid() {
		return 0, fmt.Errorf("%w: disconnect policy %q is not keep, deactivate or delete", directory.ErrInvalid, policy)
	}
	started := false
	d, err := h.cfg.Directories.UpdateDirectory(ctx, scope, func(d *directory.Directory) error {
		switch {
		case d.Disconnection == nil:
			d.Disconnection = &directory.Disconnection{Policy: policy, Started: h.cfg.Now()}
			started = true
		case d.Disconnection.Policy != policy:
			return fmt.Errorf("%w: %s was disconnected with %q", ErrDisconnectPolicy, scope, d.Disconnection.Policy)
		}
		d.State = directory.Disconnected
		return nil
	})
	if err != nil {
		return 0, err
	}
	if started {
		actor := DisconnectActor
		if p, ok := auth.FromContext(ctx); ok && p.CredentialID != "" {
			actor = p.CredentialID
		}
		h.audit(ctx, store.AuditRecord{Scope: scope, Actor: actor, Operation: "disconnect", Status: http.StatusOK,
			Events: []string{"directory.disconnected:" + string(policy)}})
	}
	if !d.Disconnection.Finished.IsZero() {
		return 0, nil
	}
	ctx = directory.NewContext(ctx, d)
	ctx = auth.NewContext(ctx, auth.Principal{Tenant: scope.Tenant, Directory: scope.Directory, CredentialID: DisconnectActor})

	var n int
	var failed []error
	sweep := func(rt *document.Type, f *filter.Filter, opFor func(res *store.Resource) writeOp) {
		k, errs := h.sweep(ctx, scope, rt, f, opFor)
		n += k
		failed = append(failed, errs...)
	}
	release := func(kind writeKind) func(res *store.Resource) writeOp {
		return func(res *store.Resource) writeOp {
			return writeOp{kind: kind, rt: h.rtOf(res.Type), id: res.ID, ifMatch: res.ETag(), status: http.StatusNoContent, cause: CauseDisconnect}
		}
	}
	// A user the app protects (Config.Protected) is released, whatever
	// the policy: SCIM may not deactivate or delete it.
	orRelease := func(opFor func(res *store.Resource) writeOp) func(res *store.Resource) writeOp {
		return func(res *store.Resource) writeOp {
			if h.cfg.Protected != nil && h.cfg.Protected(ctx, scope, res) {
				return release(opRelease)(res)
			}
			return opFor(res)
		}
	}
	switch policy {
	case directory.KeepUnmanaged:
		sweep(h.groups, nil, release(opRelease))
		sweep(h.users, nil, release(opRelease))
	case directory.DeleteMembers:
		sweep(h.groups, nil, release(opDelete))
		sweep(h.users, nil, orRelease(release(opDelete)))
	case directory.DeactivateMembers:
		active, err := filter.Parse(`active eq true or not (active pr)`, h.users.FilterOptions...)
		if err != nil {
			return 0, fmt.Errorf("scim: disconnect filter: %w", err)
		}
		deactivate := []document.Op{document.ReplaceOp("active", false)}
		sweep(h.users, active, orRelease(func(res *store.Resource) writeOp {
			return writeOp{kind: opPatch, rt: h.users, id: res.ID, ifMatch: res.ETag(), status: http.StatusOK, cause: CauseDisconnect,
				compute: func(cur *store.Resource) (*document.Decoded, error) {
					return h.users.ApplyPatch(cur, deactivate, document.Options{})
				}}
		}))
	}
	if len(failed) > 0 {
		return n, errors.Join(failed...)
	}
	if _, err := h.cfg.Directories.UpdateDirectory(ctx, scope, func(d *directory.Directory) error {
		if d.Disconnection != nil && d.Disconnection.Policy == policy {
			d.Disconnection.Finished = h.cfg.Now()
		}
		return nil
	}); err != nil {
		return n, err
	}
	return n, nil
}

// rtOf returns the table of a resource type.
func (h *Handler) rtOf(typ store.ResourceType) *document.Type {
	if typ == store.Group {
		return h.groups
	}
	return h.users
}

// sweep makes opFor's write for every resource of rt in scope that f
// selects (all when nil), page by page, each write in its own
// transaction, in creation order. A resource whose write fails is skipped
// and its error returned; one changed meanwhile (412) or gone is looked at
// again or dropped. It stops when ctx ends.
func (h *Handler) sweep(ctx context.Context, scope store.Scope, rt *document.Type, f *filter.Filter, opFor func(*store.Resource) writeOp) (int, []error) {
	n, skipped := 0, 0
	var failed []error
	for {
		if err := ctx.Err(); err != nil {
			return n, append(failed, fmt.Errorf("scim: %s stopped: %w", scope, err))
		}
		// Handled resources leave the selection (deleted, released or
		// deactivated), and failed ones stay at its front: the next page
		// starts after them.
		page, err := h.store.List(ctx, scope, rt.Kind, store.Query{Filter: f, StartIndex: 1 + skipped, Count: disconnectPage, ExcludeMembers: true})
		if err != nil {
			return n, append(failed, fmt.Errorf("scim: listing %s of %s: %w", rt.Endpoint, scope, err))
		}
		if len(page.Resources) == 0 {
			return n, failed
		}
		for _, res := range page.Resources {
			if ctx.Err() != nil {
				break
			}
			_, err := h.write(ctx, scope, opFor(res))
			switch {
			case err == nil:
				n++
			case errors.Is(err, store.ErrNotFound), isPreconditionFailed(err):
				// Gone, or changed since listed: the next page sees it as
				// it is now.
			default:
				h.log.ErrorContext(ctx, "scim: disconnect", slog.String("scope", scope.String()),
					slog.String("resource", rt.Name+"/"+res.ID), slog.Any("error", err))
				failed = append(failed, fmt.Errorf("scim: %s %s: %w", rt.Name, res.ID, err))
				skipped++
			}
		}
	}
}
