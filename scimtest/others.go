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

// The Keycloak scenarios follow the community "keycloak-scim" extension,
// which libre.sh started (lab.libreho.st/libre.sh/scim/keycloak-scim) and
// which the mitodl fork on GitHub carries on. Keycloak itself ships no
// client that provisions into a SCIM service provider: its own SCIM support
// is a service provider (an experimental feature of Keycloak 26), and a
// pull request that would add this extension's client as an experimental
// feature (keycloak/keycloak#34733) is unmerged. The extension publishes no
// request examples; the bodies below are what its source builds, read from
// sh/libre/scim/core/{ScimClient,UserAdapter,GroupAdapter}.java and
// sh/libre/scim/event/ScimEventListenerProvider.java at the two commits
// cited.
const (
	// The extension on the UnboundID SCIM 2 SDK (2022): every change is a
	// PUT of the whole resource, with meta.location giving the target.
	keycloakPutSource = "https://github.com/mitodl/keycloak-scim/tree/30e1df99cc184f19c4b06f014b7b66c14bd43cc6/src/main/java/sh/libre/scim"
	// The extension on the Captain Goldfish SCIM SDK (2023 on), with the
	// "Use patchOp for groups/users" options turned on.
	keycloakPatchSource = "https://github.com/mitodl/keycloak-scim/tree/099fbe8321a182f30be6ea2c8e90d6e4ead4e907/src/main/java/sh/libre/scim"
)

// Keycloak returns the scenarios of Keycloak with the keycloak-scim
// extension: propagation by PUT of whole resources (the extension's default)
// and by PATCH (its patchOp options).
//
// Its externalId handling is the point of both: the extension sends the
// Keycloak id of a user or group as externalId, keeps the service
// provider's id from the create response, and addresses every later
// request by that id. PUTs echo the whole resource back, id, externalId and
// meta.location included, and omit attributes it does not manage (groups,
// and members when a group is empty).
func Keycloak() []Scenario {
	return []Scenario{keycloakPutPropagation(), keycloakPatchPropagation()}
}

func keycloakPutPropagation() Scenario {
	kcUser := "6f1c2d9e-4b7a-4c1e-9d3f-{{rand}}"
	kcGroup := "b2e4a7c1-3d5f-4e6a-8b9c-{{rand}}"
	userName := "kc.{{rand}}"
	groupName := "kc-group-{{rand}}"
	// UserAdapter.toSCIM: externalId is the Keycloak id, displayName is
	// "first last" (or the username), one primary e-mail, active from
	// "enabled", and roles are the realm roles marked scim=true, always
	// sent (empty when none). With meta (true for a replace), id and
	// meta.location carry the service provider's id: the UnboundID SDK
	// takes the PUT's URL from meta.location.
	user := func(displayName, mail, active, roles string, replace bool) string {
		b := `{"schemas": ["` + userURN + `"], `
		if replace {
			b += `"id": "{{id}}", "meta": {"location": "Users/{{id}}"}, `
		}
		return b + `"externalId": "` + kcUser + `", "userName": "` + userName + `",
			"displayName": "` + displayName + `", "emails": [{"value": "` + mail + `", "primary": true}],
			"active": ` + active + `, "roles": [` + roles + `]}`
	}
	// GroupAdapter.toSCIM: members only when the group has some, each with
	// the member's service-provider id and a relative $ref.
	group := func(displayName, members string, replace bool) string {
		b := `{"schemas": ["` + groupURN + `"], `
		if replace {
			b += `"id": "{{gid}}", "meta": {"location": "Groups/{{gid}}"}, `
		}
		b += `"externalId": "` + kcGroup + `", "displayName": "` + displayName + `"`
		if members != "" {
			b += `, "members": [` + members + `]`
		}
		return b + `}`
	}
	member := `{"value": "{{id}}", "$ref": "Users/{{id}}"}`
	return Scenario{
		IdP: "Keycloak", Name: "keycloak-scim propagation by PUT", Source: keycloakPutSource,
		// The UnboundID SDK asks for either media type; the extension's
		// "Endpoint content type" option defaults to application/scim+json.
		Header: http.Header{"Accept": {"application/scim+json, application/json"}},
		Steps: []Step{
			// Admin event USER CREATE: ScimClient.create POSTs, then keeps
			// the id of the response as the mapping to the Keycloak user.
			{
				Name: "user created", Method: http.MethodPost, Path: "/Users",
				Body:    user("Kay Cloak", "kc.{{rand}}@example.com", "true", "", false),
				Status:  http.StatusCreated,
				Capture: map[string]string{"id": "id"},
				Expect: []Expectation{
					Present("id"), Equal("externalId", kcUser), Equal("userName", userName),
					Equal("displayName", "Kay Cloak"), Equal("emails.0.value", "kc.{{rand}}@example.com"),
					Equal("active", true),
				},
			},
			// Admin event GROUP CREATE: a new group has no members, so the
			// body has none.
			{
				Name: "group created", Method: http.MethodPost, Path: "/Groups",
				Body:    group(groupName, "", false),
				Status:  http.StatusCreated,
				Capture: map[string]string{"gid": "id"},
				Expect:  []Expectation{Present("id"), Equal("externalId", kcGroup), Equal("displayName", groupName)},
			},
			// Admin event GROUP_MEMBERSHIP: a replace of the group, then of
			// the user (whose roles may come from the group).
			{
				Name: "user joins: group PUT with its members", Method: http.MethodPut, Path: "/Groups/{{gid}}",
				Body:   group(groupName, member, true),
				Status: http.StatusOK,
				Expect: []Expectation{
					Equal("id", "{{gid}}"), Equal("externalId", kcGroup), Equal("members.#", 1),
					Equal("members.0.value", "{{id}}"),
				},
			},
			// The user PUT carries no groups (the extension never sends
			// them): membership must survive it, groups being readOnly and
			// derived (RFC 7643 §4.1.2).
			{
				Name: "user joins: user PUT with a role", Method: http.MethodPut, Path: "/Users/{{id}}",
				Body:   user("Kay Cloak", "kc.{{rand}}@example.com", "true", `{"value": "editor"}`, true),
				Status: http.StatusOK,
				Expect: []Expectation{
					Equal("id", "{{id}}"), Equal("externalId", kcUser), Contains("roles", map[string]any{"value": "editor"}),
					Contains("groups", map[string]any{"value": "{{gid}}"}),
				},
			},
			{
				Name: "the group still has the member", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{Equal("members.#", 1), Contains("members", map[string]any{"value": "{{id}}"})},
			},
			// Admin event USER UPDATE (or UPDATE_PROFILE, UPDATE_EMAIL).
			{
				Name: "profile updated", Method: http.MethodPut, Path: "/Users/{{id}}",
				Body:   user("Kay Renamed", "kc.new.{{rand}}@example.com", "true", `{"value": "editor"}`, true),
				Status: http.StatusOK,
				Expect: []Expectation{
					Equal("displayName", "Kay Renamed"), Equal("emails.#", 1), Equal("emails.0.value", "kc.new.{{rand}}@example.com"),
					Equal("externalId", kcUser), Equal("userName", userName),
				},
			},
			// Disabling a user in the admin console is a USER UPDATE too.
			{
				Name: "user disabled", Method: http.MethodPut, Path: "/Users/{{id}}",
				Body:   user("Kay Renamed", "kc.new.{{rand}}@example.com", "false", `{"value": "editor"}`, true),
				Status: http.StatusOK,
				Expect: []Expectation{Equal("active", false), Equal("externalId", kcUser)},
			},
			// A sync with "import" on lists /Users and /Groups with no
			// parameters and reads the first page only; each resource is
			// matched to its Keycloak counterpart by id, then by userName or
			// e-mail (users) or displayName (groups). The user must be on
			// that page: on a store holding more users than one page, this
			// step fails as Keycloak's import would miss the user.
			{
				Name: "sync import lists users", Method: http.MethodGet, Path: "/Users", Status: http.StatusOK,
				Expect: []Expectation{
					Contains("schemas", listURN),
					Contains("Resources", map[string]any{"id": "{{id}}", "userName": userName, "externalId": kcUser, "active": false}),
				},
			},
			{
				Name: "sync import lists groups", Method: http.MethodGet, Path: "/Groups", Status: http.StatusOK,
				Expect: []Expectation{
					Contains("schemas", listURN),
					Contains("Resources", map[string]any{"id": "{{gid}}", "displayName": groupName, "externalId": kcGroup}),
				},
			},
			// The last member leaves: GroupAdapter.toSCIM sets members only
			// when there are some, so the group PUT has no members attribute
			// at all, and the extension means "no members". RFC 7644 §3.5.1
			// lets a service provider either clear an omitted readWrite
			// attribute or keep it, and scimkit's handler keeps a group's
			// members when a PUT omits them, so this step checks only that
			// the PUT is accepted. With such a server the user stays in the
			// group until it is emptied another way (docs/idp/generic.md,
			// Keycloak); the PATCH scenario removes members explicitly.
			{
				Name: "user leaves: group PUT without members", Method: http.MethodPut, Path: "/Groups/{{gid}}",
				Body:   group(groupName, "", true),
				Status: http.StatusOK,
				Expect: []Expectation{Equal("id", "{{gid}}"), Equal("displayName", groupName), Equal("externalId", kcGroup)},
			},
			// roles is always sent, empty when the user has no scim role
			// left.
			{
				Name: "user leaves: user PUT without roles", Method: http.MethodPut, Path: "/Users/{{id}}",
				Body:   user("Kay Renamed", "kc.new.{{rand}}@example.com", "false", "", true),
				Status: http.StatusOK,
				Expect: []Expectation{Absent("roles.0"), Equal("externalId", kcUser)},
			},
			// Admin event GROUP UPDATE (rename).
			{
				Name: "group renamed", Method: http.MethodPut, Path: "/Groups/{{gid}}",
				Body:   group(groupName+" renamed", "", true),
				Status: http.StatusOK,
				Expect: []Expectation{Equal("displayName", groupName+" renamed"), Equal("externalId", kcGroup)},
			},
			// Admin events USER DELETE and GROUP DELETE: DELETE by the
			// mapped id. The extension accepts any 2xx; RFC 7644 §3.6 says
			// 204.
			{Name: "user deleted", Method: http.MethodDelete, Path: "/Users/{{id}}", Status: http.StatusNoContent},
			{Name: "group deleted", Method: http.MethodDelete, Path: "/Groups/{{gid}}", Status: http.StatusNoContent},
			{Name: "user is gone", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusNotFound},
			{Name: "group is gone", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusNotFound},
		},
	}
}

func keycloakPatchPropagation() Scenario {
	kcUser := "0d8e5f3a-9c2b-4f7d-a1e6-{{rand}}"
	kcGroup := "4a9b6c2d-7e1f-4d3a-b5c8-{{rand}}"
	userName := "kc.patch.{{rand}}"
	groupName := "kc-patch-group-{{rand}}"
	patch := func(ops string) string {
		return `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [` + ops + `]}`
	}
	// UserAdapter.toPatchBuilder: the SDK's value(String) writes every
	// value as a JSON string, so active arrives as "true" or "false".
	userPatch := func(active string) string {
		return patch(`{"op": "replace", "path": "active", "value": "` + active + `"},
			{"op": "replace", "path": "userName", "value": "` + userName + `"},
			{"op": "replace", "path": "displayName", "value": "Pat Cloak"}`)
	}
	patchStatus := []int{http.StatusOK, http.StatusNoContent}
	return Scenario{
		IdP: "Keycloak", Name: "keycloak-scim propagation by PATCH", Source: keycloakPatchSource,
		// The extension's README tells users of its Rocket.Chat adapter to
		// set "Endpoint content type" to application/json.
		Header: http.Header{"Content-Type": {"application/json"}},
		Steps: []Step{
			// UserAdapter.toSCIM for a create: no id, no meta, a name, one
			// e-mail without type or primary, and no roles when there are
			// none (the SDK drops empty lists).
			{
				Name: "user created", Method: http.MethodPost, Path: "/Users",
				Body: `{"schemas": ["` + userURN + `"], "externalId": "` + kcUser + `", "userName": "` + userName + `",
					"displayName": "Pat Cloak", "name": {"givenName": "Pat", "familyName": "Cloak"},
					"emails": [{"value": "kc.patch.{{rand}}@example.com"}], "active": true}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"id": "id"},
				Expect:  []Expectation{Present("id"), Equal("externalId", kcUser), Equal("name.givenName", "Pat")},
			},
			{
				Name: "group created", Method: http.MethodPost, Path: "/Groups",
				Body:    `{"schemas": ["` + groupURN + `"], "externalId": "` + kcGroup + `", "displayName": "` + groupName + `"}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"gid": "id"},
			},
			// GroupAdapter.toPatchBuilder with members: the whole member
			// list, the name and the externalId, each replaced.
			{
				Name: "user joins: group PATCH", Method: http.MethodPatch, Path: "/Groups/{{gid}}",
				Body: patch(`{"op": "replace", "path": "members", "value": [{"value": "{{id}}"}]},
					{"op": "replace", "path": "displayName", "value": "` + groupName + `"},
					{"op": "replace", "path": "externalId", "value": "` + kcGroup + `"}`),
				Statuses: patchStatus,
			},
			{
				Name: "the group has the member", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{
					Equal("members.#", 1), Equal("members.0.value", "{{id}}"), Equal("externalId", kcGroup),
					Equal("displayName", groupName),
				},
			},
			{
				Name: "user joins: user PATCH", Method: http.MethodPatch, Path: "/Users/{{id}}",
				Body: userPatch("true"), Statuses: patchStatus,
			},
			{
				Name: "user disabled: user PATCH", Method: http.MethodPatch, Path: "/Users/{{id}}",
				Body: userPatch("false"), Statuses: patchStatus,
			},
			{
				Name: "the user is inactive", Method: http.MethodGet, Path: "/Users/{{id}}", Status: http.StatusOK,
				Expect: []Expectation{
					Equal("active", false), Equal("userName", userName), Equal("externalId", kcUser),
					Equal("name.familyName", "Cloak"), Contains("groups", map[string]any{"value": "{{gid}}"}),
				},
			},
			// GroupAdapter.toPatchBuilder without members: a remove of
			// members, built with a null value (sent here without one), then
			// the same replaces.
			{
				Name: "user leaves: group PATCH", Method: http.MethodPatch, Path: "/Groups/{{gid}}",
				Body: patch(`{"op": "remove", "path": "members"},
					{"op": "replace", "path": "displayName", "value": "` + groupName + `"},
					{"op": "replace", "path": "externalId", "value": "` + kcGroup + `"}`),
				Statuses: patchStatus,
			},
			{
				Name: "the group is empty", Method: http.MethodGet, Path: "/Groups/{{gid}}", Status: http.StatusOK,
				Expect: []Expectation{Absent("members.0"), Equal("displayName", groupName)},
			},
			{Name: "user deleted", Method: http.MethodDelete, Path: "/Users/{{id}}", Status: http.StatusNoContent},
			{Name: "group deleted", Method: http.MethodDelete, Path: "/Groups/{{gid}}", Status: http.StatusNoContent},
		},
	}
}
