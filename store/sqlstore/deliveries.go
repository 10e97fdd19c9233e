package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scimkit/scimkit/events"
)

// Deliveries returns the store's events.DeliveryLog on its deliveries
// and dead_letters tables, which dispatchers in several processes can
// share: a subscription's lease is taken by one conditional upsert, so
// only one dispatcher delivers it at a time.
func (s *Store) Deliveries() *Deliveries { return &Deliveries{s: s} }

// Deliveries is an events.DeliveryLog in the store's database. It is
// safe for concurrent use.
type Deliveries struct{ s *Store }

var _ events.DeliveryLog = (*Deliveries)(nil)

const progressColumns = "position, attempts, next_attempt, last_error, delivered, dead_lettered"

func scanProgress(scan func(dest ...any) error) (events.Progress, error) {
	var p events.Progress
	var next int64
	err := scan(&p.Position, &p.Attempts, &next, &p.LastError, &p.Delivered, &p.DeadLettered)
	if next != 0 {
		p.Next = time.UnixMicro(next).UTC()
	}
	return p, err
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// Claim leases sub to owner if it is free (events.DeliveryLog).
func (l *Deliveries) Claim(ctx context.Context, sub, owner string, now, until time.Time) (events.Progress, bool, error) {
	s := l.s
	t := s.t.deliveries
	b := s.query()
	b.w("INSERT INTO ", t, " (subscription, owner, lease_until, ", progressColumns, ") VALUES (", b.arg(sub), ", ", b.arg(owner), ", ",
		b.arg(micros(until)), ", 0, 0, 0, '', 0, 0) ON CONFLICT (subscription) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until",
		" WHERE ", t, ".owner = '' OR ", t, ".owner = excluded.owner OR ", t, ".lease_until <= ", b.arg(micros(now)),
		" RETURNING ", progressColumns)
	var p events.Progress
	err := s.inWriteTx(ctx, func(run *runner) error {
		var err error
		p, err = scanProgress(run.queryRow(ctx, b.String(), b.args...).Scan)
		return err
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return events.Progress{}, false, nil
	case err != nil:
		return events.Progress{}, false, fmt.Errorf("sqlstore: claiming subscription %q: %w", sub, err)
	}
	return p, true, nil
}

// Save stores sub's progress if owner holds its lease (events.DeliveryLog).
func (l *Deliveries) Save(ctx context.Context, sub, owner string, p events.Progress, dead *events.DeadLetter, until time.Time) error {
	s := l.s
	newOwner := owner
	if until.IsZero() {
		newOwner = ""
	}
	err := s.inWriteTx(ctx, func(run *runner) error {
		b := s.query()
		b.w("UPDATE ", s.t.deliveries, " SET position = ", b.arg(p.Position), ", attempts = ", b.arg(p.Attempts),
			", next_attempt = ", b.arg(micros(p.Next)), ", last_error = ", b.arg(p.LastError), ", delivered = ", b.arg(p.Delivered),
			", dead_lettered = ", b.arg(p.DeadLettered), ", owner = ", b.arg(newOwner), ", lease_until = ", b.arg(micros(until)),
			" WHERE subscription = ", b.arg(sub), " AND owner = ", b.arg(owner))
		res, err := run.exec(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return events.ErrLeaseLost
		}
		if dead == nil {
			return nil
		}
		rec, err := json.Marshal(dead.Record)
		if err != nil {
			return err
		}
		b = s.query()
		b.w("INSERT INTO ", s.t.deadLetters, " (subscription, position, record, attempts, error, at) VALUES (", b.arg(sub), ", ",
			b.arg(dead.Record.Position), ", ", b.arg(string(rec)), ", ", b.arg(dead.Attempts), ", ", b.arg(dead.Error), ", ", b.arg(micros(dead.At)), ")")
		_, err = run.exec(ctx, b.String(), b.args...)
		return err
	})
	if err != nil && !errors.Is(err, events.ErrLeaseLost) {
		return fmt.Errorf("sqlstore: saving subscription %q: %w", sub, err)
	}
	return err
}

// Progress returns sub's progress (events.DeliveryLog).
func (l *Deliveries) Progress(ctx context.Context, sub string) (events.Progress, error) {
	s := l.s
	b := s.query()
	b.w("SELECT ", progressColumns, " FROM ", s.t.deliveries, " WHERE subscription = ", b.arg(sub))
	p, err := scanProgress(s.dbr.queryRow(ctx, b.String(), b.args...).Scan)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return events.Progress{}, nil
	case err != nil:
		return events.Progress{}, fmt.Errorf("sqlstore: subscription %q: %w", sub, err)
	}
	return p, nil
}

// DeadLetters returns sub's dead letters, oldest first (events.DeliveryLog).
func (l *Deliveries) DeadLetters(ctx context.Context, sub string, limit int) ([]events.DeadLetter, error) {
	s := l.s
	if limit <= 0 {
		limit = events.DefaultLimit
	}
	b := s.query()
	b.w("SELECT record, attempts, error, at FROM ", s.t.deadLetters, " WHERE subscription = ", b.arg(sub),
		" ORDER BY seq LIMIT ", b.arg(limit))
	var out []events.DeadLetter
	err := s.dbr.each(ctx, b.String(), b.args, func(rows *sql.Rows) error {
		d := events.DeadLetter{Subscription: sub}
		var rec string
		var at int64
		if err := rows.Scan(&rec, &d.Attempts, &d.Error, &at); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(rec), &d.Record); err != nil {
			return err
		}
		d.At = time.UnixMicro(at).UTC()
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: dead letters of %q: %w", sub, err)
	}
	return out, nil
}
