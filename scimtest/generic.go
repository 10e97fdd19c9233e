package scimtest

import "net/http"

const (
	// RFC 7644, "System for Cross-domain Identity Management: Protocol".
	rfc7644 = "https://www.rfc-editor.org/rfc/rfc7644"

	searchRequestURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
)

// Generic returns the conversation of a generic SCIM client, one written
// from RFC 7644 alone: discovery, the user lifecycle, groups and their
// members, and listing with filters, sorting, paging, projection and POST
// /.search. The request bodies follow the RFC's own examples (Barbara
// Jensen, "Tour Guides"), with names made unique per run.
func Generic() []Scenario {
	return []Scenario{genericDiscovery(), genericUserLifecycle(), genericGroups(), genericListing()}
}

// genericDiscovery: RFC 7644 §4. Clients read the service provider's
// configuration before anything else to learn what it supports.
func genericDiscovery() Scenario {
	return Scenario{
		IdP: "Generic", Name: "RFC 7644 discovery", Source: rfc7644 + "#section-4",
		Steps: []Step{
			{
				Name: "service provider configuration", Method: http.MethodGet, Path: "/ServiceProviderConfig", Status: http.StatusOK,
				Expect: []Expectation{
					Contains("schemas", "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"),
					Equal("patch.supported", true), Equal("filter.supported", true), Present("filter.maxResults"),
					Present("bulk.supported"), Present("changePassword.supported"), Present("sort.supported"),
					Present("etag.supported"), Present("authenticationSchemes"),
				},
			},
			{
				Name: "resource types", Method: http.MethodGet, Path: "/ResourceTypes", Status: http.StatusOK,
				Expect: []Expectation{
					Contains("Resources", map[string]any{"name": "User", "endpoint": "/Users", "schema": userURN}),
					Contains("Resources", map[string]any{"name": "Group", "endpoint": "/Groups", "schema": groupURN}),
				},
			},
			{
				Name: "schemas", Method: http.MethodGet, Path: "/Schemas", Status: http.StatusOK,
				Expect: []Expectation{
					Contains("Resources", map[string]any{"id": userURN}), Contains("Resources", map[string]any{"id": groupURN}),
				},
			},
			{
				Name: "user schema by id", Method: http.MethodGet, Path: "/Schemas/" + userURN, Status: http.StatusOK,
				Expect: []Expectation{Equal("id", userURN), Contains("attributes", map[string]any{"name": "userName"})},
			},
		},
	}
}

func genericUserLifecycle() Scenario {
	userName := "bjensen.{{rand}}"
	patch := func(ops string) string {
		return `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [` + ops + `]}`
	}
	return Scenario{
		IdP: "Generic", Name: "RFC 7644 user lifecycle", Source: rfc7644 + "#section-3",
		Steps: []Step{
			// §3.3: the creation example; 201 with the resource, meta
			// filled in by the service provider.
			{
				Name: "create", Method: http.MethodPost, Path: "/Users",
				Body: `{"schemas": ["` + userURN + `"], "userName": "` + userName + `", "externalId": "` + userName + `",
					"name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"}}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"id": "id"},
				Expect: []Expectation{
					Present("id"), Contains("schemas", userURN), Equal("userName", userName), Equal("externalId", userName),
					Equal("name.familyName", "Jensen"), Equal("meta.resourceType", "User"), Present("meta.location"),
					Present("meta.created"), Present("meta.lastModified"),
				},
			},
			// §3.3: "If the service provider determines that the creation of
			// the requested resource conflicts with existing resources ...
			// MUST return HTTP status code 409 (Conflict) with a "scimType"
			// error code of "uniqueness"".
			{
				Name: "duplicate userName conflicts", Method: http.MethodPost, Path: "/Users",
				Body:   `{"schemas": ["` + userURN + `"], "userName": "` + userName + `"}`,
				Status: http.StatusConflict,
				Expect: []Expectation{Contains("schemas", errorURN), Equal("scimType", "uniqueness"), Equal("status", "409")},
			},
			// §3.4.1.
			{
				Name: "get by id", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("id", "{{id}}"), Equal("userName", userName), Equal("name.givenName", "Barbara")},
			},
			// §3.5.1: the replace example, with types on the e-mails so the
			// value filters below have something to select.
			{
				Name: "replace with PUT", Method: http.MethodPut, Path: "/Users/{{id}}",
				Body: `{"schemas": ["` + userURN + `"], "id": "{{id}}", "userName": "` + userName + `", "externalId": "` + userName + `",
					"name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane"},
					"roles": [],
					"emails": [{"value": "bjensen.{{rand}}@example.com", "type": "work", "primary": true},
						{"value": "babs.{{rand}}@jensen.org", "type": "home"}]}`,
				Status: http.StatusOK,
				Expect: []Expectation{
					Equal("id", "{{id}}"), Equal("name.middleName", "Jane"), Equal("emails.#", 2),
					Contains("emails", map[string]any{"type": "home", "value": "babs.{{rand}}@jensen.org"}),
				},
			},
			// §3.4.2.2 filters.
			{
				Name: "filter eq", Method: http.MethodGet, Path: `/Users?filter=userName eq "` + userName + `"`,
				Status: http.StatusOK,
				Expect: []Expectation{
					Contains("schemas", listURN), Equal("totalResults", 1), Equal("Resources.0.id", "{{id}}"),
				},
			},
			{
				Name: "filter co, sw, pr with and", Method: http.MethodGet,
				Path:   `/Users?filter=name.familyName co "ense" and userName sw "` + userName + `" and name.middleName pr`,
				Status: http.StatusOK,
				Expect: []Expectation{Equal("totalResults", 1), Equal("Resources.0.id", "{{id}}")},
			},
			{
				Name: "filter with a value path", Method: http.MethodGet,
				Path:   `/Users?filter=userName eq "` + userName + `" and emails[type eq "work" and value co "@example.com"]`,
				Status: http.StatusOK,
				Expect: []Expectation{Equal("totalResults", 1), Equal("Resources.0.id", "{{id}}")},
			},
			{
				Name: "filter with or, not and grouping", Method: http.MethodGet,
				Path:   `/Users?filter=userName eq "` + userName + `" and not (emails.value co "@example.org" or title pr)`,
				Status: http.StatusOK,
				Expect: []Expectation{Equal("totalResults", 1)},
			},
			// §3.4.2.5: attributes and excludedAttributes; "id" is always
			// returned.
			{
				Name: "attributes", Method: http.MethodGet, Path: "/Users/{{id}}?attributes=userName,name.givenName", Status: http.StatusOK,
				Expect: []Expectation{
					Equal("id", "{{id}}"), Equal("userName", userName), Equal("name.givenName", "Barbara"),
					Absent("name.familyName"), Absent("emails"),
				},
			},
			{
				Name: "excludedAttributes", Method: http.MethodGet, Path: "/Users/{{id}}?excludedAttributes=emails,name", Status: http.StatusOK,
				Expect: []Expectation{Equal("id", "{{id}}"), Equal("userName", userName), Absent("emails"), Absent("name")},
			},
			// §3.5.2.1: add without a path, the example's value.
			{
				Name: "PATCH add without path", Method: http.MethodPatch, Path: "/Users/{{id}}",
				Body:     patch(`{"op": "add", "value": {"emails": [{"value": "babs2.{{rand}}@jensen.org", "type": "other"}], "nickname": "Babs"}}`),
				Statuses: []int{http.StatusOK, http.StatusNoContent},
			},
			{
				Name: "the add is stored", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("nickName", "Babs"), Equal("emails.#", 3), Contains("emails", map[string]any{"type": "other"})},
			},
			// §3.5.2.2: remove with a value filter.
			{
				Name: "PATCH remove with a filter", Method: http.MethodPatch, Path: "/Users/{{id}}",
				Body:     patch(`{"op": "remove", "path": "emails[type eq \"other\"]"}`),
				Statuses: []int{http.StatusOK, http.StatusNoContent},
			},
			// §3.5.2.3: replace a sub-attribute selected by a value filter,
			// and a replace without a path.
			{
				Name: "PATCH replace", Method: http.MethodPatch, Path: "/Users/{{id}}",
				Body: patch(`{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "barbara.{{rand}}@example.com"},
					{"op": "replace", "value": {"displayName": "Babs Jensen", "active": true}}`),
				Statuses: []int{http.StatusOK, http.StatusNoContent},
			},
			{
				Name: "the patches are stored", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusOK,
				Expect: []Expectation{
					Equal("emails.#", 2), NotContains("emails", map[string]any{"type": "other"}),
					Contains("emails", map[string]any{"type": "work", "value": "barbara.{{rand}}@example.com"}),
					Equal("displayName", "Babs Jensen"), Equal("active", true), Equal("name.middleName", "Jane"),
				},
			},
			// §3.6: 204, then 404 for the resource and no query result.
			{Name: "delete", Method: http.MethodDelete, Path: "/Users/{{id}}", Status: http.StatusNoContent},
			{
				Name: "deleted user is not found", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusNotFound,
				Expect: []Expectation{Contains("schemas", errorURN), Equal("status", "404")},
			},
			{
				Name: "deleted user is not listed", Method: http.MethodGet, Path: `/Users?filter=userName eq "` + userName + `"`,
				Status: http.StatusOK,
				Expect: []Expectation{Equal("totalResults", 0)},
			},
		},
	}
}

func genericGroups() Scenario {
	groupName := "Tour Guides {{rand}}"
	patch := func(ops string) string {
		return `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [` + ops + `]}`
	}
	patchStatus := []int{http.StatusOK, http.StatusNoContent}
	return Scenario{
		IdP: "Generic", Name: "RFC 7644 groups", Source: rfc7644 + "#section-3.5.2",
		Steps: []Step{
			{
				Name: "create babs", Method: http.MethodPost, Path: "/Users",
				Body:   `{"schemas": ["` + userURN + `"], "userName": "babs.{{rand}}", "displayName": "Babs Jensen"}`,
				Status: http.StatusCreated, Capture: map[string]string{"babs": "id"},
			},
			{
				Name: "create mandy", Method: http.MethodPost, Path: "/Users",
				Body:   `{"schemas": ["` + userURN + `"], "userName": "mandy.{{rand}}", "displayName": "Mandy Pepperidge"}`,
				Status: http.StatusCreated, Capture: map[string]string{"mandy": "id"},
			},
			// RFC 7643 §8.4: the group example, with one member.
			{
				Name: "create group", Method: http.MethodPost, Path: "/Groups",
				Body: `{"schemas": ["` + groupURN + `"], "displayName": "` + groupName + `",
					"members": [{"value": "{{babs}}", "display": "Babs Jensen"}]}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"gid": "id"},
				Expect: []Expectation{
					Present("id"), Equal("displayName", groupName), Equal("meta.resourceType", "Group"),
					Equal("members.#", 1), Equal("members.0.value", "{{babs}}"),
				},
			},
			// §3.5.2.1: the "add members" example, with a $ref.
			{
				Name: "PATCH add a member", Method: http.MethodPatch, Path: "/Groups/{{gid}}",
				Body: patch(`{"op": "add", "path": "members", "value": [
					{"display": "Mandy Pepperidge", "$ref": "https://example.com/v2/Users/{{mandy}}", "value": "{{mandy}}"}]}`),
				Statuses: patchStatus,
			},
			{
				Name: "both are members", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{
					Equal("members.#", 2), Contains("members", map[string]any{"value": "{{babs}}"}),
					Contains("members", map[string]any{"value": "{{mandy}}"}),
				},
			},
			// RFC 7643 §4.1.2: a user's groups are read-only and derived from
			// group membership.
			{
				Name: "the user lists the group", Method: http.MethodGet, Path: "/Users/{{mandy}}", Status: http.StatusOK,
				Expect: []Expectation{Contains("groups", map[string]any{"value": "{{gid}}", "display": groupName})},
			},
			// §3.5.2.2: remove one member by filter.
			{
				Name: "PATCH remove a member", Method: http.MethodPatch, Path: "/Groups/{{gid}}",
				Body:     patch(`{"op": "remove", "path": "members[value eq \"{{babs}}\"]"}`),
				Statuses: patchStatus,
			},
			{
				Name: "one member is left", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("members.#", 1), Equal("members.0.value", "{{mandy}}")},
			},
			// §3.5.2.2: "remove all members of a group".
			{
				Name: "PATCH remove all members", Method: http.MethodPatch, Path: "/Groups/{{gid}}",
				Body:     patch(`{"op": "remove", "path": "members"}`),
				Statuses: patchStatus,
			},
			{
				Name: "no member is left", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{Absent("members.0")},
			},
			// §3.5.2.3: replace all members.
			{
				Name: "PATCH replace members", Method: http.MethodPatch, Path: "/Groups/{{gid}}",
				Body: patch(`{"op": "replace", "path": "members", "value": [
					{"display": "Babs Jensen", "value": "{{babs}}"}, {"display": "Mandy Pepperidge", "value": "{{mandy}}"}]}`),
				Statuses: patchStatus,
			},
			{
				Name: "members are replaced", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("members.#", 2)},
			},
			{
				Name: "filter groups by displayName", Method: http.MethodGet, Path: `/Groups?filter=displayName eq "` + groupName + `"`,
				Status: http.StatusOK,
				Expect: []Expectation{Equal("totalResults", 1), Equal("Resources.0.id", "{{gid}}")},
			},
			// §3.5.1: a PUT with a member list replaces it.
			{
				Name: "replace with PUT", Method: http.MethodPut, Path: "/Groups/{{gid}}",
				Body: `{"schemas": ["` + groupURN + `"], "id": "{{gid}}", "displayName": "` + groupName + ` renamed",
					"members": [{"value": "{{babs}}"}]}`,
				Status: http.StatusOK,
				Expect: []Expectation{Equal("displayName", groupName+" renamed"), Equal("members.#", 1), Equal("members.0.value", "{{babs}}")},
			},
			{Name: "delete group", Method: http.MethodDelete, Path: "/Groups/{{gid}}", Status: http.StatusNoContent},
			{Name: "group is gone", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusNotFound},
			{
				Name: "the user no longer lists it", Method: http.MethodGet, Path: "/Users/{{babs}}", Status: http.StatusOK,
				Expect: []Expectation{NotContains("groups", map[string]any{"value": "{{gid}}"})},
			},
			{Name: "delete babs", Method: http.MethodDelete, Path: "/Users/{{babs}}", Status: http.StatusNoContent},
			{Name: "delete mandy", Method: http.MethodDelete, Path: "/Users/{{mandy}}", Status: http.StatusNoContent},
		},
	}
}

// genericListing pages, sorts and searches this scenario's own users,
// selected by a userName prefix, so that other data in the store does not
// matter.
func genericListing() Scenario {
	prefix := "rfc.list.{{rand}}."
	user := func(n, family string) string {
		return `{"schemas": ["` + userURN + `"], "userName": "` + prefix + n + `", "name": {"familyName": "` + family + `"}}`
	}
	filter := `filter=userName sw "` + prefix + `"`
	return Scenario{
		IdP: "Generic", Name: "RFC 7644 listing", Source: rfc7644 + "#section-3.4.2",
		Steps: []Step{
			{Name: "create c", Method: http.MethodPost, Path: "/Users", Body: user("c", "Cee"), Status: http.StatusCreated, Capture: map[string]string{"c": "id"}},
			{Name: "create a", Method: http.MethodPost, Path: "/Users", Body: user("a", "Ay"), Status: http.StatusCreated, Capture: map[string]string{"a": "id"}},
			{Name: "create b", Method: http.MethodPost, Path: "/Users", Body: user("b", "Bee"), Status: http.StatusCreated, Capture: map[string]string{"b": "id"}},
			// §3.4.2.3.
			{
				Name: "sort ascending", Method: http.MethodGet, Path: "/Users?" + filter + "&sortBy=userName&sortOrder=ascending",
				Status: http.StatusOK,
				Expect: []Expectation{
					Equal("totalResults", 3), Equal("Resources.0.id", "{{a}}"), Equal("Resources.1.id", "{{b}}"), Equal("Resources.2.id", "{{c}}"),
				},
			},
			{
				Name: "sort descending", Method: http.MethodGet, Path: "/Users?" + filter + "&sortBy=userName&sortOrder=descending",
				Status: http.StatusOK,
				Expect: []Expectation{Equal("Resources.0.id", "{{c}}"), Equal("Resources.2.id", "{{a}}")},
			},
			// §3.4.2.4: 1-based startIndex; itemsPerPage is the number
			// returned.
			{
				Name: "page 1", Method: http.MethodGet, Path: "/Users?" + filter + "&sortBy=userName&startIndex=1&count=2",
				Status: http.StatusOK,
				Expect: []Expectation{
					Equal("totalResults", 3), Equal("startIndex", 1), Equal("itemsPerPage", 2), Equal("Resources.#", 2),
					Equal("Resources.0.id", "{{a}}"), Equal("Resources.1.id", "{{b}}"),
				},
			},
			{
				Name: "page 2", Method: http.MethodGet, Path: "/Users?" + filter + "&sortBy=userName&startIndex=3&count=2",
				Status: http.StatusOK,
				Expect: []Expectation{
					Equal("totalResults", 3), Equal("startIndex", 3), Equal("itemsPerPage", 1), Equal("Resources.0.id", "{{c}}"),
				},
			},
			// "A value of "0" indicates that no resource results are to be
			// returned except for "totalResults"."
			{
				Name: "count=0 returns only the total", Method: http.MethodGet, Path: "/Users?" + filter + "&count=0",
				Status: http.StatusOK,
				Expect: []Expectation{Equal("totalResults", 3), Absent("Resources.0")},
			},
			// §3.4.3: the SearchRequest example.
			{
				Name: "POST /.search", Method: http.MethodPost, Path: "/Users/.search",
				Body: `{"schemas": ["` + searchRequestURN + `"], "attributes": ["userName"], "filter": "userName sw \"` + prefix + `\"",
					"sortBy": "userName", "startIndex": 1, "count": 10}`,
				Status: http.StatusOK,
				Expect: []Expectation{
					Contains("schemas", listURN), Equal("totalResults", 3), Equal("Resources.0.id", "{{a}}"),
					Equal("Resources.0.userName", prefix+"a"), Absent("Resources.0.name"),
				},
			},
			// §3.4.2.2: "If the specified filter is invalid ... 400 with
			// scimType invalidFilter" (§3.12).
			{
				Name: "invalid filter", Method: http.MethodGet, Path: `/Users?filter=userName eq`, Status: http.StatusBadRequest,
				Expect: []Expectation{Contains("schemas", errorURN), Equal("scimType", "invalidFilter"), Equal("status", "400")},
			},
			{Name: "clean up a", Method: http.MethodDelete, Path: "/Users/{{a}}", Status: http.StatusNoContent},
			{Name: "clean up b", Method: http.MethodDelete, Path: "/Users/{{b}}", Status: http.StatusNoContent},
			{Name: "clean up c", Method: http.MethodDelete, Path: "/Users/{{c}}", Status: http.StatusNoContent},
		},
	}
}
