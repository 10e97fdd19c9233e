package scim_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

// largeGroupMembers is the size of the group the membership benchmarks
// change (issue #9: PATCH adding one member to a 100k-member group).
const largeGroupMembers = 100_000

// BenchmarkPatchMemberLargeGroup: Okta's and Entra ID's one-member PATCHes
// (add by value list; remove by `members[value eq "…"]`) on a group of
// 100,000 members, through bearer auth, the handler and each store, with
// the SQL store's audit sink writing a record in the same transaction.
// Each op uses a user outside the group; when the pool runs out, the timer
// stops while the pool is reset.
func BenchmarkPatchMemberLargeGroup(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) (store.Store, store.AuditSink)
	}{
		{"memory", func(*testing.B) (store.Store, store.AuditSink) { return memory.New(), &memory.AuditLog{} }},
		{"sqlite", func(b *testing.B) (store.Store, store.AuditSink) {
			s := sqlstoretest.SQLite(b)
			return s, s.AuditSink()
		}},
		{"postgres", func(b *testing.B) (store.Store, store.AuditSink) {
			s, _ := sqlstoretest.Postgres(b)
			return s, s.AuditSink()
		}},
	}
	for _, sc := range stores {
		b.Run(sc.name, func(b *testing.B) {
			st, sink := sc.open(b)
			const pool = 2000
			scope := store.Scope{Tenant: "t"}
			seedLargeGroup(b, st, scope, largeGroupMembers, pool)
			if db, ok := st.(interface{ DB() *sql.DB }); ok && sc.name == "postgres" {
				// Statistics, as autovacuum gathers them after a bulk load:
				// without them the planner takes the fresh 100k-row tables
				// for empty and scans them.
				if _, err := db.DB().Exec("ANALYZE"); err != nil {
					b.Fatal(err)
				}
			}
			quiet := slog.New(slog.DiscardHandler)
			h, err := scim.NewHandler(scim.Config{Store: st, Audit: sink, Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			mw, _ := auth.Bearer([]auth.Token{{ID: "t", Hash: auth.HashToken("token"), Principal: auth.Principal{Tenant: "t"}}}, quiet)
			srv := mw(h)
			setPool := func(in bool) {
				err := st.Update(context.Background(), scope, func(ctx context.Context, tx store.Tx) error {
					ids := make([]string, pool)
					ms := make([]store.Member, pool)
					for i := range ids {
						ids[i] = fmt.Sprintf("p%05d", i)
						ms[i] = store.Member{Value: ids[i], Type: store.User}
					}
					if in {
						_, err := tx.AddMembers(ctx, "big", ms)
						return err
					}
					_, err := tx.RemoveMembers(ctx, "big", ids)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			for _, mode := range []string{"Add", "Remove"} {
				b.Run(mode, func(b *testing.B) {
					setPool(mode == "Remove")
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						if i > 0 && i%pool == 0 {
							b.StopTimer()
							setPool(mode == "Remove")
							b.StartTimer()
						}
						id := fmt.Sprintf("p%05d", i%pool)
						body := fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"add","path":"members","value":[{"value":"%s"}]}]}`, patchURN, id)
						if mode == "Remove" {
							body = fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`, patchURN, id)
						}
						if rec := serveBench(srv, "PATCH", "/Groups/big", body); rec.Code != http.StatusNoContent {
							b.Fatalf("%d %s", rec.Code, rec.Body)
						}
						i++
					}
				})
			}
		})
	}
}

// seedLargeGroup creates members users u… in group "big" and pool more
// users p… outside it, straight through the store.
func seedLargeGroup(b testing.TB, st store.Store, scope store.Scope, members, pool int) {
	b.Helper()
	ctx := context.Background()
	const chunk = 5000
	type span struct {
		prefix     string
		start, end int
	}
	var spans []span
	for _, s := range []struct {
		prefix string
		n      int
	}{{"u", members}, {"p", pool}} {
		for start := 0; start < s.n; start += chunk {
			spans = append(spans, span{s.prefix, start, min(start+chunk, s.n)})
		}
	}
	db, _ := st.(interface{ DB() *sql.DB })
	d, _ := st.(interface{ Dialect() sqlstore.Dialect })
	postgres := db != nil && d != nil && d.Dialect() == sqlstore.PostgreSQL
	// PostgreSQL takes the users in four transactions at once, each
	// waiting on round trips most of the time; the other stores take
	// their writers one at a time anyway.
	workers := 1
	if postgres {
		workers = 4
	}
	next := make(chan span)
	errs := make(chan error, workers)
	for range workers {
		go func() {
			var err error
			for sp := range next {
				if err != nil {
					continue
				}
				err = st.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
					for i := sp.start; i < sp.end; i++ {
						id := fmt.Sprintf("%s%05d", sp.prefix, i)
						r := &store.Resource{Type: store.User, ID: id, Attributes: map[string]any{"userName": id + "@example.com", "active": true}}
						if err := tx.Create(ctx, r); err != nil {
							return err
						}
					}
					return nil
				})
			}
			errs <- err
		}()
	}
	for _, sp := range spans {
		next <- sp
	}
	close(next)
	for range workers {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	if postgres {
		// Statistics before the members go in, as autovacuum gathers
		// them after a bulk load: without them PostgreSQL takes the
		// fresh users table for empty and scans it for every chunk of
		// version bumps (minutes instead of seconds). Only the store's
		// tables (of the default prefix): the whole database takes longer.
		if _, err := db.DB().Exec("ANALYZE scim_resources, scim_members"); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, &store.Resource{Type: store.Group, ID: "big", Attributes: map[string]any{"displayName": "Everyone"}})
	}); err != nil {
		b.Fatal(err)
	}
	for start := 0; start < members; start += chunk {
		err := st.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
			ms := make([]store.Member, 0, chunk)
			for i := start; i < min(start+chunk, members); i++ {
				ms = append(ms, store.Member{Value: fmt.Sprintf("u%05d", i), Type: store.User})
			}
			_, err := tx.AddMembers(ctx, "big", ms)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
