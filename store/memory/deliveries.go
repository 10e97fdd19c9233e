package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/scimkit/scimkit/events"
)

// Deliveries returns the store's events.DeliveryLog, which keeps
// subscriptions' progress and dead letters in memory.
func (s *Store) Deliveries() *Deliveries { return s.deliveries }

// Deliveries is an in-memory events.DeliveryLog. It is safe for
// concurrent use.
type Deliveries struct {
	mu   sync.Mutex
	subs map[string]*subscription
}

type subscription struct {
	owner string
	until time.Time
	p     events.Progress
	dead  []events.DeadLetter
}

var _ events.DeliveryLog = (*Deliveries)(nil)

func newDeliveries() *Deliveries { return &Deliveries{subs: make(map[string]*subscription)} }

// Claim leases sub to owner if it is free (events.DeliveryLog).
func (l *Deliveries) Claim(ctx context.Context, sub, owner string, now, until time.Time) (events.Progress, bool, error) {
	if err := ctx.Err(); err != nil {
		return events.Progress{}, false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.subs[sub]
	if s == nil {
		s = &subscription{}
		l.subs[sub] = s
	}
	if s.owner != "" && s.owner != owner && now.Before(s.until) {
		return events.Progress{}, false, nil
	}
	s.owner, s.until = owner, until
	return s.p, true, nil
}

// Save stores sub's progress if owner holds its lease (events.DeliveryLog).
func (l *Deliveries) Save(ctx context.Context, sub, owner string, p events.Progress, dead *events.DeadLetter, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.subs[sub]
	if s == nil || s.owner != owner {
		return events.ErrLeaseLost
	}
	s.p = p
	if dead != nil {
		d := *dead
		d.Record.Data = slices.Clone(d.Record.Data)
		s.dead = append(s.dead, d)
	}
	if until.IsZero() {
		s.owner, s.until = "", time.Time{}
	} else {
		s.until = until
	}
	return nil
}

// Progress returns sub's progress (events.DeliveryLog).
func (l *Deliveries) Progress(ctx context.Context, sub string) (events.Progress, error) {
	if err := ctx.Err(); err != nil {
		return events.Progress{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.subs[sub]; s != nil {
		return s.p, nil
	}
	return events.Progress{}, nil
}

// DeadLetters returns sub's dead letters, oldest first (events.DeliveryLog).
func (l *Deliveries) DeadLetters(ctx context.Context, sub string, limit int) ([]events.DeadLetter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = events.DefaultLimit
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.subs[sub]
	if s == nil {
		return nil, nil
	}
	out := slices.Clone(s.dead[:min(limit, len(s.dead))])
	for i := range out {
		out[i].Record.Data = slices.Clone(out[i].Record.Data)
	}
	return out, nil
}
