package filter_test

import (
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/scimkit/scimkit/filter"
)

// randomFilters generates n filters (most of them valid) over the attributes and values
// of the generated dataset, for equivalence tests that reach further than
// the hand-written table.
func randomFilters(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 7))
	strAttrs := []string{
		"userName", "externalId", "displayName", "id", "name.givenName", "name.familyName", "title",
		"emails.value", "emails.type", "emails", "roles", "roles.value", "nickName",
		entURN + ":department", entURN + ":manager.value", entURN + ":manager.displayName", entURN + ":manager",
		entURN + ":employeeNumber", custURN + ":tags", custURN + ":code",
	}
	timeAttrs := []string{"meta.created", "meta.lastModified", custURN + ":hired"}
	boolAttrs := []string{"active", "emails.primary", custURN + ":vip"}
	numAttrs := []string{custURN + ":level", custURN + ":score", custURN + ":lucky"}
	presentAttrs := []string{"name", "emails", "roles", entURN + ":manager", "groups", "meta.version", "addresses"}
	strOps := []string{"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}
	numOps := []string{"eq", "ne", "gt", "ge", "lt", "le"}
	times := []string{
		"2020-01-01T00:00:00Z", "2020-01-01T00:00:00.001Z", "2020-03-01T12:00:00+02:00", "2021-01-01T00:00:00Z",
		"2020-01-01T00:00:00.0005Z", "2020", "2020-01-20T05:00:00Z", "2022-12-31T23:59:59.999Z",
	}
	quote := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	strValue := func() string {
		s := pick(r, nameParts)
		switch r.IntN(6) {
		case 0:
			s = strings.ToUpper(s)
		case 1:
			s = filter.Fold(s)
		case 2:
			if len(s) > 1 {
				i := r.IntN(len(s))
				j := i + r.IntN(len(s)-i)
				s = strings.ToValidUTF8(s[i:j], "")
			}
		case 3:
			s = pick(r, append(append(append([]string{}, depts...), tagWords...), codes...))
		case 4:
			s = pick(r, []string{"EXT-3", "ext-1", "u001", "u1", "k-sign", "mgr-1", "MGR-2", "work", "WORK", "home", "@", ".com", "1025", "example", "admin"})
		}
		return quote(s)
	}
	var atom func(inValue string) string
	atom = func(inValue string) string {
		if inValue != "" {
			subs := map[string][]string{
				"emails":            {"value", "type", "primary", "display"},
				"name":              {"givenName", "familyName", "formatted"},
				"roles":             {"value", "primary"},
				entURN + ":manager": {"value", "displayName"},
			}[inValue]
			sub := pick(r, subs)
			switch {
			case r.IntN(6) == 0:
				return sub + " pr"
			case sub == "primary":
				return sub + " " + pick(r, []string{"eq", "ne"}) + " " + pick(r, []string{"true", "false"})
			default:
				return sub + " " + pick(r, strOps) + " " + strValue()
			}
		}
		switch r.IntN(12) {
		case 0, 1, 2, 3:
			return pick(r, strAttrs) + " " + pick(r, strOps) + " " + strValue()
		case 4:
			return pick(r, timeAttrs) + " " + pick(r, strOps) + " " + quote(pick(r, times))
		case 5:
			return pick(r, boolAttrs) + " " + pick(r, []string{"eq", "ne"}) + " " + pick(r, []string{"true", "false"})
		case 6:
			return pick(r, numAttrs) + " " + pick(r, numOps) + " " + pick(r, []string{"-3", "0", "0.5", "1.25", "3", "7", "1e10", "2.5", "0.1", "19"})
		case 7:
			return pick(r, append(append([]string{}, strAttrs...), presentAttrs...)) + " " + pick(r, []string{"pr", "eq null", "ne null"})
		default:
			parent := pick(r, []string{"emails", "name", "roles", entURN + ":manager"})
			return parent + "[" + expr(r, 2, func() string { return atom(parent) }) + "]"
		}
	}
	var out []string
	for len(out) < n {
		out = append(out, expr(r, 3, func() string { return atom("") }))
	}
	return out
}

func expr(r *rand.Rand, depth int, atom func() string) string {
	if depth == 0 || r.IntN(3) == 0 {
		return atom()
	}
	switch r.IntN(3) {
	case 0:
		return "not (" + expr(r, depth-1, atom) + ")"
	case 1:
		return "(" + expr(r, depth-1, atom) + " and " + expr(r, depth-1, atom) + ")"
	}
	return "(" + expr(r, depth-1, atom) + " or " + expr(r, depth-1, atom) + ")"
}

func runRandomEquivalence(t *testing.T, db *sql.DB, d *dataset, dialect filter.Dialect, n int) {
	parsed := 0
	for _, text := range randomFilters(n, 1) {
		f, err := filter.Parse(text, sqlOpt)
		if err != nil {
			continue
		}
		parsed++
		for name, tg := range targets(dialect) {
			checkEquivalent(t, db, d, f, tg, name)
		}
	}
	if parsed < n/2 {
		t.Fatalf("only %d of %d random filters parse", parsed, n)
	}
}

func TestSQLEquivalenceRandomSQLite(t *testing.T) {
	t.Parallel()
	d := newDataset(200)
	db := sqliteDB(t, d)
	defer db.Close()
	n := 300
	if testing.Short() {
		n = 100
	}
	runRandomEquivalence(t, db, d, filter.SQLite, n)
}
