package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scimtest"
)

// TestIdPConversations replays every IdP conversation of package scimtest
// (Okta, Entra ID, Google, OneLogin, JumpCloud, Keycloak, a generic RFC 7644
// client) against the whole app, the way a host application would in its
// own tests: over real HTTP, through the app's mux and its bearer-token
// authentication, on its SQLite store, with its hooks keeping app_members
// and app_teams in the same transactions. A failure names the IdP, the
// conversation and the step, with the request and the response.
func TestIdPConversations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.srv.URL + "/scim/v2"
	opts := scimtest.Options{Header: http.Header{"Authorization": {"Bearer " + e.token}}}

	// Subtests are named IdP/conversation/step, such as
	// "Okta/Push_Groups/remove_b,_add_c".
	scimtest.Run(t, base, opts, scimtest.All()...)
	if t.Failed() {
		return
	}

	// Every conversation deletes what it created, and the hooks followed
	// each step: no member or team linked to SCIM is left, and the seeded
	// owner, whom SCIM never touched, is still there.
	assert.Zero(t, e.rows(`SELECT COUNT(*) FROM app_members WHERE scim_id IS NOT NULL`), "members still linked to SCIM")
	assert.Zero(t, e.rows(`SELECT COUNT(*) FROM app_teams WHERE scim_group_id IS NOT NULL`), "teams still linked to SCIM")
	owner, ok := e.member(`m.email = ?`, "admin@acme.example")
	require.True(t, ok)
	assert.Equal(t, "owner", owner.Role)
	assert.True(t, owner.Active)
}

// TestIdPConversationLandsInTheApp runs one custom scimtest conversation
// that leaves its user and group in place, then reads the app's own tables:
// the kit drives the app's hooks, not just the SCIM store.
func TestIdPConversationLandsInTheApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	scimtest.Run(t, e.srv.URL+"/scim/v2", scimtest.Options{Header: http.Header{"Authorization": {"Bearer " + e.token}}},
		scimtest.Scenario{
			IdP: "Acme", Name: "provision a member into a team", Source: "https://example.com/acme-notes",
			Steps: []scimtest.Step{
				{
					Name: "create user", Method: http.MethodPost, Path: "/Users",
					Body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "kit.user@acme.example",
						"name": {"givenName": "Kit", "familyName": "User"}, "active": true}`,
					Status: http.StatusCreated, Capture: map[string]string{"id": "id"},
				},
				{
					Name: "create team", Method: http.MethodPost, Path: "/Groups",
					Body:   `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Kit Team", "members": [{"value": "{{id}}"}]}`,
					Status: http.StatusCreated,
					Expect: []scimtest.Expectation{scimtest.Equal("members.0.value", "{{id}}")},
				},
			},
		})

	m, ok := e.member(`m.email = ?`, "kit.user@acme.example")
	require.True(t, ok, "the UserProvisioned hook created the member")
	assert.Equal(t, "Kit User", m.Name)
	assert.Equal(t, "member", m.Role)
	assert.True(t, m.SCIMID.Valid)
	assert.Equal(t, []string{"Kit Team"}, m.Teams)
}
