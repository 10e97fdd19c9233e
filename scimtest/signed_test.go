package scimtest

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
)

// signingTransport signs every request with auth.Sign before sending it,
// as a relay in front of scimkit would. It signs a copy, so the caller's
// request is left as it was (http.RoundTripper's contract).
type signingTransport struct {
	secret []byte
	at     func() time.Time
	sent   atomic.Int64
}

func (s *signingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if err := auth.Sign(r, s.secret, s.at()); err != nil {
		return nil, err
	}
	s.sent.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// TestAllOverSignedRequests runs the whole kit against a handler behind
// auth.Signed, with every request signed by auth.Sign. The kit sends
// identical requests (the same GET of a resource, of /Schemas, of a filter)
// several times; the signer's clock is held still so that they fall in the
// same second however fast the machine is. Honest repeats must not be
// taken for replays.
func TestAllOverSignedRequests(t *testing.T) {
	t.Parallel()
	secret := []byte(strings.Repeat("s", 32))
	mw, err := auth.Signed(auth.SignedOptions{
		Keys:   []auth.SigningKey{{ID: "relay", Secret: secret, Principal: auth.Principal{Tenant: "acme"}}},
		Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	var verified atomic.Int64
	base := server(t, func(next http.Handler) http.Handler {
		return mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p, ok := auth.FromContext(r.Context()); ok && p.CredentialID == "relay" {
				verified.Add(1)
			}
			next.ServeHTTP(w, r)
		}))
	})
	now := time.Now()
	tr := &signingTransport{secret: secret, at: func() time.Time { return now }}
	opts := Options{Client: &http.Client{Transport: tr}}

	Run(t, base, opts, All()...)
	// Twice: the second run repeats requests of the first (discovery,
	// /Schemas) within the same second.
	Run(t, base, opts, All()...)

	require.Positive(t, tr.sent.Load())
	assert.Equal(t, tr.sent.Load(), verified.Load(), "every request was signed and verified")
}
