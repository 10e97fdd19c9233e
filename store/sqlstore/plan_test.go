package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/elimity-com/scim/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

// seedUsers inserts n users in one transaction through the Store.
func seedUsers(t testing.TB, s store.Store, scope store.Scope, n int) {
	t.Helper()
	require.NoError(t, s.Update(context.Background(), scope, func(ctx context.Context, tx store.Tx) error {
		for i := range n {
			r := &store.Resource{Type: store.User, ID: fmt.Sprintf("u%07d", i), Attributes: map[string]any{
				"userName":   fmt.Sprintf("User%07d@Example.com", i),
				"externalId": fmt.Sprintf("ext-%07d", i),
				"active":     i%2 == 0,
			}}
			if err := tx.Create(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}))
}

// explain returns the plans of the statements List runs for a filter
// (ListSQL's), in order.
func explain(t *testing.T, s *sqlstore.Store, filterText string) []string {
	t.Helper()
	stmts, err := s.ListSQL(store.Scope{Tenant: "t"}, store.User, userQuery(t, filterText))
	require.NoError(t, err)
	prefix := "EXPLAIN QUERY PLAN "
	if s.Dialect() == sqlstore.PostgreSQL {
		prefix = "EXPLAIN "
	}
	var plans []string
	for _, stmt := range stmts {
		rows, err := s.DB().Query(prefix+stmt.SQL, stmt.Args...)
		require.NoError(t, err, stmt.SQL)
		cols, _ := rows.Columns()
		plan := []string{stmt.SQL}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			plan = append(plan, fmt.Sprint(vals...))
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		plans = append(plans, strings.Join(plan, "\n"))
	}
	return plans
}

func TestIndexesServeIdPLookups(t *testing.T) {
	stores := map[string]func(t *testing.T) *sqlstore.Store{
		"sqlite":   func(t *testing.T) *sqlstore.Store { return sqlstoretest.SQLite(t) },
		"postgres": func(t *testing.T) *sqlstore.Store { s, _ := sqlstoretest.Postgres(t); return s },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			// Enough rows for PostgreSQL's planner to prefer an index.
			seedUsers(t, s, store.Scope{Tenant: "t"}, 20000)
			if s.Dialect() == sqlstore.PostgreSQL {
				_, err := s.DB().Exec("ANALYZE")
				require.NoError(t, err)
			}
			for filterText, index := range map[string]string{
				`userName eq "user0001234@example.com"`:         "resources_user_name",
				`externalId eq "ext-0001234"`:                   "resources_external_id",
				`id eq "u0001234"`:                              "resources_pkey",
				`displayName eq "Babs" or displayName eq "Bob"`: "resources_display_name",
			} {
				plans := explain(t, s, filterText)
				// SQL does all of an IdP lookup: List counts, then pages.
				require.Len(t, plans, 2, filterText)
				assert.True(t, strings.HasPrefix(plans[0], "SELECT COUNT(*) FROM"), plans[0])
				assert.True(t, strings.HasPrefix(plans[1], "SELECT id FROM"), plans[1])
				for _, plan := range plans {
					if s.Dialect() == sqlstore.SQLite {
						// "USING INDEX" or "USING COVERING INDEX".
						want := "INDEX scim_" + index
						if index == "resources_pkey" {
							want = "INDEX sqlite_autoindex_scim_resources_1"
						}
						assert.Contains(t, plan, want, "%s:\n%s", filterText, plan)
						assert.NotContains(t, plan, "SCAN scim_resources", "%s:\n%s", filterText, plan)
					} else {
						assert.Contains(t, plan, "scim_"+index, "%s:\n%s", filterText, plan)
						assert.NotContains(t, plan, "Seq Scan", "%s:\n%s", filterText, plan)
					}
				}
			}
		})
	}
}

func userQuery(t *testing.T, text string) store.Query {
	t.Helper()
	f, err := filter.Parse(text, filter.WithSchemas(schema.CoreUserSchema(), schema.ExtensionEnterpriseUser()))
	require.NoError(t, err)
	return store.Query{Filter: f, StartIndex: 1, Count: 100}
}
