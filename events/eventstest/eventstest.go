// Package eventstest is the contract every events.Outbox passes, with
// the store.Store whose transactions it writes in. A store's tests call
// Run with a function that opens a fresh, empty store:
//
//	func TestEvents(t *testing.T) {
//		eventstest.Run(t, func(t *testing.T) eventstest.Subject {
//			s := memory.New()
//			return eventstest.Subject{Store: s, Outbox: s.Events(), Deliveries: s.Deliveries(), Directories: s.Directories()}
//		})
//	}
package eventstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/store"
)

// Subject is what the contract tests: an outbox and the store it writes
// in, and the delivery log of the same store; Directories, when not nil, is the same store's directory records,
// which add directory events to the outbox.
type Subject struct {
	Store       store.Store
	Outbox      events.Outbox
	Deliveries  events.DeliveryLog
	Directories directory.Store
}

// Run runs the contract against subjects open opens. Every case gets its
// own subject and runs in parallel with the others.
func Run(t *testing.T, open func(t *testing.T) Subject) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s Subject, open func(t *testing.T) Subject)
	}{
		{"CommitKeeps", commitKeeps},
		{"RollbackEmitsNothing", rollbackEmitsNothing},
		{"ScopesNumberApart", scopesNumberApart},
		{"QueryFilters", queryFilters},
		{"Pages", pages},
		{"ConcurrentWritersNumberInCommitOrder", concurrentWriters},
		{"RefusesForeignTx", refusesForeignTx},
		{"RefusesOtherScope", refusesOtherScope},
		{"Prune", prune},
		{"DirectoryEvents", directoryEvents},
		{"Deliveries/Leases", leases},
		{"Deliveries/DeadLetters", deadLetters},
		{"Deliveries/TwoDispatchersDeliverOnce", twoDispatchers},
		{"Deliveries/RetriesThenDeadLetters", retriesThenDeadLetters},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open(t), open)
		})
	}
}

var (
	acme   = store.Scope{Tenant: "acme", Directory: "okta"}
	acme2  = store.Scope{Tenant: "acme", Directory: "entra"}
	globex = store.Scope{Tenant: "globex", Directory: "okta"}
)

// rec returns a record of scope with the given kind and a data object
// naming n.
func rec(scope store.Scope, kind events.Kind, n int) events.Record {
	return events.Record{ID: events.NewID(), Tenant: scope.Tenant, Directory: scope.Directory, Kind: kind,
		Time: time.Now().UTC().Truncate(time.Microsecond), Actor: "cred-1", RequestID: fmt.Sprintf("req-%d", n),
		ResourceType: store.User, ResourceID: fmt.Sprintf("u%d", n), Data: []byte(fmt.Sprintf(`{"n": %d}`, n))}
}

// write appends recs in one transaction of their scope that also
// creates a user (so the transaction has a change of its own).
func write(t *testing.T, s Subject, scope store.Scope, recs ...events.Record) {
	t.Helper()
	require.NoError(t, s.Store.Update(context.Background(), scope, func(ctx context.Context, tx store.Tx) error {
		u := &store.Resource{Type: store.User, ID: events.NewID(), Attributes: map[string]any{"userName": events.NewID()}}
		if err := tx.Create(ctx, u); err != nil {
			return err
		}
		return s.Outbox.AppendTx(ctx, tx, recs)
	}))
}

// all reads the whole feed that q selects, page by page.
func all(t *testing.T, s Subject, q events.Query) []events.Record {
	t.Helper()
	var out []events.Record
	for range 10000 {
		page, err := s.Outbox.Events(context.Background(), q)
		require.NoError(t, err)
		if len(page.Records) == 0 {
			assert.Equal(t, q.After, page.Next, "an empty page keeps the cursor")
			return out
		}
		for _, r := range page.Records {
			require.Greater(t, r.Position, q.After, "positions grow")
			q.After = r.Position
		}
		assert.Equal(t, q.After, page.Next)
		out = append(out, page.Records...)
	}
	t.Fatal("the feed does not end")
	return nil
}

func commitKeeps(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	a, b := rec(acme, events.KindUserProvisioned, 1), rec(acme, events.KindUserUpdated, 2)
	b.Cause = "expiry"
	b.Data = []byte(`{"z":1, "a" : [ 2 ]}`)
	write(t, s, acme, a, b)
	got := all(t, s, events.Query{})
	require.Len(t, got, 2)
	for i, want := range []events.Record{a, b} {
		g := got[i]
		assert.Equal(t, int64(i+1), g.Seq, "numbered from 1 in the scope")
		assert.NotZero(t, g.Position)
		g.Seq, g.Position = 0, 0
		assert.True(t, want.Time.Equal(g.Time), "time %v, want %v", g.Time, want.Time)
		g.Time = want.Time
		assert.Equal(t, want, g, "kept as written, data byte for byte")
	}
}

func rollbackEmitsNothing(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	boom := errors.New("hook refused")
	err := s.Store.Update(context.Background(), acme, func(ctx context.Context, tx store.Tx) error {
		if err := s.Outbox.AppendTx(ctx, tx, []events.Record{rec(acme, events.KindUserProvisioned, 1)}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Empty(t, all(t, s, events.Query{}), "a rolled-back transaction emits nothing")

	write(t, s, acme, rec(acme, events.KindUserProvisioned, 2))
	got := all(t, s, events.Query{})
	require.Len(t, got, 1)
	assert.Equal(t, int64(1), got[0].Seq, "a rollback uses up no number")
	assert.Equal(t, "req-2", got[0].RequestID)
}

func scopesNumberApart(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	for i, sc := range []store.Scope{acme, acme2, globex, acme, globex, acme} {
		write(t, s, sc, rec(sc, events.KindUserProvisioned, i))
	}
	seqs := map[store.Scope][]int64{}
	for _, r := range all(t, s, events.Query{}) {
		seqs[r.Scope()] = append(seqs[r.Scope()], r.Seq)
	}
	assert.Equal(t, map[store.Scope][]int64{acme: {1, 2, 3}, acme2: {1}, globex: {1, 2}}, seqs)
}

func queryFilters(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	write(t, s, acme, rec(acme, events.KindUserProvisioned, 1), rec(acme, events.KindMembersAdded, 2))
	write(t, s, acme2, rec(acme2, events.KindUserProvisioned, 3))
	write(t, s, globex, rec(globex, events.KindUserDeleted, 4))
	ids := func(q events.Query) []string {
		var out []string
		for _, r := range all(t, s, q) {
			out = append(out, r.RequestID)
		}
		return out
	}
	tests := []struct {
		name string
		q    events.Query
		want []string
	}{
		{"all", events.Query{}, []string{"req-1", "req-2", "req-3", "req-4"}},
		{"one directory", events.Query{Scopes: []store.Scope{acme}}, []string{"req-1", "req-2"}},
		{"a tenant's directories", events.Query{Scopes: []store.Scope{acme, acme2}}, []string{"req-1", "req-2", "req-3"}},
		{"kinds", events.Query{Kinds: []events.Kind{events.KindUserProvisioned, events.KindUserDeleted}}, []string{"req-1", "req-3", "req-4"}},
		{"both", events.Query{Scopes: []store.Scope{acme}, Kinds: []events.Kind{events.KindMembersAdded}}, []string{"req-2"}},
		{"unknown scope", events.Query{Scopes: []store.Scope{{Tenant: "acme"}}}, nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ids(tt.q), tt.name)
	}
}

func pages(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	const n = 25
	for i := range n {
		write(t, s, acme, rec(acme, events.KindUserProvisioned, i))
	}
	page, err := s.Outbox.Events(context.Background(), events.Query{Limit: 10})
	require.NoError(t, err)
	require.Len(t, page.Records, 10)
	got := all(t, s, events.Query{Limit: 7})
	require.Len(t, got, n, "pages of 7 read every record once")
	for i, r := range got {
		assert.Equal(t, int64(i+1), r.Seq)
	}
	// Reading on from the end returns what commits later.
	write(t, s, acme, rec(acme, events.KindUserDeleted, 99))
	later := all(t, s, events.Query{After: got[n-1].Position})
	require.Len(t, later, 1)
	assert.Equal(t, events.KindUserDeleted, later[0].Kind)
	assert.Equal(t, int64(n+1), later[0].Seq)
}

// concurrentWriters writes from many goroutines at once into two scopes
// while a reader follows the feed, and checks each scope's numbers are
// 1..n with no gap or repeat, in position order, and that the reader,
// reading as records committed, missed none.
func concurrentWriters(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	const writers, each = 8, 10
	var wg sync.WaitGroup
	done := make(chan struct{})
	var followed []events.Record
	var followErr error
	go func() {
		defer close(done)
		var after int64
		for {
			page, err := s.Outbox.Events(context.Background(), events.Query{After: after})
			if err != nil {
				followErr = err
				return
			}
			followed = append(followed, page.Records...)
			after = page.Next
			if len(followed) == 2*writers*each {
				return
			}
		}
	}()
	for w := range writers {
		for _, sc := range []store.Scope{acme, globex} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					write(t, s, sc, rec(sc, events.KindUserProvisioned, w*each+i))
				}
			}()
		}
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the follower did not see every record")
	}
	require.NoError(t, followErr)
	got := all(t, s, events.Query{})
	require.Len(t, got, 2*writers*each)
	assert.Equal(t, got, followed, "a follower reading during the writes sees the same feed as a reader after them")
	next := map[store.Scope]int64{}
	for _, r := range got {
		next[r.Scope()]++
		require.Equal(t, next[r.Scope()], r.Seq, "scope %s numbered in position order with no gap", r.Scope())
	}
}

func refusesForeignTx(t *testing.T, s Subject, open func(*testing.T) Subject) {
	other := open(t)
	err := other.Store.Update(context.Background(), acme, func(ctx context.Context, tx store.Tx) error {
		return s.Outbox.AppendTx(ctx, tx, []events.Record{rec(acme, events.KindUserProvisioned, 1)})
	})
	require.ErrorIs(t, err, events.ErrForeignTx)
	assert.Empty(t, all(t, s, events.Query{}))
	assert.Empty(t, all(t, other, events.Query{}))
}

func refusesOtherScope(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	err := s.Store.Update(context.Background(), acme, func(ctx context.Context, tx store.Tx) error {
		return s.Outbox.AppendTx(ctx, tx, []events.Record{rec(globex, events.KindUserProvisioned, 1)})
	})
	require.Error(t, err)
	assert.Empty(t, all(t, s, events.Query{}))
}

func prune(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	old := rec(acme, events.KindUserProvisioned, 1)
	old.Time = time.Now().Add(-48 * time.Hour).UTC()
	write(t, s, acme, old)
	write(t, s, acme, rec(acme, events.KindUserUpdated, 2))
	before := all(t, s, events.Query{})
	require.Len(t, before, 2)

	n, err := s.Outbox.Prune(context.Background(), time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	got := all(t, s, events.Query{})
	require.Len(t, got, 1)
	assert.Equal(t, "req-2", got[0].RequestID)

	// Everything pruned: numbers and positions still go on.
	n, err = s.Outbox.Prune(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	write(t, s, acme, rec(acme, events.KindUserDeleted, 3))
	got = all(t, s, events.Query{})
	require.Len(t, got, 1)
	assert.Equal(t, int64(3), got[0].Seq, "a scope's numbers are never reused")
	assert.Greater(t, got[0].Position, before[1].Position, "positions are never reused")
}

func directoryEvents(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	if s.Directories == nil {
		t.Skip("the subject has no directory records")
	}
	ctx := context.Background()
	d := &directory.Directory{Tenant: acme.Tenant, ID: acme.Directory, Name: "Okta", Kind: directory.Okta}
	require.NoError(t, s.Directories.CreateDirectory(ctx, d))
	write(t, s, acme, rec(acme, events.KindUserProvisioned, 1))
	state := func(st directory.State) {
		_, err := s.Directories.UpdateDirectory(ctx, acme, func(d *directory.Directory) error { d.State = st; return nil })
		require.NoError(t, err)
	}
	state(directory.Paused)
	_, err := s.Directories.UpdateDirectory(ctx, acme, func(d *directory.Directory) error { d.Name = "Okta (EU)"; return nil })
	require.NoError(t, err)
	state(directory.Active)
	state(directory.Disconnected)

	var kinds []events.Kind
	var seqs []int64
	for _, r := range all(t, s, events.Query{Scopes: []store.Scope{acme}}) {
		kinds, seqs = append(kinds, r.Kind), append(seqs, r.Seq)
	}
	assert.Equal(t, []events.Kind{events.KindDirectoryCreated, events.KindUserProvisioned, events.KindDirectoryPaused,
		events.KindDirectoryResumed, events.KindDirectoryDisconnected}, kinds, "a rename is no event")
	assert.Equal(t, []int64{1, 2, 3, 4, 5}, seqs, "directory events share the scope's numbers")
	last := all(t, s, events.Query{Kinds: []events.Kind{events.KindDirectoryDisconnected}})
	require.Len(t, last, 1)
	assert.JSONEq(t, `{"directory":{"id":"okta","name":"Okta (EU)","kind":"okta","state":"disconnected"}}`, string(last[0].Data))
}
