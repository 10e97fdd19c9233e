// Package sqlite opens a sqlstore.Store on an SQLite file, through
// modernc.org/sqlite (pure Go, no cgo).
//
// It is the only package of the module that imports the SQLite driver: an
// application that uses PostgreSQL alone imports store/sqlstore and never
// links SQLite.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/scimkit/scimkit/store/sqlstore"
)

// Open opens (creating if needed) the SQLite database file at path and
// returns a Store on it; the Store's Close closes the file. The path
// ":memory:" gives a private in-memory database.
//
// The file runs in WAL mode (readers never wait for the writer) with
// synchronous=normal and a 10 s busy timeout, foreign keys on, and write
// transactions begin IMMEDIATE, as sqlstore.New expects of an SQLite
// database.
func Open(ctx context.Context, path string, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	params := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(on)&_txlock=immediate"
	// The path goes into a file: URI, where '?' would start the
	// parameters and '#' a fragment, silently opening another file.
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	dsn := "file:" + escaped + "?" + params + "&_pragma=journal_mode(WAL)&_pragma=synchronous(normal)"
	if path == ":memory:" {
		dsn = "file::memory:?" + params
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	if path == ":memory:" {
		// Every connection to :memory: is a separate database.
		db.SetMaxOpenConns(1)
	}
	s, err := sqlstore.New(ctx, db, sqlstore.SQLite, append(opts, sqlstore.WithClosingDB())...)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}
