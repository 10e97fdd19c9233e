package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/store"
)

// Events returns the store's events.Outbox: records appended in an Update
// are kept when it commits, numbered per scope and ordered by commit, and
// the store's directory records add their own (directory.created,
// paused, resumed, disconnected).
func (s *Store) Events() *Events { return s.events }

// Events is the in-memory events.Outbox of a Store. It is safe for
// concurrent use.
type Events struct {
	s *Store

	mu sync.Mutex
	// recs are the kept records by Position, ascending.
	recs []events.Record
	// seqs are the last Seq of each scope; last the last Position.
	seqs map[store.Scope]int64
	last int64
	// wake is closed, and replaced, whenever records are committed.
	wake chan struct{}
}

var _ events.Outbox = (*Events)(nil)

func newEvents(s *Store) *Events {
	return &Events{s: s, seqs: make(map[store.Scope]int64), wake: make(chan struct{})}
}

// AppendTx keeps recs with tx's changes when its Update commits
// (events.Outbox).
func (e *Events) AppendTx(ctx context.Context, storeTx store.Tx, recs []events.Record) error {
	t, ok := storeTx.(*tx)
	if !ok || t.s != e.s {
		return fmt.Errorf("memory: append events: %w (got %T)", events.ErrForeignTx, storeTx)
	}
	if err := t.check(ctx); err != nil {
		return err
	}
	for _, r := range recs {
		if r.Scope() != t.scope {
			return fmt.Errorf("memory: append events: a record of scope %s in a transaction of scope %s", r.Scope(), t.scope)
		}
		r.Data = slices.Clone(r.Data)
		t.events = append(t.events, r)
	}
	return nil
}

// commit keeps recs, numbering them; the caller holds the writer token
// or the directories' lock, so numbers follow commit order.
func (e *Events) commit(recs []events.Record) {
	if len(recs) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range recs {
		e.last++
		e.seqs[r.Scope()]++
		r.Position, r.Seq = e.last, e.seqs[r.Scope()]
		e.recs = append(e.recs, r)
	}
	close(e.wake)
	e.wake = make(chan struct{})
}

// directoryChanged keeps the event of a directory record's change, if it
// amounts to one.
func (e *Events) directoryChanged(before, after *directory.Directory) {
	ev := events.DirectoryEvent(before, after)
	if ev == nil {
		return
	}
	recs, err := events.Encode(events.Meta{Scope: after.Scope(), Time: after.Updated}, []events.Event{ev})
	if err != nil {
		return // a DirectoryChanged always encodes
	}
	e.commit(recs)
}

// Events lists committed records (events.Feed).
func (e *Events) Events(ctx context.Context, q events.Query) (*events.Page, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	limit := q.PageSize()
	e.mu.Lock()
	defer e.mu.Unlock()
	i := sort.Search(len(e.recs), func(i int) bool { return e.recs[i].Position > q.After })
	page := &events.Page{Next: q.After}
	for ; i < len(e.recs) && len(page.Records) < limit; i++ {
		r := e.recs[i]
		if q.Match(&r) {
			r.Data = slices.Clone(r.Data)
			page.Records = append(page.Records, r)
			page.Next = r.Position
		}
	}
	return page, nil
}

// Prune drops the records written before the given time (events.Outbox).
func (e *Events) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	kept := e.recs[:0]
	for _, r := range e.recs {
		if !r.Time.Before(before) {
			kept = append(kept, r)
		}
	}
	n := len(e.recs) - len(kept)
	clear(e.recs[len(kept):])
	e.recs = kept
	return n, nil
}

// Wait returns a channel closed when records are next committed, for a
// dispatcher to wake on.
func (e *Events) Wait() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.wake
}
