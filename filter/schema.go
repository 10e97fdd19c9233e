package filter

import (
	"strings"

	"github.com/scimkit/scimkit/schema"
)

// Option configures Parse, Compile, ParsePath, ParsePatchPath and
// CompileValueFilter.
type Option func(*config)

type config struct {
	schemas *schemaSet
	maxLen  int // longest text accepted, in bytes; see WithMaxLength
}

func newConfig(opts []Option) *config {
	c := &config{maxLen: DefaultMaxLength}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// WithSchemas gives the attribute definitions filters are checked and
// evaluated against: an attribute's type and caseExact characteristic drive
// comparisons, and an attribute that none of the schemas defines is an
// error. Unqualified names and names qualified with core.ID resolve to the
// core schema (plus the RFC 7643 common attributes id, externalId, meta and
// schemas); names qualified with an extension's ID resolve to that
// extension, whose values live under the URN key of the document. As a
// courtesy to clients, an unqualified name that the core schema lacks
// resolves to the first extension that defines it.
//
// Without WithSchemas every attribute is accepted, strings compare
// case-insensitively and types are inferred from the compared values.
func WithSchemas(core schema.Schema, extensions ...schema.Schema) Option {
	set := buildSchemaSet(core, extensions)
	return func(c *config) { c.schemas = set }
}

// schemaSet is the immutable, pre-indexed form of the schemas handed to
// WithSchemas.
type schemaSet struct {
	core *schemaDef
	exts []*schemaDef
}

type schemaDef struct {
	id    string
	attrs map[string]*attrDef // keyed by lower-case name
}

// attrDef is what the filter needs to know about one attribute.
type attrDef struct {
	name      string
	typ       string // "string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"
	multi     bool
	caseExact bool
	subs      map[string]*attrDef // complex attributes only, keyed by lower-case name
}

func buildSchemaSet(core schema.Schema, exts []schema.Schema) *schemaSet {
	set := &schemaSet{core: buildSchemaDef(core.ID, core.Attributes)}
	for _, a := range schema.Common() {
		k := strings.ToLower(a.Name)
		if _, ok := set.core.attrs[k]; !ok {
			set.core.attrs[k] = buildAttrDef(a)
		}
	}
	for _, e := range exts {
		set.exts = append(set.exts, buildSchemaDef(e.ID, e.Attributes))
	}
	return set
}

func buildSchemaDef(id string, attrs []schema.Attribute) *schemaDef {
	d := &schemaDef{id: id, attrs: make(map[string]*attrDef, len(attrs))}
	for _, a := range attrs {
		d.attrs[strings.ToLower(a.Name)] = buildAttrDef(a)
	}
	return d
}

func buildAttrDef(a schema.Attribute) *attrDef {
	typ := string(a.Type)
	if typ == "" {
		typ = string(schema.String)
	}
	d := &attrDef{
		name:      a.Name,
		typ:       typ,
		multi:     a.MultiValued,
		caseExact: a.CaseExact,
	}
	if len(a.SubAttributes) > 0 || a.Type == schema.Complex {
		d.subs = make(map[string]*attrDef, len(a.SubAttributes))
		for _, s := range a.SubAttributes {
			d.subs[strings.ToLower(s.Name)] = buildAttrDef(s)
		}
	}
	return d
}

// coreURNPrefix is how every core schema URN starts; without schemas an
// attribute qualified with such a URN is looked up at the top level of the
// document rather than under an extension key.
const coreURNPrefix = "urn:ietf:params:scim:schemas:core:"

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// canonicalIndexed returns the canonical spelling of the attributes
// Equalities reports on, or "" for any other name.
func canonicalIndexed(name string) string {
	switch strings.ToLower(name) {
	case "id":
		return "id"
	case "username":
		return "userName"
	case "externalid":
		return "externalId"
	case "displayname":
		return "displayName"
	}
	return ""
}
