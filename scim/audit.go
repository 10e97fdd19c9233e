package scim

import (
	"encoding/json"

	"github.com/scimkit/scimkit/internal/jsonenc"
	"github.com/scimkit/scimkit/store"
)

// documentJSON renders a resource's document for an audit record. Without
// members (a membership PATCH, which never loads them) the document leaves
// the member list out rather than claim it is empty.
func documentJSON(r *store.Resource, members bool) json.RawMessage {
	if r == nil {
		return nil
	}
	doc := r.DocumentView()
	dropInternal(doc)
	if !members {
		delete(doc, "members")
	}
	b, err := jsonenc.Marshal(doc)
	if err != nil {
		return nil
	}
	return b
}
