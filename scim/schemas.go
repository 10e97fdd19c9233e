package scim

import (
	"fmt"
	"strings"

	"github.com/elimity-com/scim/schema"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/schemaconv"
	kitschema "github.com/scimkit/scimkit/schema"
	"github.com/scimkit/scimkit/store"
)

// Schema URNs the handler speaks.
const (
	UserSchema           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	listResponseSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	searchRequestURN   = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	patchOpURN         = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	spcSchema          = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	resourceTypeSchema = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema       = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// resourceType is the one table, per resource type, that validation,
// PATCH, projection, filtering and the discovery endpoints all read.
type resourceType struct {
	typ        store.ResourceType
	name       string // "User"
	endpoint   string // "/Users"
	core       schema.Schema
	extensions []schema.Schema

	// attrs maps lowercased core attribute names (including the common
	// attributes id, externalId, meta) to their definitions.
	attrs map[string]schema.CoreAttribute
	// exts maps lowercased extension URNs to their schema.
	exts map[string]*schema.Schema

	// filterOpts are the options every filter and path of this type is
	// parsed with: its schemas and the handler's limits.
	filterOpts []filter.Option
	// primaryAttrs are the multi-valued attributes with a "primary"
	// sub-attribute, as (extension URN or "", name).
	primaryAttrs [][2]string
}

// newResourceType builds the table of a resource type from its core
// schema and extensions: the validator's form of each (which validation,
// PATCH, projection and /Schemas read), and the filter options.
func newResourceType(typ store.ResourceType, endpoint string, core kitschema.Schema, extensions []kitschema.Schema, limits filter.Option) (*resourceType, error) {
	rt := &resourceType{
		typ:      typ,
		name:     string(typ),
		endpoint: endpoint,
		attrs:    make(map[string]schema.CoreAttribute),
		exts:     make(map[string]*schema.Schema),
	}
	var err error
	if rt.core, err = schemaconv.ToValidator(core); err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	for _, e := range extensions {
		v, err := schemaconv.ToValidator(e)
		if err != nil {
			return nil, fmt.Errorf("scim: extension: %w", err)
		}
		rt.extensions = append(rt.extensions, v)
	}
	for _, a := range schema.CommonAttributes() {
		rt.attrs[strings.ToLower(a.Name())] = a
	}
	for _, a := range rt.core.Attributes {
		rt.attrs[strings.ToLower(a.Name())] = a
	}
	for i := range rt.extensions {
		rt.exts[strings.ToLower(rt.extensions[i].ID)] = &rt.extensions[i]
	}
	rt.filterOpts = []filter.Option{filter.WithSchemas(core, extensions...), limits}
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
func (rt *resourceType) lookup(name string) (attrRef, bool) {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "urn:") {
		core := strings.ToLower(rt.core.ID) + ":"
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
	// An unqualified name the core schema lacks is looked up in the
	// extensions, in order: Entra ID patches "manager" by that bare name.
	for i := range rt.extensions {
		for _, a := range rt.extensions[i].Attributes {
			if strings.ToLower(a.Name()) == lower {
				return attrRef{ext: &rt.extensions[i], attr: a}, true
			}
		}
	}
	return attrRef{}, false
}

// extension returns the extension schema with the given URN
// (case-insensitive).
func (rt *resourceType) extension(urn string) (*schema.Schema, bool) {
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

// lookupKey finds a key in a JSON object case-insensitively, returning the
// key as spelled in the object.
func lookupKey(m map[string]any, name string) (string, bool) {
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

// eqFilter compiles `attr eq "value"` for this resource type, whatever
// value contains (this runs on every group PATCH and rename).
func (rt *resourceType) eqFilter(attr, value string) (*filter.Filter, error) {
	f, err := filter.Equal(attr, value, rt.filterOpts...)
	if err != nil {
		return nil, fmt.Errorf("scim: %s filter: %w", attr, err)
	}
	return f, nil
}
