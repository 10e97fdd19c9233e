package scim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/scimkit/scimkit/internal/jsondec"
	"github.com/scimkit/scimkit/store"
)

// readJSON decodes a request body that must be one JSON object. It is
// stricter than encoding/json where the difference matters for security:
// invalid UTF-8 (which encoding/json silently replaces) and duplicate
// object keys, ignoring case (of which encoding/json silently keeps the
// last, so two parsers could disagree on what a request says), are refused
// with 400 invalidSyntax, a NUL character in any key or string with 400
// invalidValue. The body is bounded by the handler's MaxBytesReader and
// nesting by jsondec.MaxDepth (encoding/json's limit). jsondec checks all
// of it while decoding, in one pass.
func readJSON(r *http.Request) (map[string]any, error) {
	if r.Body == nil {
		return nil, badRequest(typeInvalidSyntax, "request body is empty")
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, badRequest(typeInvalidSyntax, "reading request body: %v", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, badRequest(typeInvalidSyntax, "request body is empty")
	}
	m, err := jsondec.DecodeObject(raw)
	if err == nil {
		return m, nil
	}
	var de *jsondec.Error
	if !errors.As(err, &de) {
		return nil, badRequest(typeInvalidSyntax, "request body is not valid JSON: %v", err)
	}
	switch {
	case errors.Is(err, jsondec.ErrInvalidUTF8):
		return nil, badRequest(typeInvalidSyntax, "request body is not valid UTF-8 (byte %d)", de.Offset)
	case errors.Is(err, jsondec.ErrNotObject):
		return nil, badRequest(typeInvalidSyntax, "request body must be a JSON object")
	case errors.Is(err, jsondec.ErrTrailingData):
		return nil, badRequest(typeInvalidSyntax, "request body has data after the JSON object")
	case errors.Is(err, jsondec.ErrDuplicateKey):
		// SCIM attribute names (and schema URNs) are case-insensitive, so
		// keys differing only in case are duplicates too.
		return nil, badRequest(typeInvalidSyntax, "key %q appears twice in one JSON object", de.Key)
	case errors.Is(err, jsondec.ErrNUL):
		// JSON allows "\u0000", no SCIM value needs it, and PostgreSQL
		// cannot store it: refused the same on every store.
		return nil, badRequest(typeInvalidValue, "strings may not contain the NUL character")
	}
	// ErrSyntax or ErrTooDeep: "invalid character 'x' after object key at
	// byte 17".
	return nil, badRequest(typeInvalidSyntax, "request body is not valid JSON: %v", err)
}

// validText reports whether a string from the URL can name anything:
// valid UTF-8 without NUL.
func validText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// resolveMembers fills in the Type of members the client did not type, by
// looking the id up as a user, then as a group.
func resolveMembers(ctx context.Context, tx store.Tx, members []store.Member) error {
	// Only existence matters: a view spares a copy of what is not read.
	get := viewGet(tx)
	for i := range members {
		if members[i].Type != "" {
			continue
		}
		if _, err := get(ctx, store.User, members[i].Value); err == nil {
			members[i].Type = store.User
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := get(ctx, store.Group, members[i].Value); err == nil {
			members[i].Type = store.Group
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return badRequest(typeInvalidValue, "member %q is not a user or group", members[i].Value)
	}
	return nil
}
