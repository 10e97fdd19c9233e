package main

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	elimityfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	filterparser "github.com/scim2/filter-parser/v2"
)

// newElimityServer returns a plain github.com/elimity-com/scim Server for
// /Users (core schema plus the enterprise extension) and /Groups, each
// backed by a naiveStore: the baseline "what you get by writing the
// obvious ResourceHandler yourself" that scimkit is compared against.
func newElimityServer() (http.Handler, error) {
	userSchema := schema.CoreUserSchema()
	groupSchema := schema.CoreGroupSchema()
	srv, err := elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{
			SupportFiltering: true,
			SupportPatch:     true,
			MaxResults:       1000,
		},
		ResourceTypes: []elimity.ResourceType{
			{
				ID:               optional.NewString("User"),
				Name:             "User",
				Endpoint:         "/Users",
				Schema:           userSchema,
				SchemaExtensions: []elimity.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
				Handler:          newNaiveStore(userSchema, false),
			},
			{
				ID:       optional.NewString("Group"),
				Name:     "Group",
				Endpoint: "/Groups",
				Schema:   groupSchema,
				Handler:  newNaiveStore(groupSchema, true),
			},
		},
	})
	if err != nil {
		return nil, err
	}
	return srv, nil
}

// naiveStore is a deliberately simple, map-backed elimity ResourceHandler
// for one resource type. It is what a developer writes in an afternoon on
// top of the library, and it skips everything scimkit does beyond that:
//
//   - no uniqueness of userName (or anything else), no referential
//     integrity (group members may name users that do not exist, deleting a
//     user leaves it in groups, User.groups is never filled in);
//   - lists scan every resource and run elimity's PassesFilter on each (no
//     index, so a userName eq lookup is O(n)), in creation order, without
//     sortBy or attribute projection;
//   - PATCH handles add/replace/remove on a top-level attribute, a
//     sub-attribute (name.givenName) or a path-less value map, and remove
//     with a value filter (members[value eq "…"]); add/replace through a
//     value filter and URN-prefixed paths are answered 400 invalidPath;
//   - no ETags / If-Match, no transactions, hooks or audit; the version is a
//     counter.
//
// Stored attribute maps are never modified after they are stored (PATCH
// builds a new map), so resources handed to the library for encoding need
// no copy and no lock.
type naiveStore struct {
	schema schema.Schema
	// groupPatch204 makes a successful PATCH answer 204 No Content, as
	// scimkit does for groups, so both servers send the same responses.
	groupPatch204 bool

	mu    sync.RWMutex
	next  uint64
	byID  map[string]*naiveRecord
	order []string // ids in creation order
}

type naiveRecord struct {
	id       string
	external optional.String
	attrs    elimity.ResourceAttributes
	created  time.Time
	modified time.Time
	version  uint64
}

func newNaiveStore(s schema.Schema, groupPatch204 bool) *naiveStore {
	return &naiveStore{schema: s, groupPatch204: groupPatch204, byID: make(map[string]*naiveRecord)}
}

func (rec *naiveRecord) resource() elimity.Resource {
	created, modified := rec.created, rec.modified
	return elimity.Resource{
		ID:         rec.id,
		ExternalID: rec.external,
		Attributes: rec.attrs,
		Meta: elimity.Meta{
			Created:      &created,
			LastModified: &modified,
			Version:      `W/"` + strconv.FormatUint(rec.version, 10) + `"`,
		},
	}
}

// externalID moves externalId out of the attributes, where the library's
// validation puts it, into the Resource field the library renders.
func externalID(attrs elimity.ResourceAttributes) optional.String {
	v, ok := attrs[schema.CommonAttributeExternalID].(string)
	delete(attrs, schema.CommonAttributeExternalID)
	if !ok {
		return optional.String{}
	}
	return optional.NewString(v)
}

// Create implements elimity.ResourceHandler.
func (s *naiveStore) Create(_ *http.Request, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	now := time.Now()
	ext := externalID(attrs)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	rec := &naiveRecord{id: strconv.FormatUint(s.next, 16), external: ext, attrs: attrs, created: now, modified: now, version: 1}
	s.byID[rec.id] = rec
	s.order = append(s.order, rec.id)
	return rec.resource(), nil
}

// Get implements elimity.ResourceHandler.
func (s *naiveStore) Get(_ *http.Request, id string) (elimity.Resource, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, ok := s.byID[id]
	if !ok {
		return elimity.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return rec.resource(), nil
}

// GetAll implements elimity.ResourceHandler with a full scan.
func (s *naiveStore) GetAll(_ *http.Request, params elimity.ListRequestParams) (elimity.Page, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	page := elimity.Page{Resources: []elimity.Resource{}}
	for _, id := range s.order {
		rec := s.byID[id]
		if params.FilterValidator != nil {
			if err := params.FilterValidator.PassesFilter(rec.attrs); err != nil {
				continue
			}
		}
		page.TotalResults++
		if page.TotalResults >= params.StartIndex && len(page.Resources) < params.Count {
			page.Resources = append(page.Resources, rec.resource())
		}
	}
	return page, nil
}

// Replace implements elimity.ResourceHandler.
func (s *naiveStore) Replace(_ *http.Request, id string, attrs elimity.ResourceAttributes) (elimity.Resource, error) {
	ext := externalID(attrs)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.byID[id]
	if !ok {
		return elimity.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	rec := &naiveRecord{id: id, external: ext, attrs: attrs, created: old.created, modified: time.Now(), version: old.version + 1}
	s.byID[id] = rec
	return rec.resource(), nil
}

// Delete implements elimity.ResourceHandler.
func (s *naiveStore) Delete(_ *http.Request, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[id]; !ok {
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	delete(s.byID, id)
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	return nil
}

// Patch implements elimity.ResourceHandler on a copy of the stored
// attributes, which replaces them only when every operation applied.
func (s *naiveStore) Patch(_ *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.byID[id]
	if !ok {
		return elimity.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	attrs := make(elimity.ResourceAttributes, len(old.attrs))
	for k, v := range old.attrs {
		attrs[k] = v
	}
	for _, op := range ops {
		if err := s.apply(attrs, op); err != nil {
			return elimity.Resource{}, err
		}
	}
	rec := &naiveRecord{id: id, external: old.external, attrs: attrs, created: old.created, modified: time.Now(), version: old.version + 1}
	s.byID[id] = rec
	if s.groupPatch204 {
		return elimity.Resource{}, nil
	}
	return rec.resource(), nil
}

// apply applies one validated operation to attrs, copying (never
// modifying) any nested map or slice it changes.
func (s *naiveStore) apply(attrs elimity.ResourceAttributes, op elimity.PatchOperation) error {
	if op.Path == nil {
		values, ok := op.Value.(map[string]interface{})
		if !ok {
			return scimerrors.ScimErrorInvalidValue
		}
		for k, v := range values {
			attrs[s.attrName(k)] = v
		}
		return nil
	}
	p := op.Path.AttributePath
	if p.URIPrefix != nil {
		return scimerrors.ScimErrorInvalidPath
	}
	name := s.attrName(p.AttributeName)
	switch {
	case op.Path.ValueExpression != nil:
		if op.Op != elimity.PatchOperationRemove {
			return scimerrors.ScimErrorInvalidPath
		}
		return s.removeMatching(attrs, name, op.Path.ValueExpression)
	case p.SubAttribute != nil:
		sub := copyMap(attrs[name])
		if op.Op == elimity.PatchOperationRemove {
			delete(sub, *p.SubAttribute)
		} else {
			sub[*p.SubAttribute] = op.Value
		}
		attrs[name] = sub
	case op.Op == elimity.PatchOperationRemove:
		delete(attrs, name)
	case op.Op == elimity.PatchOperationAdd:
		old, oldOK := attrs[name].([]interface{})
		add, addOK := op.Value.([]interface{})
		if !oldOK || !addOK {
			attrs[name] = op.Value
			return nil
		}
		merged := append([]interface{}(nil), old...)
		for _, v := range add {
			if !containsDeep(merged, v) {
				merged = append(merged, v)
			}
		}
		attrs[name] = merged
	default: // replace
		attrs[name] = op.Value
	}
	return nil
}

// removeMatching drops the values of the multi-valued attribute name that
// pass the value filter expr, evaluated with elimity's PassesFilter.
func (s *naiveStore) removeMatching(attrs elimity.ResourceAttributes, name string, expr filterparser.Expression) error {
	attr, ok := s.schema.Attributes.ContainsAttribute(name)
	if !ok || !attr.MultiValued() {
		return scimerrors.ScimErrorInvalidPath
	}
	v := elimityfilter.NewFilterValidator(expr, schema.Schema{ID: s.schema.ID, Attributes: attr.SubAttributes()})
	old, _ := attrs[name].([]interface{})
	kept := make([]interface{}, 0, len(old))
	for _, item := range old {
		m, ok := item.(map[string]interface{})
		if ok && v.PassesFilter(m) == nil {
			continue
		}
		kept = append(kept, item)
	}
	attrs[name] = kept
	return nil
}

// attrName is the schema's spelling of a top-level attribute name, or name
// itself when the schema has no such attribute.
func (s *naiveStore) attrName(name string) string {
	for _, a := range s.schema.Attributes {
		if strings.EqualFold(a.Name(), name) {
			return a.Name()
		}
	}
	return name
}

func copyMap(v any) map[string]interface{} {
	old, _ := v.(map[string]interface{})
	out := make(map[string]interface{}, len(old)+1)
	for k, x := range old {
		out[k] = x
	}
	return out
}

func containsDeep(list []interface{}, v interface{}) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, v) {
			return true
		}
	}
	return false
}
