package scim

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/internal/jsonenc"
	"github.com/scimkit/scimkit/store"
)

type writeKind int

const (
	opCreate writeKind = iota
	opReplace
	opPatch
	opDelete
	// opRelease deletes the record as opDelete does, for a disconnect
	// that keeps the app's members (UserReleased, GroupReleased).
	opRelease
)

func (k writeKind) String() string {
	return [...]string{"create", "replace", "patch", "delete", "release"}[k]
}

// writeOp is one state-changing request. Every POST, PUT, PATCH and DELETE
// ends in Handler.write, the library's only write path.
type writeOp struct {
	kind writeKind
	// status is the HTTP status a success answers with (for the audit
	// record).
	status  int
	rt      *document.Type
	id      string // empty for create
	ifMatch string // If-Match header value, "" when absent
	// ifNoneMatch is the If-None-Match header value, "" when absent.
	ifNoneMatch string
	// compute derives the new resource from the current one (nil for a
	// create). Unused for delete and when members is set.
	compute func(cur *store.Resource) (*document.Decoded, error)
	// members, for a group PATCH that only adds and removes listed
	// members, is that delta: the group's member list is then never
	// loaded (document.Type.MemberDelta finds it, saveMembers saves it).
	members *document.MemberDelta
	// policy is what the write follows; nil until resolved (write
	// resolves it when the caller did not).
	policy *policy
	// cause says why the write happens (hooks see it in Origin).
	cause Cause
}

// parser turns a request body into the change op makes, setting
// op.compute or op.members.
type parser func(body map[string]any, op *writeOp) error

// write runs op in one store transaction: load, check the precondition,
// compute, validate, save, run the hooks, write the audit record. Nothing
// is saved unless every step succeeds. It returns the resource as stored
// (nil after a delete). Every write is audited, failed ones included.
func (h *Handler) write(ctx context.Context, scope store.Scope, op writeOp) (*store.Resource, error) {
	principal, _ := auth.FromContext(ctx)
	if op.policy == nil {
		var err error
		if op.policy, err = h.policyFor(ctx, scope); err != nil {
			return nil, err
		}
	}
	origin := Origin{Scope: scope, Principal: principal, Directory: op.policy.dir, Settings: op.policy.settings, Cause: op.cause}
	rec := store.AuditRecord{Scope: scope, Actor: principal.CredentialID, Operation: op.kind.String(),
		ResourceType: op.rt.Kind, ResourceID: op.id, Status: op.status}
	txSink, inTx := h.cfg.Audit.(store.TxAuditSink)

	var result *store.Resource
	err := h.store.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
		origin.Tx = tx
		if d := op.policy.dir; d != nil && d.State != directory.Active && op.cause == CauseRequest {
			// Whatever credential let the request in (a static token, a
			// signed key): a paused or disconnected directory takes no
			// client's changes. Its own expiry and disconnect go on.
			return errorf(http.StatusForbidden, "", "directory %s is %s and accepts no changes", scope, d.State)
		}
		var cur *store.Resource
		if op.kind != opCreate {
			var err error
			if op.members != nil {
				cur, err = loadGroupHead(ctx, tx, op.rt, op.id, true)
			} else {
				cur, err = h.txGet(ctx, tx, op.rt.Kind, op.id)
			}
			if err != nil {
				return err
			}
			if h.cfg.Audit != nil {
				rec.Before = documentJSON(cur, op.members == nil)
			}
			if !etagMatches(op.ifMatch, cur.ETag()) {
				return errorf(http.StatusPreconditionFailed, "", "If-Match %s does not match the current version %s", op.ifMatch, cur.ETag())
			}
			if op.ifNoneMatch != "" && etagMatches(op.ifNoneMatch, cur.ETag()) {
				return errorf(http.StatusPreconditionFailed, "", "If-None-Match %s matches the current version", op.ifNoneMatch)
			}
		}
		var res *store.Resource
		var ch memberChange
		var err error
		switch {
		case op.kind == opDelete || op.kind == opRelease:
			ch.parents, err = h.deleteResource(ctx, tx, op)
		case op.members != nil:
			res, ch, err = h.saveMembers(ctx, tx, op, cur)
		default:
			res, ch, err = h.save(ctx, tx, op, cur)
		}
		if err != nil {
			return err
		}
		if res != nil {
			rec.ResourceID = res.ID
			if h.cfg.Audit != nil {
				rec.After = documentJSON(res, op.members == nil)
			}
		}
		rec.MembersAdded, rec.MembersRemoved = ids(ch.added), ids(ch.removed)
		if h.cfg.Hooks != nil || h.cfg.Audit != nil || h.cfg.Protected != nil || h.cfg.Events != nil {
			evs := events.Derive(h.writeOf(op, cur, res, ch))
			if err := h.checkProtected(ctx, scope, evs); err != nil {
				return err
			}
			rec.Events = events.Kinds(evs)
			if h.cfg.Hooks != nil {
				if err := h.cfg.Hooks.run(ctx, origin, evs); err != nil {
					return err
				}
			}
			if err := h.recordEvents(ctx, tx, origin, evs); err != nil {
				return err
			}
		}
		if inTx {
			rec.Time = time.Now().UTC()
			if err := txSink.RecordTx(ctx, tx, rec); err != nil {
				return fmt.Errorf("scim: audit record: %w", err)
			}
		}
		result = res
		return nil
	})
	if err != nil {
		se, _ := toSCIMError(err)
		rec.Status, rec.Error, rec.After = se.Status, se.Detail, nil
		rec.MembersAdded, rec.MembersRemoved, rec.Events = nil, nil, nil
		h.audit(ctx, rec)
		h.noteFailure(op.policy, rec)
		h.tellProtected(ctx, origin, err)
		return nil, err
	}
	if !inTx {
		h.audit(ctx, rec)
	}
	return result, nil
}

// recordEvents writes evs to the outbox through tx, when there is one.
func (h *Handler) recordEvents(ctx context.Context, tx store.Tx, origin Origin, evs []events.Event) error {
	if h.cfg.Events == nil || len(evs) == 0 {
		return nil
	}
	recs, err := events.Encode(events.Meta{Scope: origin.Scope, Time: time.Now().UTC(), Actor: origin.Principal.CredentialID,
		RequestID: RequestID(ctx), Cause: string(origin.Cause)}, evs)
	if err == nil {
		err = h.cfg.Events.AppendTx(ctx, tx, recs)
	}
	if err != nil {
		return fmt.Errorf("scim: recording events: %w", err)
	}
	return nil
}

// audit hands rec to the sink outside any transaction; a failure is
// logged, as the request's outcome is already decided.
func (h *Handler) audit(ctx context.Context, rec store.AuditRecord) {
	if h.cfg.Audit == nil {
		return
	}
	rec.Time = time.Now().UTC()
	if err := h.cfg.Audit.Record(context.WithoutCancel(ctx), rec); err != nil {
		h.log.ErrorContext(ctx, "scim: writing audit record", slog.Any("error", err),
			slog.String("operation", rec.Operation), slog.String("resource", rec.ResourceID))
	}
}

// save computes, validates and stores the new state of a create, replace
// or patch, returning the stored resource and, for a group, the members
// added and removed.
func (h *Handler) save(ctx context.Context, tx store.Tx, op writeOp, cur *store.Resource) (*store.Resource, memberChange, error) {
	var ch memberChange
	next, err := op.compute(cur)
	if err != nil {
		return nil, ch, err
	}
	if op.rt.Kind == store.User {
		h.trackDeactivation(cur, next.Attrs)
	}
	if cur != nil {
		if err := op.rt.CheckImmutable(cur.Attributes, next.Attrs); err != nil {
			return nil, ch, err
		}
	}
	if err := h.checkGroupName(ctx, tx, op, next.Attrs); err != nil {
		return nil, ch, err
	}
	if next.MembersPresent {
		if err := resolveMembers(ctx, tx, next.Members); err != nil {
			return nil, ch, err
		}
	}
	id := op.id
	if cur == nil {
		id = newID()
		res := &store.Resource{Type: op.rt.Kind, ID: id, Attributes: next.Attrs, Members: next.Members}
		if err := tx.Create(ctx, res); err != nil {
			return nil, ch, err
		}
	} else {
		if !jsonenc.Equal(cur.Attributes, next.Attrs) {
			// Replace copies the attributes and ignores members and
			// groups: a shallow copy will do.
			upd := *cur
			upd.Attributes, upd.Members, upd.Groups = next.Attrs, nil, nil
			if err := tx.Replace(ctx, &upd); err != nil {
				return nil, ch, err
			}
		}
		if next.MembersPresent {
			added, removed := memberDelta(cur.Members, next.Members)
			if len(removed) > 0 {
				if ch.removed, err = tx.RemoveMembers(ctx, id, ids(removed)); err != nil {
					return nil, ch, err
				}
			}
			if len(added) > 0 {
				if ch.added, err = tx.AddMembers(ctx, id, added); err != nil {
					return nil, ch, err
				}
			}
		}
	}
	res, err := h.txGet(ctx, tx, op.rt.Kind, id)
	if err == nil && cur == nil {
		ch.added = res.Members
	}
	return res, ch, err
}

// txGet reads a resource inside a write. Without hooks, what it returns
// never leaves the handler, which only reads it (ApplyPatch works on a
// copy), so a store.TxViewReader may share the stored attributes; with
// hooks, which may change what they are given, it is always a copy.
func (h *Handler) txGet(ctx context.Context, tx store.Tx, typ store.ResourceType, id string) (*store.Resource, error) {
	if h.cfg.Hooks == nil {
		return viewGet(tx)(ctx, typ, id)
	}
	return tx.Get(ctx, typ, id)
}

// viewGet is tx's GetView when it is a store.TxViewReader, else its Get:
// for reads whose result is only read.
func viewGet(tx store.Tx) func(ctx context.Context, typ store.ResourceType, id string) (*store.Resource, error) {
	if vr, ok := tx.(store.TxViewReader); ok {
		return vr.GetView
	}
	return tx.Get
}

// deleteResource deletes op's resource. For a group, when hooks are
// configured and the store can tell, it returns the groups that had it as
// a nested member, as they are after the deletion (without members).
func (h *Handler) deleteResource(ctx context.Context, tx store.Tx, op writeOp) ([]*store.Resource, error) {
	var parentIDs []string
	if finder, ok := tx.(store.GroupsOfTx); ok && op.rt.Kind == store.Group && (h.cfg.Hooks != nil || h.cfg.Audit != nil) {
		var err error
		if parentIDs, err = finder.GroupsOf(ctx, store.Group, op.id); err != nil {
			return nil, err
		}
	}
	if err := tx.Delete(ctx, op.rt.Kind, op.id); err != nil {
		return nil, err
	}
	parents := make([]*store.Resource, 0, len(parentIDs))
	for _, pid := range parentIDs {
		if pid == op.id {
			continue // a group that was its own member (the store refuses that, but be safe)
		}
		p, err := loadGroupHead(ctx, tx, op.rt, pid, false)
		if err != nil {
			return nil, err
		}
		parents = append(parents, p)
	}
	return parents, nil
}

// writeOf is the write op made, for events.Derive: cur before it, res
// after it, ch what it did to members.
func (h *Handler) writeOf(op writeOp, cur, res *store.Resource, ch memberChange) events.Write {
	w := events.Write{Type: op.rt.Kind, Op: events.Update, Before: cur, After: res, Added: ch.added, Removed: ch.removed,
		Parents: ch.parents, RemoveMembersOnDelete: op.policy.settings.GroupDeletion == RemoveMembers}
	switch op.kind {
	case opCreate:
		w.Op = events.Create
	case opDelete:
		w.Op = events.Delete
	case opRelease:
		w.Op = events.Release
	}
	return w
}

// memberDelta returns the members of next not in cur, and of cur not in
// next.
func memberDelta(cur, next []store.Member) (added, removed []store.Member) {
	in := make(map[string]bool, len(cur))
	for _, m := range cur {
		in[m.Value] = true
	}
	keep := make(map[string]bool, len(next))
	for _, m := range next {
		keep[m.Value] = true
		if !in[m.Value] {
			added = append(added, store.Member{Value: m.Value, Type: m.Type, Display: m.Display})
		}
	}
	for _, m := range cur {
		if !keep[m.Value] {
			removed = append(removed, store.Member{Value: m.Value, Type: m.Type, Display: m.Display})
		}
	}
	return added, removed
}

// checkGroupName enforces the policy's UniqueGroupNames.
func (h *Handler) checkGroupName(ctx context.Context, tx store.Tx, op writeOp, attrs map[string]any) error {
	rt, selfID := op.rt, op.id
	if rt.Kind != store.Group || !op.policy.settings.UniqueGroupNames {
		return nil
	}
	name, _ := attrs["displayName"].(string)
	f, err := rt.EqFilter("displayName", name)
	if err != nil {
		return err
	}
	page, err := tx.List(ctx, store.Group, store.Query{Filter: f, Count: 2, ExcludeMembers: true})
	if err != nil {
		return err
	}
	for _, g := range page.Resources {
		if g.ID != selfID {
			return errorf(http.StatusConflict, typeUniqueness, "a group with displayName %q already exists", name)
		}
	}
	return nil
}

// etagMatches evaluates an If-Match header against the current ETag.
// An empty header always matches. Comparison is weak (RFC 7232 §2.3.2):
// W/ prefixes are ignored.
func etagMatches(header, etag string) bool {
	header = strings.TrimSpace(header)
	if header == "" || header == "*" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// newID returns a random (version 4) UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
