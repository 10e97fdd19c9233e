package sqlstore_test

import (
	"context"
	"os"
	"testing"

	"github.com/scimkit/scimkit/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
	"github.com/scimkit/scimkit/store/storetest"
)

// pgSchemas lends the package's PostgreSQL stores migrated schemas, and
// appSchemas those of the table prefix "app_scim_"; TestMain drops them.
var (
	pgSchemas  = sqlstoretest.NewSchemas()
	appSchemas = sqlstoretest.NewSchemasWithPrefix("app_scim_")
)

func TestContractSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return sqlstoretest.SQLite(t) })
}

func TestContractSQLiteInMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), ":memory:")
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestContractPostgreSQL(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := pgSchemas.Postgres(t)
		return s
	})
}

// stores opens a fresh store of each dialect (PostgreSQL when
// SCIMKIT_POSTGRES_DSN is set) for t.
func stores(t *testing.T) map[string]*sqlstore.Store {
	t.Helper()
	out := map[string]*sqlstore.Store{"sqlite": sqlstoretest.SQLite(t)}
	if os.Getenv(sqlstoretest.DSNEnv) != "" {
		out["postgres"], _ = pgSchemas.Postgres(t)
	}
	return out
}

func TestExcludeMembersLeavesMembersNil(t *testing.T) {
	t.Parallel()
	if os.Getenv(sqlstoretest.DSNEnv) == "" {
		t.Log(sqlstoretest.DSNEnv + " is not set: SQLite only")
	}
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
				if err := tx.Create(ctx, &store.Resource{Type: store.User, ID: "u1", Attributes: map[string]any{"userName": "alice"}}); err != nil {
					return err
				}
				return tx.Create(ctx, &store.Resource{Type: store.Group, ID: "g1", Attributes: map[string]any{"displayName": "G"},
					Members: []store.Member{{Value: "u1", Type: store.User}}})
			}))
			// A filter on members runs in Go, after the rows are read with
			// their members: List's other path.
			onMembers, err := filter.Parse(`members.value eq "u1"`, filter.WithSchemas(schema.Group()))
			require.NoError(t, err)
			stmts, err := s.ListSQL(store.Scope{}, store.Group, store.Query{Filter: onMembers, Count: -1})
			require.NoError(t, err)
			require.Len(t, stmts, 1, "the members filter is not done in SQL")
			for _, q := range []store.Query{{Count: -1}, {Filter: onMembers, Count: -1}} {
				q.ExcludeMembers = true
				p, err := s.List(ctx, store.Scope{}, store.Group, q)
				require.NoError(t, err)
				require.Len(t, p.Resources, 1)
				assert.Nil(t, p.Resources[0].Members, "filter %v", q.Filter)

				q.ExcludeMembers = false
				p, err = s.List(ctx, store.Scope{}, store.Group, q)
				require.NoError(t, err)
				require.Len(t, p.Resources, 1)
				assert.Equal(t, []store.Member{{Value: "u1", Type: store.User, Display: "alice"}}, p.Resources[0].Members, "filter %v", q.Filter)
			}
		})
	}
}
