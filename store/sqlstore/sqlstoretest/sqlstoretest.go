// Package sqlstoretest opens throwaway SQL stores for tests: a SQLite file
// in a temporary directory, or a PostgreSQL schema of its own that is
// dropped when the test ends, so parallel runs never collide.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
)

// DSNEnv names the environment variable holding the PostgreSQL connection
// string the PostgreSQL tests use.
const DSNEnv = "SCIMKIT_POSTGRES_DSN"

// SQLite returns a Store on a new SQLite file, closed when t ends.
func SQLite(t testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "scim.db"), opts...)
	if err != nil {
		t.Fatalf("sqlstoretest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// PostgresDSN returns the DSN from SCIMKIT_POSTGRES_DSN, or skips t with a
// message saying how to run it.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		t.Skip(DSNEnv + " is not set; set it (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL tests")
	}
	return dsn
}

// Postgres returns a Store in a fresh schema of the database named by
// SCIMKIT_POSTGRES_DSN (skipping t when it is unset), and the DSN that
// selects that schema, for opening more replicas on it. The schema is
// dropped when t ends.
func Postgres(t testing.TB, opts ...sqlstore.Option) (*sqlstore.Store, string) {
	t.Helper()
	dsn := PostgresDSN(t)
	schema := newSchemaName()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("sqlstoretest: %v", err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("sqlstoretest: creating schema: %v", err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	schemaDSN := searchPath(dsn, schema)
	return OpenPostgres(t, schemaDSN, opts...), schemaDSN
}

// OpenPostgres opens another Store on dsn (a replica), closed when t ends.
func OpenPostgres(t testing.TB, dsn string, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("sqlstoretest: %v", err)
	}
	db.SetMaxOpenConns(8)
	t.Cleanup(func() { _ = db.Close() })
	s, err := sqlstore.New(context.Background(), db, sqlstore.PostgreSQL, opts...)
	if err != nil {
		t.Fatalf("sqlstoretest: %v", err)
	}
	return s
}

// Schemas lends tests PostgreSQL schemas that are migrated already: each
// Postgres call gets a schema holding the default-prefix tables and no
// rows, as a new schema would once its store migrated it, and when the test
// ends the rows are deleted and the schema goes back for the next test.
// Creating, migrating and dropping a schema per test costs about 100 ms of
// DDL; lending one costs a few milliseconds. A lent schema comes with the
// connections its last test used (their prepared statements and catalog
// caches warm), reset to OpenPostgres's pool settings. A schema a test changed beyond
// its rows (a table, column, index, constraint, sequence, function or
// trigger added, altered or dropped, or the migrations table changed) is
// dropped instead of lent again. The schemas hold the tables of one table
// prefix, the default's unless NewSchemasWithPrefix names another, and
// Postgres opens its stores with it: a store opened with another prefix
// works but gains nothing.
//
// A package's tests share one Schemas and Close it when they are done,
// from TestMain; schemas of a test binary that dies before are left
// behind, as Postgres leaves its schema.
type Schemas struct {
	prefix string // of the tables; "" for the default
	mu     sync.Mutex
	admin  *sql.DB // on the database of the first dsn, opened at first use
	dsn    string
	free   []lentSchema
	made   map[string]bool // every schema made and not dropped, for Close
}

// lentSchema is a schema Schemas made, with the fingerprint of its
// definition right after migrating it, the statement that empties it, and
// the connections its stores use.
type lentSchema struct {
	name, fingerprint, empty string
	db                       *sql.DB // nil after a test closed it
}

// NewSchemas returns an empty pool of schemas for stores of the default
// table prefix; it connects at its first Postgres call.
func NewSchemas() *Schemas { return &Schemas{made: map[string]bool{}} }

// NewSchemasWithPrefix is NewSchemas for stores of the table prefix
// prefix (sqlstore.WithTablePrefix).
func NewSchemasWithPrefix(prefix string) *Schemas {
	return &Schemas{prefix: prefix, made: map[string]bool{}}
}

// options are the store options p's schemas are made with.
func (p *Schemas) options() []sqlstore.Option {
	if p.prefix == "" {
		return nil
	}
	return []sqlstore.Option{sqlstore.WithTablePrefix(p.prefix)}
}

// migrations names the migrations table in p's schemas.
func (p *Schemas) migrations() string {
	if p.prefix == "" {
		return "scim_migrations"
	}
	return p.prefix + "migrations"
}

// Postgres is the package function Postgres on a lent schema: a Store in
// a migrated, empty schema of the database named by SCIMKIT_POSTGRES_DSN
// (skipping t when it is unset), and the DSN that selects that schema for
// replicas. When t ends the schema's rows are deleted and its sequences
// restarted, and it is lent again.
func (p *Schemas) Postgres(t testing.TB, opts ...sqlstore.Option) (*sqlstore.Store, string) {
	t.Helper()
	dsn := PostgresDSN(t)
	sc, err := p.take(dsn)
	if err != nil {
		t.Fatalf("sqlstoretest: %v", err)
	}
	// Registered before the store's own cleanup, so it runs after the
	// store (and any replica the test opened) is closed.
	t.Cleanup(func() {
		if err := p.give(sc); err != nil {
			t.Errorf("sqlstoretest: %v", err)
		}
	})
	s, err := sqlstore.New(context.Background(), sc.db, sqlstore.PostgreSQL, append(p.options(), opts...)...)
	if err != nil {
		t.Fatalf("sqlstoretest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, searchPath(dsn, sc.name)
}

// Close drops every schema p made. p must not be used after.
func (p *Schemas) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.admin == nil {
		return nil
	}
	var errs []error
	for _, sc := range p.free {
		if sc.db != nil {
			errs = append(errs, sc.db.Close())
		}
	}
	for name := range p.made {
		if _, err := p.admin.Exec("DROP SCHEMA " + name + " CASCADE"); err != nil {
			errs = append(errs, fmt.Errorf("dropping schema %s: %w", name, err))
		}
	}
	p.made, p.free = nil, nil
	errs = append(errs, p.admin.Close())
	p.admin = nil
	return errors.Join(errs...)
}

// take returns a free schema, or a new, migrated one.
func (p *Schemas) take(dsn string) (lentSchema, error) {
	p.mu.Lock()
	if p.admin == nil {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			p.mu.Unlock()
			return lentSchema{}, err
		}
		p.admin, p.dsn = admin, dsn
	}
	if dsn != p.dsn {
		p.mu.Unlock()
		return lentSchema{}, fmt.Errorf("%s changed while schemas were lent", DSNEnv)
	}
	if n := len(p.free); n > 0 {
		sc := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		if sc.db == nil {
			db, err := openSchema(dsn, sc.name)
			if err != nil {
				return lentSchema{}, err
			}
			sc.db = db
		}
		return sc, nil
	}
	admin := p.admin
	p.mu.Unlock()

	// A new schema, migrated by a store of the default options, made
	// outside the lock so that parallel tests make theirs at once.
	name := newSchemaName()
	if _, err := admin.Exec("CREATE SCHEMA " + name); err != nil {
		return lentSchema{}, fmt.Errorf("creating schema: %w", err)
	}
	p.mu.Lock()
	p.made[name] = true
	p.mu.Unlock()
	db, err := openSchema(dsn, name)
	if err != nil {
		return lentSchema{}, err
	}
	if _, err := sqlstore.New(context.Background(), db, sqlstore.PostgreSQL, p.options()...); err != nil {
		_ = db.Close()
		return lentSchema{}, fmt.Errorf("migrating schema %s: %w", name, err)
	}
	fp, err := fingerprint(admin, name, p.migrations())
	if err == nil {
		var empty string
		if empty, err = emptier(admin, name, p.migrations()); err == nil {
			return lentSchema{name: name, fingerprint: fp, empty: empty, db: db}, nil
		}
	}
	_ = db.Close()
	return lentSchema{}, err
}

// give takes sc back: emptied and lent again if its definition is as
// it was made, dropped otherwise.
func (p *Schemas) give(sc lentSchema) error {
	p.mu.Lock()
	admin := p.admin
	p.mu.Unlock()
	if admin == nil {
		return errors.New("Schemas used after Close")
	}
	// The connections go on to the next test unless this one closed them
	// (a store WithClosingDB), with the pool settings it may have changed
	// put back.
	if err := sc.db.PingContext(context.Background()); err != nil {
		_ = sc.db.Close()
		sc.db = nil
	} else {
		resetPool(sc.db)
	}
	if fp, err := fingerprint(admin, sc.name, p.migrations()); err == nil && fp == sc.fingerprint {
		if _, err := admin.Exec(sc.empty); err == nil {
			p.mu.Lock()
			p.free = append(p.free, sc)
			p.mu.Unlock()
			return nil
		}
	}
	if sc.db != nil {
		_ = sc.db.Close()
	}
	p.mu.Lock()
	delete(p.made, sc.name)
	p.mu.Unlock()
	if _, err := admin.Exec("DROP SCHEMA " + sc.name + " CASCADE"); err != nil {
		return fmt.Errorf("dropping schema %s: %w", sc.name, err)
	}
	return nil
}

// openSchema opens a pool of connections to schema, as OpenPostgres does.
func openSchema(dsn, schema string) (*sql.DB, error) {
	db, err := sql.Open("pgx", searchPath(dsn, schema))
	if err != nil {
		return nil, err
	}
	resetPool(db)
	return db, nil
}

// resetPool gives db OpenPostgres's pool settings.
func resetPool(db *sql.DB) {
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(2)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
}

func newSchemaName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "scimkit_test_" + hex.EncodeToString(b[:])
}

// searchPath returns dsn selecting schema.
func searchPath(dsn, schema string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// objects lists a schema's objects: those whose dependency on the schema
// PostgreSQL records (relations, types, functions), found through an index
// rather than by scanning pg_class. relations are those in pg_class.
const objects = `WITH deps AS MATERIALIZED (
	SELECT classid, objid FROM pg_depend
	WHERE refclassid = 'pg_namespace'::regclass AND refobjid = $1::regnamespace
), relations AS MATERIALIZED (
	SELECT c.oid, c.relname, c.relkind, c.relnatts FROM deps JOIN pg_class c ON c.oid = deps.objid
	WHERE deps.classid = 'pg_class'::regclass
)`

// fingerprint describes schema's definition: its relations, columns,
// indexes, constraints, sequences, triggers and other objects, and the
// versions in its migrations table (an error if there is none).
func fingerprint(db *sql.DB, schema, migrations string) (string, error) {
	var def, versions string
	err := db.QueryRow(objects+`
	SELECT coalesce(string_agg(x, E'\n' ORDER BY x), '') FROM (
		SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' ' || c.relnatts FROM relations c
		UNION ALL
		SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' ||
			a.attnotnull || ' ' || a.attcollation || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
		FROM relations c JOIN pg_attribute a ON a.attrelid = c.oid
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attnum > 0 AND NOT a.attisdropped
		UNION ALL
		SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM relations c JOIN pg_index i ON i.indrelid = c.oid
		UNION ALL
		SELECT 'constraint ' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
		FROM relations c JOIN pg_constraint k ON k.conrelid = c.oid
		UNION ALL
		SELECT 'sequence ' || c.relname || ' ' || s.seqtypid || ' ' || s.seqstart || ' ' || s.seqincrement || ' ' ||
			s.seqmin || ' ' || s.seqmax || ' ' || s.seqcycle
		FROM relations c JOIN pg_sequence s ON s.seqrelid = c.oid
		UNION ALL
		SELECT 'trigger ' || pg_get_triggerdef(g.oid) FROM relations c JOIN pg_trigger g ON g.tgrelid = c.oid
		WHERE NOT g.tgisinternal
		UNION ALL
		SELECT 'object ' || pg_describe_object(deps.classid, deps.objid, 0) FROM deps
		WHERE deps.classid <> 'pg_class'::regclass
	) f(x)`, schema).Scan(&def)
	if err == nil {
		err = db.QueryRow(`SELECT coalesce(string_agg(version::text, ',' ORDER BY version), '') FROM ` + schema + `.` + migrations).Scan(&versions)
	}
	if err != nil {
		return "", fmt.Errorf("describing schema %s: %w", schema, err)
	}
	return def + "\nmigrations " + versions, nil
}

// emptier returns the statement that deletes every row of schema's tables
// but the migrations table's, and restarts its sequences, in one round
// trip. A table of more than a thousand rows is truncated, which is
// quicker for it and gives the planner a fresh, empty table as a new
// schema has.
func emptier(db *sql.DB, schema, migrations string) (string, error) {
	rows, err := db.Query(objects+`
	SELECT c.relkind = 'S', format('%I.%I', $1::text, c.relname), coalesce(s.seqstart, 0)
	FROM relations c LEFT JOIN pg_sequence s ON s.seqrelid = c.oid
	WHERE c.relkind IN ('r', 'S') AND c.relname <> $2
	ORDER BY c.relname`, schema, migrations)
	if err != nil {
		return "", fmt.Errorf("listing the tables of schema %s: %w", schema, err)
	}
	defer rows.Close()
	var b strings.Builder
	b.WriteString("DO $$\nDECLARE n bigint;\nBEGIN\n")
	for rows.Next() {
		var isSeq bool
		var name string
		var start int64
		if err := rows.Scan(&isSeq, &name, &start); err != nil {
			return "", err
		}
		if isSeq {
			fmt.Fprintf(&b, "PERFORM setval('%s', %d, false);\n", name, start)
			continue
		}
		fmt.Fprintf(&b, "SELECT count(*) INTO n FROM (SELECT 1 FROM %[1]s LIMIT 1001) x;\n"+
			"IF n > 1000 THEN TRUNCATE %[1]s; ELSIF n > 0 THEN DELETE FROM %[1]s; END IF;\n", name)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	b.WriteString("END $$")
	return b.String(), nil
}
