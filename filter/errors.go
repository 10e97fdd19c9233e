package filter

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidFilter is wrapped by every error Parse, Compile, ParsePath,
// ParsePatchPath and CompileValueFilter return, so callers can map them to the SCIM
// "invalidFilter" (or "invalidPath") error type with errors.Is.
var ErrInvalidFilter = errors.New("invalid filter")

// maxReason bounds the reason Error.Error renders.
const maxReason = 256

// Error describes why a filter or attribute path was rejected. Its
// message quotes at most a short prefix of the rejected text (see
// Excerpt).
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

	kind string // what was rejected, for the message; "" for a filter
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := "invalid filter"
	if e.kind != "" {
		s = e.kind
	}
	if e.Filter != "" {
		s += " " + quote(e.Filter)
	}
	// Reasons quote client input through Excerpt; the cut is a backstop.
	s += ": " + excerpt(e.Reason, maxReason)
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

// withKind sets what an *Error's message says was rejected ("invalid
// path"); other errors and nil are returned as they are.
func withKind(err error, kind string) error {
	var fe *Error
	if errors.As(err, &fe) {
		fe.kind = kind
	}
	return err
}

// compileError is returned by the compiler; the caller fills in the filter
// text.
type compileError struct {
	reason string
	// needle is the attribute path (as written) the error is about, and
	// occurrence which of its occurrences in the text, counting from 0.
	needle     string
	occurrence int
}

func (e *compileError) Error() string { return e.reason }

// errorf builds a compileError. String arguments are client input
// (attribute names, operators, compare values) and are cut with Excerpt.
func errorf(format string, args ...any) error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = Excerpt(s)
		}
	}
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
		pos := -1
		if ce.needle != "" {
			pos = locateAttr(text, ce.needle, ce.occurrence)
			if i := strings.Index(strings.ToLower(text), "]."+strings.ToLower(ce.needle)); pos < 0 && i >= 0 {
				// emails[type eq "work"].foo eq "x" reaches the compiler
				// as emails[type eq "work" and foo eq "x"].
				pos = i + 2
			}
		}
		return &Error{Filter: text, Pos: pos, Reason: ce.reason}
	}
	return &Error{Filter: text, Pos: -1, Reason: err.Error()}
}

// locateAttr returns the byte offset of the n-th occurrence (from 0) of the
// attribute path needle in text, compared case-insensitively, outside
// quoted strings and not as part of a longer name; -1 if there is none.
// The compiler visits attribute paths in text order, so n identifies the
// one an error is about.
func locateAttr(text, needle string, n int) int {
	inName := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == ':' || c == '.' || c == '$'
	}
	for i := 0; i < len(text); i++ {
		if text[i] == '"' {
			for i++; i < len(text) && text[i] != '"'; i++ {
				if text[i] == '\\' {
					i++
				}
			}
			continue
		}
		if i > 0 && inName(text[i-1]) {
			continue
		}
		end := i + len(needle)
		if end > len(text) || !strings.EqualFold(text[i:end], needle) || (end < len(text) && inName(text[end])) {
			continue
		}
		if n == 0 {
			return i
		}
		n--
	}
	return -1
}
