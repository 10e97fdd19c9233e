package document

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/schema"
	"github.com/scimkit/scimkit/store"
)

// randomEmailOp is one PATCH operation on emails, drawn from small pools
// of values and types so that operations collide: duplicates, filters
// matching several elements, elements changed and removed again.
func randomEmailOp(r *rand.Rand) Op {
	v := func() string { return fmt.Sprintf("v%d@x.io", r.IntN(6)) }
	typ := func() string { return fmt.Sprintf("t%d", r.IntN(3)) }
	el := func() map[string]any {
		m := map[string]any{"value": v(), "type": typ()}
		if r.IntN(4) == 0 {
			m["primary"] = true
		}
		return m
	}
	path := func(p string) Op { return Op{path: p, hasPath: true} }
	var op Op
	switch r.IntN(14) {
	case 0, 1, 2:
		op = path("emails")
		op.op, op.value = "add", []any{el(), el()}
	case 3:
		op = path(fmt.Sprintf(`emails[value eq %q].display`, v()))
		op.op, op.value = "replace", fmt.Sprint("d", r.IntN(3))
	case 4:
		op = path(fmt.Sprintf(`emails[type eq %q].value`, typ()))
		op.op, op.value = "replace", v()
	case 5:
		op = path(fmt.Sprintf(`emails[value eq %q]`, v()))
		op.op = "remove"
	case 6:
		op = path("emails")
		op.op, op.value = "remove", []any{map[string]any{"value": v()}}
	case 7:
		op = path(fmt.Sprintf(`emails[value eq %q].primary`, v()))
		op.op, op.value = "replace", true
	case 8:
		op = path("emails.display")
		op.op, op.value = "replace", "all"
	case 9:
		op = path(fmt.Sprintf(`emails[type eq %q].display`, typ()))
		op.op = "remove"
	case 10:
		op = path("emails")
		op.op, op.value = "replace", []any{el(), el()}
	case 11:
		op = path(fmt.Sprintf(`emails[type eq %q]`, typ()))
		op.op, op.value = "add", map[string]any{"display": "merged", "value": v()}
	case 12:
		op = path(fmt.Sprintf(`emails[value co %q or type eq %q]`, fmt.Sprint(r.IntN(6)), typ()))
		op.op, op.value = "replace", map[string]any{"value": v(), "type": typ()}
	default:
		op = Op{op: "add", value: map[string]any{"emails": []any{el()}}}
	}
	return op
}

// TestPatchIndexesMatchFreshState: a PATCH applied at once, where each
// multi-valued attribute keeps its indexes from one operation to the next,
// ends where applying its operations one PATCH at a time (every index
// built afresh) ends, for random sequences of colliding operations.
func TestPatchIndexesMatchFreshState(t *testing.T) {
	h := newTestTypes(t)
	compared := 0
	for seed := range uint64(400) {
		r := rand.New(rand.NewPCG(seed, 7))
		cur := patchTestUser(t, h, 4)
		ops := make([]Op, 2+r.IntN(12))
		for i := range ops {
			ops[i] = randomEmailOp(r)
		}
		// One operation at a time, each with fresh indexes, and the result
		// Decoded once, as the whole PATCH is; sequences an operation of
		// which fails (no match) are not comparable.
		doc, ok := store.CloneMap(cur.Attributes), true
		for _, op := range ops {
			st := &patchState{opts: allQuirks}
			var err error
			if op.hasPath {
				err = applyAtPath(st, h.users, doc, op.op, op.path, op.value)
			} else {
				err = applyNoPath(st, h.users, doc, op.op, op.value)
			}
			if err != nil {
				ok = false
				break
			}
			st.endOp(op.op != "remove" && (mentionsPrimary(op.value) || strings.Contains(strings.ToLower(op.path), "primary")))
			st.flush()
		}
		if !ok {
			continue
		}
		step, stepErr := h.users.Decode(doc, false)
		d, err := h.users.ApplyPatch(cur, ops, allQuirks)
		if stepErr != nil {
			require.Error(t, err, "seed %d: %+v", seed, ops)
			continue
		}
		compared++
		require.NoError(t, err, "seed %d: %+v", seed, ops)
		require.Equal(t, step.Attrs, d.Attrs, "seed %d: %+v", seed, ops)
	}
	t.Logf("%d sequences compared", compared)
	assert.Greater(t, compared, 100, "too few comparable sequences")
}

// allQuirks are the Options with every RFC-contradicting quirk on, as
// for an Entra ID directory.
var allQuirks = Options{RemoveListed: true, CreateOnFilterMiss: true}

// testTypes are the User and Group types as the handler builds them by
// default: the core schemas, the enterprise extension on User, default
// limits.
type testTypes struct{ users, groups *Type }

func newTestTypes(t testing.TB) testTypes {
	t.Helper()
	limits := filter.WithMaxLength(4096)
	users, err := New(store.User, "/Users", schema.User(), []schema.Schema{schema.EnterpriseUser()}, limits)
	require.NoError(t, err)
	groups, err := New(store.Group, "/Groups", schema.Group(), nil, limits)
	require.NoError(t, err)
	return testTypes{users: users, groups: groups}
}

// patchTestUser is a user with n emails b<i>@x.io of type "work".
func patchTestUser(t testing.TB, h testTypes, n int) *store.Resource {
	t.Helper()
	emails := make([]any, n)
	for i := range emails {
		emails[i] = map[string]any{"value": fmt.Sprintf("b%d@x.io", i), "type": "work"}
	}
	d, err := h.users.Decode(map[string]any{
		"schemas": []any{schema.User().ID}, "userName": "bob@example.com", "emails": emails,
	}, true)
	require.NoError(t, err)
	return &store.Resource{Type: store.User, ID: "x", Attributes: d.Attrs}
}

// TestPatchInterleavedAllocations: applying a PATCH that alternates add
// with replace or remove on a user with 20k emails allocates about what
// one add of the same values does; before the indexes survived from one
// operation to the next, it allocated 100 times more. Allocation counts
// are deterministic, unlike time.
func TestPatchInterleavedAllocations(t *testing.T) {
	const emails, pairs = 20000, 500
	h := newTestTypes(t)
	cur := patchTestUser(t, h, emails)
	added := func(i int) []any { return []any{map[string]any{"value": fmt.Sprintf("n%d@x.io", i)}} }
	var baseline []Op
	all := []any{}
	for i := range pairs {
		all = append(all, added(i)...)
	}
	baseline = append(baseline, Op{op: "add", path: "emails", hasPath: true, value: all})
	cases := []struct {
		name  string
		other func(i int) Op
	}{
		{"replace emails[value eq].display", func(i int) Op {
			return Op{op: "replace", path: fmt.Sprintf(`emails[value eq "b%d@x.io"].display`, i), hasPath: true, value: "d"}
		}},
		{"remove emails[value eq]", func(i int) Op {
			return Op{op: "remove", path: fmt.Sprintf(`emails[value eq "b%d@x.io"]`, i), hasPath: true}
		}},
		{"remove emails by value", func(i int) Op {
			return Op{op: "remove", path: "emails", hasPath: true, value: []any{map[string]any{"value": fmt.Sprintf("b%d@x.io", i)}}}
		}},
		{"replace emails[type eq].value", func(i int) Op {
			return Op{op: "replace", path: fmt.Sprintf(`emails[type eq "t%d"].value`, i%50), hasPath: true, value: fmt.Sprintf("t%d@x.io", i)}
		}},
	}
	base := testing.AllocsPerRun(2, func() {
		_, err := h.users.ApplyPatch(cur, baseline, allQuirks)
		require.NoError(t, err)
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ops []Op
			for i := range pairs {
				ops = append(ops, Op{op: "add", path: "emails", hasPath: true, value: added(i)}, tc.other(i))
			}
			got := testing.AllocsPerRun(2, func() {
				_, err := h.users.ApplyPatch(cur, ops, allQuirks)
				require.NoError(t, err)
			})
			t.Logf("baseline %.0f allocations, interleaved %.0f", base, got)
			assert.LessOrEqual(t, got, 3*base, "%d operations on %d emails", len(ops), emails)
		})
	}
}

// TestPatchPrimaryDemotion pins RFC 7644 §3.5.2 as PATCH applies it (an
// operation that makes a value primary whose content was not primary
// before demotes the values that were), now that it is computed from the
// primary values and what the operation changed rather than by comparing
// the whole attribute before and after each operation.
func TestPatchPrimaryDemotion(t *testing.T) {
	h := newTestTypes(t)
	d, err := h.users.Decode(map[string]any{
		"schemas": []any{schema.User().ID}, "userName": "bob@example.com", "emails": []any{
			map[string]any{"value": "a@x.io", "type": "work", "primary": true},
			map[string]any{"value": "b@x.io", "type": "work"},
			map[string]any{"value": "c@x.io", "type": "home"},
		},
	}, true)
	require.NoError(t, err)
	cur := &store.Resource{Type: store.User, ID: "x", Attributes: d.Attrs}
	at := func(p string, v any) Op { return Op{op: "replace", path: p, hasPath: true, value: v} }
	add := func(p string, v any) Op { return Op{op: "add", path: p, hasPath: true, value: v} }
	email := func(v string, primary any) map[string]any {
		m := map[string]any{"value": v}
		if primary != nil {
			m["primary"] = primary
		}
		return m
	}
	cases := []struct {
		name string
		ops  []Op
		want []string // value, with a * when primary
	}{
		{"add a primary value", []Op{add("emails", []any{email("d@x.io", true)})},
			[]string{"a@x.io", "b@x.io", "c@x.io", "d@x.io*"}},
		{"set primary on another value", []Op{at(`emails[value eq "b@x.io"].primary`, true)},
			[]string{"a@x.io", "b@x.io*", "c@x.io"}},
		{"set primary on the primary value and another", []Op{add(`emails[type eq "work"]`, map[string]any{"primary": true})},
			[]string{"a@x.io", "b@x.io*", "c@x.io"}},
		{"set primary on the primary value again", []Op{at(`emails[value eq "a@x.io"].primary`, true)},
			[]string{"a@x.io*", "b@x.io", "c@x.io"}},
		{"replace keeping the primary value", []Op{at("emails", []any{
			map[string]any{"value": "a@x.io", "type": "work", "primary": true}, email("x@x.io", false)})},
			[]string{"a@x.io*", "x@x.io"}},
		{"replace with a new primary value", []Op{at("emails", []any{
			map[string]any{"value": "a@x.io", "type": "work", "primary": true}, email("x@x.io", true)})},
			[]string{"a@x.io", "x@x.io*"}},
		{"change the primary value", []Op{at(`emails[primary eq true].value`, "z@x.io")},
			[]string{"z@x.io*", "b@x.io", "c@x.io"}},
		// The same (type, value) is one value (RFC 7643 §2.4), and stays
		// primary.
		{"add a non-primary copy", []Op{add("emails", []any{map[string]any{"value": "a@x.io", "type": "work", "primary": false}})},
			[]string{"a@x.io*", "b@x.io", "c@x.io"}},
		{"remove the primary value, add another", []Op{
			{op: "remove", path: `emails[value eq "a@x.io"]`, hasPath: true},
			add("emails", []any{email("d@x.io", true)}),
			at(`emails[value eq "c@x.io"].display`, "C"),
		}, []string{"b@x.io", "c@x.io", "d@x.io*"}},
		{"unset every primary, then set one", []Op{at("emails.primary", false), at(`emails[value eq "c@x.io"].primary`, true)},
			[]string{"a@x.io", "b@x.io", "c@x.io*"}},
		{"primary moves along operations", []Op{
			add("emails", []any{email("d@x.io", true)}),
			at(`emails[value eq "b@x.io"].primary`, true),
			add("emails", []any{email("e@x.io", nil)}),
			at(`emails[value eq "d@x.io"].primary`, true),
		}, []string{"a@x.io", "b@x.io", "c@x.io", "d@x.io*", "e@x.io"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := h.users.ApplyPatch(cur, tc.ops, allQuirks)
			require.NoError(t, err)
			var got []string
			for _, e := range d.Attrs["emails"].([]any) {
				m := e.(map[string]any)
				s := m["value"].(string)
				if m["primary"] == true {
					s += "*"
				}
				got = append(got, s)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
