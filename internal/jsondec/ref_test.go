package jsondec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// The reference: how scim's readJSON decoded a body before this package,
// in four passes (utf8.Valid, encoding/json with UseNumber, a Decoder.Token
// walk for duplicate keys, a walk for NUL). The fuzz test holds
// DecodeObject to it and the benchmarks measure against it.

// outcome is what a decoder made of an input: accepted, or refused for
// one reason.
type outcome int

const (
	accepted outcome = iota
	refusedUTF8
	refusedSyntax
	refusedDepth
	refusedNotObject
	refusedTrailing
	refusedDup
	refusedNUL
)

func (o outcome) String() string {
	return [...]string{"accepted", "UTF-8", "syntax", "depth", "not an object", "trailing data", "duplicate key", "NUL"}[o]
}

// outcomeOf classifies an error from DecodeObject.
func outcomeOf(err error) outcome {
	for _, c := range []struct {
		err error
		o   outcome
	}{
		{ErrInvalidUTF8, refusedUTF8}, {ErrSyntax, refusedSyntax}, {ErrTooDeep, refusedDepth},
		{ErrNotObject, refusedNotObject}, {ErrTrailingData, refusedTrailing},
		{ErrDuplicateKey, refusedDup}, {ErrNUL, refusedNUL},
	} {
		if errors.Is(err, c.err) {
			return c.o
		}
	}
	if err == nil {
		return accepted
	}
	panic("unclassified error: " + err.Error())
}

// refDecode is the old readJSON, without the HTTP: the decoded object, or
// the refusal and, for a duplicate, the key.
func refDecode(raw []byte) (map[string]any, outcome, string) {
	if !utf8.Valid(raw) {
		return nil, refusedUTF8, ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if strings.Contains(err.Error(), "exceeded max depth") {
			return nil, refusedDepth, ""
		}
		return nil, refusedSyntax, ""
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, refusedTrailing, ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, refusedNotObject, ""
	}
	if key, dup := refDuplicateKey(raw); dup {
		return nil, refusedDup, key
	}
	if refHasNUL(m) {
		return nil, refusedNUL, ""
	}
	return m, accepted, ""
}

func refHasNUL(v any) bool {
	switch t := v.(type) {
	case string:
		return strings.IndexByte(t, 0) >= 0
	case map[string]any:
		for k, e := range t {
			if strings.IndexByte(k, 0) >= 0 || refHasNUL(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if refHasNUL(e) {
				return true
			}
		}
	}
	return false
}

func refDuplicateKey(raw []byte) (string, bool) {
	type frame struct {
		obj     bool
		wantKey bool
		keys    map[string]struct{}
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			if d, isDelim := tok.(json.Delim); isDelim && d == '}' {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			key, _ := tok.(string)
			folded := strings.ToLower(key)
			if _, seen := stack[n-1].keys[folded]; seen {
				return key, true
			}
			stack[n-1].keys[folded] = struct{}{}
			stack[n-1].wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, wantKey: true, keys: map[string]struct{}{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}
