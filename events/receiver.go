package events

import "context"

// Receiver takes the events a dispatcher delivers to one subscriber: an
// in-process function, a webhook endpoint, a broker.
type Receiver interface {
	// Deliver hands over one record. It returns nil once the subscriber
	// has it; an error makes the dispatcher try again later, so a
	// record may arrive more than once (Record.ID is the same each
	// time), but records of one subscriber arrive in feed order.
	Deliver(ctx context.Context, rec Record) error
}

// ReceiverFunc is a Receiver that is a function.
type ReceiverFunc func(ctx context.Context, rec Record) error

// Deliver calls f.
func (f ReceiverFunc) Deliver(ctx context.Context, rec Record) error { return f(ctx, rec) }
