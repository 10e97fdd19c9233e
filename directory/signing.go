package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/internal/batch"
)

// SigningKeys is an auth.KeySource on a CredentialStore: auth.Signed finds
// the signing secret a request's header names (k=, auth.SignKey) in one
// indexed read, as Authenticator finds bearer tokens, and only while the
// credential is usable and its directory active. Last-used times are
// batched the same way; call Flush on shutdown.
type SigningKeys struct {
	creds CredentialStore
	now   func() time.Time
	uses  *batch.Batcher[string, time.Time]
}

var _ auth.KeySource = (*SigningKeys)(nil)

// NewSigningKeys returns the signing keys of creds. Of opts, TouchInterval,
// Logger and Now apply.
func NewSigningKeys(creds CredentialStore, opts AuthOptions) (*SigningKeys, error) {
	if creds == nil {
		return nil, errors.New("directory: NewSigningKeys needs a CredentialStore")
	}
	now, log := opts.Now, opts.Logger
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &SigningKeys{creds: creds, now: now, uses: newUses(creds, opts.TouchInterval, now, log)}, nil
}

// newUses batches last-used times of credentials into creds.
func newUses(creds CredentialStore, interval time.Duration, now func() time.Time, log *slog.Logger) *batch.Batcher[string, time.Time] {
	if interval <= 0 {
		interval = DefaultTouchInterval
	}
	return batch.New(creds.TouchCredentials, func(a, b time.Time) bool { return a.After(b) }, interval, now, log,
		"directory: credential last-used times")
}

// SigningKey returns the signing key with key id id (auth.KeySource): its
// secret and the Principal of its directory.
func (k *SigningKeys) SigningKey(ctx context.Context, id string) (auth.SigningKey, bool, error) {
	c, d, err := k.creds.LookupCredential(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return auth.SigningKey{}, false, nil
	case err != nil:
		return auth.SigningKey{}, false, err
	}
	now := k.now()
	if c.Kind != SigningSecret || !c.Usable(now) || d.State != Active {
		return auth.SigningKey{}, false, nil
	}
	k.uses.Note(id, now)
	return auth.SigningKey{ID: c.ID, Secret: c.Secret,
		Principal: auth.Principal{Tenant: c.Tenant, Directory: c.Directory, CredentialID: c.ID, Scopes: c.Scopes}}, true, nil
}

// Flush writes the last-used times not yet written.
func (k *SigningKeys) Flush(ctx context.Context) error {
	if err := k.uses.Flush(ctx); err != nil {
		return fmt.Errorf("directory: recording credential use: %w", err)
	}
	return nil
}
