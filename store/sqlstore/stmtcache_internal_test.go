package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the tests' own SQLite driver (package sqlite imports this one)
)

// openTestSQLite opens a store on a new SQLite file the way package sqlite
// does (which this package's own tests cannot import: it imports this one).
func openTestSQLite(t *testing.T) *Store {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "scim.db")+"?_pragma=busy_timeout(10000)&_txlock=immediate&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), db, SQLite, WithClosingDB())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestStmtCacheDoesNotCacheFailures runs a text whose preparation fails:
// it is not cached, and once it can be prepared, it is.
func TestStmtCacheDoesNotCacheFailures(t *testing.T) {
	t.Parallel()
	s := openTestSQLite(t)
	ctx := context.Background()
	const text = "INSERT INTO later (v) VALUES (?)"
	for range 4 {
		if _, err := s.dbr.exec(ctx, text, 1); err == nil {
			t.Fatal("insert into a missing table succeeded")
		}
		s.stmts.wg.Wait()
	}
	if n := s.stmts.len(); n != 0 {
		t.Fatalf("%d statements cached after failures", n)
	}
	if _, err := s.db.Exec("CREATE TABLE later (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if _, err := s.dbr.exec(ctx, text, 1); err != nil {
			t.Fatal(err)
		}
		s.stmts.wg.Wait()
	}
	if n, p := s.stmts.len(), s.stmts.prepared.Load(); n != 1 || p != 1 {
		t.Fatalf("%d statements cached, %d prepared; want 1, 1", n, p)
	}
	var n int
	if err := s.db.QueryRow("SELECT COUNT(*) FROM later").Scan(&n); err != nil || n != 4 {
		t.Fatalf("%d rows, %v", n, err)
	}
}

// TestStmtCacheClosesHeldStatementsOnRelease evicts, and closes the cache
// with, a statement a caller holds: it stays usable until released.
func TestStmtCacheClosesHeldStatementsOnRelease(t *testing.T) {
	s := openTestSQLite(t)
	ctx := context.Background()
	c := newStmtCache(s.db, 1)
	defer c.close()
	ready := func(text string) *cachedStmt {
		t.Helper()
		for range 3 {
			if e := c.acquire(text); e != nil {
				return e
			}
			c.wg.Wait()
		}
		t.Fatalf("%q not prepared", text)
		return nil
	}
	waitClosed := func(e *cachedStmt) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			var n int
			if err := e.stmt.QueryRowContext(ctx).Scan(&n); err != nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q still open", e.text)
			}
			time.Sleep(time.Millisecond)
		}
	}
	a := ready("SELECT 1")
	b := ready("SELECT 2") // evicts a, which is held
	if c.len() != 1 {
		t.Fatalf("%d entries, bound 1", c.len())
	}
	var n int
	if err := a.stmt.QueryRowContext(ctx).Scan(&n); err != nil || n != 1 {
		t.Fatalf("evicted but held: %d, %v", n, err)
	}
	c.release(a)
	waitClosed(a)

	c.close()
	if err := b.stmt.QueryRowContext(ctx).Scan(&n); err != nil || n != 2 {
		t.Fatalf("closed cache, held statement: %d, %v", n, err)
	}
	if e := c.acquire("SELECT 2"); e != nil {
		t.Fatal("a closed cache returned a statement")
	}
	c.release(b)
	waitClosed(b)
}
