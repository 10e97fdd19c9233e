package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migration is one versioned schema step. Its statements use {p} for the
// table prefix, {json}, {int}, {serial} (an auto-increasing primary key)
// for dialect types, and {bytes} after a text type for byte-wise
// comparison (SQLite's default); one that starts with
// {pg} or {sqlite} runs only on that dialect.
type migration struct {
	version    int
	statements []string
}

// migrations are applied in order, each once. Never edit a released step;
// add a new one.
var migrations = []migration{
	{1, []string{
		`CREATE TABLE {p}resources (
			tenant TEXT NOT NULL,
			directory TEXT NOT NULL,
			id TEXT NOT NULL,
			type TEXT NOT NULL,
			seq {int} NOT NULL,
			user_name TEXT,
			user_name_fold TEXT,
			external_id TEXT,
			external_id_fold TEXT,
			display_name TEXT,
			display_name_fold TEXT,
			created {int} NOT NULL,
			last_modified {int} NOT NULL,
			version {int} NOT NULL,
			doc {json} NOT NULL,
			doc_fold {json} NOT NULL,
			PRIMARY KEY (tenant, directory, id)
		)`,
		// userName is unique per scope ignoring case; only users have one.
		`CREATE UNIQUE INDEX {p}resources_user_name ON {p}resources (tenant, directory, user_name_fold)`,
		// Lookup indexes lead with every column List always constrains, so
		// the planner prefers them to the creation-order index.
		`CREATE INDEX {p}resources_external_id ON {p}resources (tenant, directory, type, external_id)`,
		`CREATE INDEX {p}resources_display_name ON {p}resources (tenant, directory, type, display_name_fold)`,
		`CREATE INDEX {p}resources_seq ON {p}resources (tenant, directory, type, seq)`,
		`CREATE TABLE {p}members (
			tenant TEXT NOT NULL,
			directory TEXT NOT NULL,
			group_id TEXT NOT NULL,
			member_id TEXT NOT NULL,
			member_type TEXT NOT NULL,
			seq {int} NOT NULL,
			PRIMARY KEY (tenant, directory, group_id, member_id)
		)`,
		`CREATE INDEX {p}members_member ON {p}members (tenant, directory, member_id)`,
		// Creation order: a sequence in PostgreSQL (no lock held to commit),
		// a counter row in SQLite (whose writers are serialised anyway).
		`{pg}CREATE SEQUENCE {p}seq`,
		`{sqlite}CREATE TABLE {p}counter (name TEXT PRIMARY KEY, n INTEGER NOT NULL)`,
		`{sqlite}INSERT INTO {p}counter (name, n) VALUES ('seq', 0)`,
		`CREATE TABLE {p}replay (key TEXT PRIMARY KEY, expires {int} NOT NULL)`,
		`CREATE INDEX {p}replay_expires ON {p}replay (expires)`,
	}},
	// The audit log (AuditSink). Rows are only ever inserted: they outlive
	// the resources they describe, so nothing references or cascades from
	// the resources table. seq orders them.
	{2, []string{
		`CREATE TABLE {p}audit (
			seq {serial},
			at {int} NOT NULL,
			tenant TEXT NOT NULL,
			directory TEXT NOT NULL,
			actor TEXT NOT NULL,
			operation TEXT NOT NULL,
			resource_type TEXT NOT NULL,
			resource_id TEXT NOT NULL,
			before_doc {json},
			after_doc {json},
			status INTEGER NOT NULL,
			error TEXT NOT NULL
		)`,
		`CREATE INDEX {p}audit_resource ON {p}audit (tenant, directory, resource_id, seq)`,
		`CREATE INDEX {p}audit_seq ON {p}audit (tenant, directory, seq)`,
	}},
	// The members a group write added and removed (JSON arrays of ids):
	// membership PATCHes leave the member list out of the documents.
	{3, []string{
		`ALTER TABLE {p}audit ADD COLUMN members_added {json}`,
		`ALTER TABLE {p}audit ADD COLUMN members_removed {json}`,
	}},
	// The kinds of the events a write amounted to (a JSON array).
	{4, []string{
		`ALTER TABLE {p}audit ADD COLUMN events {json}`,
	}},
	// Directory records and their credentials (Directories). Keys compare as bytes ({bytes}), so
	// that the primary key serves the (tenant, id) order of
	// ListDirectories whatever the database's collation; times are Unix
	// milliseconds, 0 for none.
	{5, []string{
		`CREATE TABLE {p}directories (
			tenant TEXT{bytes} NOT NULL,
			id TEXT{bytes} NOT NULL,
			name TEXT NOT NULL,
			kind TEXT NOT NULL,
			state TEXT NOT NULL,
			settings {json} NOT NULL,
			created {int} NOT NULL,
			updated {int} NOT NULL,
			last_request {int} NOT NULL,
			last_error TEXT NOT NULL,
			last_error_at {int} NOT NULL,
			version {int} NOT NULL,
			disconnection {json} NOT NULL,
			PRIMARY KEY (tenant, id)
		)`,
		// Credentials of directories, found by key id; hash is the hex
		// SHA-256 of a bearer token, secret the base64 of a signing
		// secret, scopes a JSON array.
		`CREATE TABLE {p}credentials (
			id TEXT PRIMARY KEY,
			tenant TEXT{bytes} NOT NULL,
			directory TEXT{bytes} NOT NULL,
			kind TEXT NOT NULL,
			name TEXT NOT NULL,
			scopes {json} NOT NULL,
			hash TEXT NOT NULL,
			secret TEXT NOT NULL,
			created {int} NOT NULL,
			expires {int} NOT NULL,
			revoked {int} NOT NULL,
			last_used {int} NOT NULL
		)`,
		`CREATE INDEX {p}credentials_directory ON {p}credentials (tenant, directory, created)`,
	}},
	// The events outbox (Events). A scope's events are numbered by seq
	// from its event_seqs row; position, the feed's order, is NULL until
	// the events are ordered after commit, from event_position's one row.
	// Times are Unix microseconds; data is the event's JSON, kept as
	// text so it is delivered byte for byte as written.
	{6, []string{
		`CREATE TABLE {p}events (
			tenant TEXT{bytes} NOT NULL,
			directory TEXT{bytes} NOT NULL,
			seq {int} NOT NULL,
			position {int},
			id TEXT NOT NULL,
			kind TEXT NOT NULL,
			at {int} NOT NULL,
			actor TEXT NOT NULL,
			request_id TEXT NOT NULL,
			cause TEXT NOT NULL,
			resource_type TEXT NOT NULL,
			resource_id TEXT NOT NULL,
			data TEXT NOT NULL,
			PRIMARY KEY (tenant, directory, seq)
		)`,
		`CREATE UNIQUE INDEX {p}events_position ON {p}events (position)`,
		`CREATE INDEX {p}events_scope ON {p}events (tenant, directory, position)`,
		`CREATE INDEX {p}events_pending ON {p}events (tenant, directory, seq) WHERE position IS NULL`,
		`CREATE INDEX {p}events_at ON {p}events (at)`,
		`CREATE TABLE {p}event_seqs (
			tenant TEXT{bytes} NOT NULL,
			directory TEXT{bytes} NOT NULL,
			seq {int} NOT NULL,
			PRIMARY KEY (tenant, directory)
		)`,
		`CREATE TABLE {p}event_position (id INTEGER PRIMARY KEY, last {int} NOT NULL)`,
		`INSERT INTO {p}event_position (id, last) VALUES (1, 0)`,
		// Deliveries (Deliveries): each subscription's progress and lease
		// (owner "" for none; times Unix microseconds, 0 for none), and
		// the records given up on, each kept as its JSON.
		`CREATE TABLE {p}deliveries (
			subscription TEXT PRIMARY KEY,
			owner TEXT NOT NULL,
			lease_until {int} NOT NULL,
			position {int} NOT NULL,
			attempts INTEGER NOT NULL,
			next_attempt {int} NOT NULL,
			last_error TEXT NOT NULL,
			delivered {int} NOT NULL,
			dead_lettered {int} NOT NULL
		)`,
		`CREATE TABLE {p}dead_letters (
			seq {serial},
			subscription TEXT NOT NULL,
			position {int} NOT NULL,
			record TEXT NOT NULL,
			attempts INTEGER NOT NULL,
			error TEXT NOT NULL,
			at {int} NOT NULL
		)`,
		`CREATE INDEX {p}dead_letters_subscription ON {p}dead_letters (subscription, seq)`,
	}},
}

// Migrate applies every pending schema migration, each in its own
// transaction; it is idempotent. PostgreSQL replicas migrating at once
// serialise on an advisory lock, taken before anything is created (even
// CREATE TABLE IF NOT EXISTS races with itself in PostgreSQL); SQLite
// replicas serialise on its write lock.
func (s *Store) Migrate(ctx context.Context) error {
	err := s.migrationTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.expand(`CREATE TABLE IF NOT EXISTS {p}migrations (version INTEGER PRIMARY KEY, applied_at {int} NOT NULL)`))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: creating migrations table: %w", err)
	}
	for _, m := range migrations {
		if err := s.migrationTx(ctx, func(tx *sql.Tx) error { return s.migrateOne(ctx, tx, m) }); err != nil {
			return fmt.Errorf("sqlstore: migration %d: %w", m.version, err)
		}
	}
	return nil
}

// migrationTx runs fn in a transaction that holds the migration lock, and
// commits it unless fn fails. On SQLite, replicas opening a new database at
// once can meet SQLITE_BUSY that the busy timeout does not absorb (one of
// them is switching the file to WAL); each step is idempotent, so it is
// tried again, for as long as the busy timeout would have waited.
func (s *Store) migrationTx(ctx context.Context, fn func(*sql.Tx) error) error {
	const patience = 10 * time.Second
	deadline := time.Now().Add(patience)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := s.migrationTxOnce(ctx, fn)
		if err == nil || s.d != SQLite || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
	}
}

func (s *Store) migrationTxOnce(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if s.d == PostgreSQL {
		// One lock per prefix: hashtext is stable across servers.
		if _, err = tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "scimkit:"+s.prefix); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
	}
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// migrateOne applies m in tx unless it has been applied already.
func (s *Store) migrateOne(ctx context.Context, tx *sql.Tx, m migration) error {
	var n int
	err := tx.QueryRowContext(ctx, s.expand(`SELECT COUNT(*) FROM {p}migrations WHERE version = `)+s.ph(1), m.version).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	for _, stmt := range m.statements {
		if rest, ok := strings.CutPrefix(stmt, "{pg}"); ok {
			if s.d != PostgreSQL {
				continue
			}
			stmt = rest
		}
		if rest, ok := strings.CutPrefix(stmt, "{sqlite}"); ok {
			if s.d != SQLite {
				continue
			}
			stmt = rest
		}
		if _, err := tx.ExecContext(ctx, s.expand(stmt)); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, s.expand(`INSERT INTO {p}migrations (version, applied_at) VALUES (`)+s.ph(1)+", "+s.ph(2)+")",
		m.version, s.clock().UnixMilli())
	return err
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, s.expand(`SELECT MAX(version) FROM {p}migrations`)).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlstore: %w", err)
	}
	return int(v.Int64), nil
}

func (s *Store) expand(stmt string) string {
	jsonType, intType, serial, bytes := "TEXT", "INTEGER", "INTEGER PRIMARY KEY AUTOINCREMENT", ""
	if s.d == PostgreSQL {
		jsonType, intType, serial, bytes = "JSONB", "BIGINT", "BIGSERIAL PRIMARY KEY", ` COLLATE "C"`
	}
	return strings.NewReplacer("{p}", s.prefix, "{json}", jsonType, "{int}", intType, "{serial}", serial, "{bytes}", bytes).Replace(stmt)
}

// ph returns the n-th placeholder.
func (s *Store) ph(n int) string {
	if s.d == PostgreSQL {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}
