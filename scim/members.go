package scim

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// Membership PATCHes are what IdPs send most to groups: Okta and Entra ID
// add or remove one member at a time, to groups that may have 100,000
// members. Applying them like any other PATCH would load, rewrite and
// re-validate the whole member list on every call. A PATCH whose every
// operation only adds or removes listed members is therefore applied as a
// delta instead: the group is loaded without its members, and the store
// adds and removes just the named ones (Tx.AddMembers/RemoveMembers, which
// report what really changed). It still runs the one write path
// (Handler.write): preconditions, transaction, hooks and audit record.

// memberPatch is a PATCH reduced to the members it adds and removes.
type memberPatch struct {
	add    []store.Member // Type empty when the client gave none
	remove []string
}

// asMemberPatch reports the member delta ops amount to, or nil when any
// operation does something else (replace, remove of the whole list, other
// attributes, filters beyond `value eq`) or an id is both added and removed
// (order would then matter): such PATCHes take the general path.
func asMemberPatch(rt *resourceType, ops []patchOp) *memberPatch {
	if rt.typ != store.Group || len(ops) == 0 {
		return nil
	}
	mp := &memberPatch{}
	for _, op := range ops {
		if !op.hasPath {
			return nil
		}
		if isMembersPath(op.path) {
			if op.op == "replace" || op.value == nil {
				return nil
			}
			list, err := parseMembers(op.value)
			if err != nil {
				return nil // the general path reports it
			}
			if op.op == "add" {
				mp.add = append(mp.add, list...)
				continue
			}
			// Entra ID: {"op":"Remove","path":"members","value":[{"value":id}]}.
			for _, m := range list {
				mp.remove = append(mp.remove, m.Value)
			}
			continue
		}
		id, ok := memberValueFilter(rt, op.path)
		if !ok || op.op != "remove" {
			return nil
		}
		mp.remove = append(mp.remove, id)
	}
	removed := make(map[string]bool, len(mp.remove))
	for _, id := range mp.remove {
		removed[id] = true
	}
	for _, m := range mp.add {
		if removed[m.Value] {
			return nil
		}
	}
	return mp
}

// isMembersPath reports whether path is the Group's members attribute.
func isMembersPath(path string) bool {
	if i := strings.LastIndexByte(path, ':'); i >= 0 {
		if !strings.EqualFold(path[:i], GroupSchema) {
			return false
		}
		path = path[i+1:]
	}
	return strings.EqualFold(path, "members")
}

// memberValueFilter recognises `members[value eq "id"]` and returns id.
// The path is parsed by filter.ParsePatchPath under the type's limits, like
// any PATCH path; one it refuses takes the general path, which reports the
// error.
func memberValueFilter(rt *resourceType, path string) (string, bool) {
	const prefix = "members["
	if len(path) < len(prefix)+2 || !strings.EqualFold(path[:len(prefix)], prefix) || path[len(path)-1] != ']' {
		return "", false
	}
	p, err := filter.ParsePatchPath(path, rt.filterOpts...)
	if err != nil || p.URN != "" || p.Sub != "" {
		return "", false
	}
	eqs, ok := p.Equalities()
	if !ok || len(eqs) != 1 {
		return "", false
	}
	var id string
	for name, v := range eqs {
		if !strings.EqualFold(name, "value") {
			return "", false
		}
		id, _ = v.(string)
	}
	return id, id != "" && plainID(id)
}

// plainID reports whether id, a compare value as the parser left it, needs
// no decoding: no escape sequence, quote, control character or non-ASCII
// byte. Other ids take the general path, which decodes them.
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; c == '"' || c == '\\' || c < 0x20 || c == 0x7f || c >= 0x80 {
			return false
		}
	}
	return true
}

// loadGroupHead reads a group without its members inside tx. forUpdate
// locks it for the write that follows (store.Query.ForUpdate), so that the
// version read is the one If-Match is checked against, and the audit
// record's before-version, under the lock.
func loadGroupHead(ctx context.Context, tx store.Tx, rt *resourceType, id string, forUpdate bool) (*store.Resource, error) {
	f, err := rt.eqFilter("id", id)
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
	add := append([]store.Member(nil), op.members.add...)
	if err := resolveMembers(ctx, tx, add); err != nil {
		return nil, ch, err
	}
	var err error
	if len(op.members.remove) > 0 {
		if ch.removed, err = tx.RemoveMembers(ctx, cur.ID, op.members.remove); err != nil {
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
