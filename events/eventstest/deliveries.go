package eventstest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/store"
)

var quiet = slog.New(slog.DiscardHandler)

func leases(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	ctx := context.Background()
	l := s.Deliveries
	now := time.Now().UTC().Truncate(time.Microsecond)

	p, ok, err := l.Claim(ctx, "hook", "a", now, now.Add(time.Minute))
	require.NoError(t, err)
	require.True(t, ok, "a new subscription is free")
	assert.Equal(t, events.Progress{}, p)

	_, ok, err = l.Claim(ctx, "hook", "b", now.Add(30*time.Second), now.Add(time.Minute))
	require.NoError(t, err)
	assert.False(t, ok, "held by a until its lease lapses")
	_, ok, err = l.Claim(ctx, "other", "b", now, now.Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, ok, "subscriptions are leased apart")

	next := now.Add(time.Hour)
	saved := events.Progress{Position: 7, Attempts: 2, Next: next, LastError: "503", Delivered: 6}
	require.NoError(t, l.Save(ctx, "hook", "a", saved, nil, now.Add(time.Minute)))
	got, err := l.Progress(ctx, "hook")
	require.NoError(t, err)
	assert.Equal(t, saved, got)
	require.ErrorIs(t, l.Save(ctx, "hook", "b", events.Progress{Position: 99}, nil, now.Add(time.Minute)), events.ErrLeaseLost)

	// a stops answering: once its lease lapses b takes over, with a's
	// progress, and a can no longer save.
	p, ok, err = l.Claim(ctx, "hook", "b", now.Add(2*time.Minute), now.Add(3*time.Minute))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, saved, p)
	require.ErrorIs(t, l.Save(ctx, "hook", "a", events.Progress{Position: 8}, nil, now.Add(3*time.Minute)), events.ErrLeaseLost)

	// Saving with no lease end lets go: anyone may claim at once.
	require.NoError(t, l.Save(ctx, "hook", "b", saved, nil, time.Time{}))
	_, ok, err = l.Claim(ctx, "hook", "a", now.Add(2*time.Minute), now.Add(3*time.Minute))
	require.NoError(t, err)
	assert.True(t, ok)

	unknown, err := l.Progress(ctx, "never")
	require.NoError(t, err)
	assert.Equal(t, events.Progress{}, unknown)
}

func deadLetters(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	ctx := context.Background()
	l := s.Deliveries
	now := time.Now().UTC().Truncate(time.Microsecond)
	_, ok, err := l.Claim(ctx, "hook", "a", now, now.Add(time.Minute))
	require.NoError(t, err)
	require.True(t, ok)
	for i := range 3 {
		r := rec(acme, events.KindUserDeleted, i)
		r.Position, r.Seq = int64(10+i), int64(i+1)
		dead := &events.DeadLetter{Subscription: "hook", Record: r, Attempts: 25, Error: fmt.Sprintf("500 #%d", i), At: now}
		require.NoError(t, l.Save(ctx, "hook", "a", events.Progress{Position: r.Position, DeadLettered: int64(i + 1)}, dead, now.Add(time.Minute)))
	}
	// Not the owner: nothing is kept.
	r := rec(acme, events.KindUserDeleted, 9)
	require.ErrorIs(t, l.Save(ctx, "hook", "b", events.Progress{Position: 50}, &events.DeadLetter{Record: r}, now.Add(time.Minute)), events.ErrLeaseLost)

	got, err := l.DeadLetters(ctx, "hook", 0)
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, d := range got {
		assert.Equal(t, "hook", d.Subscription)
		assert.Equal(t, fmt.Sprintf("req-%d", i), d.Record.RequestID, "oldest first")
		assert.Equal(t, int64(10+i), d.Record.Position)
		assert.JSONEq(t, fmt.Sprintf(`{"n": %d}`, i), string(d.Record.Data))
		assert.Equal(t, 25, d.Attempts)
		assert.Equal(t, fmt.Sprintf("500 #%d", i), d.Error)
		assert.True(t, now.Equal(d.At))
	}
	two, err := l.DeadLetters(ctx, "hook", 2)
	require.NoError(t, err)
	assert.Len(t, two, 2)
	none, err := l.DeadLetters(ctx, "other", 0)
	require.NoError(t, err)
	assert.Empty(t, none)
}

// twoDispatchers runs two dispatchers on the subject, as two replicas of
// an app would, while writers commit events into two scopes, and checks
// that every event reached the receiver exactly once, each scope's in
// Seq order.
func twoDispatchers(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	const writers, each = 4, 15
	var mu sync.Mutex
	seen := map[string]int{}
	last := map[store.Scope]int64{}
	var order []string
	recv := events.ReceiverFunc(func(_ context.Context, r events.Record) error {
		mu.Lock()
		defer mu.Unlock()
		seen[r.ID]++
		if r.Seq <= last[r.Scope()] {
			order = append(order, fmt.Sprintf("%s: %d after %d", r.Scope(), r.Seq, last[r.Scope()]))
		}
		last[r.Scope()] = r.Seq
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs sync.WaitGroup
	for _, owner := range []string{"replica-1", "replica-2"} {
		d, err := events.NewDispatcher(events.DispatcherOptions{Feed: s.Outbox, Log: s.Deliveries, Owner: owner,
			Poll: 5 * time.Millisecond, Lease: 10 * time.Second, Logger: quiet})
		require.NoError(t, err)
		require.NoError(t, d.Subscribe(events.Subscription{ID: "index", Receiver: recv}))
		runs.Add(1)
		go func() {
			defer runs.Done()
			_ = d.Run(ctx)
		}()
	}
	var wg sync.WaitGroup
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
	total := 2 * writers * each
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == total
	}, 30*time.Second, 5*time.Millisecond, "every event is delivered")
	cancel()
	runs.Wait()
	mu.Lock()
	defer mu.Unlock()
	for id, n := range seen {
		assert.Equal(t, 1, n, "event %s delivered once between the two dispatchers", id)
	}
	assert.Empty(t, order, "each scope's events arrive in order")
	p, err := s.Deliveries.Progress(context.Background(), "index")
	require.NoError(t, err)
	assert.Equal(t, int64(total), p.Delivered)
}

// retriesThenDeadLetters has a receiver fail: the record is tried
// MaxAttempts times with the backoff between, then dead-lettered, and the
// next record is delivered.
func retriesThenDeadLetters(t *testing.T, s Subject, _ func(*testing.T) Subject) {
	write(t, s, acme, rec(acme, events.KindUserProvisioned, 1))
	write(t, s, acme, rec(acme, events.KindUserProvisioned, 2))
	var mu sync.Mutex
	var attempts []string
	var delivered []string
	recv := events.ReceiverFunc(func(_ context.Context, r events.Record) error {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, r.RequestID)
		if r.RequestID == "req-1" {
			return errors.New("receiver down")
		}
		delivered = append(delivered, r.RequestID)
		return nil
	})
	var waits []int
	d, err := events.NewDispatcher(events.DispatcherOptions{Feed: s.Outbox, Log: s.Deliveries, Poll: time.Millisecond,
		MaxAttempts: 4, Logger: quiet, Backoff: func(n int) time.Duration { waits = append(waits, n); return time.Millisecond }})
	require.NoError(t, err)
	require.NoError(t, d.Subscribe(events.Subscription{ID: "hook", Receiver: recv}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(delivered) == 1
	}, 10*time.Second, time.Millisecond)
	cancel()
	<-done
	assert.Equal(t, []string{"req-1", "req-1", "req-1", "req-1", "req-2"}, attempts)
	assert.Equal(t, []int{1, 2, 3}, waits, "a backoff after each failed attempt but the last")
	dead, err := s.Deliveries.DeadLetters(context.Background(), "hook", 0)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, "req-1", dead[0].Record.RequestID)
	assert.Equal(t, 4, dead[0].Attempts)
	assert.Equal(t, "receiver down", dead[0].Error)
	p, err := s.Deliveries.Progress(context.Background(), "hook")
	require.NoError(t, err)
	assert.Equal(t, int64(1), p.Delivered)
	assert.Equal(t, int64(1), p.DeadLettered)
	assert.Zero(t, p.Attempts)
}
