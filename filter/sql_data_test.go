package filter_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/scimkit/scimkit/schema"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

const (
	entURN  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	custURN = "urn:example:params:scim:schemas:extension:sqltest:2.0:User"
)

// custExtension has integer, decimal, boolean, dateTime, multi-valued and
// caseExact attributes, which the standard User schemas lack.
func custExtension() schema.Schema {
	return schema.Schema{
		ID: custURN,
		Attributes: []schema.Attribute{
			{Name: "level", Type: schema.Integer},
			{Name: "score", Type: schema.Decimal},
			{Name: "hired", Type: schema.DateTime},
			{Name: "vip", Type: schema.Boolean},
			{Name: "tags", MultiValued: true},
			{Name: "code", CaseExact: true},
			{Name: "lucky", Type: schema.Integer, MultiValued: true},
		},
	}
}

var sqlOpt = filter.WithSchemas(schema.User(), schema.EnterpriseUser(), custExtension())

// dataset is the generated resources, their documents, and their rows.
type dataset struct {
	res  []*store.Resource
	docs map[string]map[string]any // id → Document()
	ids  []string
}

// Building blocks of the generated users: mixed case, non-ASCII, the
// Kelvin sign (which folds to "K"), the long s (which folds to "S"), LIKE
// wildcards, quotes and empty strings.
var (
	nameParts = []string{
		"alice", "Alice", "ALICE", "bob", "Bob", "Ümit", "ümit", "ÜMIT", "\u212Aelvin", "kelvin", "KELVIN",
		"\u017Fam", "sam", "SAM", "o'brien", "100%", "a_b", "a%b", "x\\y", "zoë", "ZOË", "straße", "STRASSE",
		"Σίσυφος", "σίσυφοσ", "ǅemal", "ǆemal", "İstanbul", "istanbul", "", " ", "_", "%", "[x]", "ab", "AB", "aB",
	}
	domains  = []string{"example.com", "EXAMPLE.COM", "Example.org", "mail.test", "ümlaut.de", "\u212A.net"}
	types    = []string{"work", "home", "Work", "WORK", "other", ""}
	depts    = []string{"R&D", "r&d", "Sales", "SALES", "Über", "über", "", "100%", "a_b"}
	tagWords = []string{"alpha", "Beta", "BETA", "gamma", "", "Ümit", "\u212A"}
	codes    = []string{"AbC", "abc", "ABC", "K", "\u212A", "", "x%y"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func genUsers(n int, seed uint64) []*store.Resource {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []*store.Resource
	for i := range n {
		attrs := map[string]any{}
		switch r.IntN(10) {
		case 0:
			// no userName
		case 1:
			attrs["userName"] = ""
		default:
			attrs["userName"] = pick(r, nameParts) + fmt.Sprint(i%7) + "@" + pick(r, domains)
		}
		if r.IntN(3) > 0 {
			attrs["externalId"] = fmt.Sprintf("%s-%d", pick(r, []string{"EXT", "ext", "Ext", "ëxt", "\u212Ax"}), i%13)
		}
		switch r.IntN(4) {
		case 0:
		case 1:
			attrs["displayName"] = ""
		default:
			attrs["displayName"] = pick(r, nameParts) + " " + pick(r, nameParts)
		}
		if r.IntN(3) > 0 {
			name := map[string]any{}
			if r.IntN(4) > 0 {
				name["givenName"] = pick(r, nameParts)
			}
			if r.IntN(4) > 0 {
				name["familyName"] = pick(r, nameParts)
			}
			attrs["name"] = name
		}
		switch r.IntN(4) {
		case 0:
		case 1:
			attrs["title"] = ""
		default:
			attrs["title"] = pick(r, []string{"Boss", "boss", "Ünter", "unter", "a_b", "100%"})
		}
		if r.IntN(4) > 0 {
			attrs["active"] = r.IntN(2) == 0
		}
		switch r.IntN(5) {
		case 0:
		case 1:
			attrs["emails"] = []any{}
		default:
			var emails []any
			for j := range 1 + r.IntN(3) {
				e := map[string]any{"value": pick(r, nameParts) + "@" + pick(r, domains)}
				if r.IntN(4) > 0 {
					e["type"] = pick(r, types)
				}
				if r.IntN(3) == 0 {
					e["primary"] = j == 0
				}
				emails = append(emails, e)
			}
			attrs["emails"] = emails
		}
		if r.IntN(3) == 0 {
			attrs["roles"] = []any{map[string]any{"value": pick(r, []string{"Admin", "admin", "User", ""})}}
		}
		if r.IntN(3) > 0 {
			ent := map[string]any{}
			if r.IntN(4) > 0 {
				ent["department"] = pick(r, depts)
			}
			if r.IntN(3) > 0 {
				ent["employeeNumber"] = fmt.Sprint(1000 + r.IntN(50))
			}
			if r.IntN(2) == 0 {
				m := map[string]any{"value": fmt.Sprintf("mgr-%d", r.IntN(5))}
				if r.IntN(2) == 0 {
					m["displayName"] = pick(r, nameParts)
				}
				ent["manager"] = m
			}
			attrs[entURN] = ent
		}
		if r.IntN(3) > 0 {
			c := map[string]any{}
			if r.IntN(4) > 0 {
				c["level"] = int64(r.IntN(12) - 2)
			}
			if r.IntN(4) > 0 {
				c["score"] = pick(r, []float64{0, 0.5, 1.25, 2.75, -3.5, 7, 1e10, 0.1})
			}
			if r.IntN(4) > 0 {
				c["vip"] = r.IntN(2) == 0
			}
			if r.IntN(3) > 0 {
				var tags []any
				for range r.IntN(4) {
					tags = append(tags, pick(r, tagWords))
				}
				if tags == nil {
					tags = []any{}
				}
				c["tags"] = tags
			}
			if r.IntN(3) > 0 {
				c["code"] = pick(r, codes)
			}
			if r.IntN(3) > 0 {
				var lucky []any
				for range r.IntN(4) {
					lucky = append(lucky, int64(r.IntN(20)))
				}
				if lucky == nil {
					lucky = []any{}
				}
				c["lucky"] = lucky
			}
			if r.IntN(3) > 0 {
				c["hired"] = base.Add(time.Duration(r.IntN(1000)) * time.Hour).Format(time.RFC3339)
			}
			attrs[custURN] = c
		}
		created := base.Add(time.Duration(r.IntN(1_000_000_000)) * time.Millisecond * 100)
		res := &store.Resource{
			Type:         store.User,
			ID:           fmt.Sprintf("u%03d", i),
			Attributes:   attrs,
			Created:      created,
			LastModified: created.Add(time.Duration(r.IntN(100_000_000)) * time.Millisecond),
			Version:      int64(1 + r.IntN(5)),
		}
		if r.IntN(4) == 0 {
			res.Groups = []store.GroupRef{{Value: fmt.Sprintf("g%d", r.IntN(3)), Display: pick(r, []string{"Admins", "admins", "Tour Guides"})}}
		}
		out = append(out, res)
	}
	// A few hand-made corner cases.
	out = append(out,
		&store.Resource{Type: store.User, ID: "k-sign", Attributes: map[string]any{"userName": "\u212A", "displayName": "K", "emails": []any{map[string]any{"value": "\u212A@x", "type": "WORK", "primary": true}}}, Created: base, LastModified: base},
		&store.Resource{Type: store.User, ID: "k-ascii", Attributes: map[string]any{"userName": "k", "displayName": "k"}, Created: base.Add(time.Millisecond), LastModified: base.Add(time.Millisecond)},
		&store.Resource{Type: store.User, ID: "empty", Attributes: map[string]any{}, Created: base, LastModified: base},
		&store.Resource{Type: store.User, ID: "", Attributes: map[string]any{"userName": "no-id"}, Created: base, LastModified: base},
		&store.Resource{Type: store.User, ID: "wild", Attributes: map[string]any{"userName": `50%_off\`, "emails": []any{map[string]any{"value": "%"}, map[string]any{"value": "_", "type": "%"}}}, Created: base, LastModified: base},
	)
	return out
}

func newDataset(n int) *dataset {
	d := &dataset{docs: map[string]map[string]any{}}
	d.res = genUsers(n, 42)
	for _, r := range d.res {
		d.docs[r.ID] = r.Document()
		d.ids = append(d.ids, r.ID)
	}
	slices.Sort(d.ids)
	return d
}

// row returns the column values of r in the order of the table r.
func row(t testing.TB, r *store.Resource) []any {
	str := func(name string) (any, any) {
		s, ok := r.Attributes[name].(string)
		if !ok {
			return nil, nil
		}
		return s, filter.Fold(s)
	}
	un, unf := str("userName")
	ex, exf := str("externalId")
	dn, dnf := str("displayName")
	doc, err := json.Marshal(r.Attributes)
	require.NoError(t, err)
	fdoc, err := json.Marshal(filter.FoldDocument(r.Attributes))
	require.NoError(t, err)
	return []any{r.ID, un, unf, ex, exf, dn, dnf, r.Created.UnixMilli(), r.LastModified.UnixMilli(), string(doc), string(fdoc)}
}

const insertRow = `INSERT INTO r (id, user_name, user_name_fold, external_id, external_id_fold, display_name, display_name_fold, created, last_modified, doc, doc_fold) VALUES `

func loadRows(t testing.TB, db *sql.DB, d *dataset, placeholders string) {
	for _, r := range d.res {
		_, err := db.Exec(insertRow+placeholders, row(t, r)...)
		require.NoError(t, err)
	}
}

// fullTarget has every column the table offers.
func fullTarget(d filter.Dialect) filter.SQLTarget {
	return filter.SQLTarget{
		Dialect: d,
		Columns: map[string]filter.SQLColumn{
			"id":                {Name: "id", Type: "string"},
			"userName":          {Name: "user_name", Folded: "user_name_fold", Type: "string"},
			"externalId":        {Name: "external_id", Folded: "external_id_fold", Type: "string"},
			"displayName":       {Name: "display_name", Folded: "display_name_fold", Type: "string"},
			"meta.created":      {Name: "created", Type: "dateTime"},
			"meta.lastModified": {Name: "last_modified", Type: "dateTime"},
		},
		Doc:       "doc",
		FoldedDoc: "doc_fold",
	}
}

// targets are the variants every filter is checked against: all columns,
// documents only, columns without folded copies and the original document
// only, and the folded document only.
func targets(d filter.Dialect) map[string]filter.SQLTarget {
	full := fullTarget(d)
	docOnly := filter.SQLTarget{Dialect: d, Doc: "doc", FoldedDoc: "doc_fold"}
	plain := filter.SQLTarget{Dialect: d, Doc: "doc", Columns: map[string]filter.SQLColumn{}}
	for k, c := range full.Columns {
		c.Folded = ""
		plain.Columns[k] = c
	}
	folded := filter.SQLTarget{Dialect: d, FoldedDoc: "doc_fold", FirstArg: 3}
	return map[string]filter.SQLTarget{"full": full, "docOnly": docOnly, "plain": plain, "foldedOnly": folded}
}

// checkEquivalent compares Match over every document with the rows the
// translation selects (then filtered by the residual). It reports whether
// the whole filter went to SQL (no residual).
func checkEquivalent(t testing.TB, db *sql.DB, d *dataset, f *filter.Filter, tg filter.SQLTarget, label string) (pushed bool) {
	t.Helper()
	q, err := f.SQL(tg)
	require.NoError(t, err)
	var want []string
	for _, id := range d.ids {
		if f.Match(d.docs[id]) {
			want = append(want, id)
		}
	}
	text := "SELECT id FROM r"
	args := q.Args
	if q.Where != "" {
		text += " WHERE " + q.Where
	}
	if tg.FirstArg > 1 && tg.Dialect == filter.PostgreSQL {
		// Fill the placeholders before the first one.
		text += " AND $1::int IS NOT NULL AND $2::int IS NOT NULL"
		if q.Where == "" {
			text = "SELECT id FROM r WHERE $1::int IS NOT NULL AND $2::int IS NOT NULL"
		}
		args = append([]any{1, 2}, args...)
	}
	rows, err := db.Query(text, args...)
	require.NoError(t, err, "%s: %s\nfilter: %s\nSQL: %s\nargs: %#v", label, tg.Dialect, f, q.Where, q.Args)
	var got []string
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		if q.Residual.Match(d.docs[id]) {
			got = append(got, id)
		}
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	slices.Sort(got)
	if !slices.Equal(want, got) {
		t.Fatalf("%s (%s): filter %s\nSQL: %s\nargs: %#v\nresidual: %v\nMatch: %v\nSQL:   %v",
			label, tg.Dialect, f, q.Where, q.Args, q.Residual, want, got)
	}
	return q.Residual == nil
}
