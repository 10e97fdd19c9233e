package memory

import (
	"slices"
	"time"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// ref identifies a resource within a scope.
type ref struct {
	typ store.ResourceType
	id  string
}

// entry is the stored form of a resource. Entries reachable from committed
// data are never modified: a write copies the entry (clone), changes the
// copy and swaps it in on commit. The attrs map and members slice are never
// modified in place either, so copies may share them.
type entry struct {
	id       string
	seq      uint64 // creation sequence number within the scope
	attrs    map[string]any
	members  []ref // groups only; insertion order, no duplicates
	created  time.Time
	modified time.Time
	version  int64
}

func (e *entry) clone() *entry {
	c := *e
	return &c
}

func (e *entry) stringAttr(name string) string {
	s, _ := e.attrs[name].(string)
	return s
}

// slot is one position in a table's creation order. It is stale when the
// table no longer holds an entry with that id and seq.
type slot struct {
	seq uint64
	id  string
}

// table holds one resource type of one scope.
type table struct {
	users bool // whether the userName index applies

	byID       map[string]*entry
	order      []slot
	stale      int
	byUserName map[string]string   // filter.Fold(userName) → id
	byExternal map[string][]string // filter.Fold(externalId) → ids
	byDisplay  map[string][]string // filter.Fold(displayName) → ids
}

func newTable(users bool) *table {
	t := &table{
		users:      users,
		byID:       make(map[string]*entry),
		byExternal: make(map[string][]string),
		byDisplay:  make(map[string][]string),
	}
	if users {
		t.byUserName = make(map[string]string)
	}
	return t
}

func (t *table) live(s slot) *entry {
	if e := t.byID[s.id]; e != nil && e.seq == s.seq {
		return e
	}
	return nil
}

func (t *table) index(e *entry) {
	if t.users {
		if k := filter.Fold(e.stringAttr("userName")); k != "" {
			t.byUserName[k] = e.id
		}
	}
	if k := filter.Fold(e.stringAttr("externalId")); k != "" {
		t.byExternal[k] = append(t.byExternal[k], e.id)
	}
	if k := filter.Fold(e.stringAttr("displayName")); k != "" {
		t.byDisplay[k] = append(t.byDisplay[k], e.id)
	}
}

func (t *table) unindex(e *entry) {
	if t.users {
		if k := filter.Fold(e.stringAttr("userName")); k != "" && t.byUserName[k] == e.id {
			delete(t.byUserName, k)
		}
	}
	removeID(t.byExternal, filter.Fold(e.stringAttr("externalId")), e.id)
	removeID(t.byDisplay, filter.Fold(e.stringAttr("displayName")), e.id)
}

// lookup returns the ids indexed under attr for the given filter values, and
// whether attr is indexed at all.
func (t *table) lookup(attr string, values []string) ([]string, bool) {
	var ids []string
	switch attr {
	case "id":
		for _, v := range values {
			if _, ok := t.byID[v]; ok {
				ids = append(ids, v)
			}
		}
	case "userName":
		if !t.users {
			return nil, false
		}
		for _, v := range values {
			if id, ok := t.byUserName[filter.Fold(v)]; ok {
				ids = append(ids, id)
			}
		}
	case "externalId":
		for _, v := range values {
			ids = append(ids, t.byExternal[filter.Fold(v)]...)
		}
	case "displayName":
		for _, v := range values {
			ids = append(ids, t.byDisplay[filter.Fold(v)]...)
		}
	default:
		return nil, false
	}
	return ids, true
}

func removeID(m map[string][]string, key, id string) {
	if key == "" {
		return
	}
	ids := m[key]
	i := slices.Index(ids, id)
	if i < 0 {
		return
	}
	if len(ids) == 1 {
		delete(m, key)
		return
	}
	ids[i] = ids[len(ids)-1]
	m[key] = ids[:len(ids)-1]
}

// scopeData is everything stored under one scope.
type scopeData struct {
	seq      uint64 // last creation sequence number handed out
	users    *table
	groups   *table
	memberOf map[ref][]string // member → ids of the groups containing it
}

func newScopeData() *scopeData {
	return &scopeData{
		users:    newTable(true),
		groups:   newTable(false),
		memberOf: make(map[ref][]string),
	}
}

func (d *scopeData) table(typ store.ResourceType) *table {
	if typ == store.User {
		return d.users
	}
	return d.groups
}

func (d *scopeData) link(groupID string, members []ref) {
	for _, m := range members {
		d.memberOf[m] = append(d.memberOf[m], groupID)
	}
}

func (d *scopeData) unlink(groupID string, members []ref) {
	for _, m := range members {
		gs := d.memberOf[m]
		i := slices.Index(gs, groupID)
		if i < 0 {
			continue
		}
		if len(gs) == 1 {
			delete(d.memberOf, m)
			continue
		}
		gs[i] = gs[len(gs)-1]
		d.memberOf[m] = gs[:len(gs)-1]
	}
}

// apply commits a transaction's overlay. The caller holds the data lock.
func (d *scopeData) apply(ov *overlay) {
	var created []*entry
	var createdTypes []store.ResourceType
	for r, ne := range ov.entries {
		t := d.table(r.typ)
		old := t.byID[r.id]
		if old != nil {
			t.unindex(old)
			if ne == nil || ne.seq != old.seq {
				t.stale++
			}
		}
		if r.typ == store.Group {
			switch {
			case old != nil && ne != nil && ne.seq == old.seq && (ov.added[r.id] != nil || ov.removed[r.id] != nil):
				// Logged changes to a committed group: relink just those.
				d.unlink(r.id, ov.removed[r.id])
				d.link(r.id, ov.added[r.id])
			case old != nil && ne != nil && len(ne.members) >= len(old.members) &&
				(len(old.members) == 0 || &ne.members[0] == &old.members[0] ||
					slices.Equal(ne.members[:len(old.members)], old.members)):
				// Members were only appended (AddMembers appends in place,
				// so a shared array means an unchanged prefix): link the new
				// ones.
				d.link(r.id, ne.members[len(old.members):])
			default:
				if old != nil {
					d.unlink(r.id, old.members)
				}
				if ne != nil {
					d.link(r.id, ne.members)
				}
			}
		}
		if ne == nil {
			delete(t.byID, r.id)
			continue
		}
		t.byID[r.id] = ne
		t.index(ne)
		if old == nil || old.seq != ne.seq {
			created = append(created, ne)
			createdTypes = append(createdTypes, r.typ)
		}
	}
	// Append new entries to the creation order in sequence order.
	idx := make([]int, len(created))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpSeq(created[a].seq, created[b].seq) })
	for _, i := range idx {
		t := d.table(createdTypes[i])
		t.order = append(t.order, slot{seq: created[i].seq, id: created[i].id})
	}
	d.seq = max(d.seq, ov.seq)
	d.users.compact()
	d.groups.compact()
}

// compact drops stale slots from the creation order once they make up half
// of it.
func (t *table) compact() {
	if t.stale < 64 || t.stale*2 < len(t.order) {
		return
	}
	order := make([]slot, 0, len(t.byID))
	for _, s := range t.order {
		if t.live(s) != nil {
			order = append(order, s)
		}
	}
	t.order = order
	t.stale = 0
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
