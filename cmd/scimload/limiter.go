package main

import (
	"context"
	"sync"
	"time"
)

// limiter is a token bucket shared by all workers: it admits rate
// requests per second on average, with bursts of at most burst. A caller
// that finds the bucket empty reserves the next token (the level goes
// negative) and sleeps until it is due, so waiting callers are served in
// order and the long-run rate never exceeds rate.
type limiter struct {
	rate  float64 // tokens per second
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// newLimiter returns a full bucket.
func newLimiter(rate float64, burst int) *limiter {
	return &limiter{rate: rate, burst: float64(max(burst, 1)), tokens: float64(max(burst, 1)), last: time.Now()}
}

// wait blocks until the caller may send one request, or ctx is done.
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := time.Now()
	l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	l.tokens--
	var delay time.Duration
	if l.tokens < 0 {
		delay = time.Duration(-l.tokens / l.rate * float64(time.Second))
	}
	l.mu.Unlock()
	if delay <= 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
