package scimtest

import "net/http"

const (
	// Google Workspace Admin Help, "About automated user provisioning".
	googleSource = "https://support.google.com/a/answer/7681608"
	// OneLogin knowledge base, the SCIM Provisioner connector (JSON
	// template, parameters table).
	oneLoginSource = "https://onelogin.service-now.com/kb?id=kb_article_view&sysparm_article=KB0013904"
	// JumpCloud, "Identity Management using a Custom SCIM Integration".
	jumpCloudSource = "https://jumpcloud.com/support/provision-and-manage-users-and-groups-in-apps-using-custom-scim-identity-management-integration"
)

// Google returns Google Workspace's scenario. Google documents only that
// "you can add, modify, or delete a user in the Admin console and that
// user's info will be added, modified, or deleted from the third-party
// application as well"; it publishes neither the request bodies nor how it
// finds existing users, so the requests are the plain RFC 7644 forms, and
// the check that matters is the documented delete, including that a deleted
// user's userName can be provisioned again (RFC 7644 §3.6).
func Google() []Scenario {
	userName := "google.{{rand}}@example.com"
	return []Scenario{{
		IdP: "Google", Name: "add, modify, delete, add again", Source: googleSource,
		Steps: []Step{
			{
				Name: "add user", Method: http.MethodPost, Path: "/Users",
				Body: `{"schemas": ["` + userURN + `"], "userName": "` + userName + `",
					"name": {"givenName": "Goo", "familyName": "Gle"},
					"emails": [{"value": "` + userName + `", "type": "work", "primary": true}], "active": true}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"id": "id"},
				Expect:  []Expectation{Equal("userName", userName), Equal("active", true)},
			},
			{
				Name: "modify user", Method: http.MethodPatch, Path: "/Users/{{id}}",
				Body:     `{` + patchOp + `, "Operations": [{"op": "replace", "path": "name.familyName", "value": "Changed"}]}`,
				Statuses: []int{http.StatusOK, http.StatusNoContent},
			},
			{
				Name: "modification is stored", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("name.familyName", "Changed"), Equal("name.givenName", "Goo")},
			},
			{Name: "delete user", Method: http.MethodDelete, Path: "/Users/{{id}}", Status: http.StatusNoContent},
			// RFC 7644 §3.6: after a DELETE the service provider "MUST return a
			// 404 ... for all operations associated with the previously
			// deleted resource", "MUST omit the resource from future query
			// results" and "SHOULD NOT consider the deleted resource in
			// conflict calculation".
			{Name: "deleted user is gone", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusNotFound},
			{
				Name: "deleted user is not listed", Method: http.MethodGet, Path: `/Users?filter=userName eq "` + userName + `"`,
				Status: http.StatusOK, Expect: []Expectation{Equal("totalResults", 0)},
			},
			{
				Name: "PATCH of the deleted user is not found", Method: http.MethodPatch, Path: "/Users/{{id}}",
				Body:   `{` + patchOp + `, "Operations": [{"op": "replace", "path": "active", "value": true}]}`,
				Status: http.StatusNotFound,
			},
			{
				Name: "add the same user again", Method: http.MethodPost, Path: "/Users",
				Body:    `{"schemas": ["` + userURN + `"], "userName": "` + userName + `", "active": true}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"id2": "id"},
				Expect:  []Expectation{Equal("userName", userName)},
			},
			{Name: "clean up", Method: http.MethodDelete, Path: "/Users/{{id2}}", Status: http.StatusNoContent},
		},
	}}
}

// OneLogin returns OneLogin's scenario: the create request its "SCIM
// Provisioner with SAML (SCIM v2 Enterprise)" connector builds from the
// SCIM JSON template, with the parameters the knowledge base lists
// (scimusername, title, department, Manager ID as external_manager_id) and
// the core and enterprise schemas. The article says to leave group
// information out of the template. How OneLogin sends later updates and
// deprovisioning is not described there, so the scenario stops at creation
// and reading back.
func OneLogin() []Scenario {
	userName := "onelogin.{{rand}}@example.com"
	return []Scenario{{
		IdP: "OneLogin", Name: "create from JSON template", Source: oneLoginSource,
		Steps: []Step{
			{
				Name: "create manager", Method: http.MethodPost, Path: "/Users",
				Body:    `{"schemas": ["` + userURN + `"], "userName": "onelogin.manager.{{rand}}@example.com", "active": true}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"manager": "id"},
			},
			{
				Name: "create user", Method: http.MethodPost, Path: "/Users",
				Body: `{
					"schemas": ["` + userURN + `", "` + enterpriseURN + `"],
					"userName": "` + userName + `",
					"name": {"givenName": "One", "familyName": "Login", "formatted": "One Login"},
					"title": "Engineer",
					"emails": [{"value": "` + userName + `", "type": "work", "primary": true}],
					"` + enterpriseURN + `": {
						"department": "R&D",
						"manager": {"value": "{{manager}}", "displayName": "Man Ager"}
					}
				}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"id": "id"},
				Expect: []Expectation{
					Equal("userName", userName), Equal("title", "Engineer"), Equal("name.familyName", "Login"),
					Equal(enterpriseURN+".department", "R&D"),
					// manager.displayName is readOnly (RFC 7643 §4.3): the
					// server may drop it or fill it in, but must not refuse it.
					Equal(enterpriseURN+".manager.value", "{{manager}}"),
				},
			},
			{
				Name: "read back", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("title", "Engineer"), Equal(enterpriseURN+".manager.value", "{{manager}}")},
			},
			{Name: "clean up user", Method: http.MethodDelete, Path: "/Users/{{id}}", Status: http.StatusNoContent},
			{Name: "clean up manager", Method: http.MethodDelete, Path: "/Users/{{manager}}", Status: http.StatusNoContent},
		},
	}}
}

// JumpCloud returns JumpCloud's scenario: its connection test. "A test user
// and test group are created to test the integration. Both will be deleted
// if the DELETE method is supported by the service provider." JumpCloud
// publishes no request bodies, so they are plain RFC 7643 resources (the
// test user carries the e-mail address the admin provides).
func JumpCloud() []Scenario {
	return []Scenario{{
		IdP: "JumpCloud", Name: "connection test", Source: jumpCloudSource,
		Steps: []Step{
			{
				Name: "create test user", Method: http.MethodPost, Path: "/Users",
				Body: `{"schemas": ["` + userURN + `"], "userName": "jumpcloud.{{rand}}@example.com",
					"emails": [{"value": "jumpcloud.{{rand}}@example.com", "type": "work", "primary": true}], "active": true}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"uid": "id"},
			},
			{
				Name: "create test group", Method: http.MethodPost, Path: "/Groups",
				Body:    `{"schemas": ["` + groupURN + `"], "displayName": "JumpCloud test {{rand}}"}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"gid": "id"},
			},
			// RFC 7644 §3.6: DELETE answers 204 No Content.
			{Name: "delete test group", Method: http.MethodDelete, Path: "/Groups/{{gid}}", Status: http.StatusNoContent},
			{Name: "delete test user", Method: http.MethodDelete, Path: "/Users/{{uid}}", Status: http.StatusNoContent},
			{Name: "test group is gone", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusNotFound},
			{Name: "test user is gone", Method: http.MethodGet, Path: "/Users/{{uid}}", Status: http.StatusNotFound},
		},
	}}
}

// Keycloak returns no scenarios. Keycloak's own SCIM support is a SCIM
// server (the preview "scim-api" feature) that other clients provision into;
// Keycloak documents no client that provisions into a SCIM service
// provider, and so no requests to replay. Its externalId handling concerns
// that server, not this one.
func Keycloak() []Scenario { return nil }
