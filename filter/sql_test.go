package filter_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/scimkit/scimkit/filter"
)

// equivalenceFilters exercise every operator on every kind of attribute.
var equivalenceFilters = []string{
	// indexed columns
	`userName eq "alice0@example.com"`,
	`userName eq "ALICE0@EXAMPLE.COM"`,
	`userName eq "k"`,
	`userName eq "K"`,
	`userName eq "\u212A"`,
	`userName eq ""`,
	`userName ne "k"`,
	`userName ne ""`,
	`userName co "ümit"`,
	`userName co "ÜMIT"`,
	`userName co "%"`,
	`userName co "_"`,
	`userName co "\\"`,
	`userName co ""`,
	`userName sw "a"`,
	`userName sw "\u212A"`,
	`userName sw "50%"`,
	`userName sw ""`,
	`userName ew ".COM"`,
	`userName ew "\u212A.net"`,
	`userName ew "_off\\"`,
	`userName ew ""`,
	`userName gt "M"`,
	`userName gt "_"`,
	`userName ge "alice"`,
	`userName lt "b"`,
	`userName le "Ü"`,
	`userName lt "ü"`,
	`userName pr`,
	`userName eq null`,
	`userName ne null`,
	`not (userName pr)`,
	`not (userName eq "k")`,
	`not (userName co "a")`,
	`not (userName eq null)`,
	`userName eq "k" or userName eq "bob3@example.com" or userName eq "\u212A"`,
	`id eq "u001"`,
	`id eq "U001"`,
	`id eq ""`,
	`id gt "u150"`,
	`id sw "k-"`,
	`not (id ne "u001")`,
	`externalId eq "EXT-3"`,
	`externalId eq "ext-3"`,
	`externalId co "x"`,
	`externalId sw "\u212A"`,
	`externalId pr`,
	`externalId ne "EXT-3"`,
	`not (externalId gt "Ext")`,
	`displayName eq "k"`,
	`displayName eq ""`,
	`displayName pr`,
	`displayName eq null`,
	`displayName co " "`,
	`displayName sw "straße"`,
	`displayName co "STRASSE"`,
	`displayName ew "σ"`,
	`displayName co "ǅ"`,
	`displayName co "İ"`,
	// timestamps
	`meta.created gt "2020-06-01T00:00:00Z"`,
	`meta.created ge "2020-01-01T00:00:00Z"`,
	`meta.created eq "2020-01-01T00:00:00Z"`,
	`meta.created eq "2020-01-01T01:00:00+01:00"`,
	`meta.created lt "2020-01-01T00:00:00.001Z"`,
	`meta.created le "2020-01-01T00:00:00.0005Z"`,
	`meta.created gt "2020"`,
	`meta.created sw "2020-0"`,
	`meta.lastModified gt "2021-01-01T00:00:00Z" and meta.created lt "2021-01-01T00:00:00Z"`,
	`not (meta.lastModified lt "2021-01-01T00:00:00Z")`,
	`meta.created pr`,
	`meta.created eq null`,
	`meta.version eq "W/\"1\""`,
	`meta.resourceType eq "User"`,
	// complex single-valued
	`name.givenName eq "alice"`,
	`name.givenName eq "\u212Aelvin"`,
	`name.familyName co "ü"`,
	`name.familyName sw ""`,
	`name.familyName pr`,
	`name.familyName eq null`,
	`name.familyName ne "bob"`,
	`not (name.familyName ne "bob")`,
	`name pr`,
	`not (name pr)`,
	`name[givenName eq "alice" or familyName eq "alice"]`,
	`name[not (givenName pr)]`,
	`title pr`,
	`title eq ""`,
	`title eq null`,
	`title ne "boss"`,
	`title gt "a"`,
	`not (title lt "c")`,
	`title co "%"`,
	// booleans
	`active eq true`,
	`active eq false`,
	`active ne true`,
	`active pr`,
	`not (active eq true)`,
	`not (active ne false)`,
	// multi-valued complex
	`emails pr`,
	`emails eq null`,
	`not (emails pr)`,
	`emails.value co "example"`,
	`emails.value ew "\u212A.NET"`,
	`emails eq "alice@example.com"`,
	`emails co "ümlaut"`,
	`emails ne "alice@example.com"`,
	`not (emails ne "alice@example.com")`,
	`emails.type eq "work"`,
	`emails.type ne "work"`,
	`emails.type pr`,
	`emails.type eq null`,
	`emails.primary eq true`,
	`emails.primary ne true`,
	`not (emails.primary eq false)`,
	`emails[type eq "work"]`,
	`emails[type eq "work" and value co "example"]`,
	`emails[type eq "work" and primary eq true]`,
	`emails[type ne "work"]`,
	`emails[not (type pr)]`,
	`emails[type eq "" or value sw "a"]`,
	`emails[value eq "%"]`,
	`emails[type eq "%"]`,
	`not (emails[type eq "work"])`,
	`emails[type eq "work"].value co "alice"`,
	`emails[type eq "work"] and emails[type eq "home"]`,
	`emails[primary eq false and not (value co "a")]`,
	`roles eq "admin"`,
	`roles[value eq ""]`,
	`roles.value pr`,
	// groups and members are not in the document column
	`groups pr`,
	`groups[display eq "admins"]`,
	`groups.value eq "g1"`,
	// enterprise extension
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "ÜBER"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department ne "sales"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department co "_"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr`,
	`department eq "sales"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "mgr-1"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "MGR-1"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "mgr-2"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName pr`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "mgr-3" and displayName pr]`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber gt "1025"`,
	`not (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber le "1025")`,
	// custom extension: numbers, booleans, dateTime, multi-valued, caseExact
	custURN + `:level eq 3`,
	custURN + `:level gt 3`,
	custURN + `:level ge 2.5`,
	custURN + `:level lt -1`,
	custURN + `:level le 0`,
	custURN + `:level ne 3`,
	`not (` + custURN + `:level gt 3)`,
	custURN + `:level pr`,
	custURN + `:level eq null`,
	custURN + `:score eq 0.1`,
	custURN + `:score gt 1.25`,
	custURN + `:score lt 0`,
	custURN + `:score eq 7`,
	custURN + `:score ge 1e10`,
	custURN + `:score ne 0.5`,
	custURN + `:vip eq true`,
	custURN + `:vip ne true`,
	`not (` + custURN + `:vip eq false)`,
	custURN + `:tags eq "beta"`,
	custURN + `:tags eq "k"`,
	custURN + `:tags eq ""`,
	custURN + `:tags ne "alpha"`,
	custURN + `:tags pr`,
	custURN + `:tags eq null`,
	`not (` + custURN + `:tags co "a")`,
	custURN + `:code eq "AbC"`,
	custURN + `:code eq "abc"`,
	custURN + `:code eq "\u212A"`,
	custURN + `:code co "%"`,
	custURN + `:code gt "B"`,
	custURN + `:code ne "K"`,
	custURN + `:lucky eq 7`,
	custURN + `:lucky gt 15`,
	custURN + `:lucky ne 7`,
	custURN + `:lucky pr`,
	`not (` + custURN + `:lucky lt 3)`,
	custURN + `:hired gt "2020-01-10T00:00:00Z"`,
	custURN + `:hired pr`,
	// mixes of pushed and residual parts
	`userName sw "a" and groups pr`,
	`userName sw "a" or groups pr`,
	`not (userName sw "a" and groups pr)`,
	`userName pr and meta.version pr and ` + custURN + `:hired lt "2020-02-01T00:00:00Z" and active eq true`,
	`(userName co "a" or displayName co "b") and not (emails[type eq "work"] or active eq false)`,
	`userName eq "x" or not (name.givenName pr and title ne "boss")`,
	`not (not (userName pr) or not (emails pr))`,
	`emails[type eq "work"] or ` + custURN + `:level gt 5 and ` + custURN + `:vip eq true`,
}

// sqliteDB returns an in-memory SQLite database loaded with d.
func sqliteDB(t testing.TB, d *dataset) *sql.DB {
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	_, err = db.Exec(`CREATE TABLE r (id TEXT, user_name TEXT, user_name_fold TEXT, external_id TEXT, external_id_fold TEXT,
		display_name TEXT, display_name_fold TEXT, created INTEGER, last_modified INTEGER, doc TEXT, doc_fold TEXT)`)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE INDEX r_user_name_fold ON r (user_name_fold)`)
	require.NoError(t, err)
	loadRows(t, db, d, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	return db
}

func TestSQLEquivalenceSQLite(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, len(equivalenceFilters), 100)
	d := newDataset(200)
	db := sqliteDB(t, d)
	defer db.Close()
	pushed := map[string]int{}
	for _, text := range equivalenceFilters {
		f, err := filter.Parse(text, sqlOpt)
		require.NoError(t, err, text)
		for name, tg := range targets(filter.SQLite) {
			if checkEquivalent(t, db, d, f, tg, name) {
				pushed[name]++
			}
		}
	}
	// Equivalence alone would hold if nothing went to SQL: with the store's
	// own layout, nearly every filter must be pushed down whole.
	t.Logf("pushed down whole, of %d: %v", len(equivalenceFilters), pushed)
	assert.GreaterOrEqual(t, pushed["full"]*100, len(equivalenceFilters)*90, "full target: whole-filter pushdown below 90%%")
	assert.GreaterOrEqual(t, pushed["docOnly"]*100, len(equivalenceFilters)*80, "document-only target: whole-filter pushdown below 80%%")
}

func TestSQLEquivalencePostgres(t *testing.T) {
	t.Parallel()
	dsn := os.Getenv("SCIMKIT_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SCIMKIT_POSTGRES_DSN is not set; skipping the PostgreSQL equivalence test (set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() }) // after the schema is dropped
	db.SetMaxOpenConns(1)                // SET search_path holds for one connection
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schemaName := "scimkit_test_" + hex.EncodeToString(rnd[:])
	_, err = db.Exec("CREATE SCHEMA " + schemaName)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := db.Exec("DROP SCHEMA " + schemaName + " CASCADE")
		assert.NoError(t, err)
	})
	_, err = db.Exec("SET search_path TO " + schemaName)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE r (id text, user_name text, user_name_fold text, external_id text, external_id_fold text,
		display_name text, display_name_fold text, created bigint, last_modified bigint, doc jsonb, doc_fold jsonb)`)
	require.NoError(t, err)
	d := newDataset(200)
	loadRows(t, db, d, "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb)")
	for _, text := range equivalenceFilters {
		f, err := filter.Parse(text, sqlOpt)
		require.NoError(t, err, text)
		for name, tg := range targets(filter.PostgreSQL) {
			checkEquivalent(t, db, d, f, tg, name)
		}
	}
	n := 300
	if testing.Short() {
		n = 50
	}
	runRandomEquivalence(t, db, d, filter.PostgreSQL, n)
}

func FuzzSQLEquivalence(f *testing.F) {
	for _, text := range equivalenceFilters {
		f.Add(text)
	}
	fuzzData := newDataset(200)
	fuzzDB := sqliteDB(f, fuzzData)
	f.Cleanup(func() { _ = fuzzDB.Close() })
	tgs := targets(filter.SQLite)
	f.Fuzz(func(t *testing.T, text string) {
		flt, err := filter.Parse(text, sqlOpt)
		if err != nil {
			return
		}
		for name, tg := range tgs {
			checkEquivalent(t, fuzzDB, fuzzData, flt, tg, name)
		}
	})
}

func TestSQLGenerated(t *testing.T) {
	t.Parallel()
	full := fullTarget(filter.SQLite)
	pg := fullTarget(filter.PostgreSQL)
	cases := []struct {
		filter   string
		tg       filter.SQLTarget
		where    string
		args     []any
		residual string
	}{
		{`userName eq "BJensen"`, full, `user_name_fold = ?`, []any{"BJENSEN"}, ""},
		{`userName eq "BJensen"`, pg, `user_name_fold = $1`, []any{"BJENSEN"}, ""},
		{`id eq "a"`, full, `id = ?`, []any{"a"}, ""},
		{`externalId eq "Ab"`, pg, `external_id = $1`, []any{"Ab"}, ""},
		{`userName eq "a" or userName eq "b"`, full, `(user_name_fold = ? OR user_name_fold = ?)`, []any{"A", "B"}, ""},
		{`not (userName eq "x")`, full, `NOT (COALESCE(user_name_fold = ?, FALSE))`, []any{"X"}, ""},
		{`userName ne "x"`, full, `NOT COALESCE(user_name_fold = ?, FALSE)`, []any{"X"}, ""},
		{`meta.created gt "2020-01-01T00:00:00Z"`, full, `created > ?`, []any{int64(1577836800000)}, ""},
		{`meta.created gt "2020-01-01T00:00:00.0001Z"`, full, ``, nil, `meta.created gt "2020-01-01T00:00:00.0001Z"`},
		{`userName sw "a" and groups pr and meta.version pr`, full, `substr(CAST(user_name_fold AS BLOB), 1, ?) = CAST(? AS BLOB)`, []any{int64(1), "A"}, `groups pr and meta.version pr`},
		{`userName sw "a" or groups pr`, full, ``, nil, `userName sw "a" or groups pr`},
		{`not (groups pr)`, full, ``, nil, `not (groups pr)`},
		{`groups pr and userName pr`, pg, `user_name <> ''`, nil, `groups pr`},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			f, err := filter.Parse(tc.filter, sqlOpt)
			require.NoError(t, err)
			q, err := f.SQL(tc.tg)
			require.NoError(t, err)
			assert.Equal(t, tc.where, q.Where)
			assert.Equal(t, tc.args, q.Args)
			if tc.residual == "" {
				assert.Nil(t, q.Residual)
			} else {
				require.NotNil(t, q.Residual)
				assert.Equal(t, tc.residual, q.Residual.String())
			}
		})
	}
}

func TestSQLArgsNeverInText(t *testing.T) {
	t.Parallel()
	evil := `x'); DROP TABLE r; --`
	for _, d := range []filter.Dialect{filter.SQLite, filter.PostgreSQL} {
		for _, text := range []string{
			`userName eq "` + evil + `"`,
			`displayName co "` + evil + `"`,
			`emails[type eq "` + evil + `" and value sw "` + evil + `"]`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department ew "` + evil + `"`,
			`title gt "` + evil + `"`,
		} {
			f, err := filter.Parse(text, sqlOpt)
			require.NoError(t, err)
			for name, tg := range targets(d) {
				q, err := f.SQL(tg)
				require.NoError(t, err)
				if name == "plain" {
					continue // no folded strings: nothing to push down
				}
				assert.NotEmpty(t, q.Where, "%s %s", name, text)
				assert.NotContains(t, q.Where, "DROP")
				assert.NotContains(t, q.Where, "'x'")
				assert.NotContains(t, q.Where, "urn:")
				assert.NotContains(t, q.Where, "department")
				found := false
				for _, a := range q.Args {
					if s, ok := a.(string); ok && strings.Contains(strings.ToUpper(s), "DROP TABLE") {
						found = true
					}
				}
				assert.True(t, found, "the value is bound")
			}
		}
	}
}

func TestSQLNoSchemas(t *testing.T) {
	t.Parallel()
	f, err := filter.Parse(`userName eq "x"`)
	require.NoError(t, err)
	q, err := f.SQL(fullTarget(filter.SQLite))
	require.NoError(t, err)
	assert.Equal(t, "", q.Where)
	assert.Same(t, f, q.Residual)

	var nilFilter *filter.Filter
	q, err = nilFilter.SQL(fullTarget(filter.PostgreSQL))
	require.NoError(t, err)
	assert.Equal(t, filter.SQL{}, q)
}

func TestSQLTargetErrors(t *testing.T) {
	t.Parallel()
	f, err := filter.Parse(`userName eq "x"`, sqlOpt)
	require.NoError(t, err)
	bad := []filter.SQLTarget{
		{},
		{Dialect: 7, Doc: "doc"},
		{Dialect: filter.SQLite, Doc: "doc; DROP TABLE r"},
		{Dialect: filter.PostgreSQL, FoldedDoc: `"doc"`},
		{Dialect: filter.PostgreSQL, FirstArg: -1},
		{Dialect: filter.SQLite, Columns: map[string]filter.SQLColumn{"userName": {Name: "user name", Type: "string"}}},
		{Dialect: filter.SQLite, Columns: map[string]filter.SQLColumn{"userName": {Name: "u", Type: "text"}}},
		{Dialect: filter.SQLite, Columns: map[string]filter.SQLColumn{"active": {Name: "a", Folded: "b", Type: "boolean"}}},
		{Dialect: filter.SQLite, Columns: map[string]filter.SQLColumn{"userName": {Type: "string"}}},
	}
	for i, tg := range bad {
		_, err := f.SQL(tg)
		assert.Error(t, err, "target %d", i)
	}
	_, err = f.SQL(filter.SQLTarget{Dialect: filter.SQLite, Columns: map[string]filter.SQLColumn{"userName": {Name: "main.r.user_name", Type: "string"}}})
	assert.NoError(t, err)
}

func TestSQLIndexUsed(t *testing.T) {
	t.Parallel()
	d := newDataset(50)
	db := sqliteDB(t, d)
	defer db.Close()
	f, err := filter.Parse(`userName eq "x"`, sqlOpt)
	require.NoError(t, err)
	q, err := f.SQL(fullTarget(filter.SQLite))
	require.NoError(t, err)
	rows, err := db.Query("EXPLAIN QUERY PLAN SELECT id FROM r WHERE "+q.Where, q.Args...)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	joined := strings.Join(plan, "\n")
	assert.Contains(t, joined, "SEARCH r USING INDEX r_user_name_fold")
	assert.NotContains(t, joined, "SCAN")
}

func BenchmarkSQL(b *testing.B) {
	for _, bc := range []struct{ name, filter string }{
		{"userNameEq", `userName eq "bjensen@example.com"`},
		{"complex", `userName sw "bjensen" and (emails[type eq "work" and value co "@example.com"] or meta.lastModified gt "2011-05-13T04:42:34Z") and not (active eq false)`},
	} {
		for _, d := range []filter.Dialect{filter.SQLite, filter.PostgreSQL} {
			f, err := filter.Parse(bc.filter, sqlOpt)
			require.NoError(b, err)
			tg := fullTarget(d)
			b.Run(bc.name+"/"+d.String(), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := f.SQL(tg); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func TestSQLLongChains(t *testing.T) {
	t.Parallel()
	d := newDataset(20)
	db := sqliteDB(t, d)
	defer db.Close()
	for _, n := range []int{300, 2000} {
		var parts []string
		for i := range n {
			parts = append(parts, `userName eq "user`+strings.Repeat("x", i%7)+`"`)
		}
		parts = append(parts, `userName eq "k"`)
		for _, op := range []string{" or ", " and "} {
			f, err := filter.Parse(strings.Join(parts, op), sqlOpt, filter.WithMaxLength(1<<20)) // longer than DefaultMaxLength
			require.NoError(t, err)
			q, err := f.SQL(fullTarget(filter.SQLite))
			require.NoError(t, err)
			if n == 300 {
				assert.NotEmpty(t, q.Where)
			}
			if op == " or " && n == 2000 {
				assert.Empty(t, q.Where, "too deep for the database: left to the residual")
			}
			checkEquivalent(t, db, d, f, fullTarget(filter.SQLite), "chain")
		}
	}
}
