package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// ReplayCache returns an auth.ReplayCache kept in the store's database, so
// that every replica of an app rejects a signed request another replica has
// already accepted.
func (s *Store) ReplayCache() *ReplayCache { return &ReplayCache{s: s} }

// ReplayCache is an auth.ReplayCache on the store's replay table.
type ReplayCache struct{ s *Store }

// Seen records key until expires and reports whether an unexpired record
// of it already existed. Expired records are deleted as it goes.
func (c *ReplayCache) Seen(ctx context.Context, key string, expires time.Time) (bool, error) {
	s := c.s
	now := s.clock().UnixMilli()
	var inserted int64
	err := s.inTxFunc(ctx, func(run *runner) error {
		b := s.query()
		b.w("DELETE FROM ", s.t.replay, " WHERE expires <= ", b.arg(now), " AND key = ", b.arg(key))
		if _, err := run.exec(ctx, b.String(), b.args...); err != nil {
			return err
		}
		b = s.query()
		b.w("INSERT INTO ", s.t.replay, " (key, expires) VALUES (", b.arg(key), ", ", b.arg(expires.UnixMilli()), ") ON CONFLICT DO NOTHING")
		res, err := run.exec(ctx, b.String(), b.args...)
		if err != nil {
			return err
		}
		inserted, _ = res.RowsAffected()
		// Now and then, sweep all expired keys so the table stays small.
		if now%64 == 0 {
			b = s.query()
			b.w("DELETE FROM ", s.t.replay, " WHERE expires <= ", b.arg(now))
			if _, err := run.exec(ctx, b.String(), b.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("sqlstore: replay cache: %w", err)
	}
	return inserted == 0, nil
}
