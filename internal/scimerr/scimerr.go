// Package scimerr writes SCIM error responses (RFC 7644 §3.12). It is the
// one place that builds the error body, for the handler and the
// authentication middleware alike, so every error a client sees has the
// same shape.
package scimerr

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// URN is the schema of an error response.
const URN = "urn:ietf:params:scim:api:messages:2.0:Error"

// ContentType is the media type of SCIM responses.
const ContentType = "application/scim+json"

// Body is an error response: status as a string, scimType and detail
// omitted when empty.
type Body struct {
	Schemas  []string `json:"schemas"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
	Status   string   `json:"status"`
}

// New returns the body of an error with the given HTTP status, SCIM error
// type ("" for none) and detail.
func New(status int, scimType, detail string) Body {
	return Body{Schemas: []string{URN}, ScimType: scimType, Detail: detail, Status: strconv.Itoa(status)}
}

// Write answers the request with the error.
func Write(w http.ResponseWriter, status int, scimType, detail string) {
	body, _ := json.Marshal(New(status, scimType, detail)) // strings and a slice of them always marshal
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
