// Package auth authenticates SCIM clients and tells the handler which
// tenant a request acts for.
//
// Middleware in this package authenticates a request and stores a Principal
// in its context; scim.Handler reads it with FromContext and scopes every
// store call to the Principal's tenant and directory.
//
// # Signed requests
//
// Signed accepts requests whose SignatureHeader carries scheme v2: an
// HMAC-SHA256 over method, request URI, timestamp, a per-request nonce and
// the body's hash. Sign, the library's signer, sends a fresh random nonce
// with every request, so the same request sent twice in one second (or a
// client's retry, signed again) is accepted each time; a signed header
// presented a second time is a replay and is refused.
//
// Requests signed the old way (scheme v1, without a nonce) are refused with
// 401 and a detail saying that the nonce is required, and so is a nonce
// that is not MinNonceLen to MaxNonceLen characters of A-Z a-z 0-9 - _.
// These are the only 401s that say what is wrong: the fault is in the
// header's documented format, checked before any key is tried, so the
// detail tells nothing about keys. Every other authentication failure gets
// the same "authentication required".
package auth

import "context"

// Principal is the authenticated identity behind a request: which
// credential was used and which tenant (and directory within it) that
// credential acts for.
type Principal struct {
	// Tenant is the tenant the credential belongs to; "" in a
	// single-tenant app.
	Tenant string
	// Directory is the IdP connection within the tenant; may be "".
	Directory string
	// CredentialID identifies the credential (never the secret itself),
	// for logs and audit records.
	CredentialID string
	// Scopes are the permissions the credential carries; nil means all.
	Scopes []string
}

type principalKey struct{}

// NewContext returns a copy of ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the Principal stored in ctx by NewContext.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
