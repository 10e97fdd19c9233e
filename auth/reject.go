package auth

import (
	"log/slog"
	"net/http"

	"github.com/scimkit/scimkit/internal/scimerr"
)

// Reject writes the response every authentication failure gets: 401 with
// an RFC 7644 §3.12 error body and a WWW-Authenticate challenge naming
// scheme (e.g. "Bearer"), and nothing about which part of the credential
// failed. reason and tenant (when known) go only to the warn-level log
// line. Custom authentication middleware can use it to answer alike.
func Reject(w http.ResponseWriter, r *http.Request, logger *slog.Logger, scheme, reason, tenant string) {
	reject401(w, r, logger, scheme, reason, tenant, "authentication required")
}

// reject401 is Reject with the client-facing detail given. Only Signed uses
// another detail than Reject's, for a signature header without a valid
// nonce: a fault of the header's documented format, not of the credential.
func reject401(w http.ResponseWriter, r *http.Request, logger *slog.Logger, scheme, reason, tenant, detail string) {
	logRejection(r, logger, http.StatusUnauthorized, reason, tenant)
	w.Header().Set("WWW-Authenticate", scheme+` realm="scim"`)
	writeError(w, http.StatusUnauthorized, detail)
}

// Forbid writes the 403 a request gets whose credential is valid but lacks
// the scope it needs (RFC 6750 §3.1 insufficient_scope).
func Forbid(w http.ResponseWriter, r *http.Request, logger *slog.Logger, scope, tenant string) {
	LogForbidden(r, logger, scope, tenant)
	w.Header().Set("WWW-Authenticate", `Bearer realm="scim", error="insufficient_scope", scope="`+scope+`"`)
	writeError(w, http.StatusForbidden, "the credential lacks the scope "+scope)
}

// LogForbidden writes the warn-level log line Forbid writes, without
// answering the request: for a handler that refuses part of a request for
// a missing scope and answers that itself, such as one operation of a SCIM
// bulk request. extra attributes (which must hold no secret) are added to
// the line.
func LogForbidden(r *http.Request, logger *slog.Logger, scope, tenant string, extra ...slog.Attr) {
	logRejection(r, logger, http.StatusForbidden, "missing scope "+scope, tenant, extra...)
}

func logRejection(r *http.Request, logger *slog.Logger, status int, reason, tenant string, extra ...slog.Attr) {
	if logger == nil {
		logger = slog.Default()
	}
	attrs := make([]any, 0, 6+len(extra))
	attrs = append(attrs, slog.Int("status", status), slog.String("reason", reason), slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr))
	if tenant != "" {
		attrs = append(attrs, slog.String("tenant", tenant))
	}
	for _, a := range extra {
		attrs = append(attrs, a)
	}
	logger.WarnContext(r.Context(), "auth: request rejected", attrs...)
}

func writeError(w http.ResponseWriter, status int, detail string) {
	scimerr.Write(w, status, "", detail)
}
