package scim

import (
	"encoding/json"

	"github.com/scimkit/scimkit/store"
)

// documentJSON renders a resource's document for an audit record.
func documentJSON(r *store.Resource) json.RawMessage {
	if r == nil {
		return nil
	}
	b, err := json.Marshal(r.Document())
	if err != nil {
		return nil
	}
	return b
}
