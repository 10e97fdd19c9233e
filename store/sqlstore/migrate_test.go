package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
	"github.com/scimkit/scimkit/store/storetest"
)

// Replicas of an app deployed together all open the store on a database
// that has none of its tables yet: every one of them must come up.
func TestReplicasMigrateAtOnce(t *testing.T) {
	t.Parallel()
	_, dsn := sqlstoretest.Postgres(t) // a fresh schema of our own
	for round := range 8 {
		prefix := fmt.Sprintf("fresh%d_", round)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := sql.Open("pgx", dsn)
				if err != nil {
					errs[i] = err
					return
				}
				defer db.Close()
				_, errs[i] = sqlstore.New(context.Background(), db, sqlstore.PostgreSQL, sqlstore.WithTablePrefix(prefix))
			}()
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "round %d, replica %d", round, i)
		}
		s := sqlstoretest.OpenPostgres(t, dsn, sqlstore.WithTablePrefix(prefix))
		v, err := s.SchemaVersion(context.Background())
		require.NoError(t, err)
		assert.Equal(t, sqlstore.LatestSchemaVersion, v)
	}
}

func TestReplicasMigrateAtOnceSQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "scim.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqlite.Open(context.Background(), path)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "replica %d", i)
	}
}

// A table prefix keeps the store beside the host app's tables: two
// prefixes in one database are two independent stores, each passing the
// contract.
func TestTablePrefix(t *testing.T) {
	t.Parallel()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		storetest.Run(t, func(t *testing.T) store.Store { return sqlstoretest.SQLite(t, sqlstore.WithTablePrefix("app_scim_")) })
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		// Schemas migrated for the prefix, lent to one subtest after
		// another; TestReplicasMigrateAtOnce migrates prefixes anew.
		storetest.Run(t, func(t *testing.T) store.Store {
			s, _ := appSchemas.Postgres(t)
			return s
		})
	})
	t.Run("side by side", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "app.db")
		a, err := sqlite.Open(ctx, path, sqlstore.WithTablePrefix("a_"))
		require.NoError(t, err)
		defer a.Close()
		b, err := sqlite.Open(ctx, path, sqlstore.WithTablePrefix("b_"))
		require.NoError(t, err)
		defer b.Close()
		require.NoError(t, a.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
			return tx.Create(ctx, &store.Resource{Type: store.User, ID: "u1", Attributes: map[string]any{"userName": "x"}})
		}))
		for _, s := range []*sqlstore.Store{a, b} {
			page, err := s.List(ctx, store.Scope{}, store.User, store.Query{StartIndex: 1, Count: 10})
			require.NoError(t, err)
			n := 0
			if s == a {
				n = 1
			}
			assert.Equal(t, n, page.Total)
		}
		var tables []string
		rows, err := a.DB().Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
		require.NoError(t, err)
		for rows.Next() {
			var n string
			require.NoError(t, rows.Scan(&n))
			tables = append(tables, n)
		}
		require.NoError(t, rows.Err())
		for _, n := range tables {
			assert.Regexp(t, `^(a_|b_)`, n)
		}
		_, err = sqlite.Open(ctx, path, sqlstore.WithTablePrefix("Bad-Prefix"))
		assert.Error(t, err)
	})
}

// The SQLite file runs in WAL mode, so readers never wait for the writer.
func TestSQLiteUsesWAL(t *testing.T) {
	t.Parallel()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "scim.db"))
	require.NoError(t, err)
	defer s.Close()
	var mode string
	require.NoError(t, s.DB().QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	assert.Equal(t, "wal", mode)
}

// A file name with URI metacharacters opens exactly that file (a '#' once
// cut the path short, so two stores shared one file).
func TestSQLitePathWithURICharacters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"a#1.db", "a#2.db", "b?x=1.db", "c%41.db", "d e.db"} {
		s, err := sqlite.Open(ctx, filepath.Join(dir, name))
		require.NoError(t, err, name)
		require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
			return tx.Create(ctx, &store.Resource{Type: store.User, ID: "u", Attributes: map[string]any{"userName": "same"}})
		}), "%s is a new, empty database", name)
		require.NoError(t, s.Close())
		assert.FileExists(t, filepath.Join(dir, name))
	}
}
