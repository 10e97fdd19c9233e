package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scimkit/scimkit/store"
)

// Audit query limits: AuditQuery.Limit 0 means the default, and larger
// limits are reduced to the maximum.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 10000
)

// AuditSink returns a store.TxAuditSink (and store.AuditReader) that keeps
// audit records in the store's audit table. Given as scim.Config.Audit
// with this store as scim.Config.Store, it writes the record of a
// successful write in the request's own transaction, so the change and its
// record commit together or not at all.
func (s *Store) AuditSink() *AuditSink { return &AuditSink{s: s} }

// AuditSink is a store.TxAuditSink and store.AuditReader on the store's
// audit table. Records are only ever inserted: the store never deletes
// them, so they outlive the resources they describe. It is safe for
// concurrent use.
type AuditSink struct{ s *Store }

var (
	_ store.TxAuditSink = (*AuditSink)(nil)
	_ store.AuditReader = (*AuditSink)(nil)
)

// Record inserts rec outside any transaction (for failed requests and
// audited reads).
func (a *AuditSink) Record(ctx context.Context, rec store.AuditRecord) error {
	return a.insert(ctx, a.s.dbr, rec)
}

// RecordTx inserts rec through tx, the open transaction of a Store.Update
// on this sink's database, so it commits or rolls back with the request's
// change. It fails if tx belongs to another kind of store, to a Store on
// another database or table prefix, or has finished.
func (a *AuditSink) RecordTx(ctx context.Context, storeTx store.Tx, rec store.AuditRecord) error {
	if _, ok := TxOf(storeTx); !ok {
		if _, ours := storeTx.(*tx); ours {
			return errors.New("sqlstore: audit: the transaction has already finished")
		}
		return fmt.Errorf("sqlstore: audit: RecordTx needs a transaction of a sqlstore.Store, got %T (is the handler's store another store?)", storeTx)
	}
	t := storeTx.(*tx)
	if t.s.db != a.s.db || t.s.prefix != a.s.prefix {
		return errors.New("sqlstore: audit: the transaction belongs to a sqlstore.Store on another database or table prefix")
	}
	return a.insert(ctx, t.run, rec)
}

func (a *AuditSink) insert(ctx context.Context, db *runner, rec store.AuditRecord) error {
	before, err := auditDoc(rec.Before)
	if err != nil {
		return fmt.Errorf("sqlstore: audit: before document: %w", err)
	}
	after, err := auditDoc(rec.After)
	if err != nil {
		return fmt.Errorf("sqlstore: audit: after document: %w", err)
	}
	added, err := auditList(rec.MembersAdded)
	if err != nil {
		return fmt.Errorf("sqlstore: audit: members added: %w", err)
	}
	removed, err := auditList(rec.MembersRemoved)
	if err != nil {
		return fmt.Errorf("sqlstore: audit: members removed: %w", err)
	}
	evs, err := auditList(rec.Events)
	if err != nil {
		return fmt.Errorf("sqlstore: audit: events: %w", err)
	}
	at := rec.Time
	if at.IsZero() {
		at = a.s.clock()
	}
	b := a.s.query()
	b.w("INSERT INTO ", a.s.t.audit, " (at, tenant, directory, actor, operation, resource_type, resource_id, before_doc, after_doc, ",
		"members_added, members_removed, events, status, error) VALUES (",
		b.arg(at.UnixMilli()), ", ", b.arg(rec.Scope.Tenant), ", ", b.arg(rec.Scope.Directory), ", ", b.arg(rec.Actor), ", ",
		b.arg(rec.Operation), ", ", b.arg(string(rec.ResourceType)), ", ", b.arg(rec.ResourceID), ", ",
		b.arg(before), ", ", b.arg(after), ", ", b.arg(added), ", ", b.arg(removed), ", ", b.arg(evs), ", ", b.arg(rec.Status), ", ", b.arg(rec.Error), ")")
	if _, err := db.exec(ctx, b.String(), b.args...); err != nil {
		return fmt.Errorf("sqlstore: audit: %w", err)
	}
	return nil
}

// auditDoc returns the column value of a document: NULL for none, else
// its text, which must be JSON (PostgreSQL's jsonb insists; SQLite is held
// to the same rule so both dialects accept the same records).
func auditDoc(doc json.RawMessage) (any, error) {
	if len(doc) == 0 {
		return nil, nil
	}
	if !json.Valid(doc) {
		return nil, errors.New("not valid JSON")
	}
	return string(doc), nil
}

// auditList returns the column value of a list of strings (member ids,
// event kinds): NULL for none, else a JSON array.
func auditList(list []string) (any, error) {
	if len(list) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// AuditRecords returns the scope's records that q selects, newest first.
// Limit 0 means 100; larger ones are capped at 10000.
// In PostgreSQL, Before and After come back as jsonb renders them: the same
// JSON value, with whitespace and key order normalised.
func (a *AuditSink) AuditRecords(ctx context.Context, scope store.Scope, q store.AuditQuery) ([]store.AuditRecord, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	limit = min(limit, maxAuditLimit)
	b := a.s.query()
	b.w("SELECT at, actor, operation, resource_type, resource_id, before_doc, after_doc, members_added, members_removed, events, status, error FROM ", a.s.t.audit,
		" WHERE tenant = ", b.arg(scope.Tenant), " AND directory = ", b.arg(scope.Directory))
	if q.ResourceID != "" {
		b.w(" AND resource_id = ", b.arg(q.ResourceID))
	}
	b.w(" ORDER BY seq DESC LIMIT ", b.arg(limit))
	var out []store.AuditRecord
	err := a.s.dbr.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
		var (
			rec            = store.AuditRecord{Scope: scope}
			at             int64
			typ            string
			before, after  []byte
			added, removed []byte
			evs            []byte
		)
		if err := rows.Scan(&at, &rec.Actor, &rec.Operation, &typ, &rec.ResourceID, &before, &after, &added, &removed, &evs,
			&rec.Status, &rec.Error); err != nil {
			return err
		}
		for _, l := range []struct {
			raw []byte
			dst *[]string
		}{{added, &rec.MembersAdded}, {removed, &rec.MembersRemoved}, {evs, &rec.Events}} {
			if l.raw != nil {
				if err := json.Unmarshal(l.raw, l.dst); err != nil {
					return fmt.Errorf("audit list: %w", err)
				}
			}
		}
		rec.Time = time.UnixMilli(at).UTC()
		rec.ResourceType = store.ResourceType(typ)
		if before != nil {
			rec.Before = json.RawMessage(before)
		}
		if after != nil {
			rec.After = json.RawMessage(after)
		}
		out = append(out, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: audit records: %w", err)
	}
	return out, nil
}
