package scim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/internal/scimerr"
	"github.com/scimkit/scimkit/store"
)

// SCIM detail error keywords (RFC 7644 §3.12) the handler answers with.
const (
	typeInvalidFilter = scimerrors.ScimTypeInvalidFilter
	typeTooMany       = scimerrors.ScimTypeTooMany
	typeUniqueness    = scimerrors.ScimTypeUniqueness
	typeInvalidSyntax = scimerrors.ScimTypeInvalidSyntax
	typeInvalidPath   = scimerrors.ScimTypeInvalidPath
	typeInvalidValue  = scimerrors.ScimTypeInvalidValue
)

// errorf builds a SCIM error. elimity-com/scim's ScimError is the type: it
// already marshals to the RFC 7644 §3.12 shape (string status, scimType).
func errorf(status int, scimType scimerrors.ScimType, format string, args ...any) error {
	return scimerrors.ScimError{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func badRequest(scimType scimerrors.ScimType, format string, args ...any) error {
	return errorf(http.StatusBadRequest, scimType, format, args...)
}

// toSCIMError maps any error from the request pipeline to the SCIM error
// the client sees. Unknown errors become a 500 whose detail reveals
// nothing; the caller logs the real error.
func toSCIMError(err error) (scimerrors.ScimError, bool) {
	var se scimerrors.ScimError
	if errors.As(err, &se) {
		return se, true
	}
	var de *document.Error
	if errors.As(err, &de) {
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimType(de.ScimType), Detail: de.Detail}, true
	}
	var pe *ProtectedError
	if errors.As(err, &pe) {
		return scimerrors.ScimError{Status: pe.status(), Detail: pe.Error()}, true
	}
	var he *HookError
	if errors.As(err, &he) {
		se := he.scimError()
		return se, se.Status < 500
	}
	var mbe *http.MaxBytesError
	var fe *filter.Error
	switch {
	case errors.As(err, &mbe):
		return scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge,
			Detail: "request body exceeds " + strconv.FormatInt(mbe.Limit, 10) + " bytes"}, true
	case errors.As(err, &fe):
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: typeInvalidFilter, Detail: fe.Error()}, true
	case errors.Is(err, filter.ErrInvalidFilter):
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: typeInvalidFilter, Detail: err.Error()}, true
	case errors.Is(err, store.ErrNotFound):
		return scimerrors.ScimError{Status: http.StatusNotFound, Detail: "resource not found"}, true
	case errors.Is(err, store.ErrUniqueness):
		return scimerrors.ScimError{Status: http.StatusConflict, ScimType: typeUniqueness, Detail: err.Error()}, true
	case errors.Is(err, store.ErrVersionConflict):
		return scimerrors.ScimError{Status: http.StatusPreconditionFailed, Detail: "resource version does not match"}, true
	case errors.Is(err, store.ErrInvalidMember):
		return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: typeInvalidValue, Detail: err.Error()}, true
	case errors.Is(err, context.DeadlineExceeded):
		return scimerrors.ScimError{Status: http.StatusServiceUnavailable, Detail: "request timed out"}, false
	}
	return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "internal server error"}, false
}

// writeError writes err as a SCIM error response, logging errors the
// client cannot be told about.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	se, known := toSCIMError(err)
	if !known {
		h.log.ErrorContext(r.Context(), "scim: request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	} else if se.Status >= 500 {
		h.log.WarnContext(r.Context(), "scim: request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	scimerr.Write(w, se.Status, string(se.ScimType), se.Detail)
}
