// Package schema declares SCIM schemas as plain data (RFC 7643 §7): the
// attributes of a resource type or extension, with their type and
// characteristics.
//
// A host app declares its own schema extensions with these types and hands
// them to scim.Config (UserExtensions, GroupExtensions); the handler then
// validates, stores, filters, projects and advertises them like the core
// attributes. The core schemas the library serves are here too (User,
// Group, EnterpriseUser, Common), for reading.
//
// The field names and JSON form are those of RFC 7643 §7, so a schema
// marshals to what /Schemas shows. Zero values are the RFC defaults: a
// string attribute, readWrite, returned by default, no uniqueness.
package schema

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	eschema "github.com/elimity-com/scim/schema"
)

// Schema is a schema: the core schema of a resource type, or an extension.
type Schema struct {
	// ID is the schema's URN, e.g.
	// "urn:ietf:params:scim:schemas:extension:acme:2.0:User".
	ID          string      `json:"id"`
	Name        string      `json:"name,omitempty"`
	Description string      `json:"description,omitempty"`
	Attributes  []Attribute `json:"attributes"`
}

// Attribute is one attribute definition (RFC 7643 §7, "attributes").
type Attribute struct {
	// Name is the attribute name: a letter, then letters, digits, "_",
	// "-" or "$" (RFC 7643 §2.1); a sub-attribute may also be "$ref".
	Name string `json:"name"`
	// Type is the data type; the zero value is String.
	Type Type `json:"type"`
	// SubAttributes are a Complex attribute's sub-attributes, which may
	// not themselves be complex.
	SubAttributes []Attribute `json:"subAttributes,omitempty"`
	MultiValued   bool        `json:"multiValued"`
	Description   string      `json:"description,omitempty"`
	Required      bool        `json:"required"`
	// CanonicalValues are the values the service provider suggests, such
	// as "work" and "home" for a type sub-attribute.
	CanonicalValues []string `json:"canonicalValues,omitempty"`
	// CaseExact makes string comparisons (filters, uniqueness, repeated
	// values) respect case.
	CaseExact  bool       `json:"caseExact"`
	Mutability Mutability `json:"mutability,omitempty"`
	Returned   Returned   `json:"returned,omitempty"`
	Uniqueness Uniqueness `json:"uniqueness,omitempty"`
	// ReferenceTypes name what a Reference attribute may point at
	// ("User", "Group", "external", "uri").
	ReferenceTypes []string `json:"referenceTypes,omitempty"`
}

// Type is an attribute's data type (RFC 7643 §2.3).
type Type string

// The data types. The zero value means String.
const (
	String    Type = "string"
	Boolean   Type = "boolean"
	Decimal   Type = "decimal"
	Integer   Type = "integer"
	DateTime  Type = "dateTime"
	Reference Type = "reference"
	Binary    Type = "binary"
	Complex   Type = "complex"
)

// Mutability says whether and when a client may set an attribute. The zero
// value means ReadWrite.
type Mutability string

// The mutabilities (RFC 7643 §7).
const (
	ReadWrite Mutability = "readWrite"
	ReadOnly  Mutability = "readOnly"
	Immutable Mutability = "immutable"
	WriteOnly Mutability = "writeOnly"
)

// Returned says when an attribute is returned. The zero value means
// ReturnedDefault.
type Returned string

// The return rules (RFC 7643 §7).
const (
	ReturnedDefault Returned = "default"
	Always          Returned = "always"
	Never           Returned = "never"
	Request         Returned = "request"
)

// Uniqueness says how an attribute's values must be unique. The zero value
// means UniquenessNone.
type Uniqueness string

// The uniqueness rules (RFC 7643 §7).
const (
	UniquenessNone Uniqueness = "none"
	Server         Uniqueness = "server"
	Global         Uniqueness = "global"
)

var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_$-]*$`)

// Validate reports the first way s is not a schema the handler can serve:
// an ID that is not a URN, an invalid or repeated (in any case) attribute
// name, an unknown type or characteristic, or a complex attribute whose
// sub-attributes are complex or missing.
func (s Schema) Validate() error {
	if !strings.HasPrefix(strings.ToLower(s.ID), "urn:") {
		return fmt.Errorf("schema: id %q is not a URN", s.ID)
	}
	if err := validateAttributes(s.Attributes, true); err != nil {
		return fmt.Errorf("schema %s: %w", s.ID, err)
	}
	return nil
}

func validateAttributes(attrs []Attribute, top bool) error {
	seen := make(map[string]bool, len(attrs))
	for _, a := range attrs {
		// "$ref" breaks the name grammar, but RFC 7643 §2.4 defines it as
		// a sub-attribute of references.
		if !nameRE.MatchString(a.Name) && (top || a.Name != "$ref") {
			return fmt.Errorf("invalid attribute name %q", a.Name)
		}
		if k := strings.ToLower(a.Name); seen[k] {
			return fmt.Errorf("attribute %q declared twice", a.Name)
		} else {
			seen[k] = true
		}
		switch a.Type {
		case "", String, Boolean, Decimal, Integer, DateTime, Reference, Binary:
			if len(a.SubAttributes) > 0 {
				return fmt.Errorf("attribute %q has sub-attributes but is not complex", a.Name)
			}
		case Complex:
			if !top {
				return fmt.Errorf("sub-attribute %q is complex (RFC 7643 §2.3.8)", a.Name)
			}
			if len(a.SubAttributes) == 0 {
				return fmt.Errorf("complex attribute %q has no sub-attributes", a.Name)
			}
			if err := validateAttributes(a.SubAttributes, false); err != nil {
				return fmt.Errorf("attribute %q: %w", a.Name, err)
			}
		default:
			return fmt.Errorf("attribute %q has unknown type %q", a.Name, a.Type)
		}
		switch a.Mutability {
		case "", ReadWrite, ReadOnly, Immutable, WriteOnly:
		default:
			return fmt.Errorf("attribute %q has unknown mutability %q", a.Name, a.Mutability)
		}
		switch a.Returned {
		case "", ReturnedDefault, Always, Never, Request:
		default:
			return fmt.Errorf("attribute %q has unknown returned %q", a.Name, a.Returned)
		}
		switch a.Uniqueness {
		case "", UniquenessNone, Server, Global:
		default:
			return fmt.Errorf("attribute %q has unknown uniqueness %q", a.Name, a.Uniqueness)
		}
	}
	return nil
}

// WithDefaults returns a copy of s with every zero type and characteristic
// spelled out (String, ReadWrite, ReturnedDefault, UniquenessNone), as
// RFC 7643 §7 shows them.
func (s Schema) WithDefaults() Schema {
	s.Attributes = withDefaults(s.Attributes)
	return s
}

func withDefaults(attrs []Attribute) []Attribute {
	if attrs == nil {
		return nil
	}
	out := make([]Attribute, len(attrs))
	for i, a := range attrs {
		if a.Type == "" {
			a.Type = String
		}
		if a.Mutability == "" {
			a.Mutability = ReadWrite
		}
		if a.Returned == "" {
			a.Returned = ReturnedDefault
		}
		if a.Uniqueness == "" {
			a.Uniqueness = UniquenessNone
		}
		a.SubAttributes = withDefaults(a.SubAttributes)
		a.CanonicalValues = append([]string(nil), a.CanonicalValues...)
		a.ReferenceTypes = append([]string(nil), a.ReferenceTypes...)
		out[i] = a
	}
	return out
}

// User returns the core User schema (RFC 7643 §4.1).
func User() Schema { return fromDefinition(eschema.CoreUserSchema()) }

// Group returns the core Group schema (RFC 7643 §4.2).
func Group() Schema { return fromDefinition(eschema.CoreGroupSchema()) }

// EnterpriseUser returns the enterprise User extension (RFC 7643 §4.3),
// which the handler always serves.
func EnterpriseUser() Schema { return fromDefinition(eschema.ExtensionEnterpriseUser()) }

// Common returns the attributes every resource has (RFC 7643 §3.1):
// schemas, id, externalId and meta.
func Common() []Attribute {
	return fromDefinition(eschema.Schema{ID: "urn:common", Attributes: eschema.CommonAttributes()}).Attributes
}

// fromDefinition turns one of the RFC's schemas, as the schema library
// the handler validates with defines it, into a Schema, through their
// shared JSON form.
func fromDefinition(def eschema.Schema) Schema {
	raw, err := json.Marshal(def)
	if err != nil {
		panic(fmt.Sprintf("schema: the built-in schema %s does not marshal: %v", def.ID, err))
	}
	var s Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		panic(fmt.Sprintf("schema: the built-in schema %s does not unmarshal: %v", def.ID, err))
	}
	return s
}
