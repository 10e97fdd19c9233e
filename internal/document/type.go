package document

import (
	"fmt"
	"strings"

	"github.com/elimity-com/scim/schema"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/schemaconv"
	kitschema "github.com/scimkit/scimkit/schema"
	"github.com/scimkit/scimkit/store"
)

// Type is the one table, per resource type, that validation, PATCH,
// projection, filtering and the discovery endpoints all read. Its exported
// fields are set by New and read-only after.
type Type struct {
	Kind     store.ResourceType
	Name     string // "User"
	Endpoint string // "/Users"
	// Core and Extensions are the validator's form of the schemas.
	Core       schema.Schema
	Extensions []schema.Schema
	// FilterOptions are the options every filter and path of this type is
	// parsed with: its schemas and the handler's limits.
	FilterOptions []filter.Option

	// attrs maps lowercased core attribute names (including the common
	// attributes id, externalId, meta) to their definitions.
	attrs map[string]schema.CoreAttribute
	// exts maps lowercased extension URNs to their schema.
	exts map[string]*schema.Schema
	// primaryAttrs are the multi-valued attributes with a "primary"
	// sub-attribute, as (extension URN or "", name).
	primaryAttrs [][2]string
}

// New builds the table of a resource type from its core schema and
// extensions: the validator's form of each (which validation, PATCH,
// projection and /Schemas read), and the filter options, which carry
// limits.
func New(kind store.ResourceType, endpoint string, core kitschema.Schema, extensions []kitschema.Schema, limits filter.Option) (*Type, error) {
	rt := &Type{
		Kind:     kind,
		Name:     string(kind),
		Endpoint: endpoint,
		attrs:    make(map[string]schema.CoreAttribute),
		exts:     make(map[string]*schema.Schema),
	}
	var err error
	if rt.Core, err = schemaconv.ToValidator(core); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	for _, e := range extensions {
		v, err := schemaconv.ToValidator(e)
		if err != nil {
			return nil, fmt.Errorf("document: extension: %w", err)
		}
		rt.Extensions = append(rt.Extensions, v)
	}
	for _, a := range schema.CommonAttributes() {
		rt.attrs[strings.ToLower(a.Name())] = a
	}
	for _, a := range rt.Core.Attributes {
		rt.attrs[strings.ToLower(a.Name())] = a
	}
	for i := range rt.Extensions {
		rt.exts[strings.ToLower(rt.Extensions[i].ID)] = &rt.Extensions[i]
	}
	rt.FilterOptions = []filter.Option{filter.WithSchemas(core, extensions...), limits}
	rt.primaryAttrs = rt.findPrimaryAttrs()
	return rt, nil
}

// attrRef is an attribute resolved against the table: the schema it belongs
// to ("" for the core schema) and its definition.
type attrRef struct {
	ext  *schema.Schema // nil for a core or common attribute
	attr schema.CoreAttribute
}

// lookup resolves an attribute name that may carry a schema URN prefix
// ("urn:...:enterprise:2.0:User:department", "urn:...:core:2.0:User:userName")
// or not. Matching is case-insensitive.
func (rt *Type) lookup(name string) (attrRef, bool) {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "urn:") {
		core := strings.ToLower(rt.Core.ID) + ":"
		if strings.HasPrefix(lower, core) {
			a, ok := rt.attrs[lower[len(core):]]
			return attrRef{attr: a}, ok
		}
		for urn, ext := range rt.exts {
			if strings.HasPrefix(lower, urn+":") {
				rest := lower[len(urn)+1:]
				for _, a := range ext.Attributes {
					if strings.ToLower(a.Name()) == rest {
						return attrRef{ext: ext, attr: a}, true
					}
				}
				return attrRef{}, false
			}
		}
		return attrRef{}, false
	}
	if a, ok := rt.attrs[lower]; ok {
		return attrRef{attr: a}, true
	}
	return rt.bareExtensionAttr(lower)
}

// extension returns the extension schema with the given URN
// (case-insensitive).
func (rt *Type) extension(urn string) (*schema.Schema, bool) {
	s, ok := rt.exts[strings.ToLower(urn)]
	return s, ok
}

// subAttr finds a sub-attribute by name, case-insensitively.
func subAttr(a schema.CoreAttribute, name string) (schema.CoreAttribute, bool) {
	for _, s := range a.SubAttributes() {
		if strings.EqualFold(s.Name(), name) {
			return s, true
		}
	}
	return schema.CoreAttribute{}, false
}

// LookupKey finds a key in a JSON object case-insensitively, returning the
// key as spelled in the object.
func LookupKey(m map[string]any, name string) (string, bool) {
	if _, ok := m[name]; ok {
		return name, true
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

// EqFilter compiles `attr eq "value"` for this resource type, whatever
// value contains (this runs on every group PATCH and rename).
func (rt *Type) EqFilter(attr, value string) (*filter.Filter, error) {
	f, err := filter.Equal(attr, value, rt.FilterOptions...)
	if err != nil {
		return nil, fmt.Errorf("document: %s filter: %w", attr, err)
	}
	return f, nil
}
