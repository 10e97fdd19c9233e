package sqlstoretest_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

// schemaOf returns the schema a store lent by Schemas works in.
func schemaOf(t *testing.T, s *sqlstore.Store) string {
	t.Helper()
	var name string
	require.NoError(t, s.DB().QueryRow(`SELECT current_schema()`).Scan(&name))
	return name
}

func schemaExists(t *testing.T, s *sqlstore.Store, name string) bool {
	t.Helper()
	var n int
	require.NoError(t, s.DB().QueryRow(`SELECT count(*) FROM pg_namespace WHERE nspname = $1`, name).Scan(&n))
	return n == 1
}

func createUser(t *testing.T, s *sqlstore.Store, id string) *store.Resource {
	t.Helper()
	r := &store.Resource{Type: store.User, ID: id, Attributes: map[string]any{"userName": id}}
	require.NoError(t, s.Update(context.Background(), store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, r)
	}))
	return r
}

// TestSchemasLendEmptyMigratedSchemas: a schema comes back from a test
// empty, with its sequences restarted, and is lent again; one whose
// definition a test changed is dropped instead; Close drops the rest.
func TestSchemasLendEmptyMigratedSchemas(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresDSN(t)
	pool := sqlstoretest.NewSchemas()
	var first string
	var seq1 int64
	t.Run("first test", func(t *testing.T) {
		s, _ := pool.Postgres(t)
		first = schemaOf(t, s)
		v, err := s.SchemaVersion(context.Background())
		require.NoError(t, err)
		assert.Positive(t, v, "the schema is migrated")
		createUser(t, s, "u1")
		require.NoError(t, s.DB().QueryRow(`SELECT seq FROM scim_resources WHERE id = 'u1'`).Scan(&seq1))
		// Past the size a table is truncated at rather than deleted from.
		_, err = s.DB().Exec(`INSERT INTO scim_replay (key, expires) SELECT 'k' || g, 1 FROM generate_series(1, 1500) g`)
		require.NoError(t, err)
	})
	t.Run("second test", func(t *testing.T) {
		s, _ := pool.Postgres(t)
		assert.Equal(t, first, schemaOf(t, s), "the schema is lent again")
		page, err := s.List(context.Background(), store.Scope{}, store.User, store.Query{Count: -1})
		require.NoError(t, err)
		assert.Zero(t, page.Total, "no row of the first test is left")
		var replay int
		require.NoError(t, s.DB().QueryRow(`SELECT count(*) FROM scim_replay`).Scan(&replay))
		assert.Zero(t, replay)
		createUser(t, s, "u2")
		var seq int64
		require.NoError(t, s.DB().QueryRow(`SELECT seq FROM scim_resources WHERE id = 'u2'`).Scan(&seq))
		assert.Equal(t, seq1, seq, "sequences start over")
		_, err = s.DB().Exec(`CREATE TABLE extra (x int)`)
		require.NoError(t, err)
	})
	for _, change := range []string{`ALTER TABLE scim_replay ADD COLUMN note TEXT`, `DROP INDEX scim_replay_expires`} {
		t.Run("a test that ran "+change, func(t *testing.T) {
			s, _ := pool.Postgres(t)
			assert.NotEqual(t, first, schemaOf(t, s), "a changed schema is not lent again")
			assert.False(t, schemaExists(t, s, first), "a changed schema is dropped")
			first = schemaOf(t, s)
			_, err := s.DB().Exec(change)
			require.NoError(t, err)
		})
	}
	t.Run("last test", func(t *testing.T) {
		s, _ := pool.Postgres(t)
		assert.NotEqual(t, first, schemaOf(t, s))
		assert.False(t, schemaExists(t, s, first))
		first = schemaOf(t, s)
	})
	s, _ := sqlstoretest.Postgres(t)
	assert.True(t, schemaExists(t, s, first), "a lent schema outlives its test")
	require.NoError(t, pool.Close())
	assert.False(t, schemaExists(t, s, first), "Close drops it")
}

// TestSchemasWithPrefix: a pool for another table prefix lends schemas
// holding that prefix's tables only, and opens its stores with it.
func TestSchemasWithPrefix(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresDSN(t)
	pool := sqlstoretest.NewSchemasWithPrefix("app_scim_")
	t.Cleanup(func() { require.NoError(t, pool.Close()) })
	var first string
	for _, name := range []string{"first test", "second test"} {
		t.Run(name, func(t *testing.T) {
			s, _ := pool.Postgres(t)
			if first == "" {
				first = schemaOf(t, s)
			}
			assert.Equal(t, first, schemaOf(t, s), "the schema is lent again")
			var tables []string
			rows, err := s.DB().Query(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)
			require.NoError(t, err)
			for rows.Next() {
				var n string
				require.NoError(t, rows.Scan(&n))
				tables = append(tables, n)
			}
			require.NoError(t, rows.Err())
			require.NotEmpty(t, tables)
			for _, n := range tables {
				assert.Regexp(t, `^app_scim_`, n)
			}
			page, err := s.List(context.Background(), store.Scope{}, store.User, store.Query{Count: -1})
			require.NoError(t, err)
			assert.Zero(t, page.Total)
			createUser(t, s, "u1")
		})
	}
}

// TestSchemasKeepConnections: a lent schema comes with the connections of
// the test before, their pool settings put back; one whose test closed
// them comes with new ones.
func TestSchemasKeepConnections(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresDSN(t)
	pool := sqlstoretest.NewSchemas()
	t.Cleanup(func() { require.NoError(t, pool.Close()) })
	var db *sql.DB
	t.Run("first test", func(t *testing.T) {
		s, _ := pool.Postgres(t)
		db = s.DB()
		createUser(t, s, "u1")
		db.SetMaxOpenConns(1)
	})
	t.Run("second test", func(t *testing.T) {
		s, _ := pool.Postgres(t)
		assert.Same(t, db, s.DB(), "the connections are kept")
		assert.Equal(t, 8, s.DB().Stats().MaxOpenConnections, "with the pool's settings")
		createUser(t, s, "u1")
		require.NoError(t, s.DB().Close())
	})
	t.Run("third test", func(t *testing.T) {
		s, _ := pool.Postgres(t)
		assert.NotSame(t, db, s.DB(), "closed connections are replaced")
		page, err := s.List(context.Background(), store.Scope{}, store.User, store.Query{Count: -1})
		require.NoError(t, err)
		assert.Zero(t, page.Total)
	})
}
