// Package jsondec decodes an untrusted JSON request body that must be one
// JSON object, strictly and in one pass, into the values encoding/json
// produces for it with Decoder.UseNumber: map[string]any, []any, string,
// json.Number, bool and nil.
//
// Why we own this piece: a SCIM request body must be refused when it is not
// valid UTF-8 (encoding/json silently replaces bad bytes with U+FFFD), when
// one object has a key twice ignoring case (encoding/json silently keeps the
// last, so two parsers could read one request differently, and SCIM
// attribute names are case-insensitive) or when a string holds NUL (no SCIM
// value needs it and PostgreSQL cannot store it). encoding/json cannot
// refuse any of these while decoding, so the server used to make four
// passes over every body: utf8.Valid, a Decode, a second tokenisation for
// duplicate keys and a walk for NUL. Under load that was about 8% of the
// handler's CPU (the duplicate check alone about 5%) plus its garbage. This
// package does all of it in a single pass with a fraction of the
// allocations; a differential fuzz test holds it to the old behaviour.
//
// Refusals are *Error values wrapping one of the Err sentinels, so callers
// match them with errors.Is (and errors.As for the offset or the key).
// When a body has several problems the refusal is chosen as the old
// multi-pass check chose it:
//
//  1. ErrInvalidUTF8, for invalid UTF-8 anywhere in the input;
//  2. otherwise the first malformation in input order: ErrSyntax,
//     ErrTooDeep, ErrNotObject (reported as soon as the top-level value is
//     seen not to be an object) or ErrTrailingData;
//  3. otherwise ErrDuplicateKey, for the first key that repeats one before
//     it in the same object;
//  4. otherwise ErrNUL.
//
// Strings match encoding/json exactly, including its handling of escaped
// UTF-16 surrogates: a valid \uD8xx\uDCxx pair becomes one rune, and any
// lone or mismatched surrogate escape becomes U+FFFD (consuming only its own
// six bytes). Numbers are validated by the JSON grammar and kept as their
// literal text in a json.Number. (This is the behaviour of the default
// encoding/json; a build with GOEXPERIMENT=jsonv2 may differ.)
package jsondec

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays accepted, the
// top-level object counting as 1. It is encoding/json's limit.
const MaxDepth = 10000

// The refusals. Every error DecodeObject returns is an *Error whose Err is
// one of these.
var (
	// ErrInvalidUTF8: the input is not valid UTF-8 (anywhere, also
	// outside strings).
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	// ErrSyntax: the input is not valid JSON.
	ErrSyntax = errors.New("invalid JSON")
	// ErrTooDeep: objects and arrays nest deeper than MaxDepth.
	ErrTooDeep = errors.New("nesting too deep")
	// ErrNotObject: the top-level value is not an object.
	ErrNotObject = errors.New("top-level value is not an object")
	// ErrTrailingData: something other than whitespace follows the
	// top-level object.
	ErrTrailingData = errors.New("data after the top-level object")
	// ErrDuplicateKey: a key appears twice in one object, compared as
	// strings.ToLower does (so "userName" and "USERNAME" are the same key).
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrNUL: a key or string holds the NUL character (necessarily
	// escaped, as \u0000: a raw NUL byte is ErrSyntax).
	ErrNUL = errors.New("NUL character in a string")
)

// Error is a refusal: which one (Err), where it was found and, for a
// duplicate key, which key.
type Error struct {
	// Err is one of the Err sentinels; errors.Is matches it.
	Err error
	// Offset is the byte offset in the input at which the problem was
	// found (for ErrDuplicateKey and ErrNUL, where the string starts).
	Offset int
	// Key is the second occurrence of the key for ErrDuplicateKey, after
	// unescaping, as the client wrote it.
	Key string
	// Detail describes the problem, for ErrSyntax in encoding/json's words
	// ("invalid character 'x' after object key").
	Detail string
}

// Error returns the detail and the offset.
func (e *Error) Error() string {
	return e.Detail + " at byte " + strconv.Itoa(e.Offset)
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// DecodeObject decodes raw, which must be one JSON object with nothing but
// whitespace around it, and returns what encoding/json's Decoder with
// UseNumber would return for it, or an *Error. raw is neither modified nor
// retained: every string in the result is a copy.
func DecodeObject(raw []byte) (map[string]any, error) {
	d := pool.Get().(*decoder)
	m, err := d.decode(raw)
	d.reset()
	pool.Put(d)
	return m, err
}

// indexAt is the number of keys from which an object's duplicate check
// switches from a linear scan of the keys before it to a map: small
// objects (nearly all of SCIM) allocate nothing for it, and a hostile
// object with 100,000 keys stays linear.
const indexAt = 16

// keyEnt is a key of an object still open.
type keyEnt struct {
	s     string
	ascii bool
}

// frame is an object or array still open.
type frame struct {
	obj   bool
	start int // its first element in decoder.vals
	kbase int // for an object, its first key in decoder.keys
	// index holds the lowered keys of an object with indexAt keys or more.
	index map[string]struct{}
}

// decoder holds the scratch space of one decode; it is pooled.
type decoder struct {
	data   []byte
	vals   []any    // elements of the open containers, innermost last
	keys   []keyEnt // keys of the open objects, innermost last
	frames []frame
	buf    []byte // unescaped string being built

	// The first duplicate key and NUL, refused only if the input turns
	// out to be otherwise well-formed.
	dup    *Error
	nulOff int
}

// pool recycles decoders' scratch space (stacks and buffers, reset before
// reuse) between calls. It holds no results and changes no behaviour: a
// cache, like encoding/json's own encoder pool, not shared state.
var pool = sync.Pool{New: func() any { return &decoder{nulOff: -1} }}

// Beyond these capacities scratch space is dropped rather than pooled, so
// one hostile body does not keep megabytes alive.
const (
	maxPooledVals   = 1 << 12
	maxPooledFrames = 1 << 8
	maxPooledBuf    = 1 << 16
)

func (d *decoder) reset() {
	// Closed containers clear their slots, so only what is below the
	// lengths can still hold references.
	clear(d.vals)
	clear(d.keys)
	clear(d.frames)
	d.vals, d.keys, d.frames = d.vals[:0], d.keys[:0], d.frames[:0]
	if cap(d.vals) > maxPooledVals {
		d.vals = nil
	}
	if cap(d.keys) > maxPooledVals {
		d.keys = nil
	}
	if cap(d.frames) > maxPooledFrames {
		d.frames = nil
	}
	if cap(d.buf) > maxPooledBuf {
		d.buf = nil
	}
	d.data, d.dup, d.nulOff = nil, nil, -1
}

// What decode expects next.
const (
	wantValue        = iota // a value
	wantKey                 // a key (after '{' or ',')
	wantKeyOrClose          // a key or '}' (just after '{')
	wantValueOrClose        // a value or ']' (just after '[')
	afterValue              // ',' or the close of the innermost container
)

func (d *decoder) decode(data []byte) (map[string]any, error) {
	d.data = data
	i := skipSpace(data, 0)
	if i == len(data) {
		return nil, d.fail(ErrSyntax, i, "unexpected end of JSON input")
	}
	if c := data[i]; c != '{' {
		switch {
		case c == '[' || c == '"' || c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
			return nil, d.fail(ErrNotObject, i, "top-level value is not an object")
		default:
			return nil, d.badChar(i, "looking for beginning of value")
		}
	}
	d.frames = append(d.frames, frame{obj: true})
	i++
	state := wantKeyOrClose
	for {
		i = skipSpace(data, i)
		if i == len(data) {
			return nil, d.fail(ErrSyntax, i, "unexpected end of JSON input")
		}
		c := data[i]
		switch state {
		case wantKeyOrClose, wantKey:
			if c == '}' && state == wantKeyOrClose {
				break // closed below
			}
			if c != '"' {
				return nil, d.badChar(i, "looking for beginning of object key string")
			}
			start := i
			s, ascii, next, err := d.str(i)
			if err != nil {
				return nil, err
			}
			d.addKey(s, ascii, start)
			i = skipSpace(data, next)
			if i == len(data) {
				return nil, d.fail(ErrSyntax, i, "unexpected end of JSON input")
			}
			if data[i] != ':' {
				return nil, d.badChar(i, "after object key")
			}
			i++
			state = wantValue
			continue
		case wantValueOrClose:
			if c == ']' {
				break // closed below
			}
			fallthrough
		case wantValue:
			var v any
			switch {
			case c == '"':
				s, _, next, err := d.str(i)
				if err != nil {
					return nil, err
				}
				v, i = s, next
			case c == '{' || c == '[':
				if len(d.frames) >= MaxDepth {
					return nil, d.fail(ErrTooDeep, i, "nesting deeper than "+strconv.Itoa(MaxDepth)+" levels")
				}
				d.frames = append(d.frames, frame{obj: c == '{', start: len(d.vals), kbase: len(d.keys)})
				i++
				if c == '{' {
					state = wantKeyOrClose
				} else {
					state = wantValueOrClose
				}
				continue
			case c == '-' || c >= '0' && c <= '9':
				next, err := d.number(i)
				if err != nil {
					return nil, err
				}
				v, i = json.Number(data[i:next]), next
			case c == 't':
				if err := d.literal(i, "true"); err != nil {
					return nil, err
				}
				v, i = true, i+4
			case c == 'f':
				if err := d.literal(i, "false"); err != nil {
					return nil, err
				}
				v, i = false, i+5
			case c == 'n':
				if err := d.literal(i, "null"); err != nil {
					return nil, err
				}
				v, i = nil, i+4
			default:
				return nil, d.badChar(i, "looking for beginning of value")
			}
			d.vals = append(d.vals, v)
			state = afterValue
			continue
		case afterValue:
			f := &d.frames[len(d.frames)-1]
			if c == ',' {
				i++
				if f.obj {
					state = wantKey
				} else {
					state = wantValue
				}
				continue
			}
			if f.obj && c != '}' {
				return nil, d.badChar(i, "after object key:value pair")
			}
			if !f.obj && c != ']' {
				return nil, d.badChar(i, "after array element")
			}
		}

		// data[i] closes the innermost container.
		i++
		f := d.frames[len(d.frames)-1]
		d.frames[len(d.frames)-1] = frame{}
		d.frames = d.frames[:len(d.frames)-1]
		elems := d.vals[f.start:]
		var v any
		if f.obj {
			keys := d.keys[f.kbase:]
			m := make(map[string]any, len(elems))
			for j, e := range elems {
				m[keys[j].s] = e
			}
			clear(keys)
			d.keys = d.keys[:f.kbase]
			if len(d.frames) == 0 {
				return d.finish(m, i)
			}
			v = m
		} else {
			a := make([]any, len(elems))
			copy(a, elems)
			v = a
		}
		clear(elems)
		d.vals = append(d.vals[:f.start], v)
		state = afterValue
	}
}

// finish checks what follows the top-level object and reports the
// refusals held back until the input was known to be well-formed.
func (d *decoder) finish(m map[string]any, i int) (map[string]any, error) {
	if i = skipSpace(d.data, i); i < len(d.data) {
		return nil, d.fail(ErrTrailingData, i, "data after the top-level object")
	}
	if d.dup != nil {
		return nil, d.dup
	}
	if d.nulOff >= 0 {
		return nil, &Error{Err: ErrNUL, Offset: d.nulOff, Detail: "NUL character in a string"}
	}
	return m, nil
}

// addKey records the key of the innermost object, noting the first
// duplicate.
func (d *decoder) addKey(s string, ascii bool, off int) {
	f := &d.frames[len(d.frames)-1]
	k := keyEnt{s: s, ascii: ascii}
	if d.dup == nil {
		prev := d.keys[f.kbase:]
		dup := false
		if f.index != nil {
			lower := strings.ToLower(s)
			if _, dup = f.index[lower]; !dup {
				f.index[lower] = struct{}{}
			}
		} else {
			for _, p := range prev {
				if sameKey(p, k) {
					dup = true
					break
				}
			}
			if !dup && len(prev)+1 >= indexAt {
				f.index = make(map[string]struct{}, 2*indexAt)
				for _, p := range prev {
					f.index[strings.ToLower(p.s)] = struct{}{}
				}
				f.index[strings.ToLower(s)] = struct{}{}
			}
		}
		if dup {
			d.dup = &Error{Err: ErrDuplicateKey, Offset: off, Key: s,
				Detail: "key " + strconv.Quote(s) + " appears twice in one object"}
			// The input is still decoded to the end, for a malformation
			// to take precedence; its keys need no more checking.
		}
	}
	d.keys = append(d.keys, k)
}

// sameKey reports whether strings.ToLower(a.s) == strings.ToLower(b.s)
// without allocating.
func sameKey(a, b keyEnt) bool {
	if a.ascii && b.ascii {
		if len(a.s) != len(b.s) {
			return false
		}
		for i := 0; i < len(a.s); i++ {
			x, y := a.s[i], b.s[i]
			if x == y {
				continue
			}
			if 'A' <= x && x <= 'Z' {
				x += 'a' - 'A'
			}
			if 'A' <= y && y <= 'Z' {
				y += 'a' - 'A'
			}
			if x != y {
				return false
			}
		}
		return true
	}
	// strings.ToLower maps rune by rune with unicode.ToLower, which can
	// change a rune's length (U+212A KELVIN SIGN lowers to 'k'), so the
	// runes are compared, not the bytes.
	s, t := a.s, b.s
	for s != "" && t != "" {
		var r, q rune
		r, s = nextRune(s)
		q, t = nextRune(t)
		if r != q && unicode.ToLower(r) != unicode.ToLower(q) {
			return false
		}
	}
	return s == "" && t == ""
}

// nextRune splits the first rune off s, which is not empty.
func nextRune(s string) (rune, string) {
	if s[0] < utf8.RuneSelf {
		return rune(s[0]), s[1:]
	}
	r, n := utf8.DecodeRuneInString(s)
	return r, s[n:]
}

// plain[c] is set for the bytes that stand for themselves in a string:
// printable ASCII other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str decodes the string whose opening quote is data[i]. It returns the
// string, whether it is all ASCII and the offset after its closing quote.
func (d *decoder) str(i int) (string, bool, int, error) {
	data := d.data
	start := i + 1
	ascii := true
	for i = start; i < len(data); {
		c := data[i]
		if plain[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			return string(data[start:i]), ascii, i + 1, nil
		case c == '\\':
			return d.strEscaped(start, i, ascii)
		case c < 0x20:
			return "", false, 0, d.badChar(i, "in string literal")
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return "", false, 0, d.fail(ErrInvalidUTF8, i, "invalid UTF-8")
		}
		ascii = false
		i += n
	}
	return "", false, 0, d.fail(ErrSyntax, len(data), "unexpected end of JSON input")
}

// strEscaped continues str from the first backslash at data[i], building
// the string in d.buf.
func (d *decoder) strEscaped(start, i int, ascii bool) (string, bool, int, error) {
	data := d.data
	b := append(d.buf[:0], data[start:i]...)
	defer func() { d.buf = b[:0] }()
	for i < len(data) {
		c := data[i]
		if plain[c] {
			b = append(b, c)
			i++
			continue
		}
		switch {
		case c == '"':
			return string(b), ascii, i + 1, nil
		case c < 0x20:
			return "", false, 0, d.badChar(i, "in string literal")
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				return "", false, 0, d.fail(ErrInvalidUTF8, i, "invalid UTF-8")
			}
			ascii = false
			b = append(b, data[i:i+n]...)
			i += n
			continue
		}
		// A backslash.
		if i+1 == len(data) {
			return "", false, 0, d.fail(ErrSyntax, len(data), "unexpected end of JSON input")
		}
		switch e := data[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, err := d.hex4(i + 2)
			if err != nil {
				return "", false, 0, err
			}
			i += 6
			if r == 0 && d.nulOff < 0 {
				d.nulOff = start - 1
			}
			if r >= 0xD800 && r < 0xE000 {
				// As encoding/json: a high surrogate followed by an
				// escaped low one is a pair; any other surrogate is
				// U+FFFD, and whatever follows is decoded on its own.
				if r < 0xDC00 && i+6 <= len(data) && data[i] == '\\' && data[i+1] == 'u' {
					if lo, ok := hexVal(data[i+2 : i+6]); ok && lo >= 0xDC00 && lo < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			if r >= utf8.RuneSelf {
				ascii = false
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", false, 0, d.badChar(i+1, "in string escape code")
		}
		i += 2
	}
	return "", false, 0, d.fail(ErrSyntax, len(data), "unexpected end of JSON input")
}

// hex4 reads the four hex digits of a \u escape at data[i:].
func (d *decoder) hex4(i int) (rune, error) {
	var r rune
	for j := i; j < i+4; j++ {
		if j == len(d.data) {
			return 0, d.fail(ErrSyntax, j, "unexpected end of JSON input")
		}
		v := unhex(d.data[j])
		if v < 0 {
			return 0, d.badChar(j, `in \u hexadecimal character escape`)
		}
		r = r<<4 | v
	}
	return r, nil
}

func hexVal(h []byte) (rune, bool) {
	var r rune
	for _, c := range h {
		v := unhex(c)
		if v < 0 {
			return 0, false
		}
		r = r<<4 | v
	}
	return r, true
}

func unhex(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// number checks the number starting at data[i] against the JSON grammar
// and returns the offset after it.
func (d *decoder) number(i int) (int, error) {
	data := d.data
	digits := func(i int) int {
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		return i
	}
	// need reports the error for a missing digit at data[i].
	need := func(i int, context string) error {
		if i == len(data) {
			return d.fail(ErrSyntax, i, "unexpected end of JSON input")
		}
		return d.badChar(i, context)
	}
	if data[i] == '-' {
		i++
		if i == len(data) || data[i] < '0' || data[i] > '9' {
			return 0, need(i, "in numeric literal")
		}
	}
	if data[i] == '0' {
		i++
	} else {
		i = digits(i)
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i == len(data) || data[i] < '0' || data[i] > '9' {
			return 0, need(i, "after decimal point in numeric literal")
		}
		i = digits(i)
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i == len(data) || data[i] < '0' || data[i] > '9' {
			return 0, need(i, "in exponent of numeric literal")
		}
		i = digits(i)
	}
	return i, nil
}

// literal checks that data[i:] starts with lit (true, false or null).
func (d *decoder) literal(i int, lit string) error {
	for j := 1; j < len(lit); j++ {
		if i+j == len(d.data) {
			return d.fail(ErrSyntax, i+j, "unexpected end of JSON input")
		}
		if d.data[i+j] != lit[j] {
			return d.badChar(i+j, "in literal "+lit+" (expecting "+quoteChar(lit[j])+")")
		}
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// badChar reports the unexpected byte data[i] in encoding/json's words.
func (d *decoder) badChar(i int, context string) error {
	return d.fail(ErrSyntax, i, "invalid character "+quoteChar(d.data[i])+" "+context)
}

// fail returns a malformation found at data[i], unless the input has
// invalid UTF-8, which takes precedence. Everything before i has been
// checked already, so only the rest needs looking at, and only on this
// error path.
func (d *decoder) fail(kind error, i int, detail string) error {
	if kind != ErrInvalidUTF8 {
		if bad := firstInvalidUTF8(d.data[i:]); bad >= 0 {
			kind, i, detail = ErrInvalidUTF8, i+bad, "invalid UTF-8"
		}
	}
	return &Error{Err: kind, Offset: i, Detail: detail}
}

// firstInvalidUTF8 returns the offset of the first byte of b that is not
// part of valid UTF-8, or -1.
func firstInvalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1 // not reached
}

// quoteChar formats c as encoding/json does in its syntax errors.
func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}
