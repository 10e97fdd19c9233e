package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// Token is one accepted bearer token, kept only as the SHA-256 hash of its
// plaintext so that a leaked configuration or database reveals no
// credential.
type Token struct {
	// ID names the token in logs and audit records. Never the secret.
	ID string
	// Hash is the hex SHA-256 of the plaintext token, as returned by
	// NewToken or HashToken.
	Hash string
	// Principal is who the token authenticates as. CredentialID defaults
	// to ID.
	Principal Principal
}

// HashToken returns the hex SHA-256 of a plaintext token, the form a Token
// keeps.
func HashToken(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// NewToken generates a high-entropy (256-bit) token. The plaintext is shown
// to the IdP administrator once; only the hash is stored.
func NewToken() (plaintext, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("auth: generating token: %w", err)
	}
	plaintext = "scim_" + base64.RawURLEncoding.EncodeToString(b[:])
	return plaintext, HashToken(plaintext), nil
}

// Bearer returns middleware that accepts requests carrying any of tokens
// in an "Authorization: Bearer" header and stores the token's Principal in
// the request context. Several tokens may be valid at once, so a token can
// be rotated without downtime. Every presented token is hashed and compared
// against every stored hash in constant time. Rejections are 401 with a
// SCIM error body and WWW-Authenticate; they are logged at warn level to
// logger (slog.Default() when nil).
func Bearer(tokens []Token, logger *slog.Logger) (func(http.Handler) http.Handler, error) {
	if logger == nil {
		logger = slog.Default()
	}
	type entry struct {
		hash [sha256.Size]byte
		p    Principal
	}
	entries := make([]entry, 0, len(tokens))
	for _, t := range tokens {
		raw, err := hex.DecodeString(t.Hash)
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("auth: token %q: Hash must be a hex SHA-256", t.ID)
		}
		var e entry
		copy(e.hash[:], raw)
		e.p = t.Principal
		if e.p.CredentialID == "" {
			e.p.CredentialID = t.ID
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return nil, errors.New("auth: Bearer needs at least one token")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			presented, ok := bearerToken(r.Header.Get("Authorization"))
			if !ok {
				Reject(w, r, logger, "Bearer", "missing or malformed bearer token", "")
				return
			}
			sum := sha256.Sum256([]byte(presented))
			match := -1
			for i := range entries {
				// Compare against all entries, so timing does not reveal
				// which (or whether an early) token matched.
				if subtle.ConstantTimeCompare(sum[:], entries[i].hash[:]) == 1 {
					match = i
				}
			}
			if match < 0 {
				Reject(w, r, logger, "Bearer", "unknown bearer token", "")
				return
			}
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), entries[match].p)))
		})
	}, nil
}

func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
