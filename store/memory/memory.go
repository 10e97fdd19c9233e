// Package memory is an in-memory implementation of store.Store, suitable for
// tests, demos and single-process deployments that can afford to lose their
// data on restart.
//
// # Layout
//
// Data is partitioned by store.Scope: every scope has its own tables, indexes
// and membership graph, and every lookup starts by selecting the scope, so no
// id, filter or membership change can reach across scopes.
//
// Within a scope each resource type has a table with these indexes:
//
//   - by id (exact);
//   - by userName (Users only), case-folded, which also enforces uniqueness;
//   - by externalId and by displayName, case-folded (a superset of the exact
//     matches, so the filter decides the final case sensitivity);
//   - the creation order, which is List's default order.
//
// A reverse membership index maps every user and group to the ids of the
// groups that contain it directly, so a User's groups attribute is filled in
// without scanning groups. Members' display values are looked up on read, so
// renaming a user never has to touch the groups it belongs to.
//
// List uses the indexes when filter.Filter.IndexLookups says every match is
// found by equality probes on id, userName, externalId or displayName (an
// equality, an or of them across those attributes, or an and with such a
// side), and then still evaluates the whole filter on the candidates. Any
// other filter scans the table in creation order.
//
// # Transactions
//
// Update calls are serialised by a per-Store writer token, held for the whole
// of the function passed to Update (waiting for it respects the context).
// Writes made through the Tx go to a private copy-on-write overlay that the
// Tx's own reads consult before the committed data; nothing is shared with
// the committed state until commit, when the overlay is applied to the
// scope under the data lock in one step. A function that returns an error or
// panics simply discards its overlay, so a failed Update leaves no trace.
// Get and List outside a transaction take only the read lock and never see
// uncommitted writes. Because writers are serialised, a function passed to
// Update must not call Update on the same Store (it would deadlock); it may
// call Get and List.
//
// # Memory
//
// A resource is kept as its attribute map plus a few fixed fields (id,
// creation sequence, timestamps, version) and, for groups, a slice of member
// references. Documents for filter evaluation are built on demand and
// discarded. Each index costs one map entry per resource and indexed value;
// each membership costs one slice element in the group and one in the
// reverse index. Deleted resources leave a small tombstone in the
// creation-order list until it is compacted.
//
// Resources are deep-copied on the way in and out, so callers may freely
// modify what they pass and receive; the exceptions are GetView, ListView
// and Tx.GetView (store.ViewReader), whose results share the stored
// attributes, which the store never changes in place.
package memory

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimkit/scimkit/store"
)

// Store is an in-memory store.Store. It is safe for concurrent use. The zero
// value is not usable; create one with New.
type Store struct {
	now func() time.Time

	// writer is the writer token: a buffered channel of capacity one that an
	// Update holds for the duration of its function.
	writer chan struct{}

	// mu guards scopes and everything reachable from it.
	mu     sync.RWMutex
	scopes map[store.Scope]*scopeData

	// dirs keeps the directory records (Directories).
	dirs *Directories
	// events keeps the event records (Events), deliveries their
	// subscriptions' progress (Deliveries).
	events     *Events
	deliveries *Deliveries

	// matches counts filter evaluations; tests use it to prove that indexed
	// queries do not scan.
	matches atomic.Int64
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.ViewReader = (*Store)(nil)
	_ store.Viewer     = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store take Created and LastModified timestamps from
// now instead of time.Now. A nil now is ignored.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		now:    time.Now,
		writer: make(chan struct{}, 1),
		scopes: make(map[store.Scope]*scopeData),
	}
	for _, opt := range opts {
		opt(s)
	}
	s.dirs = newDirectories(s)
	s.events = newEvents(s)
	s.deliveries = newDeliveries()
	return s
}

// clock returns the current time without a monotonic clock reading, so that
// stored timestamps compare equal after copying.
func (s *Store) clock() time.Time { return s.now().Round(0) }

// Get returns a copy of the resource of type typ with the given id in scope,
// or an error wrapping store.ErrNotFound.
func (s *Store) Get(ctx context.Context, scope store.Scope, typ store.ResourceType, id string) (*store.Resource, error) {
	return s.get(ctx, scope, typ, id, true)
}

// ViewsFor returns s as a store.ViewReader when outer is s itself, and nil
// for any other Store, such as a wrapper that embeds s (store.Viewer).
func (s *Store) ViewsFor(outer store.Store) store.ViewReader {
	// Interfaces holding values of different dynamic types compare
	// unequal without looking at the values, so no wrapper type can make
	// this panic.
	if outer == store.Store(s) {
		return s
	}
	return nil
}

// GetView is Get sharing the stored attributes: the result's Attributes
// must not be modified (store.ViewReader).
func (s *Store) GetView(ctx context.Context, scope store.Scope, typ store.ResourceType, id string) (*store.Resource, error) {
	return s.get(ctx, scope, typ, id, false)
}

func (s *Store) get(ctx context.Context, scope store.Scope, typ store.ResourceType, id string, copyAttrs bool) (*store.Resource, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := view{s: s, base: s.scopes[scope]}
	return v.get(typ, id, copyAttrs)
}

// ListView is List sharing the stored attributes: the resources'
// Attributes must not be modified (store.ViewReader).
func (s *Store) ListView(ctx context.Context, scope store.Scope, typ store.ResourceType, q store.Query) (*store.Page, error) {
	return s.list(ctx, scope, typ, q, false)
}

func (s *Store) list(ctx context.Context, scope store.Scope, typ store.ResourceType, q store.Query, copyAttrs bool) (*store.Page, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := view{s: s, base: s.scopes[scope]}
	return v.list(ctx, typ, q, copyAttrs)
}

// List returns the page of resources of type typ in scope selected by q.
// The resources are copies.
func (s *Store) List(ctx context.Context, scope store.Scope, typ store.ResourceType, q store.Query) (*store.Page, error) {
	return s.list(ctx, scope, typ, q, true)
}

// Update runs fn in a transaction on scope and commits its writes if fn
// returns nil. If fn returns an error or panics, nothing it wrote is kept
// and the error is returned unchanged (or the panic propagates). If ctx is
// done before the commit, nothing is kept and ctx.Err() is returned.
//
// Update calls on one Store are serialised; fn must not call Update on the
// same Store.
func (s *Store) Update(ctx context.Context, scope store.Scope, fn func(ctx context.Context, tx store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writer }()

	// Holding the writer token means no commit can happen until we release
	// it, so the committed data this transaction reads cannot change under
	// it and needs no lock: only commits write to it.
	t := &tx{view: view{s: s, base: s.scopes[scope], ov: newOverlay(s.scopes[scope])}, scope: scope}
	// A panic in fn unwinds through here: the token is released by the
	// deferred receive above and the overlay is dropped, which is the whole
	// rollback.
	defer t.closed.Store(true)

	if err := fn(ctx, t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The writer token, still held, orders the events' numbers as the
	// commits.
	defer s.events.commit(t.events)
	if len(t.ov.entries) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.scopes[scope]
	if d == nil {
		d = newScopeData()
		s.scopes[scope] = d
	}
	d.apply(t.ov)
	return nil
}

func validType(typ store.ResourceType) bool {
	return typ == store.User || typ == store.Group
}

func errType(op string, typ store.ResourceType) error {
	return fmt.Errorf("memory: %s: unsupported resource type %q", op, typ)
}
