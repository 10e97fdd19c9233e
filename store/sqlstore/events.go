package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/store"
)

// Events returns the store's events.Outbox on its events table. Given as
// scim.Config.Events with this store as scim.Config.Store, it writes the
// events of each write in the request's own transaction. The store's
// directory records (Directories) add their own events (directory.created,
// paused, resumed, disconnected) in the transaction that changes them.
func (s *Store) Events() *Events { return &Events{s: s} }

// Events is an events.Outbox on the store's events table. It is safe for
// concurrent use, by several processes sharing the database too.
//
// Each scope's events are numbered (Record.Seq) from a counter row that
// the writing transaction locks until it commits, so a scope's numbers
// follow its commit order with no gaps. Positions, the feed's global
// order, are given after commit, by whichever reader of the feed first
// finds events without one: under a lock (an advisory lock in
// PostgreSQL, the write lock in SQLite) it numbers the committed ones
// after the last position given, a scope's in Seq order, different
// scopes' by the time of their writes. A position is so only ever given
// to a committed event and never below one already given: a reader's
// cursor never skips an event that commits later.
type Events struct{ s *Store }

var _ events.Outbox = (*Events)(nil)

// eventColumns are the events table's columns as appendEvents writes
// them and scanRecord reads them.
const eventColumns = "tenant, directory, seq, id, kind, at, actor, request_id, cause, resource_type, resource_id, data"

// eventsPerInsert bounds the rows of one INSERT (12 parameters each),
// well inside both databases' parameter limits.
const eventsPerInsert = 200

// AppendTx writes recs through tx, an open transaction of Update on this
// store, numbering them in their scope (events.Outbox).
func (e *Events) AppendTx(ctx context.Context, storeTx store.Tx, recs []events.Record) error {
	t, ok := storeTx.(*tx)
	if !ok {
		return fmt.Errorf("sqlstore: append events: %w (got %T)", events.ErrForeignTx, storeTx)
	}
	if t.done {
		return errors.New("sqlstore: append events: the transaction has already finished")
	}
	if t.s.db != e.s.db || t.s.prefix != e.s.prefix {
		return fmt.Errorf("sqlstore: append events: %w (a sqlstore.Store on another database or table prefix)", events.ErrForeignTx)
	}
	for i := range recs {
		if recs[i].Scope() != t.scope {
			return fmt.Errorf("sqlstore: append events: a record of scope %s in a transaction of scope %s", recs[i].Scope(), t.scope)
		}
	}
	return e.s.appendEvents(ctx, t.run, t.scope, recs)
}

// appendEvents numbers recs, all of scope, from the scope's counter row
// (locked until the transaction ends) and inserts them through run.
func (s *Store) appendEvents(ctx context.Context, run *runner, scope store.Scope, recs []events.Record) error {
	if len(recs) == 0 {
		return nil
	}
	b := s.query()
	b.w("INSERT INTO ", s.t.eventSeqs, " (tenant, directory, seq) VALUES (", b.arg(scope.Tenant), ", ", b.arg(scope.Directory), ", ",
		b.arg(int64(len(recs))), ") ON CONFLICT (tenant, directory) DO UPDATE SET seq = ", s.t.eventSeqs, ".seq + excluded.seq RETURNING seq")
	var last int64
	if err := run.queryRow(ctx, b.String(), b.args...).Scan(&last); err != nil {
		return fmt.Errorf("sqlstore: numbering events: %w", err)
	}
	seq := last - int64(len(recs))
	for start := 0; start < len(recs); start += eventsPerInsert {
		chunk := recs[start:min(start+eventsPerInsert, len(recs))]
		b := s.query()
		b.w("INSERT INTO ", s.t.events, " (", eventColumns, ") VALUES ")
		for i := range chunk {
			r := &chunk[i]
			seq++
			at := r.Time
			if at.IsZero() {
				at = s.clock()
			}
			data := string(r.Data)
			if data == "" {
				data = "{}"
			}
			if i > 0 {
				b.w(", ")
			}
			b.w("(", b.arg(scope.Tenant), ", ", b.arg(scope.Directory), ", ", b.arg(seq), ", ", b.arg(r.ID), ", ",
				b.arg(string(r.Kind)), ", ", b.arg(at.UnixMicro()), ", ", b.arg(r.Actor), ", ", b.arg(r.RequestID), ", ",
				b.arg(r.Cause), ", ", b.arg(string(r.ResourceType)), ", ", b.arg(r.ResourceID), ", ", b.arg(data), ")")
		}
		if _, err := run.exec(ctx, b.String(), b.args...); err != nil {
			return fmt.Errorf("sqlstore: writing events: %w", err)
		}
	}
	return nil
}

// directoryChanged writes through run the event a directory record's
// change amounts to, if any.
func (s *Store) directoryChanged(ctx context.Context, run *runner, before, after *directory.Directory) error {
	ev := events.DirectoryEvent(before, after)
	if ev == nil {
		return nil
	}
	recs, err := events.Encode(events.Meta{Scope: after.Scope(), Time: after.Updated}, []events.Event{ev})
	if err != nil {
		return err
	}
	return s.appendEvents(ctx, run, after.Scope(), recs)
}

// sequenceBatch bounds the events one round of sequence positions.
const sequenceBatch = 1000

// sequence gives positions to the committed events that have none.
func (s *Store) sequence(ctx context.Context) error {
	var pending int
	err := s.dbr.queryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+s.t.events+" WHERE position IS NULL LIMIT 1) p").Scan(&pending)
	if err != nil {
		return fmt.Errorf("sqlstore: events: %w", err)
	}
	for pending > 0 {
		var n int64
		err := s.inWriteTx(ctx, func(run *runner) error {
			if s.d == PostgreSQL {
				if _, err := run.exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "scimkit:events:"+s.prefix); err != nil {
					return err
				}
			}
			var last int64
			if err := run.queryRow(ctx, "SELECT COALESCE(MAX(last), 0) FROM "+s.t.eventPosition).Scan(&last); err != nil {
				return err
			}
			b := s.query()
			// A batch holds each scope's first pending events (the
			// committed ones: a scope's commits follow its numbers).
			// Across scopes it follows the writes' times, made to grow
			// with Seq in each scope (a running maximum), so that a
			// scope's events keep their order.
			b.w("WITH pending AS (SELECT tenant, directory, seq, row_number() OVER (ORDER BY t, tenant, directory, seq) AS rn FROM ",
				"(SELECT tenant, directory, seq, MAX(at) OVER (PARTITION BY tenant, directory ORDER BY seq) AS t FROM ",
				"(SELECT tenant, directory, seq, at FROM ", s.t.events, " WHERE position IS NULL ORDER BY tenant, directory, seq LIMIT ",
				b.arg(sequenceBatch), ") p) q) UPDATE ", s.t.events, " SET position = ", b.arg(last), " + pending.rn FROM pending WHERE ",
				s.t.events, ".tenant = pending.tenant AND ", s.t.events, ".directory = pending.directory AND ", s.t.events, ".seq = pending.seq")
			res, err := run.exec(ctx, b.String(), b.args...)
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
			b = s.query()
			b.w("INSERT INTO ", s.t.eventPosition, " (id, last) VALUES (1, ", b.arg(last+n), ") ON CONFLICT (id) DO UPDATE SET last = excluded.last")
			_, err = run.exec(ctx, b.String(), b.args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlstore: ordering events: %w", err)
		}
		if n < sequenceBatch {
			return nil
		}
	}
	return nil
}

// inWriteTx is inTxFunc holding, in SQLite, the store's write queue.
func (s *Store) inWriteTx(ctx context.Context, fn func(run *runner) error) error {
	if s.d == SQLite {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	return s.inTxFunc(ctx, fn)
}

// maxQueryScopes bounds events.Query.Scopes.
const maxQueryScopes = 1000

// Events lists committed records (events.Feed), first giving positions to
// any committed events that lack one.
func (e *Events) Events(ctx context.Context, q events.Query) (*events.Page, error) {
	s := e.s
	if len(q.Scopes) > maxQueryScopes {
		return nil, fmt.Errorf("sqlstore: events: %d scopes in one query, at most %d", len(q.Scopes), maxQueryScopes)
	}
	if err := s.sequence(ctx); err != nil {
		return nil, err
	}
	b := s.query()
	b.w("SELECT position, ", eventColumns, " FROM ", s.t.events, " WHERE position > ", b.arg(q.After))
	if len(q.Scopes) > 0 {
		b.w(" AND (")
		for i, sc := range q.Scopes {
			if i > 0 {
				b.w(" OR ")
			}
			b.w("(tenant = ", b.arg(sc.Tenant), " AND directory = ", b.arg(sc.Directory), ")")
		}
		b.w(")")
	}
	if len(q.Kinds) > 0 {
		kinds := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			kinds[i] = string(k)
		}
		b.w(" AND kind IN (", b.list(kinds), ")")
	}
	b.w(" ORDER BY position LIMIT ", b.arg(q.PageSize()))
	page := &events.Page{Next: q.After}
	err := s.dbr.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
		var r events.Record
		var kind, typ, data string
		var at int64
		if err := rows.Scan(&r.Position, &r.Tenant, &r.Directory, &r.Seq, &r.ID, &kind, &at, &r.Actor, &r.RequestID,
			&r.Cause, &typ, &r.ResourceID, &data); err != nil {
			return err
		}
		r.Kind, r.ResourceType, r.Data = events.Kind(kind), store.ResourceType(typ), []byte(data)
		r.Time = time.UnixMicro(at).UTC()
		page.Records = append(page.Records, r)
		page.Next = r.Position
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: events: %w", err)
	}
	return page, nil
}

// Prune deletes the events written before the given time (events.Outbox).
// Positions and Seq numbers are never given again.
func (e *Events) Prune(ctx context.Context, before time.Time) (int, error) {
	s := e.s
	var n int64
	err := s.inWriteTx(ctx, func(run *runner) error {
		b := s.query()
		b.w("DELETE FROM ", s.t.events, " WHERE at < ", b.arg(before.UnixMicro()))
		res, err := run.exec(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: pruning events: %w", err)
	}
	return int(n), nil
}
