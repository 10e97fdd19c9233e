package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/internal/batch"
	"github.com/scimkit/scimkit/internal/scimerr"
)

// AuthOptions configure an Authenticator. All are optional.
type AuthOptions struct {
	// Static tokens are accepted besides the store's credentials, as
	// auth.Bearer accepts them: for a deployment moving from a fixed list.
	Static []auth.Token
	// TouchInterval is how often last-used times are written to the
	// store; default DefaultTouchInterval. A request never waits for it.
	TouchInterval time.Duration
	// Logger receives rejections at warn level and store failures at
	// error level; default slog.Default().
	Logger *slog.Logger
	// Now is the clock credentials' expiry is checked with; default
	// time.Now.
	Now func() time.Time
}

// DefaultTouchInterval is AuthOptions.TouchInterval's default.
const DefaultTouchInterval = time.Minute

// Authenticator authenticates SCIM requests with the credentials of a
// CredentialStore, looked up by the key id in the token at each request:
// a token created on one replica works on every replica sharing the
// store's database at once, and a revoked or expired one, or one of a
// directory that is not active, is refused at once. Each request costs one
// indexed read and a constant-time hash comparison, whatever the number of
// directories. Last-used times are kept in memory and written in one batch
// at most every TouchInterval, so authentication adds no write to a
// request. Call Flush when shutting down to write the last batch.
type Authenticator struct {
	creds  CredentialStore
	static *auth.TokenSet
	log    *slog.Logger
	now    func() time.Time
	// uses batches last-used times: key id → time.
	uses *batch.Batcher[string, time.Time]
}

// NewAuthenticator returns an Authenticator on creds.
func NewAuthenticator(creds CredentialStore, opts AuthOptions) (*Authenticator, error) {
	if creds == nil {
		return nil, errors.New("directory: NewAuthenticator needs a CredentialStore")
	}
	a := &Authenticator{creds: creds, log: opts.Logger, now: opts.Now}
	if len(opts.Static) > 0 {
		set, err := auth.NewTokenSet(opts.Static)
		if err != nil {
			return nil, fmt.Errorf("directory: %w", err)
		}
		a.static = set
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.uses = newUses(creds, opts.TouchInterval, a.now, a.log)
	return a, nil
}

// Middleware authenticates every request before next: a valid credential's
// auth.Principal (its directory's tenant and id, the credential id, its
// scopes) goes in the request context, with its Directory (FromContext); anything else gets 401 with a SCIM
// error body, as auth.Bearer answers. A store failure gets 503, so the IdP
// retries instead of taking the token for revoked.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := auth.BearerToken(r)
		if !ok {
			auth.Reject(w, r, a.log, "Bearer", "missing or malformed bearer token", "")
			return
		}
		p, d, reason, err := a.authenticate(r.Context(), token)
		switch {
		case err != nil:
			a.log.ErrorContext(r.Context(), "directory: looking up a credential failed", slog.Any("error", err))
			scimerr.Write(w, http.StatusServiceUnavailable, "", "authentication is unavailable; retry later")
			return
		case reason != "":
			auth.Reject(w, r, a.log, "Bearer", reason, p.Tenant)
			return
		}
		ctx := auth.NewContext(r.Context(), p)
		if d != nil {
			ctx = NewContext(ctx, d)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authenticate returns the Principal of token and, for a store
// credential, its directory; or the reason (for the log only) it is
// refused; or a store error.
func (a *Authenticator) authenticate(ctx context.Context, token string) (p auth.Principal, d *Directory, reason string, err error) {
	id, ok := TokenKeyID(token)
	if !ok {
		if a.static != nil {
			if p, ok := a.static.Match(token); ok {
				return p, nil, "", nil
			}
		}
		return auth.Principal{}, nil, "unknown bearer token", nil
	}
	c, d, err := a.creds.LookupCredential(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		if a.static != nil {
			if p, ok := a.static.Match(token); ok {
				return p, nil, "", nil
			}
		}
		return auth.Principal{}, nil, "unknown credential " + id, nil
	case err != nil:
		return auth.Principal{}, nil, "", err
	}
	now := a.now()
	p = auth.Principal{Tenant: c.Tenant, Directory: c.Directory, CredentialID: c.ID, Scopes: c.Scopes}
	switch {
	case c.Kind != BearerToken || !c.Matches(token):
		return p, nil, "wrong secret for credential " + id, nil
	case !c.Usable(now):
		return p, nil, "credential " + id + " is revoked or expired", nil
	case d.State != Active:
		return p, nil, "directory " + d.ID + " is " + string(d.State), nil
	}
	a.uses.Note(id, now)
	return p, d, "", nil
}

// Flush writes the last-used times not yet written, after waiting for a
// write in progress.
func (a *Authenticator) Flush(ctx context.Context) error {
	if err := a.uses.Flush(ctx); err != nil {
		return fmt.Errorf("directory: recording credential use: %w", err)
	}
	return nil
}
