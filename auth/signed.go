package auth

import (
	"bytes"
	"crypto/hmac"
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
//	X-Scimkit-Signature: t=1764036000,v1=5257a869e7ecebed...
//
// t is the Unix time of signing; v1 is the hex HMAC-SHA256, under a shared
// secret, of the canonical string
//
//	METHOD "\n" REQUEST-URI "\n" t "\n" hex(SHA-256(body))
//
// where REQUEST-URI is the path with query exactly as sent on the wire.
const SignatureHeader = "X-Scimkit-Signature"

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
// requests are rejected with 401 and a SCIM error body. It reads the body
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
			ts, sig, err := ParseSignatureHeader(r.Header.Get(SignatureHeader))
			if err != nil {
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
			base := canonical(r.Method, uri, ts, body)
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

// ParseSignatureHeader parses "t=<unix seconds>,v1=<hex HMAC-SHA256>".
// Unknown fields are ignored; t and exactly one v1 are required.
func ParseSignatureHeader(h string) (ts int64, sig []byte, err error) {
	if strings.TrimSpace(h) == "" {
		return 0, nil, errors.New("missing signature header")
	}
	var haveT bool
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, errors.New("malformed signature header")
		}
		switch k {
		case "t":
			if haveT {
				return 0, nil, errors.New("duplicate t in signature header")
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return 0, nil, errors.New("malformed signature timestamp")
			}
			ts, haveT = n, true
		case "v1":
			if sig != nil {
				return 0, nil, errors.New("duplicate v1 in signature header")
			}
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return 0, nil, errors.New("malformed signature")
			}
			sig = b
		}
	}
	if !haveT || sig == nil {
		return 0, nil, errors.New("signature header needs t and v1")
	}
	return ts, sig, nil
}

func canonical(method, uri string, ts int64, body []byte) []byte {
	sum := sha256.Sum256(body)
	var b bytes.Buffer
	b.WriteString(strings.ToUpper(method))
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(ts, 10))
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
// setting SignatureHeader. It reads the body and replaces it with an
// identical one, so the request can still be sent. Relays and tests use it.
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
	sig := mac(secret, canonical(req.Method, req.URL.RequestURI(), ts, body))
	req.Header.Set(SignatureHeader, "t="+strconv.FormatInt(ts, 10)+",v1="+hex.EncodeToString(sig))
	return nil
}

var _ ReplayCache = (*MemoryReplayCache)(nil)
