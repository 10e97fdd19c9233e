package memory_test

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
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return memory.New() })
}

func user(id, userName string) *store.Resource {
	return &store.Resource{Type: store.User, ID: id, Attributes: map[string]any{"userName": userName}}
}

func createAll(t testing.TB, s store.Store, rs ...*store.Resource) {
	t.Helper()
	require.NoError(t, s.Update(context.Background(), store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		for _, r := range rs {
			if err := tx.Create(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}))
}

func TestClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	s := memory.New(memory.WithClock(func() time.Time { return now }))
	r := user("u1", "alice")
	createAll(t, s, r)
	assert.Equal(t, now, r.Created)
	assert.Equal(t, now, r.LastModified)

	now = now.Add(time.Hour)
	require.NoError(t, s.Update(context.Background(), store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		return tx.Replace(ctx, r)
	}))
	got, err := s.Get(context.Background(), store.Scope{}, store.User, "u1")
	require.NoError(t, err)
	assert.Equal(t, now.Add(-time.Hour), got.Created)
	assert.Equal(t, now, got.LastModified)
	assert.Equal(t, now, r.LastModified)
	assert.Equal(t, now.Add(-time.Hour), r.Created)
}

func TestExcludeMembersLeavesMembersNil(t *testing.T) {
	t.Parallel()
	s := memory.New()
	createAll(t, s, user("u1", "alice"))
	createAll(t, s, &store.Resource{Type: store.Group, ID: "g1", Attributes: map[string]any{"displayName": "G"},
		Members: []store.Member{{Value: "u1", Type: store.User}}})
	p, err := s.List(context.Background(), store.Scope{}, store.Group, store.Query{Count: -1, ExcludeMembers: true})
	require.NoError(t, err)
	require.Len(t, p.Resources, 1)
	assert.Nil(t, p.Resources[0].Members)

	p, err = s.List(context.Background(), store.Scope{}, store.Group, store.Query{Count: -1})
	require.NoError(t, err)
	assert.Equal(t, []store.Member{{Value: "u1", Type: store.User, Display: "alice"}}, p.Resources[0].Members)
}

func TestUserGroupsSortedByDisplayThenID(t *testing.T) {
	t.Parallel()
	s := memory.New()
	createAll(t, s, user("u1", "alice"))
	m := []store.Member{{Value: "u1", Type: store.User}}
	group := func(id, name string) *store.Resource {
		return &store.Resource{Type: store.Group, ID: id, Attributes: map[string]any{"displayName": name}, Members: m}
	}
	createAll(t, s, group("g3", "B"), group("g2", "A"), group("g1", "B"), group("g0", "C"))
	got, err := s.Get(context.Background(), store.Scope{}, store.User, "u1")
	require.NoError(t, err)
	assert.Equal(t, []store.GroupRef{{Value: "g2", Display: "A"}, {Value: "g1", Display: "B"}, {Value: "g3", Display: "B"}, {Value: "g0", Display: "C"}}, got.Groups)
}

func TestSortDescendingKeepsTiesInCreationOrder(t *testing.T) {
	t.Parallel()
	s := memory.New()
	u := func(id, family string) *store.Resource {
		r := user(id, id)
		if family != "" {
			r.Attributes["name"] = map[string]any{"familyName": family}
		}
		return r
	}
	createAll(t, s, u("u1", "b"), u("u2", "a"), u("u3", ""), u("u4", "b"), u("u5", "c"))
	path, err := filter.ParsePath("name.familyName", filter.WithSchemas(schema.User()))
	require.NoError(t, err)
	ids := func(desc bool) []string {
		p, err := s.List(context.Background(), store.Scope{}, store.User, store.Query{SortBy: path, Descending: desc, Count: -1})
		require.NoError(t, err)
		var out []string
		for _, r := range p.Resources {
			out = append(out, r.ID)
		}
		return out
	}
	assert.Equal(t, []string{"u2", "u1", "u4", "u5", "u3"}, ids(false))
	// Descending reverses the value order (missing values first, as the
	// largest), while equal values keep creation order.
	assert.Equal(t, []string{"u3", "u5", "u1", "u4", "u2"}, ids(true))
}

func TestContext(t *testing.T) {
	s := memory.New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := s.Update(ctx, store.Scope{}, func(context.Context, store.Tx) error { ran = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, ran)
	_, err = s.Get(ctx, store.Scope{}, store.User, "x")
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.List(ctx, store.Scope{}, store.User, store.Query{})
	require.ErrorIs(t, err, context.Canceled)

	// Cancelled during fn: nothing is committed.
	ctx, cancel = context.WithCancel(context.Background())
	err = s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		require.NoError(t, tx.Create(ctx, user("u1", "alice")))
		cancel()
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Get(context.Background(), store.Scope{}, store.User, "u1")
	require.ErrorIs(t, err, store.ErrNotFound)

	// Waiting for another writer gives up when the context ends.
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Update(context.Background(), store.Scope{}, func(context.Context, store.Tx) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = s.Update(ctx, store.Scope{Tenant: "other"}, func(context.Context, store.Tx) error { return nil })
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// Readers are not blocked by the writer.
	_, err = s.List(context.Background(), store.Scope{}, store.User, store.Query{})
	require.NoError(t, err)
	close(release)
	require.NoError(t, <-done)
}

func TestTxUnusableAfterUpdate(t *testing.T) {
	t.Parallel()
	s := memory.New()
	var leaked store.Tx
	require.NoError(t, s.Update(context.Background(), store.Scope{}, func(_ context.Context, tx store.Tx) error {
		leaked = tx
		return nil
	}))
	err := leaked.Create(context.Background(), user("u1", "alice"))
	require.Error(t, err)
	_, err = s.Get(context.Background(), store.Scope{}, store.User, "u1")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	s := memory.New()
	ctx := context.Background()
	err := s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, user("", "alice"))
	})
	require.Error(t, err)
	err = s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, &store.Resource{Type: "Device", ID: "d1"})
	})
	require.Error(t, err)
	_, err = s.List(ctx, store.Scope{}, "Device", store.Query{})
	require.Error(t, err)
	_, err = s.Get(ctx, store.Scope{}, "Device", "d1")
	require.ErrorIs(t, err, store.ErrNotFound)

	// A user and a group cannot share an id.
	createAll(t, s, user("x", "alice"))
	err = s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, &store.Resource{Type: store.Group, ID: "x", Attributes: map[string]any{"displayName": "G"}})
	})
	require.ErrorIs(t, err, store.ErrUniqueness)

	// Unicode case folding applies to userName uniqueness.
	createAll(t, s, user("k", "\u212aelvin"))
	err = s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, user("k2", "kelvin"))
	})
	require.ErrorIs(t, err, store.ErrUniqueness)
	assert.Contains(t, err.Error(), `userName "kelvin" already exists`)
}

func TestPanicReleasesWriter(t *testing.T) {
	s := memory.New()
	require.Panics(t, func() {
		_ = s.Update(context.Background(), store.Scope{}, func(ctx context.Context, tx store.Tx) error {
			_ = tx.Create(ctx, user("u1", "alice"))
			panic(errors.New("boom"))
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	createAll(t, s, user("u2", "bob"))
	require.NoError(t, s.Update(ctx, store.Scope{}, func(context.Context, store.Tx) error { return nil }))
	_, err := s.Get(ctx, store.Scope{}, store.User, "u1")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func seed(b *testing.B, n int) *memory.Store {
	s := memory.New()
	rs := make([]*store.Resource, n)
	for i := range rs {
		rs[i] = &store.Resource{Type: store.User, ID: fmt.Sprintf("u%d", i), Attributes: map[string]any{
			"userName":   fmt.Sprintf("user%d@example.com", i),
			"externalId": fmt.Sprintf("ext-%d", i),
			"name":       map[string]any{"givenName": "Given", "familyName": fmt.Sprintf("Family%d", i)},
			"emails":     []any{map[string]any{"value": fmt.Sprintf("user%d@example.com", i), "primary": true}},
			"active":     true,
		}}
	}
	createAll(b, s, rs...)
	return s
}

func BenchmarkGet(b *testing.B) {
	s := seed(b, 10000)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.Get(ctx, store.Scope{}, store.User, fmt.Sprintf("u%d", i%10000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkListUserNameEq is the index lookup IdPs make before every
// provisioning, at three directory sizes: its time must not grow with n.
func BenchmarkListUserNameEq(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := seed(b, n)
			ctx := context.Background()
			f, err := filter.Parse(fmt.Sprintf(`userName eq "USER%d@example.com"`, n/2), filter.WithSchemas(schema.User()))
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				p, err := s.List(ctx, store.Scope{}, store.User, store.Query{Filter: f, Count: 100})
				if err != nil || p.Total != 1 {
					b.Fatal(err, p)
				}
			}
		})
	}
}

func BenchmarkListScan(b *testing.B) {
	s := seed(b, 10000)
	ctx := context.Background()
	f, err := filter.Parse(`name.familyName sw "Family500"`, filter.WithSchemas(schema.User()))
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.List(ctx, store.Scope{}, store.User, store.Query{Filter: f, Count: 100})
		if err != nil || p.Total != 11 {
			b.Fatal(err, p)
		}
	}
}

func BenchmarkCreate(b *testing.B) {
	s := memory.New()
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := &store.Resource{Type: store.User, ID: fmt.Sprintf("u%d", i), Attributes: map[string]any{
			"userName": fmt.Sprintf("user%d@example.com", i),
			"name":     map[string]any{"givenName": "Given", "familyName": "Family"},
		}}
		if err := s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error { return tx.Create(ctx, r) }); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
