package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
)

func TestProvisionCreatesMemberAndTeamMembership(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.provision(`"userName":"alice@example.com","name":{"givenName":"Alice","familyName":"Smith"}`)

	m := e.bySCIM(id)
	assert.Equal(t, "alice@example.com", m.Email)
	assert.Equal(t, "Alice Smith", m.Name)
	assert.Equal(t, "member", m.Role)
	assert.True(t, m.Active)

	gid := e.createGroup("Engineering")
	assert.Equal(t, 1, e.rows(`SELECT count(*) FROM app_teams WHERE name = 'Engineering' AND scim_group_id = ?`, gid))
	status, body := e.scim("PATCH", "/Groups/"+gid, patchBody(`{"op":"add","path":"members","value":[{"value":"`+id+`"}]}`))
	require.Less(t, status, 300, "%v", body)
	assert.Equal(t, []string{"Engineering"}, e.bySCIM(id).Teams)

	got := e.adminMembers()["alice@example.com"]
	require.NotNil(t, got)
	assert.Equal(t, "member", got["role"])
	assert.Equal(t, true, got["active"])
	assert.Equal(t, id, got["scim_id"])
	assert.Equal(t, []any{"Engineering"}, got["teams"])
}

func TestDeactivationRevokesAccessAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, op string }{
		{"okta", `{"op":"replace","value":{"active":false}}`},
		{"entra", `{"op":"Replace","path":"active","value":"False"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.provision(`"userName":"alice@example.com"`)
			alice := e.client()
			require.Equal(t, http.StatusOK, e.login(alice, "alice@example.com"))
			status, body := e.me(alice)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, "alice@example.com", body["email"])
			memberID := e.bySCIM(id).ID
			require.Equal(t, 1, e.rows(`SELECT count(*) FROM app_sessions WHERE member_id = ?`, memberID))

			status, body = e.scim("PATCH", "/Users/"+id, patchBody(tc.op))
			require.Equal(t, http.StatusOK, status, "%v", body)
			assert.Equal(t, false, body["active"])

			status, _ = e.me(alice) // the same cookie, the very next request
			assert.Equal(t, http.StatusUnauthorized, status)
			assert.Equal(t, 0, e.rows(`SELECT count(*) FROM app_sessions WHERE member_id = ?`, memberID))
			assert.False(t, e.bySCIM(id).Active)
			assert.Equal(t, http.StatusUnauthorized, e.login(e.client(), "alice@example.com"))

			status, body = e.scim("PATCH", "/Users/"+id, patchBody(`{"op":"replace","path":"active","value":true}`))
			require.Equal(t, http.StatusOK, status, "%v", body)
			assert.True(t, e.bySCIM(id).Active)
			status, _ = e.me(alice)
			assert.Equal(t, http.StatusUnauthorized, status, "a revoked session stays revoked")
			require.Equal(t, http.StatusOK, e.login(alice, "alice@example.com"))
			status, _ = e.me(alice)
			assert.Equal(t, http.StatusOK, status)
		})
	}
}

func TestAppOwnedRoleSurvivesSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.provision(`"userName":"alice@example.com","name":{"givenName":"Alice","familyName":"Smith"}`)
	m := e.bySCIM(id)

	status, body := e.do(e.owner, "POST", "/admin/members/"+itoa(m.ID)+"/role", "application/json", `{"role":"admin"}`)
	require.Equal(t, http.StatusOK, status, "%v", body)
	assert.Equal(t, "admin", body["role"])

	status, body = e.scim("PUT", "/Users/"+id, `{"schemas":["`+userSchema+`"],"userName":"alice@example.com",
		"name":{"givenName":"Alice","familyName":"Jones"},"active":true}`)
	require.Equal(t, http.StatusOK, status, "%v", body)
	m = e.bySCIM(id)
	assert.Equal(t, "Alice Jones", m.Name)
	assert.Equal(t, "admin", m.Role)

	// A PATCH of the e-mail (userName) too.
	status, body = e.scim("PATCH", "/Users/"+id, patchBody(`{"op":"replace","path":"userName","value":"alice.jones@example.com"}`))
	require.Equal(t, http.StatusOK, status, "%v", body)
	m = e.bySCIM(id)
	assert.Equal(t, "alice.jones@example.com", m.Email)
	assert.Equal(t, "admin", m.Role)

	status, _ = e.do(e.owner, "POST", "/admin/members/"+itoa(m.ID)+"/role", "application/json", `{"role":"emperor"}`)
	assert.Equal(t, http.StatusBadRequest, status)
}

func TestLinkingExistingMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, ok := e.member(`m.email = 'admin@acme.example'`)
	require.True(t, ok)
	require.False(t, owner.SCIMID.Valid)
	bjensen, ok := e.member(`m.email = 'bjensen@example.com'`)
	require.True(t, ok)
	members := e.rows(`SELECT count(*) FROM app_members`)

	// bjensen existed before SCIM: she is linked, not duplicated.
	bid := e.provision(`"userName":"BJensen@example.com","name":{"formatted":"Babs Jensen"}`)
	linked := e.bySCIM(bid)
	assert.Equal(t, bjensen.ID, linked.ID)
	assert.Equal(t, "admin", linked.Role)
	assert.Equal(t, "Babs Jensen", linked.Name)
	assert.Equal(t, members, e.rows(`SELECT count(*) FROM app_members`))

	// A second IdP identity claiming an e-mail that is already linked is
	// refused by the hook (the SCIM store alone would accept it: its
	// userName differs), and leaves nothing behind.
	cid := e.provision(`"userName":"carol@example.com"`)
	members = e.rows(`SELECT count(*) FROM app_members`)
	status, body := e.scim("POST", "/Users", `{"schemas":["`+userSchema+`"],"userName":"cwilliams",
		"emails":[{"value":"Carol@Example.com","type":"work","primary":true}]}`)
	assert.Equal(t, http.StatusConflict, status)
	assert.Equal(t, "uniqueness", body["scimType"])
	assert.Equal(t, 0, e.count("Users", `userName eq "cwilliams"`))
	assert.Equal(t, members, e.rows(`SELECT count(*) FROM app_members`))

	// SCIM work on other users never touches the unlinked owner.
	status, _ = e.scim("PATCH", "/Users/"+cid, patchBody(`{"op":"replace","value":{"active":false,"displayName":"Carol"}}`))
	require.Equal(t, http.StatusOK, status)
	gid := e.createGroup("Everyone", bid, cid)
	status, _ = e.scim("DELETE", "/Groups/"+gid, "")
	require.Equal(t, http.StatusNoContent, status)
	status, _ = e.scim("DELETE", "/Users/"+bid, "")
	require.Equal(t, http.StatusNoContent, status)
	after, ok := e.member(`m.id = ?`, owner.ID)
	require.True(t, ok)
	assert.Equal(t, owner, after)
	status, _ = e.me(e.owner)
	assert.Equal(t, http.StatusOK, status)

	// Provisioning the owner links it, keeping role owner; the same e-mail
	// from a different IdP identity is then refused.
	oid := e.provision(`"userName":"admin@acme.example","externalId":"okta-1"`)
	linked = e.bySCIM(oid)
	assert.Equal(t, owner.ID, linked.ID)
	assert.Equal(t, "owner", linked.Role)
	status, body = e.scim("POST", "/Users", `{"schemas":["`+userSchema+`"],"userName":"acme-admin","externalId":"entra-7",
		"emails":[{"value":"admin@acme.example","type":"work"}]}`)
	assert.Equal(t, http.StatusConflict, status, "%v", body)
	assert.Equal(t, 0, e.count("Users", `userName eq "acme-admin"`))
	assert.Equal(t, oid, e.bySCIM(oid).SCIMID.String)
}

func TestHookFailureChangesNothing(t *testing.T) {
	t.Parallel()
	t.Run("first hook fails", func(t *testing.T) {
		e := newEnv(t)
		id := e.provision(`"userName":"alice@example.com"`)
		_, err := e.db.Exec(`DROP TABLE app_teams`)
		require.NoError(t, err)

		status, body := e.scim("POST", "/Groups", groupBody("Design", id))
		assert.Equal(t, http.StatusInternalServerError, status, "%v", body)
		assert.Equal(t, 0, e.count("Groups", `displayName eq "Design"`))
		assert.Equal(t, 0, e.rows(`SELECT count(*) FROM app_team_members`))
		_, user := e.scim("GET", "/Users/"+id, "")
		assert.Empty(t, user["groups"])
	})
	t.Run("later hook fails", func(t *testing.T) {
		// GroupCreated inserts the team, then MembersAdded fails: the team
		// insert is rolled back with the SCIM group.
		e := newEnv(t)
		id := e.provision(`"userName":"alice@example.com"`)
		_, err := e.db.Exec(`DROP TABLE app_team_members`)
		require.NoError(t, err)

		status, body := e.scim("POST", "/Groups", groupBody("Design", id))
		assert.Equal(t, http.StatusInternalServerError, status, "%v", body)
		assert.Equal(t, 0, e.count("Groups", `displayName eq "Design"`))
		assert.Equal(t, 0, e.rows(`SELECT count(*) FROM app_teams`))
	})
	t.Run("hook refuses a team name clash", func(t *testing.T) {
		e := newEnv(t)
		gid := e.createGroup("Engineering")
		status, body := e.scim("POST", "/Groups", groupBody("engineering"))
		assert.Equal(t, http.StatusConflict, status, "%v", body)
		assert.Equal(t, "uniqueness", body["scimType"])
		_, list := e.scim("GET", "/Groups", "")
		require.Equal(t, float64(1), list["totalResults"])
		assert.Equal(t, gid, list["Resources"].([]any)[0].(map[string]any)["id"])
		assert.Equal(t, 1, e.rows(`SELECT count(*) FROM app_teams`))
	})
}

func TestGroupRenameAndDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u1 := e.provision(`"userName":"alice@example.com"`)
	u2 := e.provision(`"userName":"bob@example.com"`)
	gid := e.createGroup("Sales", u1, u2)
	assert.Equal(t, []string{"Sales"}, e.bySCIM(u1).Teams)
	assert.Equal(t, []string{"Sales"}, e.bySCIM(u2).Teams)

	status, body := e.scim("PATCH", "/Groups/"+gid, patchBody(`{"op":"replace","path":"displayName","value":"Revenue"}`))
	require.Less(t, status, 300, "%v", body)
	assert.Equal(t, 1, e.rows(`SELECT count(*) FROM app_teams WHERE name = 'Revenue' AND scim_group_id = ?`, gid))
	assert.Equal(t, 0, e.rows(`SELECT count(*) FROM app_teams WHERE name = 'Sales'`))
	assert.Equal(t, []string{"Revenue"}, e.bySCIM(u1).Teams)

	status, body = e.scim("PATCH", "/Groups/"+gid, patchBody(`{"op":"remove","path":"members[value eq \"`+u2+`\"]"}`))
	require.Less(t, status, 300, "%v", body)
	assert.Empty(t, e.bySCIM(u2).Teams)

	// A PUT's member list replaces the old one.
	status, body = e.scim("PUT", "/Groups/"+gid, groupBody("Revenue", u2))
	require.Equal(t, http.StatusOK, status, "%v", body)
	assert.Empty(t, e.bySCIM(u1).Teams)
	assert.Equal(t, []string{"Revenue"}, e.bySCIM(u2).Teams)

	status, _ = e.scim("DELETE", "/Groups/"+gid, "")
	require.Equal(t, http.StatusNoContent, status)
	assert.Equal(t, 0, e.rows(`SELECT count(*) FROM app_teams`))
	assert.Equal(t, 0, e.rows(`SELECT count(*) FROM app_team_members`))
	assert.Empty(t, e.bySCIM(u2).Teams)
}

func TestUserDeletedRemovesMemberEverywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.provision(`"userName":"alice@example.com"`)
	e.createGroup("Sales", id)
	alice := e.client()
	require.Equal(t, http.StatusOK, e.login(alice, "alice@example.com"))

	status, _ := e.scim("DELETE", "/Users/"+id, "")
	require.Equal(t, http.StatusNoContent, status)
	_, ok := e.member(`m.email = 'alice@example.com'`)
	assert.False(t, ok)
	assert.Equal(t, 0, e.rows(`SELECT count(*) FROM app_team_members`))
	assert.Equal(t, 1, e.rows(`SELECT count(*) FROM app_sessions`), "only the owner's session is left")
	status, _ = e.me(alice)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, 2, e.rows(`SELECT count(*) FROM app_members WHERE scim_id IS NULL`), "seeded members untouched")
}

func TestAuditRecordsOutliveTheMember(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.provision(`"userName":"alice@example.com"`)
	status, _ := e.scim("DELETE", "/Users/"+id, "")
	require.Equal(t, http.StatusNoContent, status)
	_, ok := e.member(`m.scim_id = ?`, id)
	require.False(t, ok)

	status, body := e.do(e.owner, "GET", "/admin/audit?resource="+id, "", "")
	require.Equal(t, http.StatusOK, status, "%v", body)
	recs := body["records"].([]any)
	require.Len(t, recs, 2)
	del, create := recs[0].(map[string]any), recs[1].(map[string]any)
	assert.Equal(t, "delete", del["operation"])
	assert.Equal(t, float64(http.StatusNoContent), del["status"])
	assert.Equal(t, "create", create["operation"])
	assert.Equal(t, float64(http.StatusCreated), create["status"])
	for _, r := range recs {
		assert.Equal(t, "idp", r.(map[string]any)["actor"])
		assert.Equal(t, id, r.(map[string]any)["resource_id"])
	}

	status, body = e.do(e.owner, "GET", "/admin/audit?full=1&limit=1", "", "")
	require.Equal(t, http.StatusOK, status)
	recs = body["records"].([]any)
	require.Len(t, recs, 1)
	assert.Contains(t, recs[0].(map[string]any)["before"], "userName")
}

func TestAdminRoutesNeedOwnerOrAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.provision(`"userName":"alice@example.com"`)
	anon := e.client()
	status, _ := e.do(anon, "GET", "/admin/members", "", "")
	assert.Equal(t, http.StatusUnauthorized, status)

	alice := e.client()
	require.Equal(t, http.StatusOK, e.login(alice, "alice@example.com"))
	status, _ = e.do(alice, "GET", "/admin/members", "", "")
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = e.do(alice, "POST", "/admin/members/"+itoa(e.bySCIM(id).ID)+"/role", "application/json", `{"role":"owner"}`)
	assert.Equal(t, http.StatusForbidden, status)

	// bjensen is an admin, but only an owner hands out "owner".
	bjensen := e.client()
	status, _ = e.do(bjensen, "POST", "/login", "application/json", `{"email":"bjensen@example.com"}`)
	require.Equal(t, http.StatusOK, status)
	status, _ = e.do(bjensen, "GET", "/admin/members", "", "")
	assert.Equal(t, http.StatusOK, status)
	status, _ = e.do(bjensen, "POST", "/admin/members/"+itoa(e.bySCIM(id).ID)+"/role", "application/json", `{"role":"owner"}`)
	assert.Equal(t, http.StatusForbidden, status)

	// SCIM needs the IdP's token.
	status, _ = e.do(http.DefaultClient, "GET", "/scim/v2/Users", "", "")
	assert.Equal(t, http.StatusUnauthorized, status)
}

func TestWalkthroughUserIsFreeOnEveryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	email, err := freeDemoEmail(ctx, e.db)
	require.NoError(t, err)
	assert.Equal(t, "alice@example.com", email)
	e.provision(`"userName":"alice@example.com"`)
	email, err = freeDemoEmail(ctx, e.db)
	require.NoError(t, err)
	assert.Equal(t, "alice2@example.com", email)
}

// TestGracePeriodKeepsThenDeletesDeactivatedMembers: a deactivated member
// is kept, with its teams and app-owned role, for the grace period; one
// reactivated within it is simply back; one still inactive afterwards is
// deleted through SCIM's delete path, hooks included.
func TestGracePeriodKeepsThenDeletesDeactivatedMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	back := e.provision(`"userName":"back@example.com"`)
	gone := e.provision(`"userName":"gone@example.com"`)
	e.createGroup("Engineering", back, gone)
	for _, id := range []string{back, gone} {
		status, body := e.do(e.owner, "POST", "/admin/members/"+itoa(e.bySCIM(id).ID)+"/role", "application/json", `{"role":"admin"}`)
		require.Equal(t, http.StatusOK, status, "%v", body)
		status, body = e.scim("PATCH", "/Users/"+id, patchBody(`{"op":"replace","value":{"active":false}}`))
		require.Equal(t, http.StatusOK, status, "%v", body)
	}

	n, err := e.app.expire(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "within the grace period nobody is deleted")

	status, body := e.scim("PATCH", "/Users/"+back, patchBody(`{"op":"replace","value":{"active":true}}`))
	require.Equal(t, http.StatusOK, status, "%v", body)
	m := e.bySCIM(back)
	assert.True(t, m.Active)
	assert.Equal(t, "admin", m.Role, "app-owned role restored with the member")
	assert.Equal(t, []string{"Engineering"}, m.Teams, "team memberships restored with the member")

	e.advance(25 * time.Hour)
	n, err = e.app.expire(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 0, e.rows(`SELECT count(*) FROM app_members WHERE email = 'gone@example.com'`), "deleted from the app")
	status, _ = e.scim("GET", "/Users/"+gone, "")
	assert.Equal(t, http.StatusNotFound, status, "and from SCIM")
	m = e.bySCIM(back)
	assert.Equal(t, "admin", m.Role)
	assert.Equal(t, []string{"Engineering"}, m.Teams)
}

// TestGroupDeletePolicy: deleting a SCIM group (Okta's unlink too) does
// what -group-delete says to its team. "keep": the team and its
// memberships stay, unlinked from SCIM, so later SCIM changes leave them
// alone and a group of the same name pushed again links to it. "remove":
// the memberships end and the team is gone.
func TestGroupDeletePolicy(t *testing.T) {
	t.Parallel()
	t.Run("keep", func(t *testing.T) {
		e := newEnv(t, func(o *options) { o.groupDeletion = scim.KeepMembers })
		u1 := e.provision(`"userName":"alice@example.com"`)
		u2 := e.provision(`"userName":"bob@example.com"`)
		gid := e.createGroup("Sales", u1, u2)
		other := e.createGroup("Support", u1)

		status, body := e.scim("DELETE", "/Groups/"+gid, "")
		require.Equal(t, http.StatusNoContent, status, "%v", body)
		status, _ = e.scim("GET", "/Groups/"+gid, "")
		assert.Equal(t, http.StatusNotFound, status, "gone from SCIM")
		assert.Equal(t, 1, e.rows(`SELECT count(*) FROM app_teams WHERE name = 'Sales' AND scim_group_id IS NULL`), "the team stays, unlinked")
		assert.Equal(t, []string{"Sales", "Support"}, e.bySCIM(u1).Teams)
		assert.Equal(t, []string{"Sales"}, e.bySCIM(u2).Teams)
		assert.Equal(t, []any{"Sales"}, e.adminMembers()["bob@example.com"]["teams"])

		// SCIM no longer touches the team: deleting another group leaves it.
		status, _ = e.scim("DELETE", "/Groups/"+other, "")
		require.Equal(t, http.StatusNoContent, status)
		assert.Equal(t, []string{"Sales", "Support"}, e.bySCIM(u1).Teams, "Support is kept too")

		// Pushing a "Sales" group again links the kept team; its members stay.
		u3 := e.provision(`"userName":"carol@example.com"`)
		gid2 := e.createGroup("Sales", u3)
		assert.Equal(t, 1, e.rows(`SELECT count(*) FROM app_teams WHERE name = 'Sales' AND scim_group_id = ?`, gid2))
		assert.Equal(t, []string{"Sales"}, e.bySCIM(u2).Teams)
		assert.Equal(t, []string{"Sales"}, e.bySCIM(u3).Teams)
	})
	t.Run("remove", func(t *testing.T) {
		e := newEnv(t, func(o *options) { o.groupDeletion = scim.RemoveMembers })
		u1 := e.provision(`"userName":"alice@example.com"`)
		u2 := e.provision(`"userName":"bob@example.com"`)
		gid := e.createGroup("Sales", u1, u2)
		e.createGroup("Support", u1)

		status, body := e.scim("DELETE", "/Groups/"+gid, "")
		require.Equal(t, http.StatusNoContent, status, "%v", body)
		assert.Equal(t, 0, e.rows(`SELECT count(*) FROM app_teams WHERE name = 'Sales'`), "the team is gone")
		assert.Equal(t, []string{"Support"}, e.bySCIM(u1).Teams)
		assert.Empty(t, e.bySCIM(u2).Teams)
		assert.Equal(t, []any{}, e.adminMembers()["bob@example.com"]["teams"])
	})
}

// TestConnectDirectoryAtRuntime: an admin connects another IdP while the
// app runs; its token works at once, provisions members, and shows in the
// directory list with its credential (never the secret); bad or repeated
// ids are refused, and only admins may connect one.
func TestConnectDirectoryAtRuntime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	status, body := e.do(e.owner, "POST", "/admin/directories", "application/json", `{"id":"okta","kind":"okta","name":"Okta"}`)
	require.Equal(t, http.StatusCreated, status, "%v", body)
	token, _ := body["token"].(string)
	require.NotEmpty(t, token)
	assert.Equal(t, e.srv.URL+"/scim/v2", body["scimBaseURL"])

	status, body = e.do(http.DefaultClient, "POST", "/scim/v2/Users", "application/scim+json",
		`{"schemas":["`+userSchema+`"],"userName":"bob@example.com"}`, "Authorization", "Bearer "+token)
	require.Equal(t, http.StatusCreated, status, "%v", body)
	assert.Equal(t, "member", e.adminMembers()["bob@example.com"]["role"], "the directory's default role")

	status, body = e.do(e.owner, "GET", "/admin/directories", "", "")
	require.Equal(t, http.StatusOK, status)
	dirs, _ := body["directories"].([]any)
	require.Len(t, dirs, 1)
	d := dirs[0].(map[string]any)
	assert.Equal(t, "okta", d["id"])
	assert.Equal(t, "active", d["state"])
	creds, _ := d["credentials"].([]any)
	require.Len(t, creds, 1)
	assert.NotContains(t, fmt.Sprint(body), token[len(token)-20:], "the secret is never listed")

	status, _ = e.do(e.owner, "POST", "/admin/directories", "application/json", `{"id":"okta","kind":"okta"}`)
	assert.Equal(t, http.StatusConflict, status)
	status, _ = e.do(e.owner, "POST", "/admin/directories", "application/json", `{"id":"x","kind":"azure"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	member := e.client()
	e.provision(`"userName":"carol@example.com"`)
	require.Equal(t, http.StatusOK, e.login(member, "carol@example.com"))
	status, _ = e.do(member, "POST", "/admin/directories", "application/json", `{"id":"entra","kind":"entra"}`)
	assert.Equal(t, http.StatusForbidden, status, "members may not connect directories")
}
