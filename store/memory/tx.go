package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// errClosed is returned by a Tx used after its Update call returned.
var errClosed = errors.New("memory: transaction used after Update returned")

// tx is the store.Tx handed to Update's function. Its writes go to the
// view's overlay.
type tx struct {
	view
	closed atomic.Bool
	scope  store.Scope
	// events are the records Events.AppendTx added, kept at commit.
	events []events.Record
}

var (
	_ store.Tx           = (*tx)(nil)
	_ store.GroupsOfTx   = (*tx)(nil)
	_ store.TxViewReader = (*tx)(nil)
)

// GroupsOf implements store.GroupsOfTx from the reverse membership index.
func (t *tx) GroupsOf(ctx context.Context, typ store.ResourceType, id string) ([]string, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	if !validType(typ) {
		return nil, errType("groupsOf", typ)
	}
	ids := slices.Clone(t.groupsOf(ref{typ, id}))
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

func (t *tx) check(ctx context.Context) error {
	if t.closed.Load() {
		return errClosed
	}
	return ctx.Err()
}

// Get is Store.Get inside the transaction.
func (t *tx) Get(ctx context.Context, typ store.ResourceType, id string) (*store.Resource, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.get(typ, id, true)
}

// GetView is Get sharing the stored attributes (store.TxViewReader).
func (t *tx) GetView(ctx context.Context, typ store.ResourceType, id string) (*store.Resource, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.get(typ, id, false)
}

// List is Store.List inside the transaction.
func (t *tx) List(ctx context.Context, typ store.ResourceType, q store.Query) (*store.Page, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.list(ctx, typ, q, true)
}

// checkUserName returns an ErrUniqueness error if a user other than self
// has userName name, ignoring case.
func (t *tx) checkUserName(name, self string) error {
	k := filter.Fold(name)
	if k == "" {
		return nil
	}
	if id, ok := t.ov.userNames[k]; ok && id != self {
		return fmt.Errorf("%w: userName %q already exists", store.ErrUniqueness, name)
	}
	if t.base != nil {
		if id, ok := t.base.users.byUserName[k]; ok && id != self && !t.touched(ref{store.User, id}) {
			return fmt.Errorf("%w: userName %q already exists", store.ErrUniqueness, name)
		}
	}
	return nil
}

// newMembers validates members for group groupID, which already has the
// members in have, and returns the ones to append, without duplicates.
// has, when not nil, answers "already a member?" without scanning have.
func (t *tx) newMembers(groupID string, have []ref, has func(ref) bool, members []store.Member) ([]ref, error) {
	var seen map[ref]struct{}
	if has == nil && len(have)*len(members) > 64 {
		seen = make(map[ref]struct{}, len(have)+len(members))
		for _, m := range have {
			seen[m] = struct{}{}
		}
	}
	var add []ref
	for _, m := range members {
		r := ref{m.Type, m.Value}
		switch {
		case !validType(m.Type):
			return nil, fmt.Errorf("%w: member %q has type %q, want User or Group", store.ErrInvalidMember, m.Value, m.Type)
		case m.Type == store.Group && m.Value == groupID:
			return nil, fmt.Errorf("%w: group %q cannot be a member of itself", store.ErrInvalidMember, groupID)
		case t.lookup(m.Type, m.Value) == nil:
			return nil, fmt.Errorf("%w: %s %q does not exist", store.ErrInvalidMember, m.Type, m.Value)
		}
		switch {
		case seen != nil:
			if _, dup := seen[r]; dup {
				continue
			}
			seen[r] = struct{}{}
		case has != nil:
			if has(r) || slices.Contains(add, r) {
				continue
			}
		default:
			if slices.Contains(have, r) || slices.Contains(add, r) {
				continue
			}
		}
		add = append(add, r)
	}
	return add, nil
}

// memberCheck returns a function reporting whether r is a direct member of
// group g (with id gid) as this transaction sees it. For a committed group
// it asks the reverse index, which lists the few groups r is in, corrected
// by the transaction's own logged changes, instead of scanning a member
// list that may be 100,000 long. n is how many lookups the caller will
// make: for many, and for a group created in this transaction, a set of
// the members is cheaper.
func (t *tx) memberCheck(gid string, g *entry, n int) func(ref) bool {
	if t.committedGroup(gid) && n <= 64 {
		return func(r ref) bool {
			if slices.Contains(t.ov.added[gid], r) {
				return true
			}
			return slices.Contains(t.base.memberOf[r], gid) && !slices.Contains(t.ov.removed[gid], r)
		}
	}
	set := make(map[ref]struct{}, len(g.members))
	for _, m := range g.members {
		set[m] = struct{}{}
	}
	return func(r ref) bool { _, ok := set[r]; return ok }
}

// committedGroup reports whether group gid, as this transaction sees it,
// is the one in the committed data (not deleted, nor created again), and
// so has reverse-index entries and a change log.
func (t *tx) committedGroup(gid string) bool {
	if t.base == nil {
		return false
	}
	base, cur := t.base.groups.byID[gid], t.lookup(store.Group, gid)
	return base != nil && cur != nil && base.seq == cur.seq
}

// publicMembers converts refs to the members the Tx methods report.
func (t *tx) publicMembers(refs []ref) []store.Member {
	out := make([]store.Member, len(refs))
	for i, r := range refs {
		out[i] = store.Member{Value: r.id, Type: r.typ, Display: t.display(r)}
	}
	return out
}

// touch records a change to a resource's derived attributes (a user's
// groups, a group's member display values): its version and lastModified
// move, so its ETag changes with its representation.
func (t *tx) touch(r ref, now time.Time) {
	e := t.lookup(r.typ, r.id)
	if e == nil {
		return
	}
	e = e.clone()
	e.version++
	e.modified = now
	t.ov.put(r, e)
}

// touchUsers touches the users among refs: their groups attribute changed.
func (t *tx) touchUsers(refs []ref, now time.Time) {
	for _, m := range refs {
		if m.typ == store.User {
			t.touch(m, now)
		}
	}
}

// Create stores a copy of r as a new resource and sets its Created,
// LastModified and Version.
func (t *tx) Create(ctx context.Context, r *store.Resource) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if r == nil {
		return errors.New("memory: create: nil resource")
	}
	if !validType(r.Type) {
		return errType("create", r.Type)
	}
	if r.ID == "" {
		return fmt.Errorf("memory: create %s: empty id", r.Type)
	}
	if t.lookup(store.User, r.ID) != nil || t.lookup(store.Group, r.ID) != nil {
		return fmt.Errorf("%w: id %q already exists", store.ErrUniqueness, r.ID)
	}
	var members []ref
	switch r.Type {
	case store.User:
		if err := t.checkUserName(r.UserName(), ""); err != nil {
			return err
		}
	case store.Group:
		var err error
		if members, err = t.newMembers(r.ID, nil, nil, r.Members); err != nil {
			return err
		}
	}
	now := t.s.clock()
	t.ov.seq++
	t.ov.put(ref{r.Type, r.ID}, &entry{
		id:       r.ID,
		seq:      t.ov.seq,
		attrs:    store.CloneMap(r.Attributes),
		members:  members,
		created:  now,
		modified: now,
		version:  1,
	})
	t.touchUsers(members, now)
	r.Created, r.LastModified, r.Version = now, now, 1
	return nil
}

// Replace overwrites the attributes of an existing resource with a copy of
// r.Attributes, keeping its members and creation time.
func (t *tx) Replace(ctx context.Context, r *store.Resource) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if r == nil {
		return errors.New("memory: replace: nil resource")
	}
	if !validType(r.Type) {
		return errType("replace", r.Type)
	}
	cur := t.lookup(r.Type, r.ID)
	if cur == nil {
		return fmt.Errorf("%w: %s %q", store.ErrNotFound, r.Type, r.ID)
	}
	if r.Version != cur.version {
		return fmt.Errorf("%w: %s %q is at version %d, not %d", store.ErrVersionConflict, r.Type, r.ID, cur.version, r.Version)
	}
	if r.Type == store.User {
		if err := t.checkUserName(r.UserName(), r.ID); err != nil {
			return err
		}
	}
	self := ref{r.Type, r.ID}
	oldDisplay := t.display(self)
	e := cur.clone()
	e.attrs = store.CloneMap(r.Attributes)
	e.version++
	e.modified = t.s.clock()
	t.ov.put(self, e)
	if t.display(self) != oldDisplay {
		// Display values shown elsewhere changed: the groups listing it
		// as a member, and a group's users (their groups[].display).
		for _, gid := range t.groupsOf(self) {
			t.touch(ref{store.Group, gid}, e.modified)
		}
		if r.Type == store.Group {
			t.touchUsers(e.members, e.modified)
		}
	}
	r.Version, r.LastModified, r.Created = e.version, e.modified, e.created
	return nil
}

// Delete removes a resource and takes it out of every group containing it.
func (t *tx) Delete(ctx context.Context, typ store.ResourceType, id string) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if !validType(typ) || t.lookup(typ, id) == nil {
		return fmt.Errorf("%w: %s %q", store.ErrNotFound, typ, id)
	}
	r := ref{typ, id}
	now := t.s.clock()
	for _, gid := range t.groupsOf(r) {
		g := t.lookup(store.Group, gid).clone()
		g.members = slices.DeleteFunc(slices.Clone(g.members), func(m ref) bool { return m == r })
		if t.committedGroup(gid) {
			t.ov.logRemoved(gid, r)
		}
		g.version++
		g.modified = now
		t.ov.put(ref{store.Group, gid}, g)
	}
	if typ == store.Group {
		t.touchUsers(t.lookup(typ, id).members, now)
		// Commit unlinks all its committed members; a group created
		// again under this id starts afresh.
		delete(t.ov.added, id)
		delete(t.ov.removed, id)
	}
	t.ov.put(r, nil)
	return nil
}

// AddMembers appends the members not yet in the group, after checking that
// every member exists with its given type, and returns the ones it added.
//
// Adding a few members to a large group costs neither a scan nor a copy of
// its member list: membership is checked in the reverse index, and the new
// refs are appended in place. That is safe because committed member slices
// are only ever read up to their length, writers are serialised (the writer
// token), and an uncommitted append beyond a committed slice's length is
// invisible to its readers and simply overwritten by the next writer if its
// transaction is dropped.
func (t *tx) AddMembers(ctx context.Context, groupID string, members []store.Member) ([]store.Member, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	cur := t.lookup(store.Group, groupID)
	if cur == nil {
		return nil, fmt.Errorf("%w: Group %q", store.ErrNotFound, groupID)
	}
	add, err := t.newMembers(groupID, cur.members, t.memberCheck(groupID, cur, len(members)), members)
	if err != nil || len(add) == 0 {
		return nil, err
	}
	g := cur.clone()
	g.members = append(cur.members, add...)
	if t.committedGroup(groupID) {
		for _, r := range add {
			t.ov.logAdded(groupID, r)
		}
	}
	g.version++
	g.modified = t.s.clock()
	t.ov.put(ref{store.Group, groupID}, g)
	t.touchUsers(add, g.modified)
	return t.publicMembers(add), nil
}

// RemoveMembers removes the members with the given ids, of either type,
// from the group, and returns the ones it removed.
func (t *tx) RemoveMembers(ctx context.Context, groupID string, memberIDs []string) ([]store.Member, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	cur := t.lookup(store.Group, groupID)
	if cur == nil {
		return nil, fmt.Errorf("%w: Group %q", store.ErrNotFound, groupID)
	}
	drop := make(map[string]struct{}, len(memberIDs))
	isMember := t.memberCheck(groupID, cur, 2*len(memberIDs))
	for _, id := range memberIDs {
		if isMember(ref{store.User, id}) || isMember(ref{store.Group, id}) {
			drop[id] = struct{}{}
		}
	}
	if len(drop) == 0 {
		return nil, nil
	}
	kept := make([]ref, 0, len(cur.members))
	var removed []ref
	for _, m := range cur.members {
		if _, ok := drop[m.id]; !ok {
			kept = append(kept, m)
		} else {
			removed = append(removed, m)
		}
	}
	g := cur.clone()
	g.members = kept
	if t.committedGroup(groupID) {
		for _, r := range removed {
			t.ov.logRemoved(groupID, r)
		}
	}
	g.version++
	g.modified = t.s.clock()
	t.ov.put(ref{store.Group, groupID}, g)
	t.touchUsers(removed, g.modified)
	return t.publicMembers(removed), nil
}
