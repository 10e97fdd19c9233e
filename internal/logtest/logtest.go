// Package logtest records log/slog output so that tests can assert on what
// was logged. It is for the module's own tests.
package logtest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Record is one logged record: its level, message and attributes (values
// resolved and rendered as strings).
type Record struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

// Recorder is a slog.Handler that keeps every record at every level. It is
// safe for concurrent use (a server's goroutines log into it). The zero
// value is ready to use.
type Recorder struct {
	mu   sync.Mutex
	recs []Record
}

var _ slog.Handler = (*Recorder)(nil)

// Enabled reports true for every level.
func (l *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps r.
func (l *Recorder) Handle(_ context.Context, r slog.Record) error {
	rec := Record{Level: r.Level, Msg: r.Message, Attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.Resolve().String()
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, rec)
	return nil
}

// WithAttrs returns l: attributes added this way are not recorded.
func (l *Recorder) WithAttrs([]slog.Attr) slog.Handler { return l }

// WithGroup returns l: groups are not recorded.
func (l *Recorder) WithGroup(string) slog.Handler { return l }

// All returns every record so far, in order.
func (l *Recorder) All() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Record(nil), l.recs...)
}

// WithMessage returns the records whose message is msg.
func (l *Recorder) WithMessage(msg string) []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Record
	for _, r := range l.recs {
		if r.Msg == msg {
			out = append(out, r)
		}
	}
	return out
}

// String renders every record, a line each, for substring checks.
func (l *Recorder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, r := range l.recs {
		fmt.Fprintf(&b, "%s %s %v\n", r.Level, r.Msg, r.Attrs)
	}
	return b.String()
}
