package directory

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scimkit/scimkit/store"
)

// CredentialKind is what a credential is.
type CredentialKind string

// The kinds of credential.
const (
	// BearerToken credentials are tokens an IdP sends in an
	// "Authorization: Bearer" header. Only their hash is stored.
	BearerToken CredentialKind = "bearer"
	// SigningSecret credentials are HMAC secrets a client signs requests
	// with (auth.SignKey, auth.Signed). Verifying needs the secret itself,
	// so the store keeps it as it is: protect the database accordingly, or
	// prefer bearer tokens.
	SigningSecret CredentialKind = "hmac"
)

// Credential is one secret a directory's IdP authenticates with. A bearer
// token is kept as its SHA-256 only, shown once when NewBearerToken makes
// it; a signing secret is kept as it is (see SigningSecret). Neither is
// ever encoded to JSON.
type Credential struct {
	// ID is the public key id, part of the token; the middleware finds
	// the credential by it.
	ID string
	// Tenant and Directory are the directory the credential acts for.
	Tenant, Directory string
	Kind              CredentialKind
	// Name is what the admin called it ("Okta, rotated 2026-12").
	Name string
	// Scopes are the permissions it carries (auth.Principal.Scopes); nil
	// means all.
	Scopes []string
	// Hash is the SHA-256 of a bearer token. ListCredentials leaves it
	// out.
	Hash []byte `json:"-"`
	// Secret is the HMAC secret of a SigningSecret credential.
	// ListCredentials leaves it out.
	Secret []byte `json:"-"`
	// Created is set by the store. Expires, when set, ends the credential
	// (a rotated credential expires at the end of the overlap); Revoked,
	// when set, ended it at once.
	Created, Expires, Revoked time.Time
	// LastUsed is when a request last authenticated with it, recorded in
	// batches (at most AuthOptions.TouchInterval late); zero for never.
	LastUsed time.Time
}

// Scope is the store scope of the directory the credential acts for.
func (c *Credential) Scope() store.Scope {
	return store.Scope{Tenant: c.Tenant, Directory: c.Directory}
}

// Usable reports whether the credential is neither revoked nor expired at t.
func (c *Credential) Usable(t time.Time) bool {
	return c.Revoked.IsZero() && (c.Expires.IsZero() || t.Before(c.Expires))
}

// Clone returns a deep copy of c.
func (c *Credential) Clone() *Credential {
	out := *c
	out.Scopes = slices.Clone(c.Scopes)
	out.Hash = slices.Clone(c.Hash)
	out.Secret = slices.Clone(c.Secret)
	return &out
}

// tokenPrefix starts every token NewBearerToken makes. auth.NewToken's
// static tokens start with "scim_", so the two never look alike.
const tokenPrefix = "scimkit_"

// keyIDLen is the length of a key id: 20 characters of lower-case base32,
// 96 random bits.
const keyIDLen = 20

var keyIDEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewBearerToken makes a bearer credential for the directory scope names and
// returns it with its token, "scimkit_<key id>_<secret>": 256 random bits
// of secret. Show the token once; save the credential with
// CredentialStore.CreateCredential, which keeps only its hash.
func NewBearerToken(scope store.Scope, name string, scopes []string) (token string, c *Credential, err error) {
	var id [keyIDLen * 5 / 8]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", nil, fmt.Errorf("directory: generating a key id: %w", err)
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", nil, fmt.Errorf("directory: generating a token: %w", err)
	}
	c = &Credential{
		ID:     keyIDEncoding.EncodeToString(id[:]),
		Tenant: scope.Tenant, Directory: scope.Directory,
		Kind: BearerToken, Name: name, Scopes: slices.Clone(scopes),
	}
	token = tokenPrefix + c.ID + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	sum := sha256.Sum256([]byte(token))
	c.Hash = sum[:]
	return token, c, nil
}

// NewSigningSecret makes a signing-secret credential for the directory
// scope names and returns it with its secret: 43 characters of base64url
// text, 256 random bits, used as the HMAC key as it is
// (auth.SignKey(req, c.ID, []byte(secret), now)). Show the secret and the
// key id c.ID once; save the credential with CreateCredential.
func NewSigningSecret(scope store.Scope, name string, scopes []string) (secret string, c *Credential, err error) {
	token, c, err := NewBearerToken(scope, name, scopes)
	if err != nil {
		return "", nil, err
	}
	secret = token[len(tokenPrefix)+keyIDLen+1:]
	c.Kind, c.Hash, c.Secret = SigningSecret, nil, []byte(secret)
	return secret, c, nil
}

// TokenKeyID returns the key id of a token NewBearerToken made, and false
// for any other string (a static auth.Token, garbage), without looking
// anything up.
func TokenKeyID(token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok || len(rest) < keyIDLen+2 || rest[keyIDLen] != '_' {
		return "", false
	}
	id := rest[:keyIDLen]
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return "", false
		}
	}
	return id, true
}

// Matches reports, in constant time, whether token is the bearer
// credential's token.
func (c *Credential) Matches(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return c.Kind == BearerToken && len(c.Hash) == sha256.Size && subtle.ConstantTimeCompare(sum[:], c.Hash) == 1
}

// CheckEnd is what CredentialStore.EndCredential checks of its time: a
// credential cannot end at the zero time.
func CheckEnd(at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("%w: a credential cannot end at the zero time; pass the time it ends, such as time.Now()", ErrInvalid)
	}
	return nil
}

// Validate checks c's fields as a CredentialStore does before saving it.
// The error wraps ErrInvalid.
func (c *Credential) Validate() error {
	switch {
	case c.Kind != BearerToken && c.Kind != SigningSecret:
		return fmt.Errorf("%w: credential kind %q is not %s or %s", ErrInvalid, c.Kind, BearerToken, SigningSecret)
	case c.Kind == BearerToken && len(c.Hash) != sha256.Size:
		return fmt.Errorf("%w: bearer credential %s has no token hash", ErrInvalid, c.ID)
	case c.Kind == SigningSecret && len(c.Secret) < 32:
		return fmt.Errorf("%w: signing credential %s needs a secret of at least 32 bytes", ErrInvalid, c.ID)
	}
	if len(c.ID) != keyIDLen {
		return fmt.Errorf("%w: credential id %q is not a key id made by NewBearerToken", ErrInvalid, c.ID)
	}
	if _, ok := TokenKeyID(tokenPrefix + c.ID + "_x"); !ok {
		return fmt.Errorf("%w: credential id %q is not a key id made by NewBearerToken", ErrInvalid, c.ID)
	}
	if len(c.Name) > MaxNameLen {
		return fmt.Errorf("%w: credential name is %d bytes long; the limit is %d", ErrInvalid, len(c.Name), MaxNameLen)
	}
	if len(c.Scopes) > 64 {
		return fmt.Errorf("%w: a credential carries at most 64 scopes", ErrInvalid)
	}
	for _, s := range c.Scopes {
		if s == "" || len(s) > 255 {
			return fmt.Errorf("%w: credential scope %q", ErrInvalid, s)
		}
	}
	return nil
}

// CredentialStore keeps directories' credentials. The implementations of
// Store in this module implement it too, on the same data: a credential
// needs its directory to exist, and deleting a directory deletes its
// credentials. Methods that change a credential take the scope of its
// directory, so that one tenant's admin page cannot reach another's
// credential by guessing its id.
type CredentialStore interface {
	// CreateCredential saves c and sets its Created time. Its directory
	// must exist (ErrNotFound); an id already used gives ErrExists.
	CreateCredential(ctx context.Context, c *Credential) error
	// LookupCredential returns the credential with key id id, with its
	// hash, and its directory, for authentication; ErrNotFound if either
	// is missing. It is one indexed read.
	LookupCredential(ctx context.Context, id string) (*Credential, *Directory, error)
	// ListCredentials returns the directory's credentials, newest first,
	// without their hashes or secrets.
	ListCredentials(ctx context.Context, scope store.Scope) ([]*Credential, error)
	// EndCredential sets the credential's Revoked time (revoke true) or
	// Expires time to at, unless it already ends earlier; ErrNotFound when
	// the directory has no such credential, ErrInvalid for a zero at.
	EndCredential(ctx context.Context, scope store.Scope, id string, at time.Time, revoke bool) error
	// TouchCredentials records when credentials were last used, and
	// their directories last called, in one write: used maps key ids to
	// times. Older times than those recorded are ignored, and unknown ids
	// skipped.
	TouchCredentials(ctx context.Context, used map[string]time.Time) error
}

// Rotate replaces the credential id of the directory scope names with a new
// one of the same kind, name and scopes, and ends the old one overlap after
// now, so the IdP can be reconfigured meanwhile. It returns the new token
// or signing secret, to show once, and the new credential.
func Rotate(ctx context.Context, cs CredentialStore, scope store.Scope, id string, overlap time.Duration, now time.Time) (string, *Credential, error) {
	var old *Credential
	list, err := cs.ListCredentials(ctx, scope)
	if err != nil {
		return "", nil, err
	}
	for _, c := range list {
		if c.ID == id {
			old = c
		}
	}
	if old == nil {
		return "", nil, fmt.Errorf("%w: credential %s of %s", ErrNotFound, id, scope)
	}
	if !old.Usable(now) {
		return "", nil, fmt.Errorf("%w: credential %s is revoked or expired; create a new one", ErrInvalid, id)
	}
	newCredential := NewBearerToken
	if old.Kind == SigningSecret {
		newCredential = NewSigningSecret
	}
	token, c, err := newCredential(scope, old.Name, old.Scopes)
	if err != nil {
		return "", nil, err
	}
	if err := cs.CreateCredential(ctx, c); err != nil {
		return "", nil, err
	}
	if err := cs.EndCredential(ctx, scope, id, now.Add(overlap), false); err != nil {
		return "", nil, err
	}
	return token, c, nil
}
