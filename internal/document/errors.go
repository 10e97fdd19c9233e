package document

import (
	"fmt"

	scimerrors "github.com/elimity-com/scim/errors"
)

// Error is a document the engine refuses: a request the client must change,
// answered with 400 and the SCIM error type (RFC 7644 §3.12).
type Error struct {
	// ScimType is the scimType keyword: invalidSyntax, invalidValue,
	// invalidPath, noTarget, mutability or tooMany.
	ScimType string
	// Detail says what is wrong, quoting at most a bounded excerpt of the
	// input.
	Detail string
}

func (e *Error) Error() string { return e.ScimType + ": " + e.Detail }

// SCIM error types (RFC 7644 §3.12) the engine refuses with.
const (
	typeTooMany       = scimerrors.ScimTypeTooMany
	typeMutability    = scimerrors.ScimTypeMutability
	typeInvalidSyntax = scimerrors.ScimTypeInvalidSyntax
	typeInvalidPath   = scimerrors.ScimTypeInvalidPath
	typeNoTarget      = scimerrors.ScimTypeNoTarget
	typeInvalidValue  = scimerrors.ScimTypeInvalidValue
)

func badRequest(scimType scimerrors.ScimType, format string, args ...any) error {
	return &Error{ScimType: string(scimType), Detail: fmt.Sprintf(format, args...)}
}

// fromValidator turns the validator's error into an Error, prefixing its
// detail with where it was found.
func fromValidator(se scimerrors.ScimError, prefix string) error {
	typ := string(se.ScimType)
	if typ == "" {
		typ = string(typeInvalidValue)
	}
	return &Error{ScimType: typ, Detail: prefix + se.Detail}
}
