package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the header a signed request carries:
//
//	X-Scimkit-Signature: t=1764036000,n=KJ4GZ3Q7TBXN2M5WVYRPD6ECHA,v2=5257a869e7ecebed...
//
// t is the Unix time of signing; n is the nonce, fresh for every request
// (see ValidNonce); v2 is the hex HMAC-SHA256, under a shared secret, of the
// canonical string
//
//	METHOD "\n" REQUEST-URI "\n" t "\n" n "\n" hex(SHA-256(body))
//
// where REQUEST-URI is the path with query exactly as sent on the wire.
// The nonce makes two honest, identical requests (the same GET twice in a
// second, a retry) carry different signatures, so only a signature presented
// a second time is a replay.
//
// A header may also carry k=<key id>, naming the key it is signed with
// (SignKey sets it): a KeySource then finds that one key in O(1) instead
// of every key being tried. The key id is not signed: another key id only
// selects another key, under which the signature does not verify. Key ids
// are 1 to MaxKeyIDLen characters of A-Z a-z 0-9 - _.
//
// Scheme v1 signed the same string without the nonce, so identical requests
// could not be told from replays. It is no longer accepted: a header with v1
// and no v2 is refused with 401 and a detail saying the nonce (scheme v2) is
// required. Sign produces v2.
const SignatureHeader = "X-Scimkit-Signature"

// MinNonceLen is the shortest nonce accepted: shorter ones are too easily
// repeated by chance, which would make an honest request look like a replay.
const MinNonceLen = 16

// MaxNonceLen is the longest nonce accepted, so a header cannot make the
// middleware or a log line carry an unbounded value.
const MaxNonceLen = 64

// MaxKeyIDLen is the longest key id a signature header may name.
const MaxKeyIDLen = 64

// ErrNonceRequired is wrapped by the error ParseSignatureHeader returns for a
// header without a nonce: scheme v1, or v2 without n.
var ErrNonceRequired = errors.New("signature nonce required")

// ErrMalformedNonce is wrapped by the error ParseSignatureHeader returns for
// a nonce that ValidNonce refuses.
var ErrMalformedNonce = errors.New("malformed signature nonce")

// DefaultTolerance is how far a signature's timestamp may be from the
// server's clock.
const DefaultTolerance = 5 * time.Minute

// SigningKey is one accepted HMAC secret and who it authenticates as.
// Several keys may be valid at once, so a secret can be rotated without
// downtime.
type SigningKey struct {
	// ID names the key in logs and audit records; never the secret.
	ID string
	// Secret is the shared HMAC key: at least 32 random bytes.
	Secret []byte
	// Principal is who a request signed with this key acts as.
	// CredentialID defaults to ID.
	Principal Principal
}

// KeySource finds signing keys by the key id a signature header names
// (k=), for keys created at runtime (package directory's SigningKeys).
type KeySource interface {
	// SigningKey returns the key named id; ok is false for none, which
	// Signed refuses like a wrong signature. An error makes Signed answer
	// 503, so the client retries.
	SigningKey(ctx context.Context, id string) (key SigningKey, ok bool, err error)
}

// SignedOptions configure Signed. Keys or Source is required.
type SignedOptions struct {
	// Keys are the static keys, tried in turn for a header without a key
	// id (and for one whose id Source does not know).
	Keys []SigningKey
	// Source looks up the key a header's k= names.
	Source KeySource
	// Tolerance is the accepted clock skew and the replay window; default
	// DefaultTolerance.
	Tolerance time.Duration
	// Replay remembers seen signatures; default a new MemoryReplayCache.
	Replay ReplayCache
	// MaxBodyBytes bounds the body read to verify the signature; larger
	// bodies get 413. Default 1 MiB.
	MaxBodyBytes int64
	// Logger receives rejections at warn level; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Signed returns middleware that accepts only requests signed with one of
// opts.Keys (see SignatureHeader): unsigned, tampered, stale or replayed
// requests, and requests signed without a valid nonce (scheme v1), are
// rejected with 401 and a SCIM error body. It reads the body
// (up to MaxBodyBytes) to verify it and hands the same bytes on. Any error
// of the replay cache denies the request.
func Signed(opts SignedOptions) (func(http.Handler) http.Handler, error) {
	if len(opts.Keys) == 0 && opts.Source == nil {
		return nil, errors.New("auth: Signed needs at least one key or a KeySource")
	}
	for _, k := range opts.Keys {
		if len(k.Secret) < 32 {
			return nil, fmt.Errorf("auth: signing key %q: secret must be at least 32 bytes", k.ID)
		}
	}
	if opts.Tolerance <= 0 {
		opts.Tolerance = DefaultTolerance
	}
	if opts.Replay == nil {
		opts.Replay = NewMemoryReplayCache()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	keys := make([]SigningKey, len(opts.Keys))
	copy(keys, opts.Keys)
	for i := range keys {
		keys[i].Secret = bytes.Clone(keys[i].Secret)
		if keys[i].Principal.CredentialID == "" {
			keys[i].Principal.CredentialID = keys[i].ID
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reject := func(reason, tenant string) { Reject(w, r, opts.Logger, "Signature", reason, tenant) }
			parsed, err := ParseSignature(r.Header.Get(SignatureHeader))
			ts, nonce, sig := parsed.Time, parsed.Nonce, parsed.MAC
			if err != nil {
				if errors.Is(err, ErrNonceRequired) || errors.Is(err, ErrMalformedNonce) {
					// Only the header's format, known to anyone who reads
					// the docs, and nothing about keys: say what to fix, so
					// a client still signing the old way learns why.
					reject401(w, r, opts.Logger, "Signature", err.Error(), "", err.Error())
					return
				}
				reject(err.Error(), "")
				return
			}
			now := opts.Now()
			signedAt := time.Unix(ts, 0)
			if d := now.Sub(signedAt); d > opts.Tolerance || d < -opts.Tolerance {
				reject("signature timestamp outside the tolerance window", "")
				return
			}
			body, err := readBody(w, r, opts.MaxBodyBytes)
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
					return
				}
				reject("reading body: "+err.Error(), "")
				return
			}
			uri := r.RequestURI
			if uri == "" {
				uri = r.URL.RequestURI()
			}
			base := canonical(r.Method, uri, ts, nonce, body)
			var p Principal
			verified := false
			if parsed.KeyID != "" && opts.Source != nil {
				key, ok, err := opts.Source.SigningKey(r.Context(), parsed.KeyID)
				if err != nil {
					opts.Logger.ErrorContext(r.Context(), "auth: looking up a signing key failed", slog.Any("error", err))
					writeError(w, http.StatusServiceUnavailable, "authentication is unavailable; retry later")
					return
				}
				if ok && hmac.Equal(sig, mac(key.Secret, base)) {
					p, verified = key.Principal, true
					if p.CredentialID == "" {
						p.CredentialID = key.ID
					}
				}
			}
			if !verified {
				match := -1
				for i := range keys {
					// Check every key, so timing does not reveal which matched.
					if hmac.Equal(sig, mac(keys[i].Secret, base)) {
						match = i
					}
				}
				if match < 0 {
					reject("signature does not verify", "")
					return
				}
				p = keys[match].Principal
			}
			// The signature covers the nonce, so it names this nonce on
			// this request; it is also of fixed length, which keeps the
			// cache's entries small whatever the nonce.
			seen, err := opts.Replay.Seen(r.Context(), hex.EncodeToString(sig), signedAt.Add(opts.Tolerance))
			if err != nil {
				reject("replay cache: "+err.Error(), p.Tenant)
				return
			}
			if seen {
				reject("replayed signature", p.Tenant)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), p)))
		})
	}, nil
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	defer r.Body.Close()
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// ParseSignatureHeader parses "t=<unix seconds>,n=<nonce>,v2=<hex
// HMAC-SHA256>" (see SignatureHeader). Fields may come in any order; unknown
// ones are ignored, and so is a v1 next to a v2. t, n and exactly one v2 are
// required. A header without a nonce (scheme v1, or v2 without n) gives an
// error wrapping ErrNonceRequired; a nonce ValidNonce refuses, one wrapping
// ErrMalformedNonce.
func ParseSignatureHeader(h string) (ts int64, nonce string, sig []byte, err error) {
	s, err := ParseSignature(h)
	return s.Time, s.Nonce, s.MAC, err
}

// Signature is a parsed SignatureHeader.
type Signature struct {
	// Time is t, the Unix time of signing.
	Time int64
	// Nonce is n.
	Nonce string
	// KeyID is k, "" when the header names no key.
	KeyID string
	// MAC is v2, the HMAC-SHA256.
	MAC []byte
}

// ParseSignature parses a SignatureHeader as ParseSignatureHeader does,
// with its key id. A key id that is not 1 to MaxKeyIDLen characters of
// A-Z a-z 0-9 - _ is an error.
func ParseSignature(h string) (Signature, error) {
	ts, nonce, keyID, sig, err := parseSignature(h)
	return Signature{Time: ts, Nonce: nonce, KeyID: keyID, MAC: sig}, err
}

func parseSignature(h string) (ts int64, nonce, keyID string, sig []byte, err error) {
	fail := func(err error) (int64, string, string, []byte, error) { return 0, "", "", nil, err }
	if strings.TrimSpace(h) == "" {
		return fail(errors.New("missing signature header"))
	}
	var haveT, haveN, haveK, haveV1 bool
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fail(errors.New("malformed signature header"))
		}
		switch k {
		case "t":
			if haveT {
				return fail(errors.New("duplicate t in signature header"))
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return fail(errors.New("malformed signature timestamp"))
			}
			ts, haveT = n, true
		case "n":
			if haveN {
				return fail(errors.New("duplicate n in signature header"))
			}
			if !ValidNonce(v) {
				return fail(fmt.Errorf("%w: n must be %d to %d characters of A-Z a-z 0-9 - _",
					ErrMalformedNonce, MinNonceLen, MaxNonceLen))
			}
			nonce, haveN = v, true
		case "k":
			if haveK {
				return fail(errors.New("duplicate k in signature header"))
			}
			if len(v) == 0 || len(v) > MaxKeyIDLen || !headerToken(v) {
				return fail(fmt.Errorf("malformed key id: k must be 1 to %d characters of A-Z a-z 0-9 - _", MaxKeyIDLen))
			}
			keyID, haveK = v, true
		case "v1":
			haveV1 = true
		case "v2":
			if sig != nil {
				return fail(errors.New("duplicate v2 in signature header"))
			}
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return fail(errors.New("malformed signature"))
			}
			sig = b
		}
	}
	switch {
	case sig == nil && haveV1:
		return fail(fmt.Errorf("%w: signature scheme v1 is no longer accepted; sign with v2, "+
			"which covers a fresh nonce n for every request (auth.Sign does)", ErrNonceRequired))
	case !haveT || sig == nil:
		return fail(errors.New("signature header needs t, n and v2"))
	case !haveN:
		return fail(fmt.Errorf("%w: the signature header needs n, a fresh nonce for every request", ErrNonceRequired))
	}
	return ts, nonce, keyID, sig, nil
}

// ValidNonce reports whether n may be a signature nonce: MinNonceLen to
// MaxNonceLen characters of A-Z, a-z, 0-9, '-' and '_' (so base64url,
// base32, hex and UUIDs all fit).
func ValidNonce(n string) bool {
	return len(n) >= MinNonceLen && len(n) <= MaxNonceLen && headerToken(n)
}

// headerToken reports whether s is made of A-Z, a-z, 0-9, '-' and '_'
// only, the characters of nonces and key ids.
func headerToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// newNonce returns a fresh random nonce: 26 characters of base32, 128 bits.
func newNonce() string { return rand.Text() }

func canonical(method, uri string, ts int64, nonce string, body []byte) []byte {
	sum := sha256.Sum256(body)
	var b bytes.Buffer
	b.WriteString(strings.ToUpper(method))
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(ts, 10))
	b.WriteByte('\n')
	b.WriteString(nonce)
	b.WriteByte('\n')
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.Bytes()
}

func mac(secret, msg []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(msg)
	return m.Sum(nil)
}

// Sign signs an outgoing request with secret at time at (use time.Now()),
// setting SignatureHeader with scheme v2 and a fresh random nonce. It
// reads the body and replaces it with an identical one, so the request can
// still be sent. Relays and tests use it.
//
// Call Sign for every request sent, retries included: a signed request is
// accepted once, so re-sending the same signed header is refused as a
// replay, while re-signing gives it a new nonce.
func Sign(req *http.Request, secret []byte, at time.Time) error {
	return SignKey(req, "", secret, at)
}

// SignKey is Sign naming the key: the header carries k=keyID, so that a
// server with a KeySource finds the key at once. keyID "" names none.
func SignKey(req *http.Request, keyID string, secret []byte, at time.Time) error {
	if keyID != "" && (len(keyID) > MaxKeyIDLen || !headerToken(keyID)) {
		return fmt.Errorf("auth: key id %q is not 1 to %d characters of A-Z a-z 0-9 - _", keyID, MaxKeyIDLen)
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return fmt.Errorf("auth: reading body to sign: %w", err)
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	ts := at.Unix()
	nonce := newNonce()
	sig := mac(secret, canonical(req.Method, req.URL.RequestURI(), ts, nonce, body))
	k := ""
	if keyID != "" {
		k = ",k=" + keyID
	}
	req.Header.Set(SignatureHeader, "t="+strconv.FormatInt(ts, 10)+",n="+nonce+k+",v2="+hex.EncodeToString(sig))
	return nil
}

var _ ReplayCache = (*MemoryReplayCache)(nil)
