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

// Batcher collects values and hands them to its Writer: a value noted is
// written within one interval, whether or not more values follow. It is
// safe for concurrent use. The zero value is not usable; use New.
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
	// writing is closed when the write in progress ends; nil when none.
	writing chan struct{}
	// timer writes what is pending when the interval ends; nil when none.
	timer *time.Timer
}

// New returns a Batcher that writes with write at most once an interval.
// newer(a, b) reports whether value a, noted later or kept from a failed
// batch, should replace b. what names the batch in the log line of a
// background write that failed.
func New[K comparable, V any](write Writer[K, V], newer func(a, b V) bool, interval time.Duration, now func() time.Time, log *slog.Logger, what string) *Batcher[K, V] {
	return &Batcher[K, V]{write: write, newer: newer, interval: interval, now: now, log: log, what: what, pending: map[K]V{}}
}

// Note records v for k. The batch is written in the background at once
// when the interval has passed since the last write, else when it ends.
func (b *Batcher[K, V]) Note(k K, v V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cur, ok := b.pending[k]; !ok || b.newer(v, cur) {
		b.pending[k] = v
	}
	if b.writing != nil || b.timer != nil {
		return // the write in progress, or the timer, takes care of it
	}
	wait := b.interval - b.now().Sub(b.lastFlush)
	if wait <= 0 {
		b.startLocked()
		return
	}
	b.timer = time.AfterFunc(wait, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.timer = nil
		if b.writing == nil && len(b.pending) > 0 {
			b.startLocked()
		}
	})
}

// startLocked starts a background write of the pending batch; b.mu is
// held and no write is in progress.
func (b *Batcher[K, V]) startLocked() {
	done := make(chan struct{})
	b.writing = done
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := b.writePending(ctx, done); err != nil {
			b.log.Error("writing "+b.what+" failed", slog.Any("error", err))
		}
	}()
}

// Flush writes what is pending, after the write in progress, if any, has
// ended; on shutdown, call it once nothing is noted any more. It stops the
// timer.
func (b *Batcher[K, V]) Flush(ctx context.Context) error {
	for {
		b.mu.Lock()
		if b.timer != nil {
			b.timer.Stop()
			b.timer = nil
		}
		if w := b.writing; w != nil {
			b.mu.Unlock()
			select {
			case <-w:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		done := make(chan struct{})
		b.writing = done
		b.mu.Unlock()
		return b.writePending(ctx, done)
	}
}

// writePending writes the pending batch and then closes done, the
// b.writing its caller set. A failed batch is kept for the next one.
func (b *Batcher[K, V]) writePending(ctx context.Context, done chan struct{}) error {
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
	b.lastFlush, b.writing = b.now(), nil
	close(done)
	return err
}
