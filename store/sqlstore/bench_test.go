package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scimkit/scimkit/schema"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

// Benchmark fixtures outlive one benchmark function (which Go runs several
// times with growing b.N), so they are cached here and removed in TestMain.
var (
	fixturesMu sync.Mutex
	fixtures   = map[string]*sqlstore.Store{}
	fixtureDir string
	cleanups   []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	for _, p := range []*sqlstoretest.Schemas{pgSchemas, appSchemas} {
		if err := p.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = max(code, 1)
		}
	}
	if fixtureDir != "" {
		_ = os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

var benchScope = store.Scope{Tenant: "bench"}

// fixture returns a store of the dialect with n users bulk-loaded by SQL.
func fixture(b *testing.B, dialect string, n int) *sqlstore.Store {
	b.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	key := fmt.Sprintf("%s/%d", dialect, n)
	if s, ok := fixtures[key]; ok {
		return s
	}
	ctx := context.Background()
	var s *sqlstore.Store
	switch dialect {
	case "sqlite":
		if fixtureDir == "" {
			dir, err := os.MkdirTemp("", "scimkit-bench")
			if err != nil {
				b.Fatal(err)
			}
			fixtureDir = dir
		}
		var err error
		s, err = sqlite.Open(ctx, filepath.Join(fixtureDir, strings.ReplaceAll(key, "/", "-")+".db"))
		if err != nil {
			b.Fatal(err)
		}
		cleanups = append(cleanups, func() { _ = s.Close() })
		bulkLoad(b, s.DB(), `WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < ? - 1)
			INSERT INTO scim_resources (tenant, directory, id, type, seq, user_name, user_name_fold, external_id, external_id_fold,
				created, last_modified, version, doc, doc_fold)
			SELECT 'bench', '', printf('u%07d', i), 'User', i + 1, printf('user%07d@example.com', i), upper(printf('user%07d@example.com', i)),
				printf('ext-%07d', i), upper(printf('ext-%07d', i)), 1764000000000, 1764000000000, 1,
				json_object('userName', printf('user%07d@example.com', i), 'externalId', printf('ext-%07d', i), 'active', json('true')),
				json_object('userName', upper(printf('user%07d@example.com', i)), 'externalId', upper(printf('ext-%07d', i)), 'active', json('true'))
			FROM c`, n)
		bulkLoad(b, s.DB(), `UPDATE scim_counter SET n = ?`, n)
	case "postgres":
		dsn := os.Getenv("SCIMKIT_POSTGRES_DSN")
		if dsn == "" {
			b.Skip("SCIMKIT_POSTGRES_DSN is not set")
		}
		// A schema of this run's own, so concurrent runs do not collide;
		// dropped in TestMain.
		var suffix [4]byte
		_, _ = rand.Read(suffix[:])
		schemaName := "scimkit_bench_" + strings.ReplaceAll(key, "/", "_") + "_" + hex.EncodeToString(suffix[:])
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec("CREATE SCHEMA " + schemaName); err != nil {
			b.Fatal(err)
		}
		cleanups = append(cleanups, func() { _, _ = admin.Exec("DROP SCHEMA " + schemaName + " CASCADE"); _ = admin.Close() })
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		db, err := sql.Open("pgx", dsn+sep+"search_path="+schemaName)
		if err != nil {
			b.Fatal(err)
		}
		cleanups = append(cleanups, func() { _ = db.Close() })
		if s, err = sqlstore.New(ctx, db, sqlstore.PostgreSQL); err != nil {
			b.Fatal(err)
		}
		bulkLoad(b, db, `INSERT INTO scim_resources (tenant, directory, id, type, seq, user_name, user_name_fold, external_id, external_id_fold,
				created, last_modified, version, doc, doc_fold)
			SELECT 'bench', '', 'u' || lpad(i::text, 7, '0'), 'User', i + 1, 'user' || lpad(i::text, 7, '0') || '@example.com',
				upper('user' || lpad(i::text, 7, '0') || '@example.com'), 'ext-' || lpad(i::text, 7, '0'), upper('ext-' || lpad(i::text, 7, '0')),
				1764000000000, 1764000000000, 1,
				jsonb_build_object('userName', 'user' || lpad(i::text, 7, '0') || '@example.com', 'externalId', 'ext-' || lpad(i::text, 7, '0'), 'active', true),
				jsonb_build_object('userName', upper('user' || lpad(i::text, 7, '0') || '@example.com'), 'externalId', upper('ext-' || lpad(i::text, 7, '0')), 'active', true)
			FROM generate_series(0, $1 - 1) AS i`, n)
		bulkLoad(b, db, `SELECT setval('scim_seq', $1)`, n)
		bulkLoad(b, db, `ANALYZE`)
	default:
		b.Fatalf("unknown dialect %s", dialect)
	}
	fixtures[key] = s
	return s
}

func bulkLoad(b *testing.B, db *sql.DB, stmt string, args ...any) {
	b.Helper()
	if _, err := db.Exec(stmt, args...); err != nil {
		b.Fatalf("bulk load: %v", err)
	}
}

var userSchemas = filter.WithSchemas(schema.User(), schema.EnterpriseUser())

func dialects() []string { return []string{"sqlite", "postgres"} }

func BenchmarkGet(b *testing.B) {
	for _, d := range dialects() {
		b.Run(d, func(b *testing.B) {
			s := fixture(b, d, 10000)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := s.Get(ctx, benchScope, store.User, fmt.Sprintf("u%07d", i%10000)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUserNameEq(b *testing.B) {
	for _, d := range dialects() {
		for _, n := range []int{10000, 1000000} {
			b.Run(fmt.Sprintf("%s/%d", d, n), func(b *testing.B) {
				s := fixture(b, d, n)
				ctx := context.Background()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					i++
					f, err := filter.Parse(fmt.Sprintf(`userName eq "USER%07d@example.com"`, (i*7919)%n), userSchemas)
					if err != nil {
						b.Fatal(err)
					}
					p, err := s.List(ctx, benchScope, store.User, store.Query{Filter: f, Count: 100})
					if err != nil || p.Total != 1 {
						b.Fatalf("total %v, err %v", p, err)
					}
				}
			})
		}
	}
}

func BenchmarkListPage100(b *testing.B) {
	for _, d := range dialects() {
		b.Run(d, func(b *testing.B) {
			s := fixture(b, d, 10000)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				p, err := s.List(ctx, benchScope, store.User, store.Query{StartIndex: 1 + (i*100)%9900, Count: 100})
				if err != nil || len(p.Resources) != 100 {
					b.Fatalf("%v %v", p, err)
				}
			}
		})
	}
}

var createSeq atomic.Int64

func BenchmarkCreate(b *testing.B) {
	for _, d := range dialects() {
		b.Run(d, func(b *testing.B) {
			s := fixture(b, d, 10000)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				// Unique across runs on the shared fixture (-count).
				i := createSeq.Add(1)
				err := s.Update(ctx, benchScope, func(ctx context.Context, tx store.Tx) error {
					return tx.Create(ctx, &store.Resource{Type: store.User, ID: fmt.Sprintf("new-%s-%d", b.Name(), i),
						Attributes: map[string]any{"userName": fmt.Sprintf("new-%d-%s@example.com", i, b.Name()), "active": true}})
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAddMemberTo10kGroup adds one member to a group of 10,000.
func BenchmarkAddMemberTo10kGroup(b *testing.B) {
	for _, d := range dialects() {
		b.Run(d, func(b *testing.B) {
			s := fixture(b, d, 10000)
			ctx := context.Background()
			gid := "big-group"
			if _, err := s.Get(ctx, benchScope, store.Group, gid); err != nil {
				members := make([]store.Member, 9999)
				for i := range members {
					members[i] = store.Member{Value: fmt.Sprintf("u%07d", i), Type: store.User}
				}
				if err := s.Update(ctx, benchScope, func(ctx context.Context, tx store.Tx) error {
					return tx.Create(ctx, &store.Resource{Type: store.Group, ID: gid, Attributes: map[string]any{"displayName": "Big"}, Members: members})
				}); err != nil {
					b.Fatal(err)
				}
			}
			last := []store.Member{{Value: "u0009999", Type: store.User}}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Update(ctx, benchScope, func(ctx context.Context, tx store.Tx) error {
					if _, err := tx.AddMembers(ctx, gid, last); err != nil {
						return err
					}
					return errOnly(tx.RemoveMembers(ctx, gid, []string{"u0009999"}))
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
