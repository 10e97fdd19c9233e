package filter

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ErrInvalidFilter is wrapped by every error Parse, Compile, ParsePath and
// CompileValueFilter return, so callers can map them to the SCIM
// "invalidFilter" (or "invalidPath") error type with errors.Is.
var ErrInvalidFilter = errors.New("invalid filter")

// Error describes why a filter or attribute path was rejected.
type Error struct {
	// Filter is the text that was rejected (for Compile, a rendering of
	// the expression).
	Filter string
	// Pos is the 0-based byte offset in Filter where the problem was found,
	// or -1 when it is not known.
	Pos int
	// Reason is a human-readable explanation, suitable for the "detail" of
	// a SCIM error response.
	Reason string
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := "invalid filter"
	if e.Filter != "" {
		f := e.Filter
		if len(f) > 120 {
			cut := 100
			for cut > 0 && !utf8.RuneStart(f[cut]) {
				cut--
			}
			f = f[:cut] + "..."
		}
		s += " " + strconv.Quote(f)
	}
	s += ": " + e.Reason
	if e.Pos >= 0 {
		s += fmt.Sprintf(" (at offset %d)", e.Pos)
	}
	return s
}

// Unwrap returns ErrInvalidFilter.
func (e *Error) Unwrap() error { return ErrInvalidFilter }

func newError(text string, pos int, format string, args ...any) *Error {
	return &Error{Filter: text, Pos: pos, Reason: fmt.Sprintf(format, args...)}
}

// compileError is returned by the compiler; the caller fills in the filter
// text.
type compileError struct{ reason string }

func (e *compileError) Error() string { return e.reason }

func errorf(format string, args ...any) error {
	return &compileError{reason: fmt.Sprintf(format, args...)}
}

// asError turns a compiler error into an *Error about text.
func asError(text string, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	var ce *compileError
	if errors.As(err, &ce) {
		return &Error{Filter: text, Pos: -1, Reason: ce.reason}
	}
	return &Error{Filter: text, Pos: -1, Reason: err.Error()}
}
