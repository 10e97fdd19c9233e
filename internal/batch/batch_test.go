package batch_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/internal/batch"
)

func later(a, b int) bool { return a > b }

// TestBatchesUnderConcurrency: many goroutines noting values cause at most
// one write per interval; Flush writes the rest; each key ends with its
// largest value.
func TestBatchesUnderConcurrency(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]int{}
	var writes atomic.Int64
	b := batch.New(func(_ context.Context, m map[string]int) error {
		writes.Add(1)
		mu.Lock()
		defer mu.Unlock()
		for k, v := range m {
			if v > got[k] {
				got[k] = v
			}
		}
		return nil
	}, later, time.Hour, time.Now, slog.New(slog.DiscardHandler), "test batch")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				b.Note([]string{"a", "b", "c"}[(g+i)%3], i)
			}
		}()
	}
	wg.Wait()
	require.NoError(t, b.Flush(context.Background()))
	assert.LessOrEqual(t, writes.Load(), int64(2), "the first batch at once, then Flush")
	assert.Equal(t, map[string]int{"a": 499, "b": 499, "c": 499}, got)
}

// TestFailedBatchIsKept: a batch the writer refuses is written with the
// next one, keeping the newer values.
func TestFailedBatchIsKept(t *testing.T) {
	t.Parallel()
	fail := true
	var written []map[string]int
	b := batch.New(func(_ context.Context, m map[string]int) error {
		if fail {
			return errors.New("database down")
		}
		written = append(written, m)
		return nil
	}, later, time.Hour, time.Now, slog.New(slog.DiscardHandler), "test batch")
	b.Note("a", 1)
	require.Error(t, b.Flush(context.Background()))
	b.Note("a", 0)
	b.Note("b", 2)
	fail = false
	require.NoError(t, b.Flush(context.Background()))
	assert.Equal(t, []map[string]int{{"a": 1, "b": 2}}, written)
	require.NoError(t, b.Flush(context.Background()))
	assert.Len(t, written, 1, "nothing pending, nothing written")
}

// TestWrittenWithinAnInterval: a value noted between writes is written
// when the interval ends, with no further Note.
func TestWrittenWithinAnInterval(t *testing.T) {
	t.Parallel()
	written := make(chan map[string]int, 4)
	b := batch.New(func(_ context.Context, m map[string]int) error {
		written <- m
		return nil
	}, later, 50*time.Millisecond, time.Now, slog.New(slog.DiscardHandler), "test batch")
	b.Note("a", 1) // written at once: no write yet
	assert.Equal(t, map[string]int{"a": 1}, <-written)
	b.Note("b", 2) // within the interval: written when it ends
	select {
	case m := <-written:
		assert.Equal(t, map[string]int{"b": 2}, m)
	case <-time.After(5 * time.Second):
		t.Fatal("the pending value was never written")
	}
	require.NoError(t, b.Flush(context.Background()))
}

// TestFlushWhileNoting: Flush while other goroutines keep noting neither
// panics nor loses what was noted before it returned.
func TestFlushWhileNoting(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[int]bool{}
	b := batch.New(func(_ context.Context, m map[int]int) error {
		mu.Lock()
		defer mu.Unlock()
		for k := range m {
			got[k] = true
		}
		return nil
	}, later, time.Millisecond, time.Now, slog.New(slog.DiscardHandler), "test batch")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				b.Note(g*10000+i, i)
			}
		}()
	}
	for range 50 {
		require.NoError(t, b.Flush(context.Background()))
	}
	wg.Wait()
	require.NoError(t, b.Flush(context.Background()))
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, got, 8000, "every key noted was written")
}
