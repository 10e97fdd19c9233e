package scim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"

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
//     protects (Config.Protected) is released instead of deleted, and left
//     as it is instead of deactivated;
//   - once nothing is left to do, Disconnection.Finished is set.
//
// It is resumable and idempotent: run again after an interruption (a
// crash, a cancelled context, a hook that failed) it carries on with the
// same policy, handling only what is left; asking for another policy
// before it finished gives ErrDisconnectPolicy. Run after it finished, it
// starts anew with the policy given, which finds nothing to do unless the
// directory was reconnected (its State set back to Active) and provisioned
// since, or a request in flight when it started wrote after its sweep. A resource whose write fails (a hook refuses) does
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
		case d.Disconnection == nil || !d.Disconnection.Finished.IsZero():
			// A first disconnect, or one after the last finished (the
			// directory was reconnected since, or a straggler appeared):
			// a new one, with this policy.
			d.Disconnection = &directory.Disconnection{Policy: policy, Started: h.cfg.Now()}
			started = true
		case d.Disconnection.Policy != policy:
			return fmt.Errorf("%w: %s is being disconnected with %q", ErrDisconnectPolicy, scope, d.Disconnection.Policy)
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
	ctx = directory.NewContext(ctx, d)
	ctx = auth.NewContext(ctx, auth.Principal{Tenant: scope.Tenant, Directory: scope.Directory, CredentialID: DisconnectActor})

	var n int
	var failed []error
	sweep := func(rt *document.Type, f *filter.Filter, opFor func(res *store.Resource) (writeOp, bool)) {
		k, errs := h.sweep(ctx, scope, rt, f, opFor)
		n += k
		failed = append(failed, errs...)
	}
	release := func(kind writeKind) func(res *store.Resource) (writeOp, bool) {
		return func(res *store.Resource) (writeOp, bool) {
			return writeOp{kind: kind, rt: h.rtOf(res.Type), id: res.ID, ifMatch: res.ETag(), status: http.StatusNoContent, cause: CauseDisconnect}, true
		}
	}
	protected := func(res *store.Resource) bool { return h.cfg.Protected != nil && h.cfg.Protected(ctx, scope, res) }
	switch policy {
	case directory.KeepUnmanaged:
		sweep(h.groups, nil, release(opRelease))
		sweep(h.users, nil, release(opRelease))
	case directory.DeleteMembers:
		sweep(h.groups, nil, release(opDelete))
		// A user the app protects (Config.Protected) may not be deleted:
		// it is released instead (the groups are gone already).
		sweep(h.users, nil, func(res *store.Resource) (writeOp, bool) {
			if protected(res) {
				return release(opRelease)(res)
			}
			return release(opDelete)(res)
		})
	case directory.DeactivateMembers:
		active, err := filter.Parse(`active eq true or not (active pr)`, h.users.FilterOptions...)
		if err != nil {
			return 0, fmt.Errorf("scim: disconnect filter: %w", err)
		}
		deactivate := []document.Op{document.ReplaceOp("active", false)}
		// A user the app protects may not be deactivated: it is left as
		// it is, active and in its groups.
		sweep(h.users, active, func(res *store.Resource) (writeOp, bool) {
			return writeOp{kind: opPatch, rt: h.users, id: res.ID, ifMatch: res.ETag(), status: http.StatusOK, cause: CauseDisconnect,
				compute: func(cur *store.Resource) (*document.Decoded, error) {
					return h.users.ApplyPatch(cur, deactivate, document.Options{})
				}}, !protected(res)
		})
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

// Limits of one sweep: a resource changed this many times while the sweep
// tried to write it (412) counts as failed, and past maxSweepFailures
// failures the sweep stops (a hook refusing everything), for the next run
// to try again.
const (
	maxSweepRetries  = 3
	maxSweepFailures = 1000
)

// sweep makes opFor's write for every resource of rt in scope that f
// selects (all when nil), each in its own transaction, in creation order,
// until none is left. Handled resources leave the selection (deleted,
// released, deactivated); the ones opFor skips (ok false) and the ones
// whose write failed are excluded from it by id, so every page starts at
// the selection's front and nothing is passed over or tried twice in one
// run. A resource changed meanwhile (412) is tried again, up to
// maxSweepRetries times. It returns how many it wrote and the failures.
func (h *Handler) sweep(ctx context.Context, scope store.Scope, rt *document.Type, f *filter.Filter, opFor func(*store.Resource) (writeOp, bool)) (int, []error) {
	n := 0
	var failed []error
	excluded := map[string]bool{}
	retries := map[string]int{}
	for {
		if err := ctx.Err(); err != nil {
			return n, append(failed, fmt.Errorf("scim: %s stopped: %w", scope, err))
		}
		if len(failed) >= maxSweepFailures {
			return n, append(failed, fmt.Errorf("scim: %s: stopped after %d failures", scope, len(failed)))
		}
		sel, err := h.selection(rt, f, excluded)
		if err != nil {
			return n, append(failed, err)
		}
		page, err := h.store.List(ctx, scope, rt.Kind, store.Query{Filter: sel, StartIndex: 1, Count: disconnectPage, ExcludeMembers: true})
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
			op, ok := opFor(res)
			if !ok {
				excluded[res.ID] = true
				continue
			}
			_, err := h.write(ctx, scope, op)
			switch {
			case err == nil, errors.Is(err, store.ErrNotFound):
				if err == nil {
					n++
				}
			case isPreconditionFailed(err) && retries[res.ID] < maxSweepRetries:
				retries[res.ID]++ // changed since listed: the next page has it as it is now
			default:
				h.log.ErrorContext(ctx, "scim: disconnect", slog.String("scope", scope.String()),
					slog.String("resource", rt.Name+"/"+res.ID), slog.Any("error", err))
				failed = append(failed, fmt.Errorf("scim: %s %s: %w", rt.Name, res.ID, err))
				excluded[res.ID] = true
			}
		}
	}
}

// selection is f without the excluded ids: f and not (id eq ... or ...).
func (h *Handler) selection(rt *document.Type, f *filter.Filter, excluded map[string]bool) (*filter.Filter, error) {
	if len(excluded) == 0 {
		return f, nil
	}
	terms := make([]string, 0, len(excluded))
	for _, id := range slices.Sorted(maps.Keys(excluded)) {
		eq, err := filter.Equal("id", id, rt.FilterOptions...)
		if err != nil {
			return nil, fmt.Errorf("scim: id %q: %w", filter.Excerpt(id), err)
		}
		terms = append(terms, eq.String())
	}
	text := "not (" + strings.Join(terms, " or ") + ")"
	if f != nil {
		text = "(" + f.String() + ") and " + text
	}
	// Longer than a client's filter may be: the last option raises the
	// type's length limit for it.
	sel, err := filter.Parse(text, append(slices.Clone(rt.FilterOptions), filter.WithMaxLength(1<<22))...)
	if err != nil {
		return nil, fmt.Errorf("scim: sweep filter: %w", err)
	}
	return sel, nil
}
