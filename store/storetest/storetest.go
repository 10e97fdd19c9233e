// Package storetest is the contract suite for store.Store implementations.
//
// Every implementation, bundled or written by a host application, runs it
// from a test:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newMyStore(t) })
//	}
//
// Each subtest gets a fresh, empty store from newStore. Some subtests run
// goroutines against one store, so run the suite with -race. The suite reads
// through Store.Get and Store.List from another goroutine while an Update is
// in progress; a store whose reads wait for writers passes, but must not
// deadlock.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/scimkit/scimkit/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
)

// EnterpriseURN is the schema URN of the enterprise User extension, the key
// its attributes are stored under in Resource.Attributes.
const EnterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// Run runs the contract suite against the stores newStore returns. newStore
// is called once per subtest and must return an empty store.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Create", createTests},
		{"Replace", replaceTests},
		{"Delete", deleteTests},
		{"Members", memberTests},
		{"Update", updateTests},
		{"Version", versionTests},
		{"List", listTests},
		{"Scope", scopeTests},
		{"Copies", copyTests},
		{"Concurrency", concurrencyTests},
		{"GroupsOf", groupsOfTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					// Every case has a store of its own.
					t.Parallel()
					s := newStore(t)
					require.NotNil(t, s, "newStore returned nil")
					tc.fn(t, s)
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// The scopes the suite uses. scopeC and scopeD have the same String form, so
// a store keyed by Scope.String() fails the isolation tests.
var (
	scopeA = store.Scope{Tenant: "acme", Directory: "okta"}
	scopeB = store.Scope{Tenant: "globex"}
	scopeC = store.Scope{Tenant: "a", Directory: "b"}
	scopeD = store.Scope{Tenant: "a/b"}
)

var errBoom = errors.New("storetest: boom")

// ---- helpers -----------------------------------------------------------

func newUser(id, userName string, attrs map[string]any) *store.Resource {
	a := map[string]any{"userName": userName}
	for k, v := range attrs {
		a[k] = v
	}
	return &store.Resource{Type: store.User, ID: id, Attributes: a}
}

func newGroup(id, displayName string, members ...store.Member) *store.Resource {
	return &store.Resource{
		Type:       store.Group,
		ID:         id,
		Attributes: map[string]any{"displayName": displayName},
		Members:    members,
	}
}

func userMember(id string) store.Member  { return store.Member{Value: id, Type: store.User} }
func groupMember(id string) store.Member { return store.Member{Value: id, Type: store.Group} }

// update runs fn in a transaction on scope and returns Update's error.
func update(t *testing.T, s store.Store, scope store.Scope, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return s.Update(t.Context(), scope, fn)
}

// create stores the resources in one transaction and fails the test on
// error.
func create(t *testing.T, s store.Store, scope store.Scope, rs ...*store.Resource) {
	t.Helper()
	require.NoError(t, update(t, s, scope, func(ctx context.Context, tx store.Tx) error {
		for _, r := range rs {
			if err := tx.Create(ctx, r); err != nil {
				return fmt.Errorf("create %s %q: %w", r.Type, r.ID, err)
			}
		}
		return nil
	}))
}

// do runs one Tx operation in its own transaction and returns its error.
func do(t *testing.T, s store.Store, scope store.Scope, op func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return update(t, s, scope, op)
}

func mustGet(t *testing.T, s store.Store, scope store.Scope, typ store.ResourceType, id string) *store.Resource {
	t.Helper()
	r, err := s.Get(t.Context(), scope, typ, id)
	require.NoError(t, err, "Get %s %q", typ, id)
	require.NotNil(t, r)
	return r
}

func requireNotFound(t *testing.T, s store.Store, scope store.Scope, typ store.ResourceType, id string) {
	t.Helper()
	r, err := s.Get(t.Context(), scope, typ, id)
	require.ErrorIs(t, err, store.ErrNotFound, "Get %s %q", typ, id)
	require.Nil(t, r)
}

func userFilter(t *testing.T, text string) *filter.Filter {
	t.Helper()
	f, err := filter.Parse(text, filter.WithSchemas(schema.User(), schema.EnterpriseUser()))
	require.NoError(t, err, "parse filter %q", text)
	return f
}

func groupFilter(t *testing.T, text string) *filter.Filter {
	t.Helper()
	f, err := filter.Parse(text, filter.WithSchemas(schema.Group()))
	require.NoError(t, err, "parse filter %q", text)
	return f
}

func userPath(t *testing.T, text string) *filter.Path {
	t.Helper()
	p, err := filter.ParsePath(text, filter.WithSchemas(schema.User(), schema.EnterpriseUser()))
	require.NoError(t, err, "parse path %q", text)
	return p
}

func list(t *testing.T, s store.Store, scope store.Scope, typ store.ResourceType, q store.Query) *store.Page {
	t.Helper()
	p, err := s.List(t.Context(), scope, typ, q)
	require.NoError(t, err)
	require.NotNil(t, p)
	require.NotNil(t, p.Resources, "Page.Resources must never be nil")
	require.LessOrEqual(t, len(p.Resources), p.Total)
	return p
}

func ids(p *store.Page) []string {
	out := make([]string, 0, len(p.Resources))
	for _, r := range p.Resources {
		out = append(out, r.ID)
	}
	return out
}

// listIDs lists every user matching filter text (all users if empty) in
// scope, in the default order.
func listUserIDs(t *testing.T, s store.Store, scope store.Scope, text string) []string {
	t.Helper()
	q := store.Query{Count: -1}
	if text != "" {
		q.Filter = userFilter(t, text)
	}
	p := list(t, s, scope, store.User, q)
	require.Len(t, p.Resources, p.Total)
	return ids(p)
}

func memberValues(r *store.Resource) []string {
	out := make([]string, 0, len(r.Members))
	for _, m := range r.Members {
		out = append(out, m.Value)
	}
	return out
}

func groupValues(r *store.Resource) []string {
	out := make([]string, 0, len(r.Groups))
	for _, g := range r.Groups {
		out = append(out, g.Value)
	}
	return out
}

// sameTime asserts two timestamps are equal at the millisecond precision
// meta.created and meta.lastModified carry.
func sameTime(t *testing.T, want, got time.Time, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, store.FormatTime(want), store.FormatTime(got), msgAndArgs...)
}

// richUser returns a user exercising every JSON shape and an extension.
func richUser(id, userName string) *store.Resource {
	return newUser(id, userName, map[string]any{
		"externalId":  "ext-" + id,
		"displayName": "Display " + userName,
		"active":      true,
		"name": map[string]any{
			"givenName":  "Ada",
			"familyName": "Lovelace",
		},
		"emails": []any{
			map[string]any{"value": userName + "@example.com", "type": "work", "primary": true},
			map[string]any{"value": userName + "@home.example", "type": "home"},
		},
		"x-score": 3.5,
		EnterpriseURN: map[string]any{
			"department":     "Engineering",
			"employeeNumber": "42",
			"manager":        map[string]any{"value": "boss"},
		},
	})
}

// ---- Create and Get ----------------------------------------------------

var createTests = []test{
	{"RoundTripUser", func(t *testing.T, s store.Store) {
		r := richUser("u1", "alice")
		want := store.CloneMap(r.Attributes)
		create(t, s, scopeA, r)
		assert.Equal(t, int64(1), r.Version, "Create sets Version 1")
		assert.False(t, r.Created.IsZero(), "Create sets Created")
		assert.False(t, r.LastModified.IsZero(), "Create sets LastModified")
		sameTime(t, r.Created, r.LastModified, "Created == LastModified on create")

		got := mustGet(t, s, scopeA, store.User, "u1")
		assert.Equal(t, store.User, got.Type)
		assert.Equal(t, "u1", got.ID)
		assert.Equal(t, want, got.Attributes)
		assert.Equal(t, int64(1), got.Version)
		assert.Equal(t, `W/"1"`, got.ETag())
		sameTime(t, r.Created, got.Created)
		sameTime(t, r.LastModified, got.LastModified)
		assert.Empty(t, got.Groups)
		assert.Empty(t, got.Members)
	}},
	{"RoundTripGroup", func(t *testing.T, s store.Store) {
		create(t, s, scopeA,
			newUser("u1", "alice", map[string]any{"displayName": "Alice A"}),
			newUser("u2", "bob", nil),
			newGroup("g0", "Inner"),
		)
		g := newGroup("g1", "Outer", userMember("u2"), groupMember("g0"), userMember("u1"))
		g.Attributes["externalId"] = "ext-g1"
		create(t, s, scopeA, g)
		assert.Equal(t, int64(1), g.Version)

		got := mustGet(t, s, scopeA, store.Group, "g1")
		assert.Equal(t, store.Group, got.Type)
		assert.Equal(t, map[string]any{"displayName": "Outer", "externalId": "ext-g1"}, got.Attributes)
		assert.Equal(t, []store.Member{
			{Value: "u2", Type: store.User, Display: "bob"},
			{Value: "g0", Type: store.Group, Display: "Inner"},
			{Value: "u1", Type: store.User, Display: "Alice A"},
		}, got.Members, "members in insertion order with display filled in")
		assert.Equal(t, []store.GroupRef{{Value: "g1", Display: "Outer"}}, mustGet(t, s, scopeA, store.User, "u1").Groups)
	}},
	{"GetNotFound", func(t *testing.T, s store.Store) {
		requireNotFound(t, s, scopeA, store.User, "nope")
		create(t, s, scopeA, newUser("u1", "alice", nil), newGroup("g1", "G"))
		requireNotFound(t, s, scopeA, store.User, "nope")
		requireNotFound(t, s, scopeA, store.Group, "u1")
		requireNotFound(t, s, scopeA, store.User, "g1")
		requireNotFound(t, s, scopeA, store.User, "U1")
	}},
	{"DuplicateID", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newGroup("g1", "G"))
		err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return tx.Create(ctx, newUser("u1", "other", nil))
		})
		require.ErrorIs(t, err, store.ErrUniqueness)
		err = do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return tx.Create(ctx, newGroup("g1", "Other"))
		})
		require.ErrorIs(t, err, store.ErrUniqueness)
		assert.Equal(t, "alice", mustGet(t, s, scopeA, store.User, "u1").UserName())
		assert.Equal(t, "G", mustGet(t, s, scopeA, store.Group, "g1").DisplayName())
	}},
	{"DuplicateUserNameIgnoringCase", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "Alice@Example.com", nil))
		err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return tx.Create(ctx, newUser("u2", "alice@example.COM", nil))
		})
		require.ErrorIs(t, err, store.ErrUniqueness)
		requireNotFound(t, s, scopeA, store.User, "u2")

		// Within one transaction too.
		err = do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			if err := tx.Create(ctx, newUser("u3", "bob", nil)); err != nil {
				return err
			}
			return tx.Create(ctx, newUser("u4", "BOB", nil))
		})
		require.ErrorIs(t, err, store.ErrUniqueness)
		requireNotFound(t, s, scopeA, store.User, "u3")
		requireNotFound(t, s, scopeA, store.User, "u4")

		// Groups may share a displayName.
		create(t, s, scopeA, newGroup("g1", "Same"), newGroup("g2", "same"))
	}},
	{"UserNameFreedByDeleteAndRename", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newUser("u2", "bob", nil))
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return tx.Delete(ctx, store.User, "u1")
		}))
		create(t, s, scopeA, newUser("u3", "ALICE", nil))

		r := mustGet(t, s, scopeA, store.User, "u2")
		r.Attributes["userName"] = "robert"
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, r) }))
		create(t, s, scopeA, newUser("u4", "Bob", nil))

		// Deleted and recreated in one transaction.
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			if err := tx.Delete(ctx, store.User, "u4"); err != nil {
				return err
			}
			return tx.Create(ctx, newUser("u5", "bob", nil))
		}))
		assert.Equal(t, []string{"u2", "u3", "u5"}, listUserIDs(t, s, scopeA, ""))
	}},
	{"GroupWithInvalidMembers", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newGroup("g0", "G0"))
		for name, m := range map[string]store.Member{
			"unknown user":  userMember("nope"),
			"unknown group": groupMember("nope"),
			"user as group": groupMember("u1"),
			"group as user": userMember("g0"),
			"itself":        groupMember("g1"),
		} {
			err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
				return tx.Create(ctx, newGroup("g1", "G1", userMember("u1"), m))
			})
			require.ErrorIs(t, err, store.ErrInvalidMember, name)
			requireNotFound(t, s, scopeA, store.Group, "g1")
		}
		assert.Empty(t, mustGet(t, s, scopeA, store.User, "u1").Groups)
	}},
	{"GroupDuplicateMembersIgnored", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil))
		create(t, s, scopeA, newGroup("g1", "G1", userMember("u1"), userMember("u1")))
		assert.Equal(t, []string{"u1"}, memberValues(mustGet(t, s, scopeA, store.Group, "g1")))
	}},
	{"UserWithoutDisplayName", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil))
		create(t, s, scopeA, newGroup("g1", "G1", userMember("u1")))
		assert.Equal(t, "alice", mustGet(t, s, scopeA, store.Group, "g1").Members[0].Display)
	}},
}

// ---- Replace -----------------------------------------------------------

var replaceTests = []test{
	{"BumpsVersionKeepsCreated", func(t *testing.T, s store.Store) {
		orig := richUser("u1", "alice")
		create(t, s, scopeA, orig)
		time.Sleep(2 * time.Millisecond)

		r := mustGet(t, s, scopeA, store.User, "u1")
		r.Attributes = map[string]any{
			"userName": "alice",
			"name":     map[string]any{"familyName": "Byron"},
			EnterpriseURN: map[string]any{
				"department": "Sales",
			},
		}
		want := store.CloneMap(r.Attributes)
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, r) }))
		assert.Equal(t, int64(2), r.Version, "Replace writes the new Version back")
		assert.False(t, r.LastModified.Before(orig.LastModified), "LastModified moves forward")

		got := mustGet(t, s, scopeA, store.User, "u1")
		assert.Equal(t, want, got.Attributes, "attributes are replaced, not merged")
		assert.Equal(t, int64(2), got.Version)
		sameTime(t, orig.Created, got.Created, "Created is kept")
		sameTime(t, r.LastModified, got.LastModified)
		assert.False(t, got.LastModified.Before(got.Created))

		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, got) }))
		assert.Equal(t, int64(3), got.Version)
		assert.Equal(t, int64(3), mustGet(t, s, scopeA, store.User, "u1").Version)
	}},
	{"VersionConflict", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", map[string]any{"displayName": "A"}))
		stale := mustGet(t, s, scopeA, store.User, "u1")
		fresh := stale.Clone()
		fresh.Attributes["displayName"] = "B"
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, fresh) }))

		stale.Attributes["displayName"] = "C"
		err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, stale) })
		require.ErrorIs(t, err, store.ErrVersionConflict)
		got := mustGet(t, s, scopeA, store.User, "u1")
		assert.Equal(t, "B", got.DisplayName(), "nothing changed")
		assert.Equal(t, int64(2), got.Version)

		for _, v := range []int64{0, 3, 99} {
			r := got.Clone()
			r.Version = v
			r.Attributes["displayName"] = "D"
			err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, r) })
			require.ErrorIs(t, err, store.ErrVersionConflict, "version %d", v)
		}
		assert.Equal(t, "B", mustGet(t, s, scopeA, store.User, "u1").DisplayName())
	}},
	{"NotFound", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newGroup("g1", "G"))
		err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return tx.Replace(ctx, &store.Resource{Type: store.User, ID: "nope", Version: 1, Attributes: map[string]any{"userName": "x"}})
		})
		require.ErrorIs(t, err, store.ErrNotFound)
		err = do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return tx.Replace(ctx, &store.Resource{Type: store.User, ID: "g1", Version: 1, Attributes: map[string]any{"userName": "x"}})
		})
		require.ErrorIs(t, err, store.ErrNotFound)
		requireNotFound(t, s, scopeA, store.User, "nope")
	}},
	{"UserNameUniqueness", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newUser("u2", "bob", nil))
		r := mustGet(t, s, scopeA, store.User, "u2")
		r.Attributes["userName"] = "ALICE"
		err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, r) })
		require.ErrorIs(t, err, store.ErrUniqueness)
		assert.Equal(t, "bob", mustGet(t, s, scopeA, store.User, "u2").UserName())

		// Changing only the case of one's own userName is fine.
		r = mustGet(t, s, scopeA, store.User, "u2")
		r.Attributes["userName"] = "Bob"
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, r) }))
		assert.Equal(t, "Bob", mustGet(t, s, scopeA, store.User, "u2").UserName())
		assert.Equal(t, []string{"u2"}, listUserIDs(t, s, scopeA, `userName eq "bob"`))
		assert.Empty(t, listUserIDs(t, s, scopeA, `userName eq "robert"`))
	}},
	{"GroupKeepsMembers", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newUser("u2", "bob", nil))
		create(t, s, scopeA, newGroup("g1", "Old", userMember("u1"), userMember("u2")))
		r := mustGet(t, s, scopeA, store.Group, "g1")
		r.Attributes["displayName"] = "New"
		r.Members = []store.Member{userMember("u2")} // ignored
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Replace(ctx, r) }))

		got := mustGet(t, s, scopeA, store.Group, "g1")
		assert.Equal(t, "New", got.DisplayName())
		assert.Equal(t, []string{"u1", "u2"}, memberValues(got))
		assert.Equal(t, int64(2), got.Version)
		// Users see the new display name of the group.
		assert.Equal(t, []store.GroupRef{{Value: "g1", Display: "New"}}, mustGet(t, s, scopeA, store.User, "u1").Groups)
	}},
	{"MemberDisplayFollowsRename", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newGroup("g0", "Inner"))
		create(t, s, scopeA, newGroup("g1", "Outer", userMember("u1"), groupMember("g0")))

		u := mustGet(t, s, scopeA, store.User, "u1")
		u.Attributes["displayName"] = "Alice Liddell"
		g := mustGet(t, s, scopeA, store.Group, "g0")
		g.Attributes["displayName"] = "Renamed"
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			if err := tx.Replace(ctx, u); err != nil {
				return err
			}
			return tx.Replace(ctx, g)
		}))
		got := mustGet(t, s, scopeA, store.Group, "g1")
		assert.Equal(t, []store.Member{
			{Value: "u1", Type: store.User, Display: "Alice Liddell"},
			{Value: "g0", Type: store.Group, Display: "Renamed"},
		}, got.Members)
	}},
}

// ---- Delete ------------------------------------------------------------

var deleteTests = []test{
	{"User", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newUser("u2", "bob", nil))
		create(t, s, scopeA,
			newGroup("g1", "G1", userMember("u1"), userMember("u2")),
			newGroup("g2", "G2", userMember("u1")),
		)
		g1Before := mustGet(t, s, scopeA, store.Group, "g1")
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return tx.Delete(ctx, store.User, "u1")
		}))
		requireNotFound(t, s, scopeA, store.User, "u1")
		g1 := mustGet(t, s, scopeA, store.Group, "g1")
		assert.Equal(t, []string{"u2"}, memberValues(g1))
		assert.Greater(t, g1.Version, g1Before.Version, "group version bumped")
		assert.False(t, g1.LastModified.Before(g1Before.LastModified))
		assert.Empty(t, mustGet(t, s, scopeA, store.Group, "g2").Members)
		assert.Equal(t, []string{"u2"}, listUserIDs(t, s, scopeA, ""))
		assert.Empty(t, listUserIDs(t, s, scopeA, `userName eq "alice"`))

		err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return tx.Delete(ctx, store.User, "u1")
		})
		require.ErrorIs(t, err, store.ErrNotFound)
	}},
	{"NestedGroup", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil))
		create(t, s, scopeA, newGroup("child", "Child", userMember("u1")))
		create(t, s, scopeA, newGroup("parent", "Parent", groupMember("child"), userMember("u1")))
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return tx.Delete(ctx, store.Group, "child")
		}))
		requireNotFound(t, s, scopeA, store.Group, "child")
		parent := mustGet(t, s, scopeA, store.Group, "parent")
		assert.Equal(t, []string{"u1"}, memberValues(parent))
		assert.Equal(t, int64(2), parent.Version)
		assert.Equal(t, []string{"parent"}, groupValues(mustGet(t, s, scopeA, store.User, "u1")))
	}},
	{"WrongTypeOrUnknown", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil))
		for _, typ := range []store.ResourceType{store.User, store.Group} {
			err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, typ, "nope") })
			require.ErrorIs(t, err, store.ErrNotFound)
		}
		err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, store.Group, "u1") })
		require.ErrorIs(t, err, store.ErrNotFound)
		mustGet(t, s, scopeA, store.User, "u1")
	}},
}

// ---- Membership --------------------------------------------------------

var memberTests = []test{
	{"UserGroups", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newUser("u2", "bob", nil))
		create(t, s, scopeA,
			newGroup("g1", "Zeta", userMember("u1")),
			newGroup("g2", "Alpha", userMember("u1"), userMember("u2")),
			newGroup("g3", "Empty"),
		)
		assert.ElementsMatch(t, []store.GroupRef{{Value: "g1", Display: "Zeta"}, {Value: "g2", Display: "Alpha"}},
			mustGet(t, s, scopeA, store.User, "u1").Groups)
		assert.Equal(t, []store.GroupRef{{Value: "g2", Display: "Alpha"}}, mustGet(t, s, scopeA, store.User, "u2").Groups)
	}},
	{"Nested", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil))
		create(t, s, scopeA, newGroup("child", "Child", userMember("u1")))
		create(t, s, scopeA, newGroup("parent", "Parent", groupMember("child")))
		assert.Equal(t, []store.Member{{Value: "child", Type: store.Group, Display: "Child"}},
			mustGet(t, s, scopeA, store.Group, "parent").Members)
		// groups lists direct memberships only.
		assert.Equal(t, []string{"child"}, groupValues(mustGet(t, s, scopeA, store.User, "u1")))

		err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.AddMembers(ctx, "child", []store.Member{groupMember("grand")}))
		})
		require.ErrorIs(t, err, store.ErrInvalidMember)

		// A group may belong to several groups.
		create(t, s, scopeA, newGroup("other", "Other"))
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.AddMembers(ctx, "other", []store.Member{groupMember("child")}))
		}))
		assert.Equal(t, []string{"child"}, memberValues(mustGet(t, s, scopeA, store.Group, "other")))
		assert.Equal(t, []string{"child"}, memberValues(mustGet(t, s, scopeA, store.Group, "parent")))
	}},
	{"AddMembers", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newUser("u2", "bob", nil), newGroup("g0", "Inner"))
		create(t, s, scopeA, newGroup("g1", "G1", userMember("u1")))
		var added []store.Member
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) (err error) {
			added, err = tx.AddMembers(ctx, "g1", []store.Member{userMember("u2"), groupMember("g0"), userMember("u1"), userMember("u2")})
			return err
		}))
		assert.Equal(t, []store.Member{{Value: "u2", Type: store.User, Display: "bob"}, {Value: "g0", Type: store.Group, Display: "Inner"}},
			added, "reports exactly the members it added, with their display values")
		g := mustGet(t, s, scopeA, store.Group, "g1")
		assert.Equal(t, []string{"u1", "u2", "g0"}, memberValues(g), "appended in order, duplicates ignored")
		assert.Equal(t, int64(2), g.Version)
		assert.Equal(t, []string{"g1"}, groupValues(mustGet(t, s, scopeA, store.User, "u2")))

		// Nothing new: no version bump, nothing reported.
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) (err error) {
			added, err = tx.AddMembers(ctx, "g1", []store.Member{userMember("u1"), groupMember("g0")})
			return err
		}))
		assert.Empty(t, added)
		assert.Equal(t, int64(2), mustGet(t, s, scopeA, store.Group, "g1").Version)
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.AddMembers(ctx, "g1", nil))
		}))
		assert.Equal(t, int64(2), mustGet(t, s, scopeA, store.Group, "g1").Version)
	}},
	{"AddMembersAfterRollback", func(t *testing.T, s store.Store) {
		// A rolled-back AddMembers leaves no trace, even when the next one
		// appends to the same group; two in one transaction both count.
		create(t, s, scopeA, newUser("u1", "alice", nil), newUser("u2", "bob", nil), newUser("u3", "carol", nil))
		create(t, s, scopeA, newGroup("g1", "G1", userMember("u1")))
		before := mustGet(t, s, scopeA, store.Group, "g1")
		errAbort := errors.New("abort")
		err := s.Update(t.Context(), scopeA, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.AddMembers(ctx, "g1", []store.Member{userMember("u2")}); err != nil {
				return err
			}
			return errAbort
		})
		require.ErrorIs(t, err, errAbort)
		assert.Equal(t, before, mustGet(t, s, scopeA, store.Group, "g1"))
		assert.Empty(t, mustGet(t, s, scopeA, store.User, "u2").Groups)

		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.AddMembers(ctx, "g1", []store.Member{userMember("u3")}); err != nil {
				return err
			}
			added, err := tx.AddMembers(ctx, "g1", []store.Member{userMember("u3"), userMember("u2")})
			assert.Equal(t, []store.Member{{Value: "u2", Type: store.User, Display: "bob"}}, added)
			return err
		}))
		assert.Equal(t, []string{"u1", "u3", "u2"}, memberValues(mustGet(t, s, scopeA, store.Group, "g1")))
		assert.Equal(t, []string{"g1"}, groupValues(mustGet(t, s, scopeA, store.User, "u2")))
	}},
	{"AddMembersInvalid", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newUser("u2", "bob", nil), newGroup("g0", "G0"))
		create(t, s, scopeA, newGroup("g1", "G1", userMember("u1")))
		for name, m := range map[string]store.Member{
			"unknown user":  userMember("nope"),
			"unknown group": groupMember("nope"),
			"user as group": groupMember("u2"),
			"group as user": userMember("g0"),
			"itself":        groupMember("g1"),
		} {
			// The caller swallows the error and commits: the call itself
			// must not have applied any of its members.
			var opErr error
			require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
				_, opErr = tx.AddMembers(ctx, "g1", []store.Member{userMember("u2"), m, groupMember("g0")})
				return nil
			}))
			require.ErrorIs(t, opErr, store.ErrInvalidMember, name)
			g := mustGet(t, s, scopeA, store.Group, "g1")
			assert.Equal(t, []string{"u1"}, memberValues(g), name)
			assert.Equal(t, int64(1), g.Version, name)
		}
		assert.Empty(t, mustGet(t, s, scopeA, store.User, "u2").Groups)

		err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.AddMembers(ctx, "nope", []store.Member{userMember("u1")}))
		})
		require.ErrorIs(t, err, store.ErrNotFound)
		err = do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.AddMembers(ctx, "u1", []store.Member{userMember("u2")}))
		})
		require.ErrorIs(t, err, store.ErrNotFound, "a user is not a group")
	}},
	{"RemoveMembers", func(t *testing.T, s store.Store) {
		create(t, s, scopeA, newUser("u1", "alice", nil), newUser("u2", "bob", nil), newGroup("g0", "G0"))
		create(t, s, scopeA, newGroup("g1", "G1", userMember("u1"), groupMember("g0"), userMember("u2")))
		var removed []store.Member
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) (err error) {
			removed, err = tx.RemoveMembers(ctx, "g1", []string{"u1", "g0", "nope"})
			return err
		}))
		assert.ElementsMatch(t, []store.Member{{Value: "u1", Type: store.User, Display: "alice"}, {Value: "g0", Type: store.Group, Display: "G0"}},
			removed, "reports exactly the members it removed, with their types and display values")
		g := mustGet(t, s, scopeA, store.Group, "g1")
		assert.Equal(t, []string{"u2"}, memberValues(g))
		assert.Equal(t, int64(2), g.Version)
		assert.Empty(t, mustGet(t, s, scopeA, store.User, "u1").Groups)
		mustGet(t, s, scopeA, store.User, "u1")  // members are not deleted
		mustGet(t, s, scopeA, store.Group, "g0") // nor nested groups

		// Nothing to remove: no version bump, nothing reported.
		require.NoError(t, do(t, s, scopeA, func(ctx context.Context, tx store.Tx) (err error) {
			removed, err = tx.RemoveMembers(ctx, "g1", []string{"u1", "nope"})
			return err
		}))
		assert.Empty(t, removed)
		assert.Equal(t, int64(2), mustGet(t, s, scopeA, store.Group, "g1").Version)

		err := do(t, s, scopeA, func(ctx context.Context, tx store.Tx) error {
			return errOnly(tx.RemoveMembers(ctx, "nope", []string{"u2"}))
		})
		require.ErrorIs(t, err, store.ErrNotFound)
	}},
}

// errOnly drops the member list a Tx membership method returns.
func errOnly(_ []store.Member, err error) error { return err }
