// Package schemaconv turns a schema.Schema into the form of the schema
// library the handler validates resources with (elimity-com/scim), through
// their shared RFC 7643 §7 JSON form. It is the one place that knows both,
// so that no public API of the module takes or returns that library's
// types.
package schemaconv

import (
	"encoding/json"
	"fmt"

	eschema "github.com/elimity-com/scim/schema"

	"github.com/scimkit/scimkit/schema"
)

// ToValidator validates s and returns it as elimity-com/scim's schema.
func ToValidator(s schema.Schema) (eschema.Schema, error) {
	if err := s.Validate(); err != nil {
		return eschema.Schema{}, err
	}
	raw, err := json.Marshal(s.WithDefaults())
	if err != nil {
		return eschema.Schema{}, fmt.Errorf("schema %s: %w", s.ID, err)
	}
	var out eschema.Schema
	if err := json.Unmarshal(raw, &out); err != nil {
		return eschema.Schema{}, fmt.Errorf("schema %s: %w", s.ID, err)
	}
	return out, nil
}
