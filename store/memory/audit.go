package memory

import (
	"context"
	"slices"
	"sync"

	"github.com/scimkit/scimkit/store"
)

// AuditLog is a store.AuditSink that keeps records in memory, for tests
// and demos. It is safe for concurrent use; the zero value is ready.
type AuditLog struct {
	mu      sync.Mutex
	records []store.AuditRecord
}

var (
	_ store.AuditSink   = (*AuditLog)(nil)
	_ store.AuditReader = (*AuditLog)(nil)
)

// Record appends a copy of rec.
func (l *AuditLog) Record(_ context.Context, rec store.AuditRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec.Before, rec.After = slices.Clone(rec.Before), slices.Clone(rec.After)
	rec.MembersAdded, rec.MembersRemoved = slices.Clone(rec.MembersAdded), slices.Clone(rec.MembersRemoved)
	l.records = append(l.records, rec)
	return nil
}

// AuditRecords returns the scope's records selected by q, newest first.
func (l *AuditLog) AuditRecords(_ context.Context, scope store.Scope, q store.AuditQuery) ([]store.AuditRecord, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []store.AuditRecord
	for i := len(l.records) - 1; i >= 0 && len(out) < limit; i-- {
		r := l.records[i]
		if r.Scope == scope && (q.ResourceID == "" || r.ResourceID == q.ResourceID) {
			out = append(out, r)
		}
	}
	return out, nil
}
