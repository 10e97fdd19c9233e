package sqlstore

import (
	"container/list"
	"context"
	"database/sql"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// stmtCacheSize bounds the statements a Store keeps prepared. The store's
// statements are built with placeholders, so their texts repeat: a few
// dozen cover the writes, reads by id and the common filters. Filters and
// IN lists of every length make others, which the bound keeps from growing
// memory without limit.
const stmtCacheSize = 512

// stmtCache keeps prepared statements by their exact SQL text. It exists
// for SQLite: modernc.org/sqlite parses and plans every statement it is
// given as text anew, a quarter of the CPU time of a write, while a
// prepared statement it keeps compiled and only resets between runs.
//
// A statement is prepared on the *sql.DB, which prepares it again, as
// needed, on each connection it runs on; in a transaction, Tx.StmtContext
// binds it to the transaction's connection, reusing the statement already
// prepared there.
//
// Admission: a text is prepared the second time it is seen (seen records
// hashes of texts seen once), so that texts run once, as hostile filter
// variety makes, do not push out the statements that repeat. Preparation
// runs in a goroutine of its own: preparing on the *sql.DB takes a free
// connection, and a caller in a transaction may hold the only one (a
// ":memory:" database has one; an app may cap its pool). Until the
// statement is ready, callers run the text unprepared, as they always can.
// Failed preparations are dropped, not cached: the text is tried again
// when next seen twice. When full, the least recently used statement is
// dropped, and closed once no caller holds it.
type stmtCache struct {
	db  *sql.DB
	max int

	ctx    context.Context // ends at close, stopping preparations
	cancel context.CancelFunc
	wg     sync.WaitGroup // preparations in flight

	mu     sync.Mutex
	m      map[string]*cachedStmt
	lru    list.List // of *cachedStmt, most recently used first
	seed   maphash.Seed
	seen   map[uint64]struct{} // hashes of texts seen once, at most 4*max
	closed bool
	hits   int64 // acquires that found a prepared statement (for tests)

	// prepared counts successful preparations (for tests).
	prepared atomic.Int64
}

// cachedStmt is one entry of a stmtCache. Its fields are guarded by the
// cache's mu.
type cachedStmt struct {
	text string
	stmt *sql.Stmt // nil while it is being prepared
	elem *list.Element
	// refs counts the callers between acquire and release: a dropped
	// entry's statement is closed when the last of them releases it.
	refs    int
	dropped bool
}

func newStmtCache(db *sql.DB, max int) *stmtCache {
	c := &stmtCache{db: db, max: max, m: map[string]*cachedStmt{}, seen: map[uint64]struct{}{}, seed: maphash.MakeSeed()}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// acquire returns the prepared entry for text, to be released after use,
// or nil when there is none (yet): the caller runs the text unprepared.
func (c *stmtCache) acquire(text string) *cachedStmt {
	c.mu.Lock()
	e, evicted := c.acquireLocked(text)
	c.mu.Unlock()
	if evicted != nil {
		closeLater(evicted)
	}
	return e
}

// acquireLocked is acquire under mu. It also returns a statement the
// caller must close, evicted to make room.
func (c *stmtCache) acquireLocked(text string) (_ *cachedStmt, evicted *sql.Stmt) {
	if c.closed || c.max <= 0 {
		return nil, nil
	}
	if e := c.m[text]; e != nil {
		if e.stmt == nil {
			return nil, nil // being prepared
		}
		c.lru.MoveToFront(e.elem)
		e.refs++
		c.hits++
		return e, nil
	}
	h := maphash.String(c.seed, text)
	if _, ok := c.seen[h]; !ok {
		if len(c.seen) >= 4*c.max {
			clear(c.seen)
		}
		c.seen[h] = struct{}{}
		return nil, nil
	}
	delete(c.seen, h)
	if len(c.m) >= c.max {
		evicted = c.dropLocked(c.lru.Back().Value.(*cachedStmt))
	}
	e := &cachedStmt{text: text}
	e.elem = c.lru.PushFront(e)
	c.m[text] = e
	c.wg.Add(1)
	go c.prepare(e)
	return nil, evicted
}

// prepare prepares e's text on the database and makes e ready, or drops
// it if preparing failed or the cache dropped it meanwhile.
func (c *stmtCache) prepare(e *cachedStmt) {
	defer c.wg.Done()
	stmt, err := c.db.PrepareContext(c.ctx, e.text)
	c.mu.Lock()
	if err == nil && !e.dropped {
		e.stmt = stmt
		c.prepared.Add(1)
		c.mu.Unlock()
		return
	}
	if !e.dropped {
		c.dropLocked(e)
	}
	c.mu.Unlock()
	if stmt != nil {
		_ = stmt.Close()
	}
}

// dropLocked removes e from the cache and returns its statement when it
// should be closed now (by the caller, after unlocking mu, see
// closeLater): when it is prepared and no caller holds it. A held one is closed by the last
// release, one being prepared by prepare.
func (c *stmtCache) dropLocked(e *cachedStmt) *sql.Stmt {
	e.dropped = true
	delete(c.m, e.text)
	c.lru.Remove(e.elem)
	if e.refs == 0 {
		return e.stmt
	}
	return nil
}

// release ends a use of an entry acquire returned.
func (c *stmtCache) release(e *cachedStmt) {
	c.mu.Lock()
	e.refs--
	var stmt *sql.Stmt
	if e.dropped && e.refs == 0 {
		stmt = e.stmt
	}
	c.mu.Unlock()
	if stmt != nil {
		closeLater(stmt)
	}
}

// closeLater closes a statement the cache dropped, on a goroutine of its
// own. Closing takes the lock of every connection the statement is
// prepared on, which a connection holds while it runs a statement, and
// one waiting for the SQLite write lock holds for up to busy_timeout: the
// caller, which may hold the write lock in a transaction, must not wait.
func closeLater(stmt *sql.Stmt) {
	go func() { _ = stmt.Close() }()
}

// len returns the number of entries, prepared or being prepared.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// close stops preparations, waits for those in flight and closes every
// statement (those in use when their last caller releases them). Later
// acquires return nil, so the store runs its statements unprepared.
func (c *stmtCache) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	c.mu.Lock()
	var stmts []*sql.Stmt
	for _, e := range c.m {
		if s := c.dropLocked(e); s != nil {
			stmts = append(stmts, s)
		}
	}
	clear(c.seen)
	c.mu.Unlock()
	for _, s := range stmts {
		_ = s.Close()
	}
}

// runner runs a store's statements on its database (db) or in one of its
// transactions (tx), through the store's statement cache c when it has
// one. A runner of a transaction is for one goroutine at a time, as the
// transaction is, and its done must be called once the transaction has
// ended.
//
// A runner holds (acquire) the cache entries it uses until it no longer
// needs them: a transaction's until done, a statement's on the database
// until its rows are read. So the cache's closeLater is what closes a
// dropped statement, not database/sql on the caller's goroutine (which it
// would when the caller ended the statement's last use), see closeLater.
//
// Rows a statement returns must be read to their end before the same text
// runs again in the transaction: SQLite keeps one compiled statement per
// connection and text, which the second run would reset under the
// first's rows. (The store reads each statement's rows, in each, before it
// runs the next.)
type runner struct {
	c  *stmtCache // nil: run every text unprepared
	db *sql.DB
	tx *sql.Tx
	// bound are the cached statements bound to tx, by text, and held the
	// entries they come from.
	bound map[string]*sql.Stmt
	held  []*cachedStmt
}

func (s *Store) inTx(tx *sql.Tx) *runner { return &runner{c: s.stmts, tx: tx} }

// done releases the entries the runner of a transaction holds, once the
// transaction has ended.
func (r *runner) done() {
	for _, e := range r.held {
		r.c.release(e)
	}
	r.held, r.bound = nil, nil
}

// txStmt returns the statement of text bound to the transaction, or nil
// to run the text unprepared.
func (r *runner) txStmt(ctx context.Context, text string) *sql.Stmt {
	if st, ok := r.bound[text]; ok {
		return st
	}
	e := r.c.acquire(text)
	if e == nil {
		return nil
	}
	r.held = append(r.held, e)
	st := r.tx.StmtContext(ctx, e.stmt)
	if r.bound == nil {
		r.bound = map[string]*sql.Stmt{}
	}
	r.bound[text] = st
	return st
}

// failed forgets the bound statement of text after an error, so that
// binding is tried again rather than an error kept.
func (r *runner) failed(text string) { delete(r.bound, text) }

// prepared returns the cached statement of text (bound to the
// transaction, in one) and the function that ends its use, or a nil
// statement to run text unprepared.
func (r *runner) prepared(ctx context.Context, text string) (*sql.Stmt, func()) {
	switch {
	case r.c == nil:
		return nil, nil
	case r.tx != nil:
		// Held until the transaction is done.
		return r.txStmt(ctx, text), func() {}
	}
	e := r.c.acquire(text)
	if e == nil {
		return nil, nil
	}
	return e.stmt, func() { r.c.release(e) }
}

func (r *runner) exec(ctx context.Context, text string, args ...any) (sql.Result, error) {
	if st, end := r.prepared(ctx, text); st != nil {
		defer end()
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			r.failed(text)
		}
		return res, err
	}
	if r.tx != nil {
		return r.tx.ExecContext(ctx, text, args...)
	}
	return r.db.ExecContext(ctx, text, args...)
}

// each runs text and calls fn for every row.
func (r *runner) each(ctx context.Context, text string, args []any, fn func(*sql.Rows) error) error {
	var rows *sql.Rows
	var err error
	if st, end := r.prepared(ctx, text); st != nil {
		// Ended once the rows are closed (defers run last in, first out).
		defer end()
		if rows, err = st.QueryContext(ctx, args...); err != nil {
			r.failed(text)
			return err
		}
	} else if r.tx != nil {
		rows, err = r.tx.QueryContext(ctx, text, args...)
	} else {
		rows, err = r.db.QueryContext(ctx, text, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// eachString runs text, which selects one text column, and calls fn with
// the value of every row.
func (r *runner) eachString(ctx context.Context, text string, args []any, fn func(string)) error {
	return r.each(ctx, text, args, func(rows *sql.Rows) error {
		var v string
		if err := rows.Scan(&v); err != nil {
			return err
		}
		fn(v)
		return nil
	})
}

// row is a *sql.Row that, scanned, ends the use of the statement it came
// from.
type row struct {
	*sql.Row
	end func()
}

func (r row) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if r.end != nil {
		r.end()
	}
	return err
}

// queryRow runs text for at most one row; its Scan must be called.
func (r *runner) queryRow(ctx context.Context, text string, args ...any) row {
	if st, end := r.prepared(ctx, text); st != nil {
		res := st.QueryRowContext(ctx, args...)
		if res.Err() != nil {
			r.failed(text)
		}
		return row{Row: res, end: end}
	}
	if r.tx != nil {
		return row{Row: r.tx.QueryRowContext(ctx, text, args...)}
	}
	return row{Row: r.db.QueryRowContext(ctx, text, args...)}
}
