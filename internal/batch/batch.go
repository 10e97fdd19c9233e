// Package batch keeps the latest value noted for each key in memory and
// writes them in one batch at most once an interval, in the background,
// so that recording something at every request (when a credential was
// last used, a directory's last error) adds no write to the request.
package batch

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Writer writes a batch: the latest value of each key noted since the last
// batch.
type Writer[K comparable, V any] func(ctx context.Context, batch map[K]V) error

// Batcher collects values and hands them to its Writer. It is safe for
// concurrent use. The zero value is not usable; use New.
type Batcher[K comparable, V any] struct {
	write    Writer[K, V]
	newer    func(a, b V) bool // whether a should replace b
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
	what     string // for the log line of a failed background batch

	mu        sync.Mutex
	pending   map[K]V
	lastFlush time.Time
	flushing  bool
	bg        sync.WaitGroup
}

// New returns a Batcher that writes with write at most once an interval.
// newer(a, b) reports whether value a, noted later or kept from a failed
// batch, should replace b. what names the batch in the log line of a
// background write that failed.
func New[K comparable, V any](write Writer[K, V], newer func(a, b V) bool, interval time.Duration, now func() time.Time, log *slog.Logger, what string) *Batcher[K, V] {
	return &Batcher[K, V]{write: write, newer: newer, interval: interval, now: now, log: log, what: what, pending: map[K]V{}}
}

// Note records v for k, and starts writing the batch in the background
// when the interval has passed since the last one (at once the first
// time).
func (b *Batcher[K, V]) Note(k K, v V) {
	at := b.now()
	b.mu.Lock()
	if cur, ok := b.pending[k]; !ok || b.newer(v, cur) {
		b.pending[k] = v
	}
	due := !b.flushing && at.Sub(b.lastFlush) >= b.interval
	if due {
		b.flushing = true
		b.bg.Add(1)
	}
	b.mu.Unlock()
	if due {
		go func() {
			defer b.bg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := b.flush(ctx); err != nil {
				b.log.Error("writing "+b.what+" failed", slog.Any("error", err))
			}
		}()
	}
}

// Flush writes what is pending, after waiting for a background write in
// progress.
func (b *Batcher[K, V]) Flush(ctx context.Context) error {
	b.bg.Wait()
	b.mu.Lock()
	b.flushing = true
	b.mu.Unlock()
	return b.flush(ctx)
}

// flush writes the pending batch; b.flushing is set by the caller and
// cleared here. A failed batch is kept for the next one.
func (b *Batcher[K, V]) flush(ctx context.Context) error {
	b.mu.Lock()
	pending := b.pending
	b.pending = map[K]V{}
	b.mu.Unlock()
	var err error
	if len(pending) > 0 {
		err = b.write(ctx, pending)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		for k, v := range pending {
			if cur, ok := b.pending[k]; !ok || b.newer(v, cur) {
				b.pending[k] = v
			}
		}
	}
	b.lastFlush, b.flushing = b.now(), false
	return err
}
