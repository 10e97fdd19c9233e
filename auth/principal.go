// Package auth authenticates SCIM clients and tells the handler which
// tenant a request acts for.
//
// Middleware in this package authenticates a request and stores a Principal
// in its context; scim.Handler reads it with FromContext and scopes every
// store call to the Principal's tenant and directory.
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
