package store

import (
	"context"
	"encoding/json"
	"time"
)

// AuditRecord is the trace one SCIM request leaves: who did what to which
// resource, its state before and after, and how the request ended. Records
// outlive the resources they describe.
type AuditRecord struct {
	Time  time.Time
	Scope Scope
	// Actor is the credential id of the request's authenticated principal.
	Actor string
	// Operation is create, replace, patch, delete, release (a record let
	// go by a disconnect that keeps members), disconnect (the start of a
	// directory's disconnect), or, when reads are audited, get or list.
	Operation    string
	ResourceType ResourceType
	// ResourceID is empty for a failed create and for lists.
	ResourceID string
	// Before and After are the resource's documents (Resource.Document)
	// before and after the request; nil where there is none. For a group
	// PATCH that only added or removed members they leave the member list
	// out (a group may have 100,000 members); MembersAdded and
	// MembersRemoved say what changed.
	Before, After json.RawMessage
	// MembersAdded and MembersRemoved are the ids of the members a
	// successful group write added and removed (nil for none).
	MembersAdded, MembersRemoved []string
	// Events are the kinds of the events a successful write amounted to,
	// in order (events.Derive; "user.updated", "user.deactivated", ...):
	// the same the host app's hooks received. Nil for a write that
	// changed nothing, a failed one, or a read.
	Events []string
	// Status is the HTTP status the client got; Error its error detail.
	Status int
	Error  string
}

// AuditSink stores audit records. Record is called after a successful
// write has committed, and for failed requests and audited reads.
type AuditSink interface {
	Record(ctx context.Context, rec AuditRecord) error
}

// TxAuditSink is an AuditSink that can also write inside the request's
// own store transaction, so a change and its audit record commit together
// or not at all. For successful writes the handler calls RecordTx instead
// of Record, and an error from it rolls the request back.
type TxAuditSink interface {
	AuditSink
	RecordTx(ctx context.Context, tx Tx, rec AuditRecord) error
}

// AuditQuery selects audit records of one scope, newest first.
type AuditQuery struct {
	// ResourceID, when set, selects the records of one resource.
	ResourceID string
	// Limit caps the number of records; 0 means 100.
	Limit int
}

// AuditReader is implemented by sinks that can list what they stored.
type AuditReader interface {
	AuditRecords(ctx context.Context, scope Scope, q AuditQuery) ([]AuditRecord, error)
}
