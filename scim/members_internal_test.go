package scim

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

// memberEvents records membership hooks as "added u1" / "removed g2".
type memberEvents struct {
	log []string
}

func (m *memberEvents) note(kind string, ms []store.Member) {
	for _, mm := range ms {
		m.log = append(m.log, fmt.Sprintf("%s %s %s %s", kind, mm.Value, mm.Type, mm.Display))
	}
}
func (m *memberEvents) hooks() *Hooks {
	return &Hooks{
		MembersAdded:   func(_ context.Context, e *MembersAdded) error { m.note("added", e.Members); return nil },
		MembersRemoved: func(_ context.Context, e *MembersRemoved) error { m.note("removed", e.Members); return nil },
	}
}

// memberOutcome is everything a membership PATCH can change or say.
type memberOutcome struct {
	status       int
	scimType     string
	members      []string
	version      int64
	userVersions map[string]int64
	events       []string
	auditAdded   []string
	auditRemoved []string
}

// runMemberPatch applies one PATCH body to a fresh directory (users u1–u4,
// group g2, group g with u1, u2 and g2) through Handler.write, on the
// member fast path or on the general one.
func runMemberPatch(t *testing.T, body map[string]any, fast bool) memberOutcome {
	t.Helper()
	ctx := t.Context()
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	st := memory.New(memory.WithClock(func() time.Time { return now }))
	hookLog := &memberEvents{}
	audit := &memory.AuditLog{}
	h, err := NewHandler(Config{Store: st, HostAuthenticates: true, Hooks: hookLog.hooks(), Audit: audit, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	scope := store.Scope{Tenant: "t"}
	require.NoError(t, st.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
		for i := 1; i <= 4; i++ {
			id := fmt.Sprintf("u%d", i)
			if err := tx.Create(ctx, &store.Resource{Type: store.User, ID: id, Attributes: map[string]any{"userName": id + "@example.com"}}); err != nil {
				return err
			}
		}
		if err := tx.Create(ctx, &store.Resource{Type: store.Group, ID: "g2", Attributes: map[string]any{"displayName": "Nested"}}); err != nil {
			return err
		}
		return tx.Create(ctx, &store.Resource{Type: store.Group, ID: "g", Attributes: map[string]any{"displayName": "G"},
			Members: []store.Member{{Value: "u1", Type: store.User}, {Value: "u2", Type: store.User}, {Value: "g2", Type: store.Group}}})
	}))

	ops, err := document.ParsePatch(body)
	require.NoError(t, err)
	op := writeOp{kind: opPatch, rt: h.groups, id: "g", status: http.StatusNoContent}
	if fast {
		op.members = h.groups.MemberDelta(ops, entraOptions)
		require.NotNil(t, op.members, "the fast path must take this PATCH")
	} else {
		op.compute = func(cur *store.Resource) (*document.Decoded, error) {
			return h.groups.ApplyPatch(cur, ops, entraOptions)
		}
	}
	var out memberOutcome
	out.status = http.StatusNoContent
	if _, err := h.write(ctx, scope, op); err != nil {
		se, _ := toSCIMError(err)
		out.status, out.scimType = se.Status, string(se.ScimType)
	}
	g, err := st.Get(ctx, scope, store.Group, "g")
	require.NoError(t, err)
	for _, m := range g.Members {
		out.members = append(out.members, m.Value)
	}
	out.version = g.Version
	out.userVersions = map[string]int64{}
	for i := 1; i <= 4; i++ {
		u, err := st.Get(ctx, scope, store.User, fmt.Sprintf("u%d", i))
		require.NoError(t, err)
		out.userVersions[u.ID] = u.Version
	}
	out.events = hookLog.log
	recs, err := audit.AuditRecords(ctx, scope, store.AuditQuery{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	out.auditAdded, out.auditRemoved = recs[0].MembersAdded, recs[0].MembersRemoved
	sort.Strings(out.auditAdded)
	sort.Strings(out.auditRemoved)
	return out
}

func patchOf(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []any{patchOpURN}, "Operations": list}
}

func pop(o, path string, value any) map[string]any {
	m := map[string]any{"op": o, "path": path}
	if value != nil {
		m["value"] = value
	}
	return m
}

func vals(ids ...string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"value": id}
	}
	return out
}

// TestMemberDeltaMatchesGeneralPath: every PATCH the member fast path
// takes ends exactly as on the general path: members, versions (the
// group's and its users'), hook events, audit record, errors.
func TestMemberDeltaMatchesGeneralPath(t *testing.T) {
	cases := map[string]map[string]any{
		"add one":                  patchOf(pop("add", "members", vals("u3"))),
		"add typed":                patchOf(pop("Add", "members", []any{map[string]any{"value": "u3", "type": "User"}})),
		"add a single object":      patchOf(pop("add", "members", map[string]any{"value": "u4"})),
		"add existing":             patchOf(pop("add", "members", vals("u1"))),
		"add new and existing":     patchOf(pop("add", "members", vals("u1", "u3", "u3", "u4"))),
		"add by URN path":          patchOf(pop("add", GroupSchema+":members", vals("u3"))),
		"add capitalised path":     patchOf(pop("ADD", "Members", vals("u3"))),
		"add nested group":         patchOf(pop("add", "members", []any{map[string]any{"value": "g2", "type": "Group"}})),
		"add unknown":              patchOf(pop("add", "members", vals("nope"))),
		"add itself":               patchOf(pop("add", "members", []any{map[string]any{"value": "g", "type": "Group"}})),
		"add user typed as group":  patchOf(pop("add", "members", []any{map[string]any{"value": "u3", "type": "Group"}})),
		"remove by filter":         patchOf(pop("remove", `members[value eq "u1"]`, nil)),
		"remove by filter, caps":   patchOf(pop("Remove", `Members[Value EQ "u2"]`, nil)),
		"remove non-member":        patchOf(pop("remove", `members[value eq "u3"]`, nil)),
		"remove unknown id":        patchOf(pop("remove", `members[value eq "nope"]`, nil)),
		"remove nested group":      patchOf(pop("remove", `members[value eq "g2"]`, nil)),
		"remove twice":             patchOf(pop("remove", `members[value eq "u1"]`, nil), pop("remove", `members[value eq "u1"]`, nil)),
		"Entra remove by value":    patchOf(pop("Remove", "members", vals("u1", "u3"))),
		"Entra remove empty value": patchOf(pop("remove", "members", []any{})),
		"remove one, add two":      patchOf(pop("remove", `members[value eq "u1"]`, nil), pop("add", "members", vals("u3", "u4"))),
		"add, then remove other":   patchOf(pop("add", "members", vals("u3")), pop("remove", `members[value eq "u2"]`, nil)),
		"remove all listed":        patchOf(pop("remove", "members", vals("u1", "u2", "g2"))),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			general := runMemberPatch(t, body, false)
			fast := runMemberPatch(t, body, true)
			assert.Equal(t, general, fast)
		})
	}
}

// TestMemberDeltaDeclines: PATCHes whose meaning depends on the whole list
// or on order take the general path.
func TestMemberDeltaDeclines(t *testing.T) {
	h, err := NewHandler(Config{Store: memory.New(), HostAuthenticates: true})
	require.NoError(t, err)
	for name, body := range map[string]map[string]any{
		"replace members":         patchOf(pop("replace", "members", vals("u1"))),
		"remove the whole list":   patchOf(pop("remove", "members", nil)),
		"add and remove same id":  patchOf(pop("add", "members", vals("u3")), pop("remove", `members[value eq "u3"]`, nil)),
		"or filter":               patchOf(pop("remove", `members[value eq "u1" or value eq "u2"]`, nil)),
		"other attribute too":     patchOf(pop("add", "members", vals("u3")), pop("replace", "displayName", "X")),
		"no path":                 patchOf(map[string]any{"op": "add", "value": map[string]any{"members": vals("u3")}}),
		"filter on display":       patchOf(pop("remove", `members[display eq "x"]`, nil)),
		"add by filter path":      patchOf(pop("add", `members[value eq "u3"]`, map[string]any{"value": "u3"})),
		"member sub-attribute":    patchOf(pop("remove", `members[value eq "u1"].display`, nil)),
		"value without an id":     patchOf(pop("add", "members", []any{map[string]any{"display": "x"}})),
		"other resource's schema": patchOf(pop("add", UserSchema+":members", vals("u3"))),
	} {
		ops, err := document.ParsePatch(body)
		require.NoError(t, err, name)
		assert.Nil(t, h.groups.MemberDelta(ops, entraOptions), name)
		assert.Nil(t, h.users.MemberDelta(ops, entraOptions), name)
	}
	// Entra's removal of listed members is a delta only where the IdP
	// profile accepts it; elsewhere the general path refuses it.
	ops, err := document.ParsePatch(patchOf(pop("remove", "members", vals("u1"))))
	require.NoError(t, err)
	assert.NotNil(t, h.groups.MemberDelta(ops, entraOptions))
	assert.Nil(t, h.groups.MemberDelta(ops, document.Options{}))
}

// entraOptions are the document options of Entra ID's profile: the member
// fast path and the general path are compared with every quirk on.
var entraOptions = document.Options{RemoveListed: true, CreateOnFilterMiss: true}
