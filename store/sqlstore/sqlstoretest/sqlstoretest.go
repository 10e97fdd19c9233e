// Package sqlstoretest opens throwaway SQL stores for tests: a SQLite file
// in a temporary directory, or a PostgreSQL schema of its own that is
// dropped when the test ends, so parallel runs never collide.
package sqlstoretest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
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
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "scimkit_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("sqlstoretest: %v", err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("sqlstoretest: creating schema: %v", err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	schemaDSN := dsn + sep + "search_path=" + schema
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
