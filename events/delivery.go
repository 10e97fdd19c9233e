package events

import (
	"context"
	"errors"
	"time"
)

// DeliveryLog keeps each subscription's delivery progress: how far in the
// feed it got, the failed attempts at its next record, and the records
// it gave up on (dead letters). Dispatchers in several processes share
// it: a subscription is leased to one at a time, and a lease that is not
// renewed (its holder crashed) lapses, so another takes over where it
// stopped. memory.Store.Deliveries and sqlstore.Store.Deliveries return
// one.
type DeliveryLog interface {
	// Claim leases subscription sub to owner until the given time, if it
	// is free at now (never claimed, its lease lapsed, or already
	// owner's), and returns its progress; ok is false when another owner
	// holds it.
	Claim(ctx context.Context, sub, owner string, now, until time.Time) (p Progress, ok bool, err error)
	// Save stores sub's progress and extends owner's lease to until, or
	// ends it when until is zero. With dead not nil it also keeps that
	// dead letter, in the same step. It fails with ErrLeaseLost, saving
	// nothing, when owner no longer holds the lease.
	Save(ctx context.Context, sub, owner string, p Progress, dead *DeadLetter, until time.Time) error
	// Progress returns sub's progress (the zero Progress for a
	// subscription never claimed).
	Progress(ctx context.Context, sub string) (Progress, error)
	// DeadLetters returns sub's dead letters, oldest first, at most limit
	// (0 for DefaultLimit).
	DeadLetters(ctx context.Context, sub string, limit int) ([]DeadLetter, error)
}

// Progress is how far one subscription's deliveries got.
type Progress struct {
	// Position is the feed position of the last record handled:
	// delivered, skipped (not selected) or dead-lettered.
	Position int64
	// Attempts counts the failed attempts at the next record; Next is
	// when to try again, LastError what the last attempt said.
	Attempts  int
	Next      time.Time
	LastError string
	// Delivered counts the records delivered, DeadLettered the ones
	// given up on.
	Delivered, DeadLettered int64
}

// DeadLetter is a record a subscription gave up on, after its attempts
// ran out or its receiver refused it for good.
type DeadLetter struct {
	Subscription string
	Record       Record
	Attempts     int
	Error        string
	At           time.Time
}

// ErrLeaseLost is returned by DeliveryLog.Save when the caller's lease
// on the subscription has lapsed and another owner may have taken it.
var ErrLeaseLost = errors.New("events: the subscription's lease was lost")
