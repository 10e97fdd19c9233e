package events

import (
	"context"
	"errors"
	"time"

	"github.com/scimkit/scimkit/store"
)

// Outbox keeps event records durably: written in the same store
// transaction as the change they describe, so no committed change lacks
// its events and no rolled-back one has any, and listed afterwards in
// commit order. memory.Store.Events and sqlstore.Store.Events return
// one; scim.Config.Events takes it.
type Outbox interface {
	// AppendTx writes recs through tx, the open transaction of a
	// store.Update on the outbox's own store, so they commit or roll back
	// with the change; each record's scope must be the transaction's.
	// It sets each record's Seq, the next numbers of its scope. It fails
	// if tx belongs to another store.
	AppendTx(ctx context.Context, tx store.Tx, recs []Record) error
	// Feed lists committed records.
	Feed
	// Prune deletes the records written before the given time (the
	// retention) and returns how many it deleted. Seq numbers are never
	// reused.
	Prune(ctx context.Context, before time.Time) (int, error)
}

// Feed lists committed event records in commit order (Record.Position),
// page by page: how an app catches up after downtime.
type Feed interface {
	// Events returns the records q selects, in Position order, and the
	// cursor to pass as q.After for the next page.
	Events(ctx context.Context, q Query) (*Page, error)
}

// Query selects records of the feed.
type Query struct {
	// After is the cursor: the Position of the last record already read
	// (Page.Next); 0 to start from the oldest record kept.
	After int64
	// Scopes, when not empty, selects the records of these scopes only
	// (a tenant's directories).
	Scopes []store.Scope
	// Kinds, when not empty, selects the records of these kinds only.
	Kinds []Kind
	// Limit caps the records returned; 0 means DefaultLimit, and more
	// than MaxLimit means MaxLimit.
	Limit int
}

// The page sizes of Query.Limit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// PageSize returns the number of records q asks for, within the bounds.
func (q Query) PageSize() int {
	switch {
	case q.Limit <= 0:
		return DefaultLimit
	case q.Limit > MaxLimit:
		return MaxLimit
	}
	return q.Limit
}

// Match reports whether r is one of the records q selects, cursor aside.
func (q Query) Match(r *Record) bool {
	if len(q.Scopes) > 0 {
		found := false
		for _, s := range q.Scopes {
			if s.Tenant == r.Tenant && s.Directory == r.Directory {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(q.Kinds) > 0 {
		for _, k := range q.Kinds {
			if k == r.Kind {
				return true
			}
		}
		return false
	}
	return true
}

// Page is one page of the feed.
type Page struct {
	Records []Record
	// Next is the cursor for the following page: the Position of the
	// last record returned, or the query's After when none was. Reading
	// on with it returns records committed since.
	Next int64
}

// ErrForeignTx is returned by AppendTx for a transaction of another store.
var ErrForeignTx = errors.New("events: the transaction belongs to another store")
