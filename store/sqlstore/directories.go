package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/store"
)

// Directories returns the store's directory.Store and
// directory.CredentialStore, which keep directory records and credentials
// in the store's database, so every replica sees a change at once.
func (s *Store) Directories() *Directories { return &Directories{s: s} }

// Directories is a directory.Store on the store's directories table.
type Directories struct{ s *Store }

var (
	_ directory.Store           = (*Directories)(nil)
	_ directory.CredentialStore = (*Directories)(nil)
)

const directoryColumns = "tenant, id, name, kind, state, settings, created, updated, last_request, last_error, last_error_at, version, disconnection"

// millis is t in Unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is millis' inverse.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// directoryArgs binds d's columns, in directoryColumns order.
func directoryArgs(b *builder, d *directory.Directory) (string, error) {
	settings, err := json.Marshal(d.Settings)
	if err != nil {
		return "", fmt.Errorf("sqlstore: directory settings: %w", err)
	}
	disconnection, err := json.Marshal(d.Disconnection)
	if err != nil {
		return "", fmt.Errorf("sqlstore: directory disconnection: %w", err)
	}
	return b.arg(d.Tenant) + ", " + b.arg(d.ID) + ", " + b.arg(d.Name) + ", " + b.arg(string(d.Kind)) + ", " +
		b.arg(string(d.State)) + ", " + b.arg(string(settings)) + ", " + b.arg(millis(d.Created)) + ", " +
		b.arg(millis(d.Updated)) + ", " + b.arg(millis(d.LastRequest)) + ", " + b.arg(d.LastError) + ", " +
		b.arg(millis(d.LastErrorAt)) + ", " + b.arg(d.Version) + ", " + b.arg(string(disconnection)), nil
}

// scanDirectory reads one row of directoryColumns.
func scanDirectory(scan func(dest ...any) error) (*directory.Directory, error) {
	var d directory.Directory
	var kind, state, settings, disconnection string
	var created, updated, lastRequest, lastErrorAt int64
	if err := scan(&d.Tenant, &d.ID, &d.Name, &kind, &state, &settings, &created, &updated, &lastRequest,
		&d.LastError, &lastErrorAt, &d.Version, &disconnection); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(settings), &d.Settings); err != nil {
		return nil, fmt.Errorf("sqlstore: directory %s/%s settings: %w", d.Tenant, d.ID, err)
	}
	if err := json.Unmarshal([]byte(disconnection), &d.Disconnection); err != nil {
		return nil, fmt.Errorf("sqlstore: directory %s/%s disconnection: %w", d.Tenant, d.ID, err)
	}
	d.Kind, d.State = directory.Kind(kind), directory.State(state)
	d.Created, d.Updated, d.LastRequest, d.LastErrorAt = fromMillis(created), fromMillis(updated), fromMillis(lastRequest), fromMillis(lastErrorAt)
	return &d, nil
}

// CreateDirectory saves a new directory (directory.Store).
func (ds *Directories) CreateDirectory(ctx context.Context, d *directory.Directory) error {
	s := ds.s
	c := d.Clone()
	if c.State == "" {
		c.State = directory.Active
	}
	if err := c.Validate(); err != nil {
		return err
	}
	now := s.clock()
	c.Created, c.Updated, c.Version = now, now, 1
	b := s.query()
	values, err := directoryArgs(b, c)
	if err != nil {
		return err
	}
	stmt := "INSERT INTO " + s.t.directories + " (" + directoryColumns + ") VALUES (" + values + ") ON CONFLICT DO NOTHING"
	err = s.inWriteTx(ctx, func(run *runner) error {
		res, err := run.exec(ctx, stmt, b.args...)
		if err != nil {
			return fmt.Errorf("sqlstore: create directory: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlstore: create directory: %w", err)
		} else if n == 0 {
			return fmt.Errorf("%w: %s", directory.ErrExists, c.Scope())
		}
		return s.directoryChanged(ctx, run, nil, c)
	})
	if err != nil {
		return err
	}
	*d = *c
	return nil
}

// Directory returns the scope's directory (directory.Store).
func (ds *Directories) Directory(ctx context.Context, scope store.Scope) (*directory.Directory, error) {
	return ds.s.directory(ctx, ds.s.dbr, scope, false)
}

func (s *Store) directory(ctx context.Context, run *runner, scope store.Scope, forUpdate bool) (*directory.Directory, error) {
	b := s.query()
	b.w("SELECT ", directoryColumns, " FROM ", s.t.directories, " WHERE tenant = ", b.arg(scope.Tenant), " AND id = ", b.arg(scope.Directory))
	if forUpdate && s.d == PostgreSQL {
		b.w(" FOR UPDATE")
	}
	d, err := scanDirectory(run.queryRow(ctx, b.String(), b.args...).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", directory.ErrNotFound, scope)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read directory: %w", err)
	}
	return d, nil
}

// ListDirectories returns a page of directories by tenant, then id
// (directory.Store).
func (ds *Directories) ListDirectories(ctx context.Context, q directory.ListQuery) (*directory.Page, error) {
	s := ds.s
	b := s.query()
	b.w("SELECT ", directoryColumns, " FROM ", s.t.directories, " WHERE 1 = 1")
	if !q.AllTenants {
		b.w(" AND tenant = ", b.arg(q.Tenant))
	}
	if q.State != "" {
		b.w(" AND state = ", b.arg(string(q.State)))
	}
	if q.After != "" {
		tenant, id, err := directory.ParseCursor(q.After)
		if err != nil {
			return nil, err
		}
		b.w(" AND (tenant, id) > (", b.arg(tenant), ", ", b.arg(id), ")")
	}
	limit := q.PageSize()
	b.w(" ORDER BY tenant, id LIMIT ", b.arg(limit+1))
	page := &directory.Page{}
	err := s.dbr.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
		d, err := scanDirectory(rows.Scan)
		if err != nil {
			return err
		}
		page.Directories = append(page.Directories, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list directories: %w", err)
	}
	if len(page.Directories) > limit {
		page.Directories = page.Directories[:limit]
		page.Next = directory.Cursor(page.Directories[limit-1])
	}
	return page, nil
}

// UpdateDirectory changes the scope's directory with fn in one
// transaction, the row locked (directory.Store).
func (ds *Directories) UpdateDirectory(ctx context.Context, scope store.Scope, fn func(d *directory.Directory) error) (*directory.Directory, error) {
	s := ds.s
	var out *directory.Directory
	err := s.inWriteTx(ctx, func(run *runner) error {
		cur, err := s.directory(ctx, run, scope, true)
		if err != nil {
			return err
		}
		next := cur.Clone()
		if err := fn(next); err != nil {
			return err
		}
		next.Tenant, next.ID, next.Created = cur.Tenant, cur.ID, cur.Created
		if err := next.Validate(); err != nil {
			return err
		}
		next.Updated, next.Version = s.clock(), cur.Version+1
		settings, err := json.Marshal(next.Settings)
		if err != nil {
			return fmt.Errorf("sqlstore: directory settings: %w", err)
		}
		disconnection, err := json.Marshal(next.Disconnection)
		if err != nil {
			return fmt.Errorf("sqlstore: directory disconnection: %w", err)
		}
		b := s.query()
		b.w("UPDATE ", s.t.directories, " SET name = ", b.arg(next.Name), ", kind = ", b.arg(string(next.Kind)),
			", state = ", b.arg(string(next.State)), ", settings = ", b.arg(string(settings)),
			", updated = ", b.arg(millis(next.Updated)), ", last_request = ", b.arg(millis(next.LastRequest)),
			", last_error = ", b.arg(next.LastError), ", last_error_at = ", b.arg(millis(next.LastErrorAt)),
			", version = ", b.arg(next.Version), ", disconnection = ", b.arg(string(disconnection)),
			" WHERE tenant = ", b.arg(scope.Tenant), " AND id = ", b.arg(scope.Directory))
		if _, err := run.exec(ctx, b.String(), b.args...); err != nil {
			return fmt.Errorf("sqlstore: update directory: %w", err)
		}
		if err := s.directoryChanged(ctx, run, cur, next); err != nil {
			return err
		}
		out = next
		return nil
	})
	return out, err
}

// DeleteDirectory removes the scope's directory record and its
// credentials, in one transaction (directory.Store).
func (ds *Directories) DeleteDirectory(ctx context.Context, scope store.Scope) error {
	s := ds.s
	return s.inTxFunc(ctx, func(run *runner) error {
		b := s.query()
		b.w("DELETE FROM ", s.t.directories, " WHERE tenant = ", b.arg(scope.Tenant), " AND id = ", b.arg(scope.Directory))
		res, err := run.exec(ctx, b.String(), b.args...)
		if err != nil {
			return fmt.Errorf("sqlstore: delete directory: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlstore: delete directory: %w", err)
		} else if n == 0 {
			return fmt.Errorf("%w: %s", directory.ErrNotFound, scope)
		}
		b = s.query()
		b.w("DELETE FROM ", s.t.credentials, " WHERE tenant = ", b.arg(scope.Tenant), " AND directory = ", b.arg(scope.Directory))
		if _, err := run.exec(ctx, b.String(), b.args...); err != nil {
			return fmt.Errorf("sqlstore: delete directory credentials: %w", err)
		}
		return nil
	})
}

// inTxFunc runs fn in a database transaction on the store's statements,
// committing when fn returns nil.
func (s *Store) inTxFunc(ctx context.Context, fn func(run *runner) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	run := s.inTx(tx)
	defer func() {
		_ = tx.Rollback()
		run.done()
	}()
	if err := fn(run); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}
