package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// Update runs fn in one database transaction on scope: committed if fn
// returns nil, rolled back if it returns an error or panics. fn runs once.
// Before committing, Update writes the version bumps of the users whose
// groups fn changed (see flush); should a user fn added to a group have
// been deleted meanwhile by another transaction, it rolls back and returns
// an error wrapping store.ErrInvalidMember.
func (s *Store) Update(ctx context.Context, scope store.Scope, fn func(ctx context.Context, tx store.Tx) error) (err error) {
	if s.d == SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	t := &tx{s: s, tx: sqlTx, run: s.inTx(sqlTx), scope: scope}
	committed := false
	defer func() {
		t.done = true
		if !committed {
			_ = sqlTx.Rollback()
		}
		t.run.done()
	}()
	if err := fn(ctx, t); err != nil {
		return err
	}
	if err := t.flush(ctx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	committed = true
	return nil
}

// TxOf returns the *sql.Tx behind a store.Tx of this package, so code that
// runs inside Store.Update (the host app's lifecycle hooks) can change its
// own tables in the same commit as the SCIM state. (Reading the store's
// tables through it may show users' versions before the bumps from
// membership changes, which are written at commit or when the store.Tx
// next reads users.)
func TxOf(storeTx store.Tx) (*sql.Tx, bool) {
	t, ok := storeTx.(*tx)
	if !ok || t.done {
		return nil, false
	}
	return t.tx, true
}

type tx struct {
	s  *Store
	tx *sql.Tx
	// run runs the statements of the transaction (through the store's
	// statement cache): every statement goes through exec, queryRow or
	// each.
	run   *runner
	scope store.Scope
	done  bool
	// used records that a method of the transaction has run: only its
	// first call, when it is a Get, reads the resource the transaction
	// then writes (see lockSubject).
	used bool
	// subjects are the resources lockSubject has locked.
	subjects map[string]bool
	// pending are the version bumps of users whose groups changed, not
	// yet written (see flush).
	pending map[string]pendingBump
}

// pendingBump is a deferred version bump: n increments, the last at the
// time at (Unix milliseconds). added marks a user just made a member,
// which must still exist when the bump is written.
type pendingBump struct {
	n, at int64
	added bool
}

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.run.exec(ctx, q, args...)
}

// queryRow runs q for at most one row; its Scan must be called.
func (t *tx) queryRow(ctx context.Context, q string, args ...any) row {
	return t.run.queryRow(ctx, q, args...)
}

var errTxDone = errors.New("sqlstore: transaction already finished")

func (t *tx) check(ctx context.Context) error {
	if t.done {
		return errTxDone
	}
	t.used = true
	return ctx.Err()
}

// Get reads a resource. As the transaction's first call it is taken to
// begin a read-modify-write of the resource (the SCIM handler's PUT, PATCH
// and DELETE all begin so), and on PostgreSQL it takes the locks for
// writing it (lockSubject), so that concurrent writers of the resource
// queue rather than conflict. Later Gets only read: the writes that
// follow lock what they change, in the lock order.
func (t *tx) Get(ctx context.Context, typ store.ResourceType, id string) (*store.Resource, error) {
	first := !t.used
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	if err := t.flushFor(ctx, typ); err != nil {
		return nil, err
	}
	if first {
		if err := t.lockSubject(ctx, typ, id); err != nil {
			return nil, err
		}
	}
	return t.s.get(ctx, t.run, t.scope, typ, id)
}

// List reads a page. With q.ForUpdate on PostgreSQL it locks the page's
// resources for writing (lockSubject, as Get does) and reads the page
// again under those locks, so that a version it returns cannot change
// before the transaction ends.
func (t *tx) List(ctx context.Context, typ store.ResourceType, q store.Query) (*store.Page, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	if err := t.flushFor(ctx, typ); err != nil {
		return nil, err
	}
	if q.ForUpdate && t.s.d == PostgreSQL {
		// A filter of ids only (the handler's group-head read is
		// id eq "..."): the ids are known before reading, so they are
		// locked first and the page is read once, under the locks.
		if ids, ok := idsOf(q.Filter); ok {
			for _, id := range ids {
				if err := t.lockSubject(ctx, typ, id); err != nil {
					return nil, err
				}
			}
			return t.s.list(ctx, t.run, t.scope, typ, q)
		}
	}
	page, err := t.s.list(ctx, t.run, t.scope, typ, q)
	if err != nil || !q.ForUpdate || t.s.d != PostgreSQL || len(page.Resources) == 0 {
		return page, err
	}
	for _, r := range page.Resources {
		if err := t.lockSubject(ctx, typ, r.ID); err != nil {
			return nil, err
		}
	}
	return t.s.list(ctx, t.run, t.scope, typ, q)
}

// maxLockFirst is how many ids a filter may name for List to lock them
// before reading (idsOf).
const maxLockFirst = 100

// idsOf returns, sorted, the ids a filter selects when it selects by id
// only (id eq, and or of them) and names at most maxLockFirst.
func idsOf(f *filter.Filter) ([]string, bool) {
	lookups, ok := f.IndexLookups()
	if !ok || len(lookups) != 1 || lookups[0].Attr != "id" || len(lookups[0].Values) > maxLockFirst {
		return nil, false
	}
	return slices.Sorted(slices.Values(lookups[0].Values)), true
}

// indexed holds the column values a resource's attributes give.
type indexed struct {
	userName, userNameFold       any
	externalID, externalIDFold   any
	displayName, displayNameFold any
	doc, docFold                 []byte
}

func (t *tx) index(r *store.Resource) (indexed, error) {
	var ix indexed
	str := func(v string) (any, any) {
		if v == "" {
			return nil, nil
		}
		return v, filter.Fold(v)
	}
	if r.Type == store.User {
		ix.userName, ix.userNameFold = str(r.UserName())
	}
	ix.externalID, ix.externalIDFold = str(r.ExternalID())
	ix.displayName, ix.displayNameFold = str(r.DisplayName())
	attrs := r.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	var err error
	if ix.doc, err = json.Marshal(attrs); err != nil {
		return ix, fmt.Errorf("sqlstore: encoding attributes: %w", err)
	}
	if ix.docFold, err = json.Marshal(filter.FoldDocument(attrs)); err != nil {
		return ix, fmt.Errorf("sqlstore: encoding attributes: %w", err)
	}
	return ix, nil
}

func (t *tx) Create(ctx context.Context, r *store.Resource) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if r.Type != store.User && r.Type != store.Group {
		return fmt.Errorf("sqlstore: create: unsupported resource type %q", r.Type)
	}
	if r.ID == "" {
		return errors.New("sqlstore: create: empty id")
	}
	if r.Type == store.Group {
		if _, err := t.checkMembers(ctx, r.ID, r.Members); err != nil {
			return err
		}
	}
	ix, err := t.index(r)
	if err != nil {
		return err
	}
	seq, err := t.nextSeq(ctx)
	if err != nil {
		return err
	}
	now := t.s.clock()
	b := t.s.query()
	b.w("INSERT INTO ", t.s.t.resources, " (tenant, directory, id, type, seq, user_name, user_name_fold, external_id, external_id_fold,",
		" display_name, display_name_fold, created, last_modified, version, doc, doc_fold) VALUES (",
		b.arg(t.scope.Tenant), ", ", b.arg(t.scope.Directory), ", ", b.arg(r.ID), ", ", b.arg(string(r.Type)), ", ", b.arg(seq), ", ",
		b.arg(ix.userName), ", ", b.arg(ix.userNameFold), ", ", b.arg(ix.externalID), ", ", b.arg(ix.externalIDFold), ", ",
		b.arg(ix.displayName), ", ", b.arg(ix.displayNameFold), ", ", b.arg(now.UnixMilli()), ", ", b.arg(now.UnixMilli()), ", 1, ",
		b.arg(string(ix.doc)), ", ", b.arg(string(ix.docFold)), ")")
	if err := t.execGuarded(ctx, b); err != nil {
		if isUnique(err) {
			if strings.Contains(err.Error(), "user_name") {
				return fmt.Errorf("%w: userName %q already exists", store.ErrUniqueness, r.UserName())
			}
			return fmt.Errorf("%w: id %q already exists", store.ErrUniqueness, r.ID)
		}
		return fmt.Errorf("sqlstore: create: %w", err)
	}
	if r.Type == store.Group {
		added, err := t.insertMembers(ctx, r.ID, r.Members)
		if err != nil {
			return err
		}
		t.bumpUsers(added, true)
	}
	r.Created, r.LastModified, r.Version = now, now, 1
	return nil
}

func (t *tx) Replace(ctx context.Context, r *store.Resource) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if err := t.flushFor(ctx, r.Type); err != nil {
		return err
	}
	if err := t.lockSubject(ctx, r.Type, r.ID); err != nil {
		return err
	}
	ix, err := t.index(r)
	if err != nil {
		return err
	}
	oldDisplay, err := t.displayOf(ctx, r.ID)
	if err != nil {
		return err
	}
	now := t.s.clock()
	b := t.s.query()
	b.w("UPDATE ", t.s.t.resources, " SET user_name = ", b.arg(ix.userName), ", user_name_fold = ", b.arg(ix.userNameFold),
		", external_id = ", b.arg(ix.externalID), ", external_id_fold = ", b.arg(ix.externalIDFold),
		", display_name = ", b.arg(ix.displayName), ", display_name_fold = ", b.arg(ix.displayNameFold),
		", doc = ", b.arg(string(ix.doc)), ", doc_fold = ", b.arg(string(ix.docFold)),
		", last_modified = ", b.arg(now.UnixMilli()), ", version = version + 1",
		" WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory), " AND id = ", b.arg(r.ID),
		" AND type = ", b.arg(string(r.Type)), " AND version = ", b.arg(r.Version), " RETURNING version, created")
	var version, created int64
	err = t.guard(ctx, func() error {
		return t.queryRow(ctx, b.String(), b.args...).Scan(&version, &created)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		cur, gerr := t.s.get(ctx, t.run, t.scope, r.Type, r.ID)
		if gerr != nil {
			return gerr
		}
		return fmt.Errorf("%w: %s %q is at version %d, not %d", store.ErrVersionConflict, r.Type, r.ID, cur.Version, r.Version)
	case err != nil && isUnique(err):
		return fmt.Errorf("%w: userName %q already exists", store.ErrUniqueness, r.UserName())
	case err != nil:
		return fmt.Errorf("sqlstore: replace: %w", err)
	}
	r.Version, r.LastModified, r.Created = version, now, time.UnixMilli(created)
	newDisplay := r.DisplayName()
	if newDisplay == "" && r.Type == store.User {
		newDisplay = r.UserName()
	}
	if newDisplay != oldDisplay {
		// Display values shown elsewhere changed: in the groups listing it
		// as a member, and, for a group, in its users' groups (groups
		// first: the lock order).
		if err := t.bumpWhere(ctx, store.Group, t.groupsOf(r.ID)); err != nil {
			return err
		}
		if r.Type == store.Group {
			if err := t.bumpUsersOf(ctx, r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// displayOf returns a resource's display value as members show it:
// displayName, else userName ("" when it does not exist).
func (t *tx) displayOf(ctx context.Context, id string) (string, error) {
	b := t.s.query()
	b.w("SELECT COALESCE(display_name, user_name, '') FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant),
		" AND directory = ", b.arg(t.scope.Directory), " AND id = ", b.arg(id))
	var d string
	err := t.queryRow(ctx, b.String(), b.args...).Scan(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sqlstore: reading display: %w", err)
	}
	return d, nil
}

func (t *tx) Delete(ctx context.Context, typ store.ResourceType, id string) error {
	if err := t.check(ctx); err != nil {
		return err
	}
	if err := t.flushFor(ctx, typ); err != nil {
		return err
	}
	if err := t.lockSubject(ctx, typ, id); err != nil {
		return err
	}
	b := t.s.query()
	b.w("DELETE FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
		" AND id = ", b.arg(id), " AND type = ", b.arg(string(typ)))
	res, err := t.exec(ctx, b.String(), b.args...)
	if err != nil {
		return fmt.Errorf("sqlstore: delete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s %q", store.ErrNotFound, typ, id)
	}
	// The groups it was in change, and, for a group, its users' groups:
	// bump them (groups first: the lock order), then drop the memberships.
	if err := t.bumpWhere(ctx, store.Group, t.groupsOf(id)); err != nil {
		return err
	}
	if typ == store.Group {
		if err := t.bumpUsersOf(ctx, id); err != nil {
			return err
		}
		b = t.s.query()
		b.w("DELETE FROM ", t.s.t.members, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
			" AND group_id = ", b.arg(id))
		if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
			return fmt.Errorf("sqlstore: delete: %w", err)
		}
	}
	b = t.s.query()
	b.w("DELETE FROM ", t.s.t.members, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
		" AND member_id = ", b.arg(id))
	if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
		return fmt.Errorf("sqlstore: delete: %w", err)
	}
	return nil
}

func (t *tx) AddMembers(ctx context.Context, groupID string, members []store.Member) ([]store.Member, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	if err := t.lockGroup(ctx, groupID); err != nil {
		return nil, err
	}
	display, err := t.checkMembers(ctx, groupID, members)
	if err != nil {
		return nil, err
	}
	added, err := t.insertMembers(ctx, groupID, members)
	if err != nil || len(added) == 0 {
		return nil, err
	}
	for i := range added {
		added[i].Display = display[added[i].Value]
	}
	t.bumpUsers(added, true)
	return added, t.bump(ctx, groupID)
}

func (t *tx) RemoveMembers(ctx context.Context, groupID string, memberIDs []string) ([]store.Member, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	if err := t.lockGroup(ctx, groupID); err != nil {
		return nil, err
	}
	var removed []store.Member
	for _, chunk := range chunks(memberIDs, 500) {
		b := t.s.query()
		b.w("DELETE FROM ", t.s.t.members, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
			" AND group_id = ", b.arg(groupID), " AND member_id IN (", b.list(chunk), ") RETURNING member_id, member_type")
		err := t.run.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
			var id, typ string
			if err := rows.Scan(&id, &typ); err != nil {
				return err
			}
			removed = append(removed, store.Member{Value: id, Type: store.ResourceType(typ)})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sqlstore: remove members: %w", err)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	ids := make([]string, len(removed))
	for i, m := range removed {
		ids[i] = m.Value
	}
	display, err := t.displays(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range removed {
		removed[i].Display = display[removed[i].Value]
	}
	t.bumpUsers(removed, false)
	return removed, t.bump(ctx, groupID)
}

// displays returns the display values (as members show them) of the
// resources with the given ids, keyed by id.
func (t *tx) displays(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, chunk := range chunks(ids, 500) {
		b := t.s.query()
		b.w("SELECT id, COALESCE(display_name, user_name, '') FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant),
			" AND directory = ", b.arg(t.scope.Directory), " AND id IN (", b.list(chunk), ")")
		err := t.run.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
			var id, d string
			if err := rows.Scan(&id, &d); err != nil {
				return err
			}
			out[id] = d
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sqlstore: reading display values: %w", err)
		}
	}
	return out, nil
}

// maxLockAttempts bounds retryLocks: how often lockSubject takes its locks
// again when the resource's groups keep changing while it waits for its
// row, or when it is chosen to break a deadlock.
const maxLockAttempts = 5

// lockSubject takes, on PostgreSQL, the locks for writing (replacing or
// deleting) the resource id, which bumps the groups it is a direct member
// of: FOR NO KEY UPDATE on those groups, in id order, then FOR UPDATE on
// its own row.
//
// The lock order. Every write path takes its row locks groups first, then
// users, each kind in id order, and up front in the strongest mode it
// will need (PostgreSQL can deadlock a transaction that strengthens a row
// lock it holds while another waits for that row), so no two transactions
// wait for each other:
//
//   - a user's writer locks its groups, then the user (lockSubject);
//   - a group's writer locks the group FOR UPDATE (lockSubject, or
//     lockGroup for AddMembers and RemoveMembers), then, when it commits,
//     the users whose versions it bumps (flush), in one pass;
//   - a member group is locked FOR KEY SHARE, so it cannot be deleted
//     before the membership commits (checkMembers); a member user cannot
//     be either, as flush locks and checks it.
//
// So a group's writer waits for a writer of one of its users, which never
// waits for it: that user's groups, the group among them, were locked
// first. The cost is that writers of users in a common group take turns.
//
// The groups are read before the row is locked, so a membership committed
// in between would be missed; none can commit once the row is locked
// (committing one bumps, so locks, the member), so the groups are read
// again, and if any is new the locks are undone (ROLLBACK TO SAVEPOINT
// releases them) and taken again.
func (t *tx) lockSubject(ctx context.Context, typ store.ResourceType, id string) error {
	if t.s.d != PostgreSQL || t.subjects[id] {
		return nil
	}
	found := false
	err := t.retryLocks(ctx, func() (bool, error) {
		locked, err := t.groupIDs(ctx, id, " FOR NO KEY UPDATE")
		if err != nil {
			return false, err
		}
		b := t.s.query()
		b.w("SELECT id FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
			" AND id = ", b.arg(id), " AND type = ", b.arg(string(typ)), " FOR UPDATE")
		var got string
		err = t.queryRow(ctx, b.String(), b.args...).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			// A missing resource is left to the caller to report.
			found = false
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("sqlstore: lock %s %q: %w", typ, id, err)
		}
		found = true
		now, err := t.groupIDs(ctx, id, "")
		if err != nil {
			return false, err
		}
		for g := range now {
			if !locked[g] {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	if found {
		if t.subjects == nil {
			t.subjects = map[string]bool{}
		}
		t.subjects[id] = true
	}
	return nil
}

// retryLocks runs lock, which only takes row locks, in a savepoint (on
// PostgreSQL). When lock asks to (again is true), or fails with a
// deadlock, the savepoint is rolled back, which releases the locks it
// took, and lock runs again after a short jittered pause, up to
// maxLockAttempts times; the last attempt's request to run again is
// ignored.
//
// The lock order rules deadlocks out for transactions that write one
// resource, as the SCIM handler's do; one that writes several, or nested
// groups, can still cross it. The locks are usually a transaction's first,
// so backing them off, rather than failing it, then resolves the deadlock
// without running the caller's code again.
func (t *tx) retryLocks(ctx context.Context, lock func() (again bool, err error)) error {
	if _, err := t.exec(ctx, "SAVEPOINT scimkit_lock"); err != nil {
		return fmt.Errorf("sqlstore: lock: %w", err)
	}
	for attempt := 1; ; attempt++ {
		again, err := lock()
		last := attempt >= maxLockAttempts
		switch {
		case err != nil && (!isDeadlock(err) || last):
			return err
		case err == nil && (!again || last):
			if _, err := t.exec(ctx, "RELEASE SAVEPOINT scimkit_lock"); err != nil {
				return fmt.Errorf("sqlstore: lock: %w", err)
			}
			return nil
		}
		// Undo the locks; the savepoint stays for the next attempt.
		if _, err := t.exec(ctx, "ROLLBACK TO SAVEPOINT scimkit_lock"); err != nil {
			return fmt.Errorf("sqlstore: lock: %w", err)
		}
		if err != nil {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
	}
}

// backoff sleeps a few jittered milliseconds, more after each attempt,
// or until ctx is done.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(attempt) * time.Millisecond * time.Duration(1+rand.IntN(5))
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// groupIDs returns the groups id is a direct member of, in id order,
// with lock (a locking clause, or "") applied to their rows.
func (t *tx) groupIDs(ctx context.Context, id, lock string) (map[string]bool, error) {
	b := t.s.query()
	b.w("SELECT id FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
		" AND ", t.s.typeCol(), " = 'Group' AND id IN (", t.groupsOf(id)(b), ") ORDER BY id", lock)
	out := map[string]bool{}
	err := t.run.eachString(ctx, b.String(), b.args, func(g string) { out[g] = true })
	if err != nil {
		return nil, fmt.Errorf("sqlstore: reading groups of %q: %w", id, err)
	}
	return out, nil
}

// lockGroup checks that the group exists, locking its row FOR UPDATE in
// PostgreSQL so concurrent membership changes queue (and so that, by the
// lock order, no transaction holding one of its users waits for it).
func (t *tx) lockGroup(ctx context.Context, groupID string) error {
	b := t.s.query()
	b.w("SELECT version FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
		" AND id = ", b.arg(groupID), " AND type = ", b.arg(string(store.Group)))
	if t.s.d == PostgreSQL {
		b.w(" FOR UPDATE")
	}
	var v int64
	err := t.queryRow(ctx, b.String(), b.args...).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: Group %q", store.ErrNotFound, groupID)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: group %q: %w", groupID, err)
	}
	return nil
}

// checkMembers verifies that every member exists in the scope with its
// Type, and that a group is not made a member of itself. It returns the
// members' display values by id.
func (t *tx) checkMembers(ctx context.Context, groupID string, members []store.Member) (display map[string]string, err error) {
	seen := make(map[string]bool, len(members))
	ids := make([]string, 0, len(members))
	var groups []string
	for _, m := range members {
		if m.Type != store.User && m.Type != store.Group {
			return nil, fmt.Errorf("%w: member %q has type %q", store.ErrInvalidMember, m.Value, m.Type)
		}
		if m.Value == groupID {
			return nil, fmt.Errorf("%w: group %q cannot be a member of itself", store.ErrInvalidMember, groupID)
		}
		if !seen[m.Value] {
			seen[m.Value] = true
			ids = append(ids, m.Value)
			if m.Type == store.Group {
				groups = append(groups, m.Value)
			}
		}
	}
	if t.s.d == PostgreSQL && len(groups) > 0 {
		// Member groups must still exist at commit: FOR KEY SHARE keeps
		// them from being deleted, as a foreign key check would. (Member
		// users are locked, and checked again, by flush.)
		sort.Strings(groups)
		for _, chunk := range chunks(groups, 500) {
			b := t.s.query()
			b.w("SELECT id FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
				" AND type = 'Group' AND id IN (", b.list(chunk), ") ORDER BY id FOR KEY SHARE")
			if err := t.run.each(ctx, b.String(), b.args, func(*sql.Rows) error { return nil }); err != nil {
				return nil, fmt.Errorf("sqlstore: checking members: %w", err)
			}
		}
	}
	found := make(map[string]string, len(ids))
	display = make(map[string]string, len(ids))
	for _, chunk := range chunks(ids, 500) {
		b := t.s.query()
		b.w("SELECT id, type, COALESCE(display_name, user_name, '') FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
			" AND id IN (", b.list(chunk), ")")
		err := t.run.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
			var id, typ, d string
			if err := rows.Scan(&id, &typ, &d); err != nil {
				return err
			}
			found[id], display[id] = typ, d
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("sqlstore: checking members: %w", err)
		}
	}
	for _, m := range members {
		if found[m.Value] != string(m.Type) {
			return nil, fmt.Errorf("%w: no %s %q", store.ErrInvalidMember, m.Type, m.Value)
		}
	}
	return display, nil
}

// insertMembers adds membership rows, ignoring existing ones, and returns
// the members it added.
func (t *tx) insertMembers(ctx context.Context, groupID string, members []store.Member) ([]store.Member, error) {
	var added []store.Member
	for _, m := range members {
		seq, err := t.nextSeq(ctx)
		if err != nil {
			return nil, err
		}
		b := t.s.query()
		b.w("INSERT INTO ", t.s.t.members, " (tenant, directory, group_id, member_id, member_type, seq) VALUES (",
			b.arg(t.scope.Tenant), ", ", b.arg(t.scope.Directory), ", ", b.arg(groupID), ", ", b.arg(m.Value), ", ",
			b.arg(string(m.Type)), ", ", b.arg(seq), ") ON CONFLICT DO NOTHING")
		res, err := t.exec(ctx, b.String(), b.args...)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: add member: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added = append(added, m)
		}
	}
	return added, nil
}

// bumpWhere bumps the version of every resource of type typ in the scope
// whose id the subquery ids (written with b's placeholders) selects: a
// change to their derived attributes (see store.Resource.Version). It
// bumps groups, which the transaction has locked already (lockSubject); on
// PostgreSQL it locks them again, in id order, in case it has not.
func (t *tx) bumpWhere(ctx context.Context, typ store.ResourceType, ids func(b *builder) string) error {
	b := t.s.query()
	b.w("UPDATE ", t.s.t.resources, " SET version = version + 1, last_modified = ", b.arg(t.s.clock().UnixMilli()),
		" WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory), " AND ", t.s.typeCol(), " = ", b.arg(string(typ)), " AND id IN (")
	if t.s.d == PostgreSQL {
		b.w("SELECT id FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
			" AND type = ", b.arg(string(typ)), " AND id IN (")
		b.w(ids(b), ") ORDER BY id FOR NO KEY UPDATE")
	} else {
		b.w(ids(b))
	}
	b.w(")")
	if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
		return fmt.Errorf("sqlstore: bump versions: %w", err)
	}
	return nil
}

// groupsOf is a subquery for bumpWhere: the groups id is a direct member
// of.
func (t *tx) groupsOf(id string) func(b *builder) string {
	return func(b *builder) string {
		return "SELECT group_id FROM " + t.s.t.members + " WHERE tenant = " + b.arg(t.scope.Tenant) +
			" AND directory = " + b.arg(t.scope.Directory) + " AND member_id = " + b.arg(id)
	}
}

// bumpUsers records that the users among members changed (their groups
// did); flush writes the bumps. added says they were just made members.
func (t *tx) bumpUsers(members []store.Member, added bool) {
	at := t.s.clock().UnixMilli()
	for _, m := range members {
		if m.Type != store.User {
			continue
		}
		if t.pending == nil {
			t.pending = map[string]pendingBump{}
		}
		p := t.pending[m.Value]
		t.pending[m.Value] = pendingBump{n: p.n + 1, at: at, added: p.added || added}
	}
}

// bumpUsersOf records that the users that are direct members of group id
// changed (the group was renamed or deleted).
func (t *tx) bumpUsersOf(ctx context.Context, id string) error {
	b := t.s.query()
	b.w("SELECT member_id FROM ", t.s.t.members, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
		" AND group_id = ", b.arg(id), " AND member_type = 'User'")
	var users []store.Member
	err := t.run.eachString(ctx, b.String(), b.args, func(u string) { users = append(users, store.Member{Value: u, Type: store.User}) })
	if err != nil {
		return fmt.Errorf("sqlstore: reading members of %q: %w", id, err)
	}
	t.bumpUsers(users, false)
	return nil
}

// flushFor flushes the pending bumps before the transaction reads or
// writes users, so it sees them.
func (t *tx) flushFor(ctx context.Context, typ store.ResourceType) error {
	if typ != store.User {
		return nil
	}
	return t.flush(ctx)
}

// flush writes the pending version bumps of users.
//
// A group's writers bump its users' versions, and a transaction may make
// several such changes (a PUT renames the group, removes members and adds
// others). Were each bump written at once, two transactions could lock one
// another's users in alternating batches and deadlock; deferred, every
// transaction locks all the users it bumps once, in id order. Update
// flushes before committing, and the transaction before reading or
// writing users, so its own reads see the bumps.
func (t *tx) flush(ctx context.Context) error {
	if len(t.pending) == 0 {
		return nil
	}
	ids := make([]string, 0, len(t.pending))
	for id := range t.pending {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, chunk := range chunks(ids, 500) {
		b := t.s.query()
		b.w("SELECT id FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
			" AND ", t.s.typeCol(), " = 'User' AND id IN (", b.list(chunk), ")")
		if t.s.d == PostgreSQL {
			b.w(" ORDER BY id FOR NO KEY UPDATE")
		}
		exists := make(map[string]bool, len(chunk))
		err := t.run.eachString(ctx, b.String(), b.args, func(id string) { exists[id] = true })
		if err != nil {
			return fmt.Errorf("sqlstore: bump versions: %w", err)
		}
		// The rows are locked: update them a batch per distinct bump.
		type bump struct{ n, at int64 }
		batches := map[bump][]string{}
		var order []bump
		for _, id := range chunk {
			p := t.pending[id]
			if !exists[id] {
				if p.added {
					// Deleted since AddMembers or Create checked it.
					return fmt.Errorf("%w: no User %q", store.ErrInvalidMember, id)
				}
				continue
			}
			k := bump{p.n, p.at}
			if batches[k] == nil {
				order = append(order, k)
			}
			batches[k] = append(batches[k], id)
		}
		for _, k := range order {
			b := t.s.query()
			b.w("UPDATE ", t.s.t.resources, " SET version = version + ", b.arg(k.n), ", last_modified = ", b.arg(k.at),
				" WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
				" AND ", t.s.typeCol(), " = 'User' AND id IN (", b.list(batches[k]), ")")
			if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
				return fmt.Errorf("sqlstore: bump versions: %w", err)
			}
		}
	}
	t.pending = nil
	return nil
}

// bump records a change to a resource that is not an attribute write.
func (t *tx) bump(ctx context.Context, id string) error {
	b := t.s.query()
	b.w("UPDATE ", t.s.t.resources, " SET version = version + 1, last_modified = ", b.arg(t.s.clock().UnixMilli()),
		" WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory), " AND id = ", b.arg(id))
	if _, err := t.exec(ctx, b.String(), b.args...); err != nil {
		return fmt.Errorf("sqlstore: bump version: %w", err)
	}
	return nil
}

func (t *tx) nextSeq(ctx context.Context) (int64, error) {
	var n int64
	var err error
	if t.s.d == PostgreSQL {
		err = t.queryRow(ctx, "SELECT nextval('"+t.s.prefix+"seq')").Scan(&n)
	} else {
		err = t.queryRow(ctx, "UPDATE "+t.s.t.counter+" SET n = n + 1 WHERE name = 'seq' RETURNING n").Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: sequence: %w", err)
	}
	return n, nil
}

// execGuarded runs a statement that may violate a constraint.
func (t *tx) execGuarded(ctx context.Context, b *builder) error {
	return t.guard(ctx, func() error {
		_, err := t.exec(ctx, b.String(), b.args...)
		return err
	})
}

// guard runs fn so that a constraint violation leaves the transaction
// usable: PostgreSQL aborts a transaction on any error, so the statement
// runs inside a savepoint that is rolled back on failure.
func (t *tx) guard(ctx context.Context, fn func() error) error {
	if t.s.d != PostgreSQL {
		return fn()
	}
	if _, err := t.exec(ctx, "SAVEPOINT scimkit_stmt"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := t.exec(ctx, "ROLLBACK TO SAVEPOINT scimkit_stmt"); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	_, err := t.exec(ctx, "RELEASE SAVEPOINT scimkit_stmt")
	return err
}

// isDeadlock reports PostgreSQL's deadlock_detected.
func isDeadlock(err error) bool {
	var pe interface{ SQLState() string }
	return errors.As(err, &pe) && pe.SQLState() == "40P01"
}

// typeCol is the type column for a WHERE clause that also lists ids
// (id IN (…)): on SQLite it carries a unary plus, which keeps the planner
// from taking the (tenant, directory, type, …) indexes, whose type prefix
// it rates as selective as the id list, and scanning every resource of the
// type instead of looking the ids up by primary key (a group create at
// 100k users went from 12 to 100 ms). PostgreSQL has statistics and no
// unary plus on text.
func (s *Store) typeCol() string {
	if s.d == SQLite {
		return "+type"
	}
	return "type"
}

// isBusy reports SQLite's SQLITE_BUSY (any extended code), which the busy
// timeout does not always absorb: a connection switching a new database
// to WAL, or one that would deadlock waiting, gets it at once.
func isBusy(err error) bool {
	var se sqliteError
	return errors.As(err, &se) && se.Code()&0xff == 5
}

// sqliteError is the method of modernc.org/sqlite's *Error that carries
// SQLite's (extended) result code, matched by shape so that this package
// does not import the driver (package sqlite does).
type sqliteError interface{ Code() int }

// isUnique reports a unique-constraint violation in either dialect.
func isUnique(err error) bool {
	var se sqliteError
	if errors.As(err, &se) {
		// SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
		return se.Code() == 2067 || se.Code() == 1555
	}
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		return pe.SQLState() == "23505"
	}
	return false
}
