package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/store"
)

// Subscription is one subscriber of a Dispatcher: a receiver and the
// records it wants.
type Subscription struct {
	// ID names the subscription: its progress is kept under it in the
	// DeliveryLog, so it must stay the same across restarts and be the
	// same in every replica ("search-index", "webhook:acme:1").
	ID string
	// Receiver takes the records.
	Receiver Receiver
	// Scopes and Kinds select the records, as in Query; empty selects
	// all.
	Scopes []store.Scope
	Kinds  []Kind
	// Notifications delivers only the events of directories whose
	// directory.Settings.Notifications is on (read from
	// DispatcherOptions.Directories), for subscribers that notify people:
	// the others are passed over. Events of scopes without a directory
	// record are passed over too.
	Notifications bool
}

// DispatcherOptions configure a Dispatcher. Feed and Log are required.
type DispatcherOptions struct {
	// Feed is where the records come from: the outbox.
	Feed Feed
	// Log keeps each subscription's progress and dead letters.
	Log DeliveryLog
	// Directories is read for Subscription.Notifications.
	Directories directory.Store
	// Owner names this dispatcher in leases; default a random name.
	// Dispatchers sharing a Log must have different owners.
	Owner string
	// Poll is how often an idle subscription looks for new records;
	// default 1s. A Feed with a Wait method (memory.Events) wakes the
	// dispatcher at once instead.
	Poll time.Duration
	// Lease is how long a subscription stays with this dispatcher
	// without word from it; another dispatcher takes it over after a
	// crash once it lapses. Default 30s.
	Lease time.Duration
	// Timeout bounds one delivery; default 10s, at most Lease/2.
	Timeout time.Duration
	// Backoff is the wait after the n-th failed attempt at a record (n
	// from 1); default 5s doubling up to 1h, each ±20%. A receiver's
	// error that asks for a longer wait (RetryAfter) gets it.
	Backoff func(attempt int) time.Duration
	// MaxAttempts is how many failed attempts dead-letter a record;
	// default 25 (with the default Backoff, about 16 hours of retries).
	MaxAttempts int
	// Observe, when set, is told of every delivery attempt, for metrics
	// (delivery counts, errors, lag).
	Observe func(ctx context.Context, info DeliveryInfo)
	// Logger receives delivery failures; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// DeliveryInfo describes one delivery attempt (DispatcherOptions.Observe).
type DeliveryInfo struct {
	Subscription string
	Record       *Record
	// Attempt counts this record's attempts, from 1.
	Attempt int
	// Err is the receiver's error, nil for a delivery.
	Err error
	// DeadLettered says the record was given up on after this attempt.
	DeadLettered bool
	// Lag is the time from the record's write to the end of this
	// attempt; Duration the attempt's own time.
	Lag, Duration time.Duration
}

// Dispatcher delivers the feed's records to its subscriptions, each in
// feed order (so a directory's events in commit order), at least once:
// a record is delivered again when its receiver fails, after a backoff,
// until it succeeds or its attempts run out and it is dead-lettered. Its
// progress is kept in the DeliveryLog, so a restart resumes where it
// stopped, and several dispatchers (one per replica of the app) share
// the work, each subscription with one of them at a time.
type Dispatcher struct {
	opts DispatcherOptions
	log  *slog.Logger

	mu     sync.Mutex
	subs   map[string]*running
	runCtx context.Context // set while Run runs
	wg     sync.WaitGroup

	notifyMu sync.Mutex
	notify   map[store.Scope]notifySetting
}

type running struct {
	sub    Subscription
	cancel context.CancelFunc
}

type notifySetting struct {
	on      bool
	expires time.Time
}

// waiter is a Feed that can say when records are next committed.
type waiter interface{ Wait() <-chan struct{} }

// NewDispatcher returns a dispatcher with no subscriptions.
func NewDispatcher(opts DispatcherOptions) (*Dispatcher, error) {
	if opts.Feed == nil || opts.Log == nil {
		return nil, errors.New("events: NewDispatcher needs a Feed and a Log")
	}
	if opts.Owner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
		opts.Owner = "dispatcher-" + hex.EncodeToString(b[:])
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	opts.Timeout = min(opts.Timeout, opts.Lease/2)
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 25
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Dispatcher{opts: opts, log: lg, subs: make(map[string]*running), notify: make(map[store.Scope]notifySetting)}, nil
}

// DefaultBackoff waits 5s after the first failed attempt, doubling up to
// an hour, each wait ±20% so that receivers coming back are not hit by
// every retry at once.
func DefaultBackoff(attempt int) time.Duration {
	d := time.Hour
	if attempt < 11 {
		d = min(5*time.Second<<max(attempt-1, 0), time.Hour)
	}
	return time.Duration(float64(d) * (0.8 + 0.4*mrand.Float64()))
}

// Subscribe adds a subscription; while Run runs, its deliveries start at
// once. A subscription never seen before starts from the oldest record
// the feed keeps. Subscribing an ID already subscribed replaces it.
func (d *Dispatcher) Subscribe(s Subscription) error {
	if s.ID == "" || s.Receiver == nil {
		return errors.New("events: a subscription needs an ID and a Receiver")
	}
	if s.Notifications && d.opts.Directories == nil {
		return errors.New("events: a Notifications subscription needs DispatcherOptions.Directories")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old := d.subs[s.ID]; old != nil && old.cancel != nil {
		old.cancel()
	}
	r := &running{sub: s}
	d.subs[s.ID] = r
	if d.runCtx != nil {
		d.start(r)
	}
	return nil
}

// Unsubscribe stops a subscription's deliveries; its progress is kept.
func (d *Dispatcher) Unsubscribe(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r := d.subs[id]; r != nil {
		if r.cancel != nil {
			r.cancel()
		}
		delete(d.subs, id)
	}
}

// Run delivers until ctx ends, then lets go of its subscriptions' leases
// and returns nil. One Run at a time per Dispatcher.
//
//	go dispatcher.Run(ctx)
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.runCtx != nil {
		d.mu.Unlock()
		return errors.New("events: the dispatcher is already running")
	}
	d.runCtx = ctx
	for _, r := range d.subs {
		d.start(r)
	}
	d.mu.Unlock()
	<-ctx.Done()
	d.mu.Lock()
	d.runCtx = nil
	d.mu.Unlock()
	d.wg.Wait()
	return nil
}

// start runs r's loop; d.mu is held.
func (d *Dispatcher) start(r *running) {
	ctx, cancel := context.WithCancel(d.runCtx)
	r.cancel = cancel
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.loop(ctx, r.sub)
	}()
}

// loop delivers sub's records until ctx ends.
func (d *Dispatcher) loop(ctx context.Context, sub Subscription) {
	defer d.release(sub)
	for ctx.Err() == nil {
		var wake <-chan struct{}
		if w, ok := d.opts.Feed.(waiter); ok {
			wake = w.Wait() // taken before reading, so no commit is missed
		}
		wait := d.step(ctx, sub)
		if wait <= 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-wake:
		}
		t.Stop()
	}
}

// release ends this dispatcher's lease on sub, so another can take it at
// once.
func (d *Dispatcher) release(sub Subscription) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := d.opts.Now()
	p, ok, err := d.opts.Log.Claim(ctx, sub.ID, d.opts.Owner, now, now.Add(d.opts.Lease))
	if err == nil && ok {
		err = d.opts.Log.Save(ctx, sub.ID, d.opts.Owner, p, nil, time.Time{})
	}
	if err != nil && !errors.Is(err, ErrLeaseLost) {
		d.log.Warn("events: releasing a subscription", slog.String("subscription", sub.ID), slog.Any("error", err))
	}
}

// DeliverPending makes one pass over every subscription, delivering what
// is due now, and returns; for apps that deliver from a scheduled job
// instead of running the dispatcher, and for tests.
func (d *Dispatcher) DeliverPending(ctx context.Context) {
	d.mu.Lock()
	subs := make([]Subscription, 0, len(d.subs))
	for _, r := range d.subs {
		subs = append(subs, r.sub)
	}
	d.mu.Unlock()
	for _, s := range subs {
		for ctx.Err() == nil && d.step(ctx, s) == 0 {
		}
	}
}

// pageSize is how many records one step reads.
const pageSize = 100

// step claims sub, delivers what is due, and returns how long to wait
// before the next step: 0 when more is due at once.
func (d *Dispatcher) step(ctx context.Context, sub Subscription) time.Duration {
	now := d.opts.Now()
	p, ok, err := d.opts.Log.Claim(ctx, sub.ID, d.opts.Owner, now, now.Add(d.opts.Lease))
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("events: claiming a subscription", slog.String("subscription", sub.ID), slog.Any("error", err))
		}
		return d.opts.Poll
	}
	if !ok {
		return d.opts.Poll // another dispatcher has it
	}
	if wait := p.Next.Sub(now); wait > 0 {
		return min(wait, d.opts.Lease/2)
	}
	page, err := d.opts.Feed.Events(ctx, Query{After: p.Position, Scopes: sub.Scopes, Kinds: sub.Kinds, Limit: pageSize})
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("events: reading the feed", slog.String("subscription", sub.ID), slog.Any("error", err))
		}
		return d.opts.Poll
	}
	for i := range page.Records {
		rec := &page.Records[i]
		if ctx.Err() != nil {
			return 0
		}
		if sub.Notifications && !d.notifies(ctx, rec.Scope()) {
			p.Position = rec.Position
			if err := d.save(ctx, sub, p, nil); err != nil {
				return d.opts.Poll
			}
			continue
		}
		wait, err := d.deliver(ctx, sub, &p, rec)
		if err != nil || wait > 0 {
			return max(wait, 1)
		}
	}
	if len(page.Records) == pageSize {
		return 0
	}
	return d.opts.Poll
}

// deliver makes one attempt at rec and saves what came of it. It returns
// how long to wait before the next attempt (0 to go on), or an error
// when the progress could not be saved.
func (d *Dispatcher) deliver(ctx context.Context, sub Subscription, p *Progress, rec *Record) (time.Duration, error) {
	start := d.opts.Now()
	dctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	err := sub.Receiver.Deliver(dctx, *rec)
	cancel()
	end := d.opts.Now()
	info := DeliveryInfo{Subscription: sub.ID, Record: rec, Attempt: p.Attempts + 1, Err: err,
		Lag: end.Sub(rec.Time), Duration: end.Sub(start)}
	var dead *DeadLetter
	var wait time.Duration
	switch {
	case err == nil:
		p.Position, p.Attempts, p.Next, p.LastError = rec.Position, 0, time.Time{}, ""
		p.Delivered++
	case ctx.Err() != nil:
		return 0, ctx.Err() // stopping: the attempt does not count
	default:
		p.Attempts++
		p.LastError = errorText(err)
		if isPermanent(err) || p.Attempts >= d.opts.MaxAttempts {
			dead = &DeadLetter{Subscription: sub.ID, Record: *rec, Attempts: p.Attempts, Error: p.LastError, At: end}
			p.Position, p.Attempts, p.Next = rec.Position, 0, time.Time{}
			p.DeadLettered++
			info.DeadLettered = true
			d.log.Error("events: gave up delivering an event", slog.String("subscription", sub.ID),
				slog.String("event", rec.ID), slog.Int("attempts", dead.Attempts), slog.Any("error", err))
		} else {
			wait = max(d.opts.Backoff(p.Attempts), retryAfterOf(err))
			p.Next = end.Add(wait)
			d.log.Warn("events: delivery failed; will retry", slog.String("subscription", sub.ID),
				slog.String("event", rec.ID), slog.Int("attempt", p.Attempts), slog.Duration("retryIn", wait), slog.Any("error", err))
		}
	}
	if d.opts.Observe != nil {
		d.opts.Observe(ctx, info)
	}
	if err := d.save(ctx, sub, *p, dead); err != nil {
		return 0, err
	}
	return wait, nil
}

// save stores sub's progress. What was delivered is saved even when ctx
// has just ended (the dispatcher stopping), so it is not delivered again.
func (d *Dispatcher) save(ctx context.Context, sub Subscription, p Progress, dead *DeadLetter) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := d.opts.Log.Save(sctx, sub.ID, d.opts.Owner, p, dead, d.opts.Now().Add(d.opts.Lease))
	if err != nil && ctx.Err() == nil {
		d.log.Error("events: saving delivery progress", slog.String("subscription", sub.ID), slog.Any("error", err))
	}
	return err
}

// notifyTTL is how long a directory's Notifications setting is cached.
const notifyTTL = 5 * time.Second

// notifies reports whether scope's directory has notifications on.
func (d *Dispatcher) notifies(ctx context.Context, scope store.Scope) bool {
	now := d.opts.Now()
	d.notifyMu.Lock()
	s, ok := d.notify[scope]
	d.notifyMu.Unlock()
	if ok && now.Before(s.expires) {
		return s.on
	}
	dir, err := d.opts.Directories.Directory(ctx, scope)
	on := err == nil && dir.Settings.Notifications
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		d.log.Warn("events: reading a directory's notification setting", slog.String("scope", scope.String()), slog.Any("error", err))
	}
	d.notifyMu.Lock()
	d.notify[scope] = notifySetting{on: on, expires: now.Add(notifyTTL)}
	d.notifyMu.Unlock()
	return on
}

// Status is a subscription's delivery state, for metrics and an admin
// page.
type Status struct {
	Subscription string
	Progress
	// Pending counts the selected records not yet handled, up to
	// MaxLimit (a larger backlog reads as MaxLimit).
	Pending int
	// Lag is the age of the oldest pending record, 0 when none.
	Lag time.Duration
}

// Status returns a subscription's delivery state.
func (d *Dispatcher) Status(ctx context.Context, id string) (Status, error) {
	d.mu.Lock()
	r := d.subs[id]
	d.mu.Unlock()
	if r == nil {
		return Status{}, fmt.Errorf("events: no subscription %q", id)
	}
	p, err := d.opts.Log.Progress(ctx, id)
	if err != nil {
		return Status{}, err
	}
	page, err := d.opts.Feed.Events(ctx, Query{After: p.Position, Scopes: r.sub.Scopes, Kinds: r.sub.Kinds, Limit: MaxLimit})
	if err != nil {
		return Status{}, err
	}
	st := Status{Subscription: id, Progress: p, Pending: len(page.Records)}
	if len(page.Records) > 0 {
		st.Lag = d.opts.Now().Sub(page.Records[0].Time)
	}
	return st, nil
}

// Permanent marks err as a refusal that no retry will change: the
// dispatcher dead-letters the record at once.
func Permanent(err error) error { return &deliveryError{err: err, permanent: true} }

// RetryAfter marks err as asking for the next attempt no sooner than
// after d (an HTTP 429's Retry-After).
func RetryAfter(err error, d time.Duration) error { return &deliveryError{err: err, retryAfter: d} }

type deliveryError struct {
	err        error
	permanent  bool
	retryAfter time.Duration
}

func (e *deliveryError) Error() string             { return e.err.Error() }
func (e *deliveryError) Unwrap() error             { return e.err }
func (e *deliveryError) Permanent() bool           { return e.permanent }
func (e *deliveryError) RetryAfter() time.Duration { return e.retryAfter }

// isPermanent reports whether err, or an error it wraps, has a Permanent
// method that returns true.
func isPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// retryAfterOf returns the wait err asks for through a RetryAfter method,
// 0 for none.
func retryAfterOf(err error) time.Duration {
	var r interface{ RetryAfter() time.Duration }
	if errors.As(err, &r) {
		return r.RetryAfter()
	}
	return 0
}

// errorText is err's text as the log keeps it: at most 1000 bytes of
// valid UTF-8 without NUL (which PostgreSQL's text refuses).
func errorText(err error) string {
	s := err.Error()
	if len(s) > 1000 {
		s = s[:1000]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
}
