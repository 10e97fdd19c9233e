package auth

import (
	"context"
	"sync"
	"time"
)

// ReplayCache remembers signatures until they expire, so a signed request
// is accepted at most once within its tolerance window. Signed passes the
// hex signature as the key: it covers the request's nonce, so honest
// repeats, each signed with its own nonce, have keys of their own, and the
// key is 64 characters whatever the nonce. Only requests whose signature
// verified are recorded. The memory cache serves one process; replicas
// behind a load balancer need a shared one (store/sqlstore provides it).
type ReplayCache interface {
	// Seen records key until expires and reports whether it was already
	// recorded and unexpired. An error makes the request fail closed.
	Seen(ctx context.Context, key string, expires time.Time) (bool, error)
}

// MemoryReplayCache is a ReplayCache for a single process. Expired keys are
// dropped as new ones arrive, so memory stays bounded by the number of
// requests within one tolerance window. The zero value is ready to use.
type MemoryReplayCache struct {
	mu      sync.Mutex
	keys    map[string]time.Time
	nextGC  time.Time
	nowFunc func() time.Time
}

// NewMemoryReplayCache returns an empty cache.
func NewMemoryReplayCache() *MemoryReplayCache { return &MemoryReplayCache{} }

// Seen implements ReplayCache.
func (c *MemoryReplayCache) Seen(_ context.Context, key string, expires time.Time) (bool, error) {
	now := time.Now()
	if c.nowFunc != nil {
		now = c.nowFunc()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = make(map[string]time.Time)
	}
	if now.After(c.nextGC) {
		for k, exp := range c.keys {
			if !exp.After(now) {
				delete(c.keys, k)
			}
		}
		c.nextGC = now.Add(time.Minute)
	}
	if exp, ok := c.keys[key]; ok && exp.After(now) {
		return true, nil
	}
	c.keys[key] = expires
	return false, nil
}
