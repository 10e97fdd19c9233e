package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/scimkit/scimkit/schema"
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
	// PostgreSQL takes them in four transactions at once: one at a time,
	// each create waits on its round trips (7 s for 20,000 users, 2 s so).
	parts := 1
	if d, ok := s.(interface{ Dialect() sqlstore.Dialect }); ok && d.Dialect() == sqlstore.PostgreSQL {
		parts = 4
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			errs[p] = s.Update(context.Background(), scope, func(ctx context.Context, tx store.Tx) error {
				for i := p * n / parts; i < (p+1)*n/parts; i++ {
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
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
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
	t.Parallel()
	stores := map[string]func(t *testing.T) *sqlstore.Store{
		"sqlite":   func(t *testing.T) *sqlstore.Store { return sqlstoretest.SQLite(t) },
		"postgres": func(t *testing.T) *sqlstore.Store { s, _ := pgSchemas.Postgres(t); return s },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			// Enough rows for PostgreSQL's planner to prefer an index.
			seedUsers(t, s, store.Scope{Tenant: "t"}, 20000)
			if s.Dialect() == sqlstore.PostgreSQL {
				// The store's table: the whole database takes longer.
				_, err := s.DB().Exec("ANALYZE scim_resources")
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
	f, err := filter.Parse(text, filter.WithSchemas(schema.User(), schema.EnterpriseUser()))
	require.NoError(t, err)
	return store.Query{Filter: f, StartIndex: 1, Count: 100}
}

// Every statement the write path runs reaches resources by key: none goes
// through the creation-order index (List's, for ORDER BY seq), on which
// SQLite would scan every resource of a type. The statements are the ones
// the statement cache admitted while the writes ran.
func TestWritePathPlansUseKeys(t *testing.T) {
	t.Parallel()
	s := sqlstoretest.SQLite(t)
	ctx := context.Background()
	scope := store.Scope{Tenant: "t"}
	seedUsers(t, s, scope, 50)
	for round := range 3 { // a text is admitted the second time it is seen
		gid := fmt.Sprintf("g%d", round)
		require.NoError(t, s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
			members := make([]store.Member, 0, 20)
			for i := range 20 {
				members = append(members, store.Member{Value: fmt.Sprintf("u%07d", i), Type: store.User})
			}
			if err := tx.Create(ctx, &store.Resource{Type: store.Group, ID: gid, Attributes: map[string]any{"displayName": gid},
				Members: members}); err != nil {
				return err
			}
			if _, err := tx.AddMembers(ctx, gid, []store.Member{{Value: "u0000030", Type: store.User}, {Value: "u0000031", Type: store.User}}); err != nil {
				return err
			}
			if _, err := tx.RemoveMembers(ctx, gid, []string{"u0000001", "u0000002"}); err != nil {
				return err
			}
			u, err := tx.Get(ctx, store.User, "u0000003")
			if err != nil {
				return err
			}
			u.Attributes["title"] = gid
			if err := tx.Replace(ctx, u); err != nil {
				return err
			}
			g, err := tx.Get(ctx, store.Group, gid)
			if err != nil {
				return err
			}
			g.Attributes["displayName"] = gid + " renamed"
			if err := tx.Replace(ctx, g); err != nil {
				return err
			}
			return tx.Delete(ctx, store.User, fmt.Sprintf("u%07d", 40+round))
		}))
	}
	sqlstore.WaitStmtCache(s)
	texts := sqlstore.StmtCacheTexts(s)
	require.NotEmpty(t, texts)
	checked := 0
	for _, text := range texts {
		if !strings.Contains(text, "resources") || strings.Contains(text, "ORDER BY") && strings.Contains(text, "seq") {
			continue
		}
		args := make([]any, strings.Count(text, "?"))
		for i := range args {
			args[i] = "x"
		}
		rows, err := s.DB().Query("EXPLAIN QUERY PLAN "+text, args...)
		require.NoError(t, err, text)
		for rows.Next() {
			var id, parent, notUsed int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &notUsed, &detail))
			assert.NotContains(t, detail, "resources_seq", text)
			assert.NotRegexp(t, `^SCAN \S*resources\b`, detail, text)
		}
		require.NoError(t, rows.Close())
		checked++
	}
	assert.Greater(t, checked, 5, "statements checked")
}
