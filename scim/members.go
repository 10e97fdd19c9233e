package scim

import (
	"context"
	"fmt"
	"net/http"

	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/store"
)

// loadGroupHead reads a group without its members inside tx. forUpdate
// locks it for the write that follows (store.Query.ForUpdate), so that the
// version read is the one If-Match is checked against, and the audit
// record's before-version, under the lock.
func loadGroupHead(ctx context.Context, tx store.Tx, rt *document.Type, id string, forUpdate bool) (*store.Resource, error) {
	f, err := rt.EqFilter("id", id)
	if err != nil {
		return nil, err
	}
	page, err := tx.List(ctx, store.Group, store.Query{Filter: f, StartIndex: 1, Count: 1, ExcludeMembers: true, ForUpdate: forUpdate})
	if err != nil {
		return nil, err
	}
	if len(page.Resources) == 0 {
		return nil, fmt.Errorf("%w: Group %q", store.ErrNotFound, id)
	}
	return page.Resources[0], nil
}

// saveMembers applies a member delta to the group cur (loaded without its
// members) and returns the group as stored, with its members only when the
// response will show them, and the exact members added and removed.
func (h *Handler) saveMembers(ctx context.Context, tx store.Tx, op writeOp, cur *store.Resource) (*store.Resource, memberChange, error) {
	var ch memberChange
	// Untyped members are looked up before anything changes, while the
	// store's reads are cheapest.
	add := append([]store.Member(nil), op.members.Add...)
	if err := resolveMembers(ctx, tx, add); err != nil {
		return nil, ch, err
	}
	var err error
	if len(op.members.Remove) > 0 {
		if ch.removed, err = tx.RemoveMembers(ctx, cur.ID, op.members.Remove); err != nil {
			return nil, ch, err
		}
	}
	if len(add) > 0 {
		if ch.added, err = tx.AddMembers(ctx, cur.ID, add); err != nil {
			return nil, ch, err
		}
	}
	if op.status != http.StatusNoContent {
		res, err := h.txGet(ctx, tx, store.Group, cur.ID)
		return res, ch, err
	}
	if len(ch.added)+len(ch.removed) == 0 {
		return cur, ch, nil
	}
	res, err := loadGroupHead(ctx, tx, op.rt, cur.ID, false)
	return res, ch, err
}

// memberChange is what a write did to a group's member list.
type memberChange struct {
	added, removed []store.Member
	// parents are, after a group's deletion, the groups that had it as a
	// member (loaded without their members), when the store can tell.
	parents []*store.Resource
}

// ids returns the member ids of ms, or nil for none.
func ids(ms []store.Member) []string {
	if len(ms) == 0 {
		return nil
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Value
	}
	return out
}
