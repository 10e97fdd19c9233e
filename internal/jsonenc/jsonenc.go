// Package jsonenc encodes JSON-shaped values (map[string]any, []any,
// string, bool, float64, int, int64, nil and the like) exactly as
// encoding/json.Marshal does, byte for byte, but without reflection.
//
// Why: every SCIM response, audit document and PATCH comparison is such a
// value, and encoding/json spends most of its time on them reflecting over
// interface values and sorting map keys through reflect.Value. It was the
// largest single cost in the handler's CPU profile after GC
// (docs/PERFORMANCE.md). Values of any other type are handed to
// encoding/json, so the output never differs; a differential fuzz test
// holds the package to that.
package jsonenc

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Marshal returns the JSON encoding of v, identical to json.Marshal(v).
func Marshal(v any) ([]byte, error) {
	return Append(make([]byte, 0, 512), v)
}

// Append appends the JSON encoding of v to dst, identical to what
// json.Marshal(v) returns. On error dst is returned unchanged.
func Append(dst []byte, v any) ([]byte, error) {
	out, err := appendValue(dst, v, 0)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// maxDepth matches encoding/json's cycle guard closely enough for JSON-shaped
// values (which cannot be cyclic unless built so): deeper values go to
// encoding/json, which reports the cycle.
const maxDepth = 1000

func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return fallback(dst, v)
	}
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, t), nil
	case bool:
		if t {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case float64:
		return appendFloat(dst, t, 64)
	case float32:
		return appendFloat(dst, float64(t), 32)
	case int:
		return strconv.AppendInt(dst, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(dst, t, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(t), 10), nil
	case uint64:
		return strconv.AppendUint(dst, t, 10), nil
	case map[string]any:
		if t == nil {
			return append(dst, "null"...), nil
		}
		return appendObject(dst, t, func(dst []byte, e any) ([]byte, error) { return appendValue(dst, e, depth+1) })
	case []any:
		return appendArray(dst, t, func(dst []byte, e any) ([]byte, error) { return appendValue(dst, e, depth+1) })
	case []map[string]any:
		return appendArray(dst, t, func(dst []byte, e map[string]any) ([]byte, error) { return appendValue(dst, e, depth+1) })
	case []string:
		return appendArray(dst, t, func(dst []byte, e string) ([]byte, error) { return appendString(dst, e), nil })
	case map[string]string:
		if t == nil {
			return append(dst, "null"...), nil
		}
		return appendObject(dst, t, func(dst []byte, e string) ([]byte, error) { return appendString(dst, e), nil })
	}
	return fallback(dst, v)
}

// appendArray writes s as a JSON array (null when nil), each element by
// elem.
func appendArray[T any](dst []byte, s []T, elem func([]byte, T) ([]byte, error)) ([]byte, error) {
	if s == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i, e := range s {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = elem(dst, e); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

func fallback(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// appendObject writes m as a JSON object with its keys sorted, as
// encoding/json does, each value by elem. m is not nil.
func appendObject[V any](dst []byte, m map[string]V, elem func([]byte, V) ([]byte, error)) ([]byte, error) {
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		var err error
		if dst, err = elem(dst, m[k]); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendFloat formats like encoding/json's floatEncoder.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		if bits == 32 {
			return fallback(dst, float32(f))
		}
		return fallback(dst, f)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hex = "0123456789abcdef"

// safe reports the ASCII bytes encoding/json writes as they are (with its
// default HTML escaping: <, > and & are escaped).
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString quotes s like encoding/json: HTML-safe, invalid UTF-8
// replaced by U+FFFD, U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if safe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Equal reports whether two JSON-shaped values have the same JSON form,
// so that int64(3) from validation equals float64(3) from a store that
// keeps attributes as JSON.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	case nil:
		if b == nil {
			return true
		}
	case float64:
		if y, ok := b.(float64); ok {
			return x == y
		}
	case map[string]any:
		if y, ok := b.(map[string]any); ok && x != nil && y != nil {
			if len(x) != len(y) {
				return false
			}
			for k, v := range x {
				if w, ok := y[k]; !ok || !Equal(v, w) {
					return false
				}
			}
			return true
		}
	case []any:
		if y, ok := b.([]any); ok && x != nil && y != nil {
			if len(x) != len(y) {
				return false
			}
			for i := range x {
				if !Equal(x[i], y[i]) {
					return false
				}
			}
			return true
		}
	}
	// Different Go types (int64 against float64, []string against []any,
	// a nil map against null) or other kinds: compare the JSON forms.
	ja, errA := Marshal(a)
	jb, errB := Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
