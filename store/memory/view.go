package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// overlay is a transaction's uncommitted writes. Every entry in it belongs
// to the transaction; a nil entry marks a deletion.
type overlay struct {
	entries   map[ref]*entry
	seq       uint64            // last creation sequence number handed out
	userNames map[string]string // filter.Fold(userName) → id, for users in entries
	rev       map[ref][]string  // member → groups in entries; nil when stale
	// added and removed log, per committed group, the members this
	// transaction added to and removed from it, net: commit then relinks
	// only those in the reverse index, and membership checks need not
	// scan a large group's list. Every member change to a committed group
	// is logged (AddMembers, RemoveMembers, Delete of a member).
	added, removed map[string][]ref
}

// logAdded records that r joined committed group gid.
func (o *overlay) logAdded(gid string, r ref) {
	if o.added == nil {
		o.added = make(map[string][]ref)
	}
	o.added[gid] = append(o.added[gid], r)
}

// logRemoved records that r left committed group gid; leaving after
// joining in the same transaction cancels the join.
func (o *overlay) logRemoved(gid string, r ref) {
	if i := slices.Index(o.added[gid], r); i >= 0 {
		o.added[gid] = slices.Delete(o.added[gid], i, i+1)
		return
	}
	if o.removed == nil {
		o.removed = make(map[string][]ref)
	}
	o.removed[gid] = append(o.removed[gid], r)
}

func newOverlay(base *scopeData) *overlay {
	ov := &overlay{
		entries:   make(map[ref]*entry),
		userNames: make(map[string]string),
	}
	if base != nil {
		ov.seq = base.seq
	}
	return ov
}

// put records e (nil: deletion) as the transaction's version of r.
func (o *overlay) put(r ref, e *entry) {
	switch r.typ {
	case store.User:
		if old := o.entries[r]; old != nil {
			if k := filter.Fold(old.stringAttr("userName")); k != "" && o.userNames[k] == r.id {
				delete(o.userNames, k)
			}
		}
		if e != nil {
			if k := filter.Fold(e.stringAttr("userName")); k != "" {
				o.userNames[k] = r.id
			}
		}
	case store.Group:
		o.rev = nil
	}
	o.entries[r] = e
}

// reverse returns, for every member of a group in the overlay, the ids of
// the overlay's groups containing it.
func (o *overlay) reverse() map[ref][]string {
	if o.rev == nil {
		o.rev = make(map[ref][]string)
		for r, g := range o.entries {
			if r.typ != store.Group || g == nil {
				continue
			}
			for _, m := range g.members {
				o.rev[m] = append(o.rev[m], r.id)
			}
		}
	}
	return o.rev
}

// view reads a scope: the committed data, seen through a transaction's
// overlay when ov is set.
type view struct {
	s    *Store
	base *scopeData // nil when nothing was ever committed to the scope
	ov   *overlay   // nil outside transactions
}

func (v *view) lookup(typ store.ResourceType, id string) *entry {
	if v.ov != nil {
		if e, ok := v.ov.entries[ref{typ, id}]; ok {
			return e
		}
	}
	if v.base == nil {
		return nil
	}
	return v.base.table(typ).byID[id]
}

// touched reports whether the overlay has its own version of r.
func (v *view) touched(r ref) bool {
	if v.ov == nil {
		return false
	}
	_, ok := v.ov.entries[r]
	return ok
}

// groupsOf returns the ids of the groups that contain r directly.
func (v *view) groupsOf(r ref) []string {
	var out []string
	if v.base != nil {
		for _, gid := range v.base.memberOf[r] {
			if !v.touched(ref{store.Group, gid}) {
				out = append(out, gid)
			}
		}
	}
	if v.ov != nil {
		out = append(out, v.ov.reverse()[r]...)
	}
	return out
}

// display returns the display value of a member: its displayName, or a
// user's userName when it has none.
func (v *view) display(m ref) string {
	e := v.lookup(m.typ, m.id)
	if e == nil {
		return ""
	}
	if d := e.stringAttr("displayName"); d != "" {
		return d
	}
	if m.typ == store.User {
		return e.stringAttr("userName")
	}
	return ""
}

// resource builds the Resource for e. With copyAttrs false the result
// shares e's attribute map, which must then only be read: for filter
// matching, sorting and store.ViewReader.
func (v *view) resource(typ store.ResourceType, e *entry, members, copyAttrs bool) *store.Resource {
	r := &store.Resource{
		Type:         typ,
		ID:           e.id,
		Attributes:   e.attrs,
		Created:      e.created,
		LastModified: e.modified,
		Version:      e.version,
	}
	if copyAttrs {
		r.Attributes = store.CloneMap(e.attrs)
	}
	switch typ {
	case store.Group:
		if members {
			r.Members = make([]store.Member, len(e.members))
			for i, m := range e.members {
				r.Members[i] = store.Member{Value: m.id, Type: m.typ, Display: v.display(m)}
			}
		}
	case store.User:
		gids := v.groupsOf(ref{store.User, e.id})
		r.Groups = make([]store.GroupRef, 0, len(gids))
		for _, gid := range gids {
			r.Groups = append(r.Groups, store.GroupRef{Value: gid, Display: v.display(ref{store.Group, gid})})
		}
		slices.SortFunc(r.Groups, func(a, b store.GroupRef) int {
			return cmp.Or(cmp.Compare(a.Display, b.Display), cmp.Compare(a.Value, b.Value))
		})
	}
	return r
}

// get returns the resource (typ, id); with copyAttrs false its attributes
// are the entry's own (entries are never changed in place: a write makes
// a new one), for store.ViewReader.
func (v *view) get(typ store.ResourceType, id string, copyAttrs bool) (*store.Resource, error) {
	e := (*entry)(nil)
	if validType(typ) {
		e = v.lookup(typ, id)
	}
	if e == nil {
		return nil, fmt.Errorf("%w: %s %q", store.ErrNotFound, typ, id)
	}
	return v.resource(typ, e, true, copyAttrs), nil
}

// candidates returns the entries of type typ that q may select, in creation
// order: the ones an index yields for an equality filter, else all.
func (v *view) candidates(typ store.ResourceType, q store.Query) []*entry {
	var ovEntries []*entry
	if v.ov != nil {
		for r, e := range v.ov.entries {
			if r.typ == typ && e != nil {
				ovEntries = append(ovEntries, e)
			}
		}
	}
	var out []*entry
	sorted := len(ovEntries) == 0
	indexed := false
	if q.Filter != nil && v.base != nil {
		if lookups, ok := q.Filter.IndexLookups(); ok {
			t := v.base.table(typ)
			var ids []string
			indexed = true
			for _, l := range lookups {
				found, ok := t.lookup(l.Attr, l.Values)
				if !ok {
					indexed = false
					break
				}
				ids = append(ids, found...)
			}
			if indexed {
				seen := make(map[string]struct{}, len(ids))
				for _, id := range ids {
					if _, dup := seen[id]; dup || v.touched(ref{typ, id}) {
						continue
					}
					seen[id] = struct{}{}
					if e := t.byID[id]; e != nil {
						out = append(out, e)
					}
				}
				sorted = false
			}
		}
	}
	if !indexed && v.base != nil {
		t := v.base.table(typ)
		out = make([]*entry, 0, len(t.byID)+len(ovEntries))
		for _, s := range t.order {
			if e := t.live(s); e != nil && !v.touched(ref{typ, e.id}) {
				out = append(out, e)
			}
		}
	}
	out = append(out, ovEntries...)
	if !sorted {
		slices.SortFunc(out, func(a, b *entry) int { return cmpSeq(a.seq, b.seq) })
	}
	return out
}

// list answers a query; with copyAttrs false the resources' attributes are
// the entries' own, for store.ViewReader.
func (v *view) list(ctx context.Context, typ store.ResourceType, q store.Query, copyAttrs bool) (*store.Page, error) {
	if !validType(typ) {
		return nil, errType("list", typ)
	}
	type hit struct {
		e   *entry
		key any
	}
	// A filter that is only equalities on an indexed attribute never looks
	// at members, so a group's (possibly huge) member list is left out of
	// the documents it is evaluated on.
	eqAttr, _, eqOnly := q.Filter.Equalities()
	withMembers := !eqOnly
	var hits []hit
	for i, e := range v.candidates(typ, q) {
		if i%1024 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var doc map[string]any
		if q.Filter != nil {
			var subject map[string]any
			switch {
			case eqOnly && eqAttr == "id":
				// The id is all such a filter reads.
				subject = map[string]any{"id": e.id}
			case eqOnly:
				// userName, externalId and displayName are stored
				// attributes: the document would only add to them.
				subject = e.attrs
			default:
				doc = v.resource(typ, e, withMembers, false).DocumentView()
				subject = doc
			}
			v.s.matches.Add(1)
			if !q.Filter.Match(subject) {
				continue
			}
		}
		h := hit{e: e}
		if q.SortBy != nil && q.Count != 0 {
			if doc == nil || !withMembers {
				doc = v.resource(typ, e, true, false).DocumentView()
			}
			h.key = q.SortBy.SortValue(doc)
		}
		hits = append(hits, h)
	}

	page := &store.Page{Total: len(hits), Resources: []*store.Resource{}}
	start := max(q.StartIndex, 1) - 1
	if q.Count == 0 || start >= len(hits) {
		return page, nil
	}
	if q.SortBy != nil {
		// Stable: equal keys stay in creation order, in both directions.
		slices.SortStableFunc(hits, func(a, b hit) int {
			c := q.SortBy.Compare(a.key, b.key)
			if q.Descending {
				c = -c
			}
			return c
		})
	}
	end := len(hits)
	if q.Count > 0 && q.Count < end-start {
		end = start + q.Count
	}
	page.Resources = make([]*store.Resource, 0, end-start)
	for _, h := range hits[start:end] {
		page.Resources = append(page.Resources, v.resource(typ, h.e, !q.ExcludeMembers, copyAttrs))
	}
	return page, nil
}
