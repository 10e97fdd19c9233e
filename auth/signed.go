package auth

import (
	"bytes"
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

// SignedOptions configure Signed. Only Keys is required.
type SignedOptions struct {
	Keys []SigningKey
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
	if len(opts.Keys) == 0 {
		return nil, errors.New("auth: Signed needs at least one key")
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
			ts, nonce, sig, err := ParseSignatureHeader(r.Header.Get(SignatureHeader))
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
			p := keys[match].Principal
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
	if strings.TrimSpace(h) == "" {
		return 0, "", nil, errors.New("missing signature header")
	}
	var haveT, haveN, haveV1 bool
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, "", nil, errors.New("malformed signature header")
		}
		switch k {
		case "t":
			if haveT {
				return 0, "", nil, errors.New("duplicate t in signature header")
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return 0, "", nil, errors.New("malformed signature timestamp")
			}
			ts, haveT = n, true
		case "n":
			if haveN {
				return 0, "", nil, errors.New("duplicate n in signature header")
			}
			if !ValidNonce(v) {
				return 0, "", nil, fmt.Errorf("%w: n must be %d to %d characters of A-Z a-z 0-9 - _",
					ErrMalformedNonce, MinNonceLen, MaxNonceLen)
			}
			nonce, haveN = v, true
		case "v1":
			haveV1 = true
		case "v2":
			if sig != nil {
				return 0, "", nil, errors.New("duplicate v2 in signature header")
			}
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return 0, "", nil, errors.New("malformed signature")
			}
			sig = b
		}
	}
	switch {
	case sig == nil && haveV1:
		return 0, "", nil, fmt.Errorf("%w: signature scheme v1 is no longer accepted; sign with v2, "+
			"which covers a fresh nonce n for every request (auth.Sign does)", ErrNonceRequired)
	case !haveT || sig == nil:
		return 0, "", nil, errors.New("signature header needs t, n and v2")
	case !haveN:
		return 0, "", nil, fmt.Errorf("%w: the signature header needs n, a fresh nonce for every request", ErrNonceRequired)
	}
	return ts, nonce, sig, nil
}

// ValidNonce reports whether n may be a signature nonce: MinNonceLen to
// MaxNonceLen characters of A-Z, a-z, 0-9, '-' and '_' (so base64url,
// base32, hex and UUIDs all fit).
func ValidNonce(n string) bool {
	if len(n) < MinNonceLen || len(n) > MaxNonceLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
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
	req.Header.Set(SignatureHeader, "t="+strconv.FormatInt(ts, 10)+",n="+nonce+",v2="+hex.EncodeToString(sig))
	return nil
}

var _ ReplayCache = (*MemoryReplayCache)(nil)
