package scim_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore"
)

// recorder logs every event as one line, and can fail a chosen one.
type recorder struct {
	mu     sync.Mutex
	events []string
	fail   map[string]error // event name → error to return
	panics string           // event name to panic in
	check  func(ctx context.Context, ev scim.Origin)
}

func (r *recorder) log(ctx context.Context, ev scim.Origin, name, detail string) error {
	r.mu.Lock()
	r.events = append(r.events, name+" "+detail)
	err := r.fail[name]
	check := r.check
	r.mu.Unlock()
	if check != nil {
		check(ctx, ev)
	}
	if r.panics == name {
		panic("hook " + name + " panicked")
	}
	return err
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func members(ms []store.Member) string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.Value)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

func changes(cs []events.Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Attribute)
	}
	return strings.Join(out, ",")
}

func (r *recorder) UserProvisioned(ctx context.Context, e *scim.UserProvisioned) error {
	return r.log(ctx, e.Origin, "UserProvisioned", e.User.UserName())
}
func (r *recorder) UserUpdated(ctx context.Context, e *scim.UserUpdated) error {
	return r.log(ctx, e.Origin, "UserUpdated", e.After.UserName()+" "+changes(e.Changed))
}
func (r *recorder) UserDeactivated(ctx context.Context, e *scim.UserDeactivated) error {
	return r.log(ctx, e.Origin, "UserDeactivated", e.User.UserName())
}
func (r *recorder) UserReactivated(ctx context.Context, e *scim.UserReactivated) error {
	return r.log(ctx, e.Origin, "UserReactivated", e.User.UserName())
}
func (r *recorder) UserDeleted(ctx context.Context, e *scim.UserDeleted) error {
	return r.log(ctx, e.Origin, "UserDeleted", e.User.UserName())
}
func (r *recorder) GroupCreated(ctx context.Context, e *scim.GroupCreated) error {
	return r.log(ctx, e.Origin, "GroupCreated", e.Group.DisplayName())
}
func (r *recorder) GroupRenamed(ctx context.Context, e *scim.GroupRenamed) error {
	return r.log(ctx, e.Origin, "GroupRenamed", e.OldName+"->"+e.NewName)
}
func (r *recorder) GroupDeleted(ctx context.Context, e *scim.GroupDeleted) error {
	return r.log(ctx, e.Origin, "GroupDeleted", e.Group.DisplayName())
}
func (r *recorder) MembersAdded(ctx context.Context, e *scim.MembersAdded) error {
	return r.log(ctx, e.Origin, "MembersAdded", e.Group.DisplayName()+" "+members(e.Members))
}
func (r *recorder) MembersRemoved(ctx context.Context, e *scim.MembersRemoved) error {
	return r.log(ctx, e.Origin, "MembersRemoved", e.Group.DisplayName()+" "+members(e.Members))
}

// hooks returns Hooks that send every event to r.
func (r *recorder) hooks() *scim.Hooks {
	return &scim.Hooks{
		UserProvisioned: r.UserProvisioned, UserUpdated: r.UserUpdated, UserDeactivated: r.UserDeactivated,
		UserReactivated: r.UserReactivated, UserDeleted: r.UserDeleted, GroupCreated: r.GroupCreated,
		GroupRenamed: r.GroupRenamed, GroupDeleted: r.GroupDeleted, MembersAdded: r.MembersAdded, MembersRemoved: r.MembersRemoved,
	}
}

func TestHookEvents(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		rec := &recorder{}
		c := sk.newClient(t, scim.Config{Hooks: rec.hooks(), GroupDeletion: scim.RemoveMembers})
		u1 := c.createUser("u1@example.com", map[string]any{"active": true})["id"].(string)
		u2 := c.createUser("u2@example.com", nil)["id"].(string)
		u3 := c.createUser("u3@example.com", nil)["id"].(string)
		assert.Equal(t, []string{"UserProvisioned u1@example.com", "UserProvisioned u2@example.com", "UserProvisioned u3@example.com"}, rec.take())

		steps := []struct {
			name   string
			method string
			path   string
			body   any
			want   []string
		}{
			{"attribute change", "PATCH", "/Users/" + u1, patchBody(op("replace", "title", "CTO")),
				[]string{"UserUpdated u1@example.com title"}},
			{"Entra deactivation", "PATCH", "/Users/" + u1, patchBody(op("Replace", "active", "False")),
				[]string{"UserUpdated u1@example.com active", "UserDeactivated u1@example.com"}},
			{"Okta deactivation again changes nothing", "PATCH", "/Users/" + u1, patchBody(op("replace", "", map[string]any{"active": false})),
				nil},
			{"reactivation by PUT", "PUT", "/Users/" + u1, map[string]any{"schemas": []string{userURN}, "userName": "u1@example.com", "active": true, "title": "CTO"},
				[]string{"UserUpdated u1@example.com active", "UserReactivated u1@example.com"}},
			{"extension attribute", "PATCH", "/Users/" + u1, patchBody(op("add", enterpriseURN+":department", "R&D")),
				[]string{"UserUpdated u1@example.com " + enterpriseURN + ":department"}},
			{"Entra deactivation by PUT, active as a string", "PUT", "/Users/" + u1, map[string]any{"schemas": []string{userURN, enterpriseURN},
				"userName": "u1@example.com", "active": "False", "title": "CTO", enterpriseURN: map[string]any{"department": "R&D"}},
				[]string{"UserUpdated u1@example.com active", "UserDeactivated u1@example.com"}},
			{"deactivating a user without active", "PATCH", "/Users/" + u2, patchBody(op("add", "active", false)),
				[]string{"UserUpdated u2@example.com active", "UserDeactivated u2@example.com"}},
		}
		for _, st := range steps {
			r := c.do(st.method, st.path, st.body)
			require.Less(t, r.status, 300, "%s: %s", st.name, r.raw)
			assert.Equal(t, st.want, rec.take(), st.name)
		}

		g := c.createGroup("Eng", u1)["id"].(string)
		assert.Equal(t, []string{"GroupCreated Eng", "MembersAdded Eng " + u1}, rec.take())
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+g, patchBody(op("replace", "displayName", "Engineering")))
		assert.Equal(t, []string{"GroupRenamed Eng->Engineering"}, rec.take())
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+g, patchBody(
			op("add", "members", []any{map[string]any{"value": u2}}), op("remove", `members[value eq "`+u1+`"]`, nil)))
		assert.Equal(t, []string{"MembersRemoved Engineering " + u1, "MembersAdded Engineering " + u2}, rec.take())
		c.must(http.StatusOK, "PUT", "/Groups/"+g, map[string]any{"schemas": []string{groupURN}, "displayName": "Engineering",
			"members": []any{map[string]any{"value": u3}}})
		assert.Equal(t, []string{"MembersRemoved Engineering " + u2, "MembersAdded Engineering " + u3}, rec.take())
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+g, patchBody(op("add", "members", []any{map[string]any{"value": u3}})))
		assert.Empty(t, rec.take(), "adding an existing member is no change")
		c.must(http.StatusNoContent, "DELETE", "/Groups/"+g, nil)
		assert.Equal(t, []string{"MembersRemoved Engineering " + u3, "GroupDeleted Engineering"}, rec.take())
		c.must(http.StatusNoContent, "DELETE", "/Users/"+u3, nil)
		assert.Equal(t, []string{"UserDeleted u3@example.com"}, rec.take())
	})
}

func TestHookEventsCarryRequestContext(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		type seen struct {
			tenant, credential string
			deadline, tx       bool
			members            []string
		}
		var mu sync.Mutex
		var got []seen
		rec := &recorder{}
		rec.check = func(ctx context.Context, ev scim.Origin) {
			_, hasDeadline := ctx.Deadline()
			s := seen{tenant: ev.Scope.Tenant, credential: ev.Principal.CredentialID, deadline: hasDeadline, tx: ev.Tx != nil}
			// Reads through the transaction see the request's own change.
			if page, err := ev.Tx.List(ctx, store.Group, store.Query{Count: -1}); err == nil {
				for _, g := range page.Resources {
					for _, m := range g.Members {
						s.members = append(s.members, m.Value)
					}
				}
			}
			mu.Lock()
			got = append(got, s)
			mu.Unlock()
		}
		h, err := scim.NewHandler(scim.Config{Store: sk.open(t), Hooks: rec.hooks(), Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		mw, err := auth.Bearer([]auth.Token{{ID: "okta-token", Hash: auth.HashToken("t"), Principal: auth.Principal{Tenant: "acme"}}}, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		withDeadline := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
				defer cancel()
				next.ServeHTTP(w, r.WithContext(ctx))
			})
		}
		srv := serve(t, withDeadline(mw(h)))
		c := &client{t: t, srv: srv, base: srv.URL}
		r := c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "x@example.com"}, "Authorization", "Bearer t")
		require.Equal(t, http.StatusCreated, r.status)
		uid := r.body["id"].(string)
		r = c.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "G", "members": []any{map[string]any{"value": uid}}}, "Authorization", "Bearer t")
		require.Equal(t, http.StatusCreated, r.status)
		require.Len(t, got, 3)
		for _, s := range got {
			assert.Equal(t, "acme", s.tenant)
			assert.Equal(t, "okta-token", s.credential)
			assert.True(t, s.deadline, "hooks get the request's deadline")
			assert.True(t, s.tx)
		}
		assert.Equal(t, []string{uid}, got[2].members, "MembersAdded sees the new membership inside the transaction")
	})
}

// TestHookFailureChangesNothing: whatever hook fails, the store is exactly
// as before the request, and the client gets an error to retry.
func TestHookFailureChangesNothing(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		boom := errors.New("app database unavailable")
		cases := []struct {
			name     string
			fail     string
			panics   bool
			hookErr  error
			status   int
			scimType string
			request  func(c *client, ids map[string]string) response
		}{
			{"provision fails", "UserProvisioned", false, boom, 500, "", func(c *client, ids map[string]string) response {
				return c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "new@example.com"})
			}},
			{"provision rejected as duplicate", "UserProvisioned", false, scim.Reject(http.StatusConflict, "uniqueness", "a member with this e-mail already exists"), 409, "uniqueness",
				func(c *client, ids map[string]string) response {
					return c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "new@example.com"})
				}},
			{"retryable status chosen by the hook", "UserProvisioned", false, &scim.HookError{Status: 503, Detail: "try later", Err: boom}, 503, "",
				func(c *client, ids map[string]string) response {
					return c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "new@example.com"})
				}},
			{"deactivation fails mid-PATCH", "UserDeactivated", false, boom, 500, "", func(c *client, ids map[string]string) response {
				return c.do("PATCH", "/Users/"+ids["u"], patchBody(op("replace", "title", "x"), op("replace", "active", false)))
			}},
			{"membership hook panics", "MembersAdded", true, nil, 500, "", func(c *client, ids map[string]string) response {
				return c.do("PATCH", "/Groups/"+ids["g"], patchBody(op("replace", "displayName", "Renamed"), op("add", "members", []any{map[string]any{"value": ids["v"]}})))
			}},
			{"delete hook fails", "UserDeleted", false, boom, 500, "", func(c *client, ids map[string]string) response {
				return c.do("DELETE", "/Users/"+ids["u"], nil)
			}},
			{"group delete hook fails", "GroupDeleted", false, boom, 500, "", func(c *client, ids map[string]string) response {
				return c.do("DELETE", "/Groups/"+ids["g"], nil)
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				rec := &recorder{}
				audit := &memory.AuditLog{}
				st := sk.open(t)
				ob := outboxOf(t, st)
				c := sk.newClient(t, scim.Config{Store: st, Hooks: rec.hooks(), Audit: audit, Events: ob})
				ids := map[string]string{
					"u": c.createUser("u@example.com", map[string]any{"active": true})["id"].(string),
					"v": c.createUser("v@example.com", nil)["id"].(string),
				}
				ids["g"] = c.createGroup("G", ids["u"])["id"].(string)
				before := snapshot(c)
				eventsBefore := feed(t, ob, 0)
				require.NotEmpty(t, eventsBefore)
				rec.mu.Lock()
				rec.fail = map[string]error{tc.fail: tc.hookErr}
				if tc.panics {
					rec.panics = tc.fail
				}
				rec.mu.Unlock()

				r := tc.request(c, ids)
				requireError(t, r, tc.status, tc.scimType)
				if tc.status == 500 {
					assert.NotContains(t, r.raw, boom.Error(), "internal errors are not shown")
				}
				assert.Equal(t, before, snapshot(c), "nothing changed")
				assert.Equal(t, eventsBefore, feed(t, ob, 0), "a rolled-back request records no event")
				recs, _ := audit.AuditRecords(context.Background(), store.Scope{}, store.AuditQuery{Limit: 1})
				require.Len(t, recs, 1)
				assert.Equal(t, tc.status, recs[0].Status, "the failed request is audited")
				assert.NotEmpty(t, recs[0].Error)
			})
		}
	})
}

// snapshot renders every user and group, versions included.
func snapshot(c *client) string {
	var b strings.Builder
	for _, p := range []string{"/Users?sortBy=userName", "/Groups?sortBy=displayName"} {
		b.WriteString(c.must(http.StatusOK, "GET", p, nil).raw)
	}
	return b.String()
}

func TestAuditRecords(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		audit := &memory.AuditLog{}
		c := sk.newClient(t, scim.Config{Audit: audit})
		u := c.createUser("a@example.com", nil)["id"].(string)
		c.must(http.StatusOK, "PATCH", "/Users/"+u, patchBody(op("replace", "title", "x")))
		c.must(http.StatusNoContent, "DELETE", "/Users/"+u, nil)
		c.do("POST", "/Users", `{"schemas":["`+userURN+`"]}`)
		c.do("GET", "/Users/"+u, nil) // reads are not audited by default

		recs, err := audit.AuditRecords(context.Background(), store.Scope{}, store.AuditQuery{})
		require.NoError(t, err)
		var got []string
		for i := len(recs) - 1; i >= 0; i-- {
			r := recs[i]
			got = append(got, fmt.Sprintf("%s %s %d before=%t after=%t", r.Operation, r.ResourceType, r.Status, r.Before != nil, r.After != nil))
			assert.False(t, r.Time.IsZero())
		}
		assert.Equal(t, []string{
			"create User 201 before=false after=true",
			"patch User 200 before=true after=true",
			"delete User 204 before=true after=false",
			"create User 400 before=false after=false",
		}, got)
		byUser, _ := audit.AuditRecords(context.Background(), store.Scope{}, store.AuditQuery{ResourceID: u})
		require.Len(t, byUser, 3, "the deleted user's history remains")
		assert.Contains(t, string(byUser[1].After), `"title":"x"`)
		assert.Contains(t, recs[0].Error, "userName")
	})
}

func TestAuditReads(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		audit := &memory.AuditLog{}
		c := sk.newClient(t, scim.Config{Audit: audit, AuditReads: true})
		u := c.createUser("a@example.com", nil)["id"].(string)
		c.must(http.StatusOK, "GET", "/Users/"+u, nil)
		c.must(http.StatusOK, "GET", "/Users?filter=userName+eq+%22a@example.com%22", nil)
		c.do("GET", "/Users/nope", nil)
		recs, _ := audit.AuditRecords(context.Background(), store.Scope{}, store.AuditQuery{})
		require.Len(t, recs, 4)
		assert.Equal(t, "get", recs[0].Operation)
		assert.Equal(t, 404, recs[0].Status)
		assert.Equal(t, "list", recs[1].Operation)
		assert.Equal(t, "get", recs[2].Operation)
		assert.Equal(t, u, recs[2].ResourceID)
	})
}

// diffHooks keeps the UserUpdated events it receives.
type diffHooks struct {
	mu      sync.Mutex
	updates []*scim.UserUpdated
}

func (d *diffHooks) UserUpdated(_ context.Context, e *scim.UserUpdated) error {
	d.mu.Lock()
	d.updates = append(d.updates, e)
	d.mu.Unlock()
	return nil
}

func (d *diffHooks) take() []*scim.UserUpdated {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.updates
	d.updates = nil
	return out
}

// TestUserUpdatedDiffValues: UserUpdated carries each changed attribute's
// value before and after, for PATCH and PUT, extension attributes
// included, and the user before and after the change.
func TestUserUpdatedDiffValues(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		hk := &diffHooks{}
		c := sk.newClient(t, scim.Config{Hooks: &scim.Hooks{UserUpdated: hk.UserUpdated}})
		u := c.createUser("ann@example.com", map[string]any{"schemas": []string{userURN, enterpriseURN}, "title": "a",
			"name": map[string]any{"givenName": "Ann", "familyName": "Lee"}, enterpriseURN: map[string]any{"department": "R&D"}})["id"].(string)
		require.Empty(t, hk.take())

		c.must(http.StatusOK, "PATCH", "/Users/"+u, patchBody(
			op("replace", "title", "b"),
			op("replace", "name.givenName", "Anna"),
			op("add", "displayName", "Anna Lee"),
			op("remove", enterpriseURN+":department", nil)))
		ups := hk.take()
		require.Len(t, ups, 1)
		assert.Equal(t, []events.Change{
			{Attribute: "displayName", Before: nil, After: "Anna Lee"},
			{Attribute: "name", Before: map[string]any{"givenName": "Ann", "familyName": "Lee"}, After: map[string]any{"givenName": "Anna", "familyName": "Lee"}},
			{Attribute: "title", Before: "a", After: "b"},
			{Attribute: enterpriseURN + ":department", Before: "R&D", After: nil},
		}, ups[0].Changed)
		assert.Equal(t, u, ups[0].Before.ID)
		assert.Equal(t, "a", ups[0].Before.Attributes["title"])
		assert.Equal(t, "b", ups[0].After.Attributes["title"])
		assert.Greater(t, ups[0].After.Version, ups[0].Before.Version)

		// A PUT is diffed against the stored user: what it leaves out was
		// removed.
		c.must(http.StatusOK, "PUT", "/Users/"+u, map[string]any{"schemas": []string{userURN}, "userName": "ann@example.com",
			"title": "c", "name": map[string]any{"givenName": "Anna", "familyName": "Lee"},
			"emails": []any{map[string]any{"value": "ann@example.com", "type": "work", "primary": true}}})
		ups = hk.take()
		require.Len(t, ups, 1)
		assert.Equal(t, []events.Change{
			{Attribute: "displayName", Before: "Anna Lee", After: nil},
			{Attribute: "emails", Before: nil, After: []any{map[string]any{"value": "ann@example.com", "type": "work", "primary": true}}},
			{Attribute: "title", Before: "b", After: "c"},
		}, ups[0].Changed)
	})
}

// groupDeletionHooks records the membership and delete events of a group
// deletion, with what the hook could read through the transaction.
type groupDeletionHooks struct {
	mu      sync.Mutex
	events  []string
	deleted *scim.GroupDeleted
}

func (g *groupDeletionHooks) MembersRemoved(ctx context.Context, e *scim.MembersRemoved) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.events = append(g.events, "MembersRemoved "+e.Group.DisplayName()+" "+members(e.Members))
	return nil
}

func (g *groupDeletionHooks) GroupDeleted(ctx context.Context, e *scim.GroupDeleted) error {
	_, err := e.Tx.Get(ctx, store.Group, e.Group.ID)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.events = append(g.events, fmt.Sprintf("GroupDeleted %s members=%s gone=%t", e.Group.DisplayName(), members(e.Group.Members), errors.Is(err, store.ErrNotFound)))
	g.deleted = e
	return nil
}

// TestGroupDeletionPolicy: with KeepMembers a group's deletion is only a
// GroupDeleted event (its last member list included) and the app
// decides; with RemoveMembers a MembersRemoved event for exactly those
// members comes first. Either way the SCIM memberships end.
func TestGroupDeletionPolicy(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		for _, tc := range []struct {
			name   string
			policy scim.GroupDeletion
			want   func(u1, u2 string) []string
		}{
			{"KeepMembers", scim.KeepMembers, func(u1, u2 string) []string {
				return []string{"GroupDeleted Sales members=" + members([]store.Member{{Value: u1}, {Value: u2}}) + " gone=true"}
			}},
			{"RemoveMembers", scim.RemoveMembers, func(u1, u2 string) []string {
				ms := members([]store.Member{{Value: u1}, {Value: u2}})
				return []string{"MembersRemoved Sales " + ms, "GroupDeleted Sales members=" + ms + " gone=true"}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				hk := &groupDeletionHooks{}
				c := sk.newClient(t, scim.Config{Hooks: &scim.Hooks{MembersRemoved: hk.MembersRemoved, GroupDeleted: hk.GroupDeleted}, GroupDeletion: tc.policy})
				u1 := c.createUser("u1@example.com", nil)["id"].(string)
				u2 := c.createUser("u2@example.com", nil)["id"].(string)
				g := c.createGroup("Sales", u1, u2)["id"].(string)
				other := c.createGroup("Other", u1)["id"].(string)

				c.must(http.StatusNoContent, "DELETE", "/Groups/"+g, nil)
				hk.mu.Lock()
				events, deleted := hk.events, hk.deleted
				hk.mu.Unlock()
				assert.Equal(t, tc.want(u1, u2), events)
				require.NotNil(t, deleted)
				assert.Equal(t, g, deleted.Group.ID)
				assert.Equal(t, "Sales", deleted.Group.DisplayName())

				assert.Equal(t, []string{other}, groupIDs(c.must(http.StatusOK, "GET", "/Users/"+u1, nil).body))
				assert.Empty(t, groupIDs(c.must(http.StatusOK, "GET", "/Users/"+u2, nil).body))
			})
		}
	})
}

// groupIDs lists the ids in a user's groups attribute.
func groupIDs(user map[string]any) []string {
	var out []string
	gs, _ := user["groups"].([]any)
	for _, g := range gs {
		out = append(out, g.(map[string]any)["value"].(string))
	}
	return out
}

// TestAuditNamesTheEvents: each successful write's audit record names the
// events it amounted to, the same ones hooks receive (events.Derive), on
// the store's own audit sink where it has one; a failed write names none.
func TestAuditNamesTheEvents(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		st := sk.open(t)
		var sink store.AuditSink = &memory.AuditLog{}
		if s, ok := st.(*sqlstore.Store); ok {
			sink = s.AuditSink()
		}
		rec := &recorder{}
		c := sk.newClient(t, scim.Config{Store: st, Hooks: rec.hooks(), Audit: sink, GroupDeletion: scim.RemoveMembers})
		u := c.createUser("ev@example.com", map[string]any{"active": true})["id"].(string)
		g := c.createGroup("Team", u)["id"].(string)
		c.must(http.StatusOK, "PATCH", "/Users/"+u, patchBody(op("replace", "active", false)))
		c.must(http.StatusOK, "PATCH", "/Users/"+u, patchBody(op("replace", "active", false))) // changes nothing
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+g, patchBody(op("remove", `members[value eq "`+u+`"]`, nil)))
		requireError(t, c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "ev@example.com"}), http.StatusConflict, "uniqueness")
		c.must(http.StatusNoContent, "DELETE", "/Groups/"+g, nil)

		recs, err := sink.(store.AuditReader).AuditRecords(t.Context(), store.Scope{}, store.AuditQuery{})
		require.NoError(t, err)
		var got [][]string
		for i := len(recs) - 1; i >= 0; i-- {
			got = append(got, recs[i].Events)
		}
		assert.Equal(t, [][]string{
			{"user.provisioned"},
			{"group.created", "group.members_added"},
			{"user.updated", "user.deactivated"},
			nil,
			{"group.members_removed"},
			nil,
			{"group.deleted"},
		}, got)
		assert.Len(t, rec.take(), 7, "hooks received the same seven events")
	})
}
