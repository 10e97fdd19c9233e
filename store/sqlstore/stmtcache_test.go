package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

func newUser(id, userName string) *store.Resource {
	return &store.Resource{Type: store.User, ID: id, Attributes: map[string]any{"userName": userName}}
}

func TestStmtCacheReusesStatements(t *testing.T) {
	t.Parallel()
	s := sqlstoretest.SQLite(t)
	ctx := context.Background()
	scope := store.Scope{Tenant: "t"}
	require.NoError(t, s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
		for i := range 20 {
			if err := tx.Create(ctx, newUser(fmt.Sprintf("u%d", i), fmt.Sprintf("user%d", i))); err != nil {
				return err
			}
		}
		return tx.Create(ctx, &store.Resource{Type: store.Group, ID: "g", Attributes: map[string]any{"displayName": "G"}})
	}))
	eq := func(i int) store.Query {
		f, err := filter.Parse(fmt.Sprintf(`userName eq "user%d"`, i), userSchemas)
		require.NoError(t, err)
		return store.Query{Filter: f, Count: 10}
	}
	// One round of the hot paths: reads by id, an equality filter, a
	// replace and a membership change, each with other values.
	round := func(i int) {
		id := fmt.Sprintf("u%d", i%20)
		r, err := s.Get(ctx, scope, store.User, id)
		require.NoError(t, err)
		p, err := s.List(ctx, scope, store.User, eq(i%20))
		require.NoError(t, err)
		require.Equal(t, 1, p.Total)
		require.NoError(t, s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
			cur, err := tx.Get(ctx, store.User, id)
			if err != nil {
				return err
			}
			cur.Attributes["displayName"] = fmt.Sprintf("D%d", i)
			if err := tx.Replace(ctx, cur); err != nil {
				return err
			}
			if _, err := tx.AddMembers(ctx, "g", []store.Member{{Value: id, Type: store.User}}); err != nil {
				return err
			}
			_, err = tx.RemoveMembers(ctx, "g", []string{id})
			return err
		}))
		assert.Equal(t, id, r.ID)
	}
	// A text is prepared the second time it is seen.
	for i := range 3 {
		round(i)
	}
	sqlstore.WaitStmtCache(s)
	size, prepared, hits := sqlstore.StmtCacheStats(s)
	require.Positive(t, size)
	require.Equal(t, int64(size), prepared, "every text seen twice is prepared, once")

	for i := 3; i < 40; i++ {
		round(i)
	}
	sqlstore.WaitStmtCache(s)
	size2, prepared2, hits2 := sqlstore.StmtCacheStats(s)
	assert.Equal(t, size, size2, "the same statements, with other values, add no texts")
	assert.Equal(t, prepared, prepared2, "and are not prepared again")
	assert.Greater(t, hits2-hits, int64(37*10), "they run prepared")
}

// orFilter is a filter that translates to a SQL text of its own for each
// n: n alternatives, so n placeholders.
func orFilter(t *testing.T, n int) store.Query {
	t.Helper()
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf(`userName eq "x%d"`, i)
	}
	f, err := filter.Parse(strings.Join(terms, " or "), userSchemas)
	require.NoError(t, err)
	return store.Query{Filter: f, Count: 10}
}

func TestStmtCacheIsBounded(t *testing.T) {
	t.Parallel()
	s := sqlstoretest.SQLite(t)
	const max = 8
	sqlstore.SetStmtCacheMax(s, max)
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, newUser("u1", "alice"))
	}))
	get := func() {
		_, err := s.Get(ctx, store.Scope{}, store.User, "u1")
		require.NoError(t, err)
	}
	get()
	get()
	sqlstore.WaitStmtCache(s)

	// Texts seen once are not prepared at all.
	for n := 1; n <= 60; n++ {
		_, err := s.List(ctx, store.Scope{}, store.User, orFilter(t, n))
		require.NoError(t, err)
		get()
	}
	sqlstore.WaitStmtCache(s)
	size, prepared, _ := sqlstore.StmtCacheStats(s)
	assert.LessOrEqual(t, size, max)
	assert.LessOrEqual(t, prepared, int64(2), "only Get's two statements")
	preparedOnce := prepared

	// Texts that repeat are, but never more than max of them at once; a
	// statement in steady use stays.
	for n := 1; n <= 60; n++ {
		for range 3 {
			p, err := s.List(ctx, store.Scope{}, store.User, orFilter(t, n))
			require.NoError(t, err)
			require.Equal(t, 0, p.Total)
		}
		get()
		size, _, _ := sqlstore.StmtCacheStats(s)
		require.LessOrEqual(t, size, max)
	}
	sqlstore.WaitStmtCache(s)
	size, prepared, hits := sqlstore.StmtCacheStats(s)
	assert.LessOrEqual(t, size, max)
	assert.GreaterOrEqual(t, prepared, preparedOnce+60, "the repeated texts were prepared (and evicted)")
	get()
	_, _, hits2 := sqlstore.StmtCacheStats(s)
	assert.Greater(t, hits2, hits, "the read by id is still prepared")
}

// TestStmtCacheConcurrentUse runs reads and writes on many goroutines, with
// a cache that is large enough and one so small that statements are
// evicted while others use them (run with -race).
func TestStmtCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	for _, max := range []int{512, 2} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			t.Parallel()
			s := sqlstoretest.SQLite(t)
			sqlstore.SetStmtCacheMax(s, max)
			ctx := context.Background()
			scope := store.Scope{Tenant: "t"}
			sink := s.AuditSink()
			require.NoError(t, s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
				return tx.Create(ctx, &store.Resource{Type: store.Group, ID: "g", Attributes: map[string]any{"displayName": "G"}})
			}))
			const workers, rounds = 8, 15
			ors := []store.Query{orFilter(t, 1), orFilter(t, 2), orFilter(t, 3), orFilter(t, 4)}
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- func() error {
						for i := range rounds {
							id := fmt.Sprintf("w%d-%d", w, i)
							err := s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
								if err := tx.Create(ctx, newUser(id, id+"@example.com")); err != nil {
									return err
								}
								if _, err := tx.AddMembers(ctx, "g", []store.Member{{Value: id, Type: store.User}}); err != nil {
									return err
								}
								return sink.RecordTx(ctx, tx, store.AuditRecord{Scope: scope, Operation: "create", ResourceType: store.User, ResourceID: id, Status: 201})
							})
							if err != nil {
								return fmt.Errorf("create %s: %w", id, err)
							}
							r, err := s.Get(ctx, scope, store.User, id)
							if err != nil {
								return err
							}
							if len(r.Groups) != 1 {
								return fmt.Errorf("%s: groups %v", id, r.Groups)
							}
							f, err := filter.Parse(fmt.Sprintf(`userName eq "%s@example.com"`, id), userSchemas)
							if err != nil {
								return err
							}
							p, err := s.List(ctx, scope, store.User, store.Query{Filter: f, Count: 10})
							if err != nil {
								return err
							}
							if p.Total != 1 {
								return fmt.Errorf("%s: total %d", id, p.Total)
							}
							if _, err := s.List(ctx, scope, store.User, ors[i%4]); err != nil {
								return err
							}
							if i%3 == 0 {
								if err := s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
									_, err := tx.RemoveMembers(ctx, "g", []string{id})
									return err
								}); err != nil {
									return err
								}
							}
							if err := sink.Record(ctx, store.AuditRecord{Scope: scope, Operation: "get", ResourceType: store.User, ResourceID: id, Status: 200}); err != nil {
								return err
							}
						}
						return nil
					}()
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			g, err := s.Get(ctx, scope, store.Group, "g")
			require.NoError(t, err)
			assert.Len(t, g.Members, workers*(rounds-(rounds+2)/3))
			recs, err := sink.AuditRecords(ctx, scope, store.AuditQuery{Limit: 1000})
			require.NoError(t, err)
			assert.Len(t, recs, 2*workers*rounds)
			size, _, hits := sqlstore.StmtCacheStats(s)
			assert.LessOrEqual(t, size, max)
			if max == 512 {
				assert.Positive(t, hits)
			}
		})
	}
}

func TestStmtCacheClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	warm := func(t *testing.T, s *sqlstore.Store) {
		require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
			return tx.Create(ctx, newUser("u1", "alice"))
		}))
		for range 3 {
			_, err := s.Get(ctx, store.Scope{}, store.User, "u1")
			require.NoError(t, err)
			_, err = s.List(ctx, store.Scope{}, store.User, store.Query{Count: 10})
			require.NoError(t, err)
		}
		sqlstore.WaitStmtCache(s)
	}
	t.Run("sqlite.Open", func(t *testing.T) {
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "scim.db"))
		require.NoError(t, err)
		warm(t, s)
		closeClosesStatements(t, s)
		size, _, _ := sqlstore.StmtCacheStats(s)
		assert.Zero(t, size)
		// The database is closed too: calls fail, cleanly.
		_, err = s.Get(ctx, store.Scope{}, store.User, "u1")
		require.ErrorContains(t, err, "database is closed")
		_, err = s.List(ctx, store.Scope{}, store.User, store.Query{Count: 10})
		require.Error(t, err)
		require.Error(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
			return tx.Create(ctx, newUser("u2", "bob"))
		}))
		require.NoError(t, s.Close(), "a second Close")
	})
	t.Run("New", func(t *testing.T) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "scim.db")+"?_pragma=busy_timeout(10000)&_txlock=immediate&_pragma=journal_mode(WAL)")
		require.NoError(t, err)
		defer db.Close()
		s, err := sqlstore.New(ctx, db, sqlstore.SQLite)
		require.NoError(t, err)
		warm(t, s)
		closeClosesStatements(t, s)
		// The caller's database stays open, and the store, as before,
		// usable: unprepared.
		r, err := s.Get(ctx, store.Scope{}, store.User, "u1")
		require.NoError(t, err)
		assert.Equal(t, "alice", r.UserName())
		require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
			return tx.Create(ctx, newUser("u2", "bob"))
		}))
		size, _, _ := sqlstore.StmtCacheStats(s)
		assert.Zero(t, size)
	})
}

// TestSQLiteReadsDoNotWaitForWriter checks that a List (in a read-only
// transaction) and a Get run while a write transaction holds the write
// lock, and see the state before it.
func TestSQLiteReadsDoNotWaitForWriter(t *testing.T) {
	s := sqlstoretest.SQLite(t)
	ctx := context.Background()
	require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, newUser("u1", "alice"))
	}))
	locked, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
			err := tx.Create(ctx, newUser("u2", "bob"))
			close(locked)
			<-release
			return err
		})
	}()
	<-locked
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	for range 3 {
		p, err := s.List(rctx, store.Scope{}, store.User, store.Query{Count: 10})
		require.NoError(t, err, "List waited for the writer")
		assert.Equal(t, 1, p.Total)
		_, err = s.Get(rctx, store.Scope{}, store.User, "u2")
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	close(release)
	require.NoError(t, <-done)
	p, err := s.List(ctx, store.Scope{}, store.User, store.Query{Count: 10})
	require.NoError(t, err)
	assert.Equal(t, 2, p.Total)
}

// closeClosesStatements closes s and checks that the statements its cache
// held were closed with it.
func closeClosesStatements(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	stmts := sqlstore.StmtCacheStatements(s)
	require.NotEmpty(t, stmts)
	require.NoError(t, s.Close())
	for _, st := range stmts {
		_, err := st.ExecContext(context.Background())
		require.Error(t, err, "closed with the store")
	}
}
