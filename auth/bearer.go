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

// TokenSet is a fixed set of accepted bearer tokens, kept as hashes.
// Bearer serves it; other middleware (package directory's, which looks
// tokens up in a store) can accept it as one source among others.
type TokenSet struct {
	entries []tokenEntry
}

type tokenEntry struct {
	hash [sha256.Size]byte
	p    Principal
}

// NewTokenSet checks tokens and returns them as a set. It needs at least
// one token.
func NewTokenSet(tokens []Token) (*TokenSet, error) {
	entries := make([]tokenEntry, 0, len(tokens))
	for _, t := range tokens {
		raw, err := hex.DecodeString(t.Hash)
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("auth: token %q: Hash must be a hex SHA-256", t.ID)
		}
		var e tokenEntry
		copy(e.hash[:], raw)
		e.p = t.Principal
		if e.p.CredentialID == "" {
			e.p.CredentialID = t.ID
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return nil, errors.New("auth: a token set needs at least one token")
	}
	return &TokenSet{entries: entries}, nil
}

// Match returns the Principal of the token presented, if it is in the set.
// The presented token is hashed and compared against every stored hash in
// constant time, so timing does not reveal which (or whether an early)
// token matched.
func (s *TokenSet) Match(presented string) (Principal, bool) {
	sum := sha256.Sum256([]byte(presented))
	match := -1
	for i := range s.entries {
		if subtle.ConstantTimeCompare(sum[:], s.entries[i].hash[:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return Principal{}, false
	}
	return s.entries[match].p, true
}

// Bearer returns middleware that accepts requests carrying any of tokens
// in an "Authorization: Bearer" header and stores the token's Principal in
// the request context. Several tokens may be valid at once, so a token can
// be rotated without downtime. Every presented token is hashed and compared
// against every stored hash in constant time (TokenSet). Rejections are 401
// with a SCIM error body and WWW-Authenticate; they are logged at warn level
// to logger (slog.Default() when nil).
func Bearer(tokens []Token, logger *slog.Logger) (func(http.Handler) http.Handler, error) {
	if logger == nil {
		logger = slog.Default()
	}
	set, err := NewTokenSet(tokens)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			presented, ok := BearerToken(r)
			if !ok {
				Reject(w, r, logger, "Bearer", "missing or malformed bearer token", "")
				return
			}
			p, ok := set.Match(presented)
			if !ok {
				Reject(w, r, logger, "Bearer", "unknown bearer token", "")
				return
			}
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), p)))
		})
	}, nil
}

// BearerToken returns the token of the request's "Authorization: Bearer"
// header, if it has one.
func BearerToken(r *http.Request) (string, bool) { return bearerToken(r.Header.Get("Authorization")) }

func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
