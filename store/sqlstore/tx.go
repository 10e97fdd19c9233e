package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// Update runs fn in one database transaction on scope: committed if fn
// returns nil, rolled back if it returns an error or panics.
func (s *Store) Update(ctx context.Context, scope store.Scope, fn func(ctx context.Context, tx store.Tx) error) (err error) {
	if s.d == SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	t := &tx{s: s, tx: sqlTx, scope: scope}
	committed := false
	defer func() {
		t.done = true
		if !committed {
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(ctx, t); err != nil {
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
// own tables in the same commit as the SCIM state.
func TxOf(storeTx store.Tx) (*sql.Tx, bool) {
	t, ok := storeTx.(*tx)
	if !ok || t.done {
		return nil, false
	}
	return t.tx, true
}

type tx struct {
	s     *Store
	tx    *sql.Tx
	scope store.Scope
	done  bool
}

var errTxDone = errors.New("sqlstore: transaction already finished")

func (t *tx) check(ctx context.Context) error {
	if t.done {
		return errTxDone
	}
	return ctx.Err()
}

func (t *tx) Get(ctx context.Context, typ store.ResourceType, id string) (*store.Resource, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.get(ctx, t.tx, t.scope, typ, id, true)
}

func (t *tx) List(ctx context.Context, typ store.ResourceType, q store.Query) (*store.Page, error) {
	if err := t.check(ctx); err != nil {
		return nil, err
	}
	return t.s.list(ctx, t.tx, t.scope, typ, q)
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
		if err := t.bumpUsers(ctx, added); err != nil {
			return err
		}
	}
	r.Created, r.LastModified, r.Version = now, now, 1
	return nil
}

func (t *tx) Replace(ctx context.Context, r *store.Resource) error {
	if err := t.check(ctx); err != nil {
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
		return t.tx.QueryRowContext(ctx, b.String(), b.args...).Scan(&version, &created)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		cur, gerr := t.s.get(ctx, t.tx, t.scope, r.Type, r.ID, false)
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
		// as a member, and, for a group, in its users' groups.
		if err := t.bumpWhere(ctx, "SELECT group_id FROM "+t.s.t.members+" WHERE tenant = ? AND directory = ? AND member_id = ?",
			t.scope.Tenant, t.scope.Directory, r.ID); err != nil {
			return err
		}
		if r.Type == store.Group {
			if err := t.bumpWhere(ctx, "SELECT member_id FROM "+t.s.t.members+" WHERE tenant = ? AND directory = ? AND group_id = ? AND member_type = 'User'",
				t.scope.Tenant, t.scope.Directory, r.ID); err != nil {
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
	err := t.tx.QueryRowContext(ctx, b.String(), b.args...).Scan(&d)
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
	b := t.s.query()
	b.w("DELETE FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
		" AND id = ", b.arg(id), " AND type = ", b.arg(string(typ)))
	res, err := t.tx.ExecContext(ctx, b.String(), b.args...)
	if err != nil {
		return fmt.Errorf("sqlstore: delete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: %s %q", store.ErrNotFound, typ, id)
	}
	if typ == store.Group {
		if err := t.bumpWhere(ctx, "SELECT member_id FROM "+t.s.t.members+" WHERE tenant = ? AND directory = ? AND group_id = ? AND member_type = 'User'",
			t.scope.Tenant, t.scope.Directory, id); err != nil {
			return err
		}
		b = t.s.query()
		b.w("DELETE FROM ", t.s.t.members, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
			" AND group_id = ", b.arg(id))
		if _, err := t.tx.ExecContext(ctx, b.String(), b.args...); err != nil {
			return fmt.Errorf("sqlstore: delete: %w", err)
		}
	}
	// The groups it was in change: bump them, then drop the memberships.
	b = t.s.query()
	b.w("UPDATE ", t.s.t.resources, " SET version = version + 1, last_modified = ", b.arg(t.s.clock().UnixMilli()),
		" WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory), " AND id IN (SELECT group_id FROM ",
		t.s.t.members, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory), " AND member_id = ", b.arg(id), ")")
	if _, err := t.tx.ExecContext(ctx, b.String(), b.args...); err != nil {
		return fmt.Errorf("sqlstore: delete: %w", err)
	}
	b = t.s.query()
	b.w("DELETE FROM ", t.s.t.members, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
		" AND member_id = ", b.arg(id))
	if _, err := t.tx.ExecContext(ctx, b.String(), b.args...); err != nil {
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
	if err := t.bumpUsers(ctx, added); err != nil {
		return nil, err
	}
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
		err := each(ctx, t.tx, b.String(), b.args, func(rows *sql.Rows) error {
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
	if err := t.bumpUsers(ctx, removed); err != nil {
		return nil, err
	}
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
		err := each(ctx, t.tx, b.String(), b.args, func(rows *sql.Rows) error {
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

// lockGroup checks that the group exists, locking its row in PostgreSQL so
// concurrent membership changes queue.
func (t *tx) lockGroup(ctx context.Context, groupID string) error {
	b := t.s.query()
	b.w("SELECT version FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
		" AND id = ", b.arg(groupID), " AND type = ", b.arg(string(store.Group)))
	if t.s.d == PostgreSQL {
		b.w(" FOR UPDATE")
	}
	var v int64
	err := t.tx.QueryRowContext(ctx, b.String(), b.args...).Scan(&v)
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
		}
	}
	found := make(map[string]string, len(ids))
	display = make(map[string]string, len(ids))
	for _, chunk := range chunks(ids, 500) {
		b := t.s.query()
		b.w("SELECT id, type, COALESCE(display_name, user_name, '') FROM ", t.s.t.resources, " WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
			" AND id IN (", b.list(chunk), ")")
		err := each(ctx, t.tx, b.String(), b.args, func(rows *sql.Rows) error {
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
		res, err := t.tx.ExecContext(ctx, b.String(), b.args...)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: add member: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added = append(added, m)
		}
	}
	return added, nil
}

// bumpWhere bumps the version of every resource of the scope whose id the
// subquery (with its arguments) selects: a change to their derived
// attributes (see store.Resource.Version).
func (t *tx) bumpWhere(ctx context.Context, idQuery string, args ...any) error {
	b := t.s.query()
	b.w("UPDATE ", t.s.t.resources, " SET version = version + 1, last_modified = ", b.arg(t.s.clock().UnixMilli()),
		" WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory), " AND id IN (")
	// Renumber the subquery's placeholders after ours.
	for _, a := range args {
		idQuery = strings.Replace(idQuery, "?", b.arg(a), 1)
	}
	b.w(idQuery, ")")
	if _, err := t.tx.ExecContext(ctx, b.String(), b.args...); err != nil {
		return fmt.Errorf("sqlstore: bump versions: %w", err)
	}
	return nil
}

// bumpUsers bumps the users among members: their groups changed.
func (t *tx) bumpUsers(ctx context.Context, members []store.Member) error {
	var ids []string
	for _, m := range members {
		if m.Type == store.User {
			ids = append(ids, m.Value)
		}
	}
	for _, chunk := range chunks(ids, 500) {
		// A direct key lookup: (tenant, directory, id) is the primary key.
		b := t.s.query()
		b.w("UPDATE ", t.s.t.resources, " SET version = version + 1, last_modified = ", b.arg(t.s.clock().UnixMilli()),
			" WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory),
			" AND id IN (", b.list(chunk), ") AND type = 'User'")
		if _, err := t.tx.ExecContext(ctx, b.String(), b.args...); err != nil {
			return fmt.Errorf("sqlstore: bump versions: %w", err)
		}
	}
	return nil
}

// bump records a change to a resource that is not an attribute write.
func (t *tx) bump(ctx context.Context, id string) error {
	b := t.s.query()
	b.w("UPDATE ", t.s.t.resources, " SET version = version + 1, last_modified = ", b.arg(t.s.clock().UnixMilli()),
		" WHERE tenant = ", b.arg(t.scope.Tenant), " AND directory = ", b.arg(t.scope.Directory), " AND id = ", b.arg(id))
	if _, err := t.tx.ExecContext(ctx, b.String(), b.args...); err != nil {
		return fmt.Errorf("sqlstore: bump version: %w", err)
	}
	return nil
}

func (t *tx) nextSeq(ctx context.Context) (int64, error) {
	var n int64
	var err error
	if t.s.d == PostgreSQL {
		err = t.tx.QueryRowContext(ctx, "SELECT nextval('"+t.s.prefix+"seq')").Scan(&n)
	} else {
		err = t.tx.QueryRowContext(ctx, "UPDATE "+t.s.t.counter+" SET n = n + 1 WHERE name = 'seq' RETURNING n").Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: sequence: %w", err)
	}
	return n, nil
}

// execGuarded runs a statement that may violate a constraint.
func (t *tx) execGuarded(ctx context.Context, b *builder) error {
	return t.guard(ctx, func() error {
		_, err := t.tx.ExecContext(ctx, b.String(), b.args...)
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
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT scimkit_stmt"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := t.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT scimkit_stmt"); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	_, err := t.tx.ExecContext(ctx, "RELEASE SAVEPOINT scimkit_stmt")
	return err
}

// isUnique reports a unique-constraint violation in either dialect.
func isUnique(err error) bool {
	var se *sqlite.Error
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
