package scimtest

import "net/http"

// Okta's pages the Okta scenarios follow.
const (
	// "Okta and SCIM Version 2.0" (the SCIM 2.0 protocol reference).
	oktaReference = "https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/"
	// "Build your SCIM API service", section "Test your SCIM API": the
	// Runscope spec test and its variables (randomUsernameCaps,
	// UserIdThatDoesNotExist).
	oktaSpecTest = "https://developer.okta.com/docs/guides/scim-provisioning-integration-prepare/main/#test-your-scim-api"
)

// Okta returns Okta's scenarios: user provisioning and deactivation as OIN
// integrations do it, Push Groups, paging, and the Runscope spec test's
// checks.
func Okta() []Scenario {
	return []Scenario{oktaUserLifecycle(), oktaSpecChecks(), oktaPushGroups(), oktaPaging()}
}

const patchOp = `"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`

// oktaHeader is what the reference shows Okta sending: "User-Agent: Okta
// SCIM Client 1.0.0". The Content-Type with a charset is what Okta's
// Runscope suites send (Okta's okta-scim-beta repository,
// SCIM_tests_for_Runscope.json); the reference does not show one.
func oktaHeader() http.Header {
	return http.Header{
		"User-Agent":   {"Okta SCIM Client 1.0.0"},
		"Content-Type": {"application/scim+json; charset=utf-8"},
	}
}

func oktaUserLifecycle() Scenario {
	userName := "okta.{{rand}}@example.com"
	// "The SCIM server response to PATCH method requests can also be a HTTP
	// 204 response, with no body returned." Each PATCH is verified by a GET.
	patchStatus := []int{http.StatusOK, http.StatusNoContent}
	return Scenario{
		IdP: "Okta", Name: "user lifecycle", Source: oktaReference, Header: oktaHeader(),
		Steps: []Step{
			// "Determine if the User already exists": the request form is
			// GET /Users?filter=userName eq "…"&startIndex=1&count=100, and
			// the server "returns an empty response if no Users match". Okta
			// also accepts a 404 here; the ListResponse form is what Entra
			// requires, so it is the one expected.
			{
				Name: "user does not exist yet", Method: http.MethodGet,
				Path:   `/Users?filter=userName eq "` + userName + `"&startIndex=1&count=100`,
				Status: http.StatusOK,
				Expect: []Expectation{
					Contains("schemas", listURN), Equal("totalResults", 0), Equal("startIndex", 1),
					Equal("Resources.#", 0),
				},
			},
			// "Create the User": password, groups: [] and active: true in the
			// body; 201 with the created user ("If the SCIM server returns an
			// empty response body ... Okta marks the operation as invalid").
			{
				Name: "create user", Method: http.MethodPost, Path: "/Users",
				Body: `{
					"schemas": ["` + userURN + `"],
					"userName": "` + userName + `",
					"name": {"givenName": "Test", "familyName": "User"},
					"emails": [{"primary": true, "value": "` + userName + `", "type": "work"}],
					"displayName": "Test User",
					"locale": "en-US",
					"externalId": "00ujl29u0le5{{rand}}",
					"groups": [],
					"password": "1mz050nq",
					"active": true
				}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"id": "id"},
				Expect: []Expectation{
					Present("id"), Equal("userName", userName), Equal("name.givenName", "Test"),
					Equal("emails.0.value", userName), Equal("active", true), Equal("externalId", "00ujl29u0le5{{rand}}"),
					// RFC 7643 §4.1.1: password is never returned.
					Absent("password"),
				},
			},
			// "If the User object that Okta tries to create already exists
			// ... the Service Provider needs to respond with an error schema
			// to stop the provisioning job": 409. RFC 7644 §3.3 names the
			// scimType "uniqueness".
			{
				Name: "duplicate create conflicts", Method: http.MethodPost, Path: "/Users",
				Body:   `{"schemas": ["` + userURN + `"], "userName": "` + userName + `", "groups": [], "password": "1mz050nq", "active": true}`,
				Status: http.StatusConflict,
				Expect: []Expectation{Contains("schemas", errorURN), Equal("scimType", "uniqueness")},
			},
			// "Retrieve a specific User".
			{
				Name: "get user", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusOK,
				Expect: []Expectation{
					Equal("id", "{{id}}"), Equal("userName", userName), Equal("active", true), Absent("password"),
				},
			},
			// "Update a specific User (PUT)": Okta sends back the whole
			// object it read, id, groups and meta included, with the changed
			// attributes ("Another", "Excited").
			{
				Name: "update profile with PUT", Method: http.MethodPut, Path: "/Users/{{id}}",
				Body: `{
					"schemas": ["` + userURN + `"],
					"id": "{{id}}",
					"userName": "` + userName + `",
					"name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
					"emails": [{"primary": true, "value": "` + userName + `", "type": "work", "display": "` + userName + `"}],
					"active": true,
					"groups": [],
					"meta": {"resourceType": "User"}
				}`,
				Status: http.StatusOK,
				Expect: []Expectation{
					Equal("id", "{{id}}"), Equal("name.givenName", "Another"), Equal("name.middleName", "Excited"),
					Equal("active", true), Equal("emails.0.value", userName),
				},
			},
			// "Update a specific User (PATCH)": deactivation.
			{
				Name: "deactivate", Method: http.MethodPatch, Path: "/Users/{{id}}",
				Body:     `{` + patchOp + `, "Operations": [{"op": "replace", "value": {"active": false}}]}`,
				Statuses: patchStatus,
			},
			{
				Name: "user is inactive", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("active", false), Equal("name.middleName", "Excited")},
			},
			// The CRUD test suite "Verifies that the user was deactivated on
			// your SCIM server" — Okta finds users by the userName filter.
			{
				Name: "inactive user is still found", Method: http.MethodGet,
				Path:   `/Users?filter=userName eq "` + userName + `"&startIndex=1&count=100`,
				Status: http.StatusOK,
				Expect: []Expectation{Equal("totalResults", 1), Equal("Resources.0.id", "{{id}}"), Equal("Resources.0.active", false)},
			},
			{
				Name: "reactivate", Method: http.MethodPatch, Path: "/Users/{{id}}",
				Body:     `{` + patchOp + `, "Operations": [{"op": "replace", "value": {"active": true}}]}`,
				Statuses: patchStatus,
			},
			{
				Name: "user is active", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("active", true)},
			},
			// Integrations built with the App Integration Wizard deactivate
			// with PUT ("For any custom app integrations created using the
			// AIW, this request is sent through a PUT method request").
			{
				Name: "deactivate with PUT (AIW)", Method: http.MethodPut, Path: "/Users/{{id}}",
				Body: `{
					"schemas": ["` + userURN + `"],
					"id": "{{id}}",
					"userName": "` + userName + `",
					"name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
					"emails": [{"primary": true, "value": "` + userName + `", "type": "work"}],
					"active": false,
					"groups": [],
					"meta": {"resourceType": "User"}
				}`,
				Status: http.StatusOK,
				Expect: []Expectation{Equal("active", false)},
			},
			// "Okta doesn't perform DELETE operations on User objects"; the
			// user is removed here only to leave the store as found.
			{Name: "clean up", Method: http.MethodDelete, Path: "/Users/{{id}}", Status: http.StatusNoContent},
		},
	}
}

// oktaSpecChecks covers what the Runscope spec test's variables are for.
// The guide lists the variables, not the assertions: randomUsernameCaps
// "to test case sensitivity" (RFC 7643 §4.1.1 makes userName caseExact
// false, so the capitalised name must find the user) and
// UserIdThatDoesNotExist, "a specific UUID considered invalid".
func oktaSpecChecks() Scenario {
	return Scenario{
		IdP: "Okta", Name: "Runscope spec test checks", Source: oktaSpecTest, Header: oktaHeader(),
		Steps: []Step{
			{
				Name: "create user", Method: http.MethodPost, Path: "/Users",
				Body: `{"schemas": ["` + userURN + `"], "userName": "runscope.{{rand}}@example.com",
					"name": {"givenName": "Runscope", "familyName": "Hfluaklab{{rand}}"},
					"emails": [{"primary": true, "value": "runscope.{{rand}}@example.com", "type": "work"}],
					"active": true, "groups": [], "password": "Kv7J2LEa"}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"id": "id"},
			},
			{
				Name: "userName is not case sensitive", Method: http.MethodGet,
				Path:   `/Users?filter=userName eq "RUNSCOPE.{{rand}}@EXAMPLE.COM"&startIndex=1&count=100`,
				Status: http.StatusOK,
				Expect: []Expectation{Equal("totalResults", 1), Equal("Resources.0.id", "{{id}}")},
			},
			{
				Name: "unknown id is not found", Method: http.MethodGet, Path: "/Users/010101001010101011001010101011",
				Status: http.StatusNotFound,
				Expect: []Expectation{Contains("schemas", errorURN)},
			},
			// "Test API Credentials" lists /Users with count=2 and expects a
			// ListResponse with numeric itemsPerPage, startIndex and
			// totalResults ("exchanged as integers, not as strings").
			{
				Name: "list users", Method: http.MethodGet, Path: "/Users?count=2&startIndex=1", Status: http.StatusOK,
				Expect: []Expectation{
					Contains("schemas", listURN), Present("Resources.0.id"), Equal("startIndex", 1), Present("totalResults"),
					Present("itemsPerPage"),
				},
			},
			{Name: "clean up", Method: http.MethodDelete, Path: "/Users/{{id}}", Status: http.StatusNoContent},
		},
	}
}

func oktaPushGroups() Scenario {
	groupName := "Okta Push {{rand}}"
	patchStatus := []int{http.StatusOK, http.StatusNoContent}
	user := func(n string) string {
		return `{"schemas": ["` + userURN + `"], "userName": "okta.push` + n + `.{{rand}}@example.com",
			"name": {"givenName": "Push", "familyName": "User` + n + `"}, "active": true, "groups": [], "password": "1mz050nq"}`
	}
	return Scenario{
		IdP: "Okta", Name: "Push Groups", Source: oktaReference, Header: oktaHeader(),
		Steps: []Step{
			{Name: "create user a", Method: http.MethodPost, Path: "/Users", Body: user("a"), Status: http.StatusCreated, Capture: map[string]string{"a": "id"}},
			{Name: "create user b", Method: http.MethodPost, Path: "/Users", Body: user("b"), Status: http.StatusCreated, Capture: map[string]string{"b": "id"}},
			{Name: "create user c", Method: http.MethodPost, Path: "/Users", Body: user("c"), Status: http.StatusCreated, Capture: map[string]string{"c": "id"}},
			// "Create Groups": members: [].
			{
				Name: "push group", Method: http.MethodPost, Path: "/Groups",
				Body:    `{"schemas": ["` + groupURN + `"], "displayName": "` + groupName + `", "members": []}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"gid": "id"},
				Expect:  []Expectation{Present("id"), Equal("displayName", groupName)},
			},
			// "Retrieve specific Groups".
			{
				Name: "get group", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("id", "{{gid}}"), Equal("displayName", groupName)},
			},
			// "Update specific Group membership": "a full push of the
			// membership ... using the replace operation".
			{
				Name: "replace members", Method: http.MethodPatch, Path: "/Groups/{{gid}}",
				Body: `{` + patchOp + `, "Operations": [{"op": "replace", "path": "members", "value": [
					{"value": "{{a}}", "display": "okta.pusha.{{rand}}@example.com"},
					{"value": "{{b}}", "display": "okta.pushb.{{rand}}@example.com"}]}]}`,
				Statuses: patchStatus,
			},
			{
				Name: "members are a and b", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{
					Equal("members.#", 2), Contains("members", map[string]any{"value": "{{a}}"}),
					Contains("members", map[string]any{"value": "{{b}}"}),
				},
			},
			// "Update a specific Group name": the replace value repeats the
			// group's id. "The group name update operation is triggered each
			// time there is a group membership update operation."
			{
				Name: "rename", Method: http.MethodPatch, Path: "/Groups/{{gid}}",
				Body:     `{` + patchOp + `, "Operations": [{"op": "replace", "value": {"id": "{{gid}}", "displayName": "` + groupName + ` renamed"}}]}`,
				Statuses: patchStatus,
			},
			{
				Name: "group is renamed, members kept", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("id", "{{gid}}"), Equal("displayName", groupName+" renamed"), Equal("members.#", 2)},
			},
			// "Update specific Group membership": remove by value filter and
			// add with value and display, in one request.
			{
				Name: "remove b, add c", Method: http.MethodPatch, Path: "/Groups/{{gid}}",
				Body: `{` + patchOp + `, "Operations": [
					{"op": "remove", "path": "members[value eq \"{{b}}\"]"},
					{"op": "add", "path": "members", "value": [{"value": "{{c}}", "display": "okta.pushc.{{rand}}@example.com"}]}]}`,
				Statuses: patchStatus,
			},
			{
				Name: "members are a and c", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{
					Equal("members.#", 2), Contains("members", map[string]any{"value": "{{a}}"}),
					Contains("members", map[string]any{"value": "{{c}}"}), NotContains("members", map[string]any{"value": "{{b}}"}),
				},
			},
			// "Update a specific User (PUT)": Okta sends back "groups": [] in
			// the user body. groups is readOnly (RFC 7643 §4.1.2) and derived
			// from group membership: the PUT must not take user a out of the
			// pushed group.
			{
				Name: "PUT of a member with groups: []", Method: http.MethodPut, Path: "/Users/{{a}}",
				Body: `{"schemas": ["` + userURN + `"], "id": "{{a}}", "userName": "okta.pusha.{{rand}}@example.com",
					"name": {"givenName": "Push", "familyName": "Usera"}, "active": true, "groups": [], "meta": {"resourceType": "User"}}`,
				Status: http.StatusOK,
			},
			{
				Name: "a is still a member", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("members.#", 2), Contains("members", map[string]any{"value": "{{a}}"})},
			},
			{
				Name: "a lists the group", Method: http.MethodGet, Path: "/Users/{{a}}", Status: http.StatusOK,
				Expect: []Expectation{Contains("groups", map[string]any{"value": "{{gid}}"})},
			},
			// "For custom app integrations created using the AIW, this request
			// to update a Group object is sent through a PUT request", for
			// renames and membership alike. The PUT body is not shown; this
			// is the RFC 7644 §3.5.1 replace with the members Okta wants.
			{
				Name: "AIW: rename and set members with PUT", Method: http.MethodPut, Path: "/Groups/{{gid}}",
				Body: `{"schemas": ["` + groupURN + `"], "id": "{{gid}}", "displayName": "` + groupName + ` AIW",
					"members": [{"value": "{{c}}", "display": "okta.pushc.{{rand}}@example.com"}]}`,
				Status: http.StatusOK,
				Expect: []Expectation{Equal("displayName", groupName+" AIW"), Equal("members.#", 1), Equal("members.0.value", "{{c}}")},
			},
			{
				Name: "a is no longer in the group", Method: http.MethodGet, Path: "/Users/{{a}}", Status: http.StatusOK,
				Expect: []Expectation{NotContains("groups", map[string]any{"value": "{{gid}}"})},
			},
			// "Retrieve Groups": imports page through /Groups.
			{
				Name: "list groups", Method: http.MethodGet, Path: "/Groups?startIndex=1&count=100", Status: http.StatusOK,
				Expect: []Expectation{Contains("schemas", listURN), Present("totalResults"), Present("Resources.0.id")},
			},
			// "Delete a specific Group": unlinking a pushed group with
			// "Delete the group in the target app"; 204.
			{Name: "unlink and delete group", Method: http.MethodDelete, Path: "/Groups/{{gid}}", Status: http.StatusNoContent},
			{Name: "group is gone", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusNotFound},
			{Name: "clean up a", Method: http.MethodDelete, Path: "/Users/{{a}}", Status: http.StatusNoContent},
			{Name: "clean up b", Method: http.MethodDelete, Path: "/Users/{{b}}", Status: http.StatusNoContent},
			{Name: "clean up c", Method: http.MethodDelete, Path: "/Users/{{c}}", Status: http.StatusNoContent},
		},
	}
}

// oktaPaging: "Retrieve Users" pages with startIndex and count, and "The
// SCIM server must consistently return the same ordering of results for the
// requests, regardless of which values are provided for the count and
// startIndex pagination references." Okta pages through all users; on a
// shared store that set is unknown, so the ordering checks page through
// this scenario's own users, selected with a filter Okta itself would not
// send.
func oktaPaging() Scenario {
	user := func(n string) string {
		return `{"schemas": ["` + userURN + `"], "userName": "okta.page.{{rand}}.` + n + `@example.com", "active": true}`
	}
	filter := `filter=userName sw "okta.page.{{rand}}."`
	return Scenario{
		IdP: "Okta", Name: "paging", Source: oktaReference, Header: oktaHeader(),
		Steps: []Step{
			{Name: "create user 1", Method: http.MethodPost, Path: "/Users", Body: user("1"), Status: http.StatusCreated, Capture: map[string]string{"u1": "id"}},
			{Name: "create user 2", Method: http.MethodPost, Path: "/Users", Body: user("2"), Status: http.StatusCreated, Capture: map[string]string{"u2": "id"}},
			{Name: "create user 3", Method: http.MethodPost, Path: "/Users", Body: user("3"), Status: http.StatusCreated, Capture: map[string]string{"u3": "id"}},
			// The store now holds at least three users, so a page of two is
			// full. Counts are integers.
			{
				Name: "first page of all users", Method: http.MethodGet, Path: "/Users?startIndex=1&count=2", Status: http.StatusOK,
				Expect: []Expectation{
					Contains("schemas", listURN), Equal("startIndex", 1), Equal("itemsPerPage", 2), Equal("Resources.#", 2),
					Present("totalResults"),
				},
			},
			{
				Name: "all three on one page", Method: http.MethodGet, Path: "/Users?" + filter + "&startIndex=1&count=100",
				Status:  http.StatusOK,
				Capture: map[string]string{"first": "Resources.0.id", "second": "Resources.1.id", "third": "Resources.2.id"},
				Expect:  []Expectation{Equal("totalResults", 3), Equal("itemsPerPage", 3), Equal("Resources.#", 3)},
			},
			{
				Name: "page 1 of 2", Method: http.MethodGet, Path: "/Users?" + filter + "&startIndex=1&count=2",
				Status: http.StatusOK,
				Expect: []Expectation{
					Equal("totalResults", 3), Equal("startIndex", 1), Equal("itemsPerPage", 2),
					Equal("Resources.0.id", "{{first}}"), Equal("Resources.1.id", "{{second}}"),
				},
			},
			{
				Name: "page 2 of 2", Method: http.MethodGet, Path: "/Users?" + filter + "&startIndex=3&count=2",
				Status: http.StatusOK,
				Expect: []Expectation{
					Equal("totalResults", 3), Equal("startIndex", 3), Equal("itemsPerPage", 1), Equal("Resources.#", 1),
					Equal("Resources.0.id", "{{third}}"),
				},
			},
			{
				Name: "page 1 again, same order", Method: http.MethodGet, Path: "/Users?" + filter + "&startIndex=1&count=2",
				Status: http.StatusOK,
				Expect: []Expectation{Equal("Resources.0.id", "{{first}}"), Equal("Resources.1.id", "{{second}}")},
			},
			{
				Name: "a page past the end is empty", Method: http.MethodGet, Path: "/Users?" + filter + "&startIndex=101&count=100",
				Status: http.StatusOK,
				Expect: []Expectation{Equal("totalResults", 3), Equal("Resources.#", 0)},
			},
			{Name: "clean up 1", Method: http.MethodDelete, Path: "/Users/{{u1}}", Status: http.StatusNoContent},
			{Name: "clean up 2", Method: http.MethodDelete, Path: "/Users/{{u2}}", Status: http.StatusNoContent},
			{Name: "clean up 3", Method: http.MethodDelete, Path: "/Users/{{u3}}", Status: http.StatusNoContent},
		},
	}
}
