package auth

import (
	"crypto/x509"
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

// CertIdentity is one accepted client certificate identity. A certificate
// matches when any non-empty field matches: the subject common name, or one
// of its DNS, URI or e-mail subject alternative names (case-insensitive,
// exact).
type CertIdentity struct {
	CommonName string
	DNSName    string
	URI        string
	Email      string
	// Principal is who a matching client acts as.
	Principal Principal
}

// ClientCert returns middleware for mutual TLS: it accepts a request only
// if its connection presented a client certificate that the server
// verified (tls.Config.ClientAuth = tls.RequireAndVerifyClientCert with
// the client CA in ClientCAs) and whose leaf matches one of identities.
// Verification of the chain is the TLS stack's job; this only maps a
// verified leaf to a Principal. Anything else is a 401.
func ClientCert(identities []CertIdentity, logger *slog.Logger) (func(http.Handler) http.Handler, error) {
	if len(identities) == 0 {
		return nil, errors.New("auth: ClientCert needs at least one identity")
	}
	for _, id := range identities {
		if id.CommonName == "" && id.DNSName == "" && id.URI == "" && id.Email == "" {
			return nil, errors.New("auth: a CertIdentity needs a CommonName, DNSName, URI or Email")
		}
	}
	ids := append([]CertIdentity(nil), identities...)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
				Reject(w, r, logger, "TLS", "no verified client certificate", "")
				return
			}
			leaf := r.TLS.VerifiedChains[0][0]
			for _, id := range ids {
				if certMatches(leaf, id) {
					p := id.Principal
					if p.CredentialID == "" {
						p.CredentialID = "cert:" + leaf.Subject.CommonName
					}
					next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), p)))
					return
				}
			}
			Reject(w, r, logger, "TLS", "client certificate identity not accepted: "+leaf.Subject.CommonName, "")
		})
	}, nil
}

func certMatches(c *x509.Certificate, id CertIdentity) bool {
	eq := strings.EqualFold
	if id.CommonName != "" && eq(c.Subject.CommonName, id.CommonName) {
		return true
	}
	if id.DNSName != "" {
		for _, n := range c.DNSNames {
			if eq(n, id.DNSName) {
				return true
			}
		}
	}
	if id.URI != "" {
		for _, u := range c.URIs {
			if eq(u.String(), id.URI) {
				return true
			}
		}
	}
	if id.Email != "" {
		for _, e := range c.EmailAddresses {
			if eq(e, id.Email) {
				return true
			}
		}
	}
	return false
}
