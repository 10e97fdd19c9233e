// Package sqlstore is a durable store.Store on database/sql, for SQLite and
// PostgreSQL, that also serves as the shared replay cache of auth.Signed.
//
// # Drivers
//
// SQLite is the embedded default: package store/sqlstore/sqlite opens a
// single file through modernc.org/sqlite, a translation of SQLite to pure
// Go, and is the only package that imports that driver, so a binary that
// uses PostgreSQL alone does not link SQLite. It needs no cgo,
// so the library cross-compiles and builds in minimal containers; its cost
// is speed below the C library's, which is ample for a directory. The file
// runs in WAL mode (readers never wait for the writer) with a busy timeout,
// and write transactions begin IMMEDIATE, so concurrent requests queue
// instead of failing. The store keeps the statements it runs prepared, up
// to 512 of them, as the driver would otherwise compile each one anew.
//
// PostgreSQL is the store many app replicas share: pass a *sql.DB opened
// with github.com/jackc/pgx/v5/stdlib (driver name "pgx") to New. Writes
// lock the rows they change (SELECT ... FOR UPDATE), so two replicas
// changing one group queue rather than lose an update; a transaction whose
// first call is a Get locks that resource for writing. Writes take their
// locks in one order, groups before users, so the SCIM handler's
// concurrent writes do not deadlock one another (a transaction that writes
// several resources, or nested groups, can still cross the order), and
// Update runs its function once: it does not retry. The versions of users
// whose groups changed are bumped when the transaction commits (or next
// reads users), so that it locks those users in one pass.
//
// # Layout
//
// All tables carry a prefix (default "scim_") so they live beside the host
// app's own, and every row carries the tenant and directory of its
// store.Scope. A resource is one row: indexed columns for id, userName,
// externalId, displayName and the meta times, the attributes as a JSON
// document, and the same document case-folded (filter.FoldDocument) so
// case-insensitive filters compare with plain SQL equality. Group members
// are rows of their own, so adding one member to a large group writes one
// row. Schema migrations are versioned and applied by New (or Migrate),
// idempotently and under a lock, so replicas starting together are safe.
//
// # Filters
//
// List translates the query's filter with filter.Filter.SQL and lets the
// database select, count, sort and page. Whatever the translation leaves as
// a residual is evaluated in Go on the rows SQL selected, and paging then
// happens in Go.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// Dialect is the SQL dialect of the database behind a Store.
type Dialect = filter.Dialect

// The supported dialects.
const (
	SQLite     = filter.SQLite
	PostgreSQL = filter.PostgreSQL
)

// Store is a store.Store on a SQL database. It is safe for concurrent use.
type Store struct {
	// writeMu queues this process's SQLite write transactions, which
	// would otherwise wait on the file lock by sleeping and retrying
	// (busy_timeout), with long tails under concurrency.
	writeMu sync.Mutex
	db      *sql.DB
	d       Dialect
	prefix  string
	now     func() time.Time
	ownsDB  bool
	t       tables
	columns map[string]filter.SQLColumn
	// stmts keeps the store's statements prepared (SQLite only; nil for
	// PostgreSQL), and dbr runs them outside transactions.
	stmts *stmtCache
	dbr   *runner
}

var _ store.Store = (*Store)(nil)

type tables struct {
	resources, members, migrations, replay, counter, audit, directories, credentials string
	events, eventSeqs, eventPosition, deliveries, deadLetters                        string
}

// Option configures a Store.
type Option func(*Store) error

var prefixRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,30}$`)

// WithTablePrefix sets the prefix of every table name (default "scim_").
// It must be lower-case letters, digits and underscores.
func WithTablePrefix(prefix string) Option {
	return func(s *Store) error {
		if !prefixRE.MatchString(prefix) {
			return fmt.Errorf("sqlstore: invalid table prefix %q", prefix)
		}
		s.prefix = prefix
		return nil
	}
}

// WithClock makes the store take timestamps from now instead of time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) error {
		if now != nil {
			s.now = now
		}
		return nil
	}
}

// WithClosingDB makes Store.Close close the *sql.DB given to New as well:
// for a caller that opened the database only for the store.
func WithClosingDB() Option {
	return func(s *Store) error {
		s.ownsDB = true
		return nil
	}
}

// New returns a Store on db in the given dialect and applies any pending
// schema migrations. For SQLite, db should have been opened with
// "_txlock=immediate" (sqlite.Open does this); for PostgreSQL, with the pgx
// stdlib driver.
func New(ctx context.Context, db *sql.DB, dialect Dialect, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil *sql.DB")
	}
	if dialect != SQLite && dialect != PostgreSQL {
		return nil, fmt.Errorf("sqlstore: unknown dialect %d", dialect)
	}
	s := &Store{db: db, d: dialect, prefix: "scim_", now: time.Now}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	s.t = tables{
		resources:   s.prefix + "resources",
		members:     s.prefix + "members",
		migrations:  s.prefix + "migrations",
		replay:      s.prefix + "replay",
		counter:     s.prefix + "counter",
		audit:       s.prefix + "audit",
		directories: s.prefix + "directories",
		credentials: s.prefix + "credentials",

		events:        s.prefix + "events",
		eventSeqs:     s.prefix + "event_seqs",
		eventPosition: s.prefix + "event_position",
		deliveries:    s.prefix + "deliveries",
		deadLetters:   s.prefix + "dead_letters",
	}
	s.columns = map[string]filter.SQLColumn{
		"id":                {Name: "id", Type: "string"},
		"userName":          {Name: "user_name", Folded: "user_name_fold", Type: "string"},
		"externalId":        {Name: "external_id", Folded: "external_id_fold", Type: "string"},
		"displayName":       {Name: "display_name", Folded: "display_name_fold", Type: "string"},
		"meta.created":      {Name: "created", Type: "dateTime"},
		"meta.lastModified": {Name: "last_modified", Type: "dateTime"},
	}
	if err := s.Migrate(ctx); err != nil {
		return nil, err
	}
	// SQLite (modernc.org/sqlite) compiles every statement given as text
	// anew, so the store keeps its statements prepared. PostgreSQL does
	// not need it: pgx's stdlib driver already keeps a cache of prepared
	// statements per connection (QueryExecModeCacheStatement, 512 by
	// default), so preparing through database/sql would only add a
	// second layer of bookkeeping, and would override an app's choice of
	// default_query_exec_mode (exec or simple_protocol, for poolers like
	// PgBouncer that do not keep prepared statements).
	if dialect == SQLite {
		s.stmts = newStmtCache(db, stmtCacheSize)
	}
	s.dbr = &runner{c: s.stmts, db: db}
	return s, nil
}

// DB returns the database the store uses.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the store's SQL dialect.
func (s *Store) Dialect() Dialect { return s.d }

// Close closes the store's prepared statements, and the database when the
// store was made WithClosingDB (as sqlite.Open makes it); otherwise the
// *sql.DB passed to New is the caller's to close (and a store on it still
// works after Close, unprepared).
func (s *Store) Close() error {
	if s.stmts != nil {
		s.stmts.close()
	}
	if s.ownsDB {
		return s.db.Close()
	}
	return nil
}

// clock returns the current time at the millisecond precision the store
// keeps.
func (s *Store) clock() time.Time { return time.UnixMilli(s.now().UnixMilli()) }

// builder builds one SQL statement with placeholders in the store's dialect.
type builder struct {
	d    Dialect
	sb   strings.Builder
	args []any
}

func (s *Store) query() *builder { return &builder{d: s.d} }

// arg binds v and returns its placeholder.
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	if b.d == PostgreSQL {
		return fmt.Sprintf("$%d", len(b.args))
	}
	return "?"
}

// list binds every value and returns "p1, p2, ...".
func (b *builder) list(vs []string) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = b.arg(v)
	}
	return strings.Join(ps, ", ")
}

func (b *builder) w(parts ...string) *builder {
	for _, p := range parts {
		b.sb.WriteString(p)
	}
	return b
}

func (b *builder) String() string { return b.sb.String() }
