package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
)

// hooks keep Acme Notes' members and teams in step with what the IdP
// provisions. Each runs inside the SCIM request's own transaction
// (sqlstore.TxOf): if a hook fails, neither the SCIM change nor any app
// row is saved, and the IdP gets an error and retries.
//
// SCIM owns the mapped fields (e-mail, name, active, team name and
// membership); the app owns the rest (role). Members are found by scim_id
// only, so members the app created itself and never linked are never
// touched.
type hooks struct {
	log *slog.Logger
	// groupDeletion is the scim.Config.GroupDeletion the handler runs
	// with: whether a deleted group's team survives (see GroupDeleted).
	groupDeletion scim.GroupDeletion
}

// scimHooks returns the scim.Hooks that run h's methods.
func (h *hooks) scimHooks() *scim.Hooks {
	return &scim.Hooks{
		UserProvisioned: h.UserProvisioned,
		UserUpdated:     h.UserUpdated,
		UserDeactivated: h.UserDeactivated,
		UserReactivated: h.UserReactivated,
		UserDeleted:     h.UserDeleted,
		GroupCreated:    h.GroupCreated,
		GroupRenamed:    h.GroupRenamed,
		GroupDeleted:    h.GroupDeleted,
		MembersAdded:    h.MembersAdded,
		MembersRemoved:  h.MembersRemoved,
	}
}

// appTx is the SQL transaction the SCIM request runs in.
func appTx(e scim.Origin) (*sql.Tx, error) {
	tx, ok := sqlstore.TxOf(e.Tx)
	if !ok {
		return nil, errors.New("acme: hook not running in a sqlstore transaction")
	}
	return tx, nil
}

// UserProvisioned links the new SCIM user to the member with its e-mail,
// if the app has one that is not linked yet (keeping the member's role),
// or creates a member with role "member".
func (h *hooks) UserProvisioned(ctx context.Context, e *scim.UserProvisioned) error {
	tx, err := appTx(e.Origin)
	if err != nil {
		return err
	}
	u := e.User
	var linkID int64
	for _, email := range emailCandidates(u) {
		var id int64
		var scimID sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT id, scim_id FROM app_members WHERE email = ?`, email).Scan(&id, &scimID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return err
		case scimID.Valid && scimID.String != u.ID:
			return scim.Reject(http.StatusConflict, "uniqueness", fmt.Sprintf(
				"the Acme Notes member with e-mail %s is already linked to another SCIM user", email))
		case linkID == 0:
			linkID = id
		}
	}
	if linkID != 0 {
		// Link: the member keeps its id, role and e-mail; SCIM now owns
		// its name and active.
		if _, err := tx.ExecContext(ctx, `UPDATE app_members
			SET scim_id = ?, active = ?, name = CASE WHEN ? = '' THEN name ELSE ? END WHERE id = ?`,
			u.ID, u.Active(), fullName(u), fullName(u), linkID); err != nil {
			return err
		}
		h.log.InfoContext(ctx, "acme: linked existing member to SCIM user", "member", linkID, "scim_id", u.ID)
		return nil
	}
	email := primaryEmail(u)
	// The role new members get is the directory's setting, "member" by
	// default.
	role := e.Settings.DefaultRole
	if role == "" {
		role = "member"
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO app_members (email, name, role, active, scim_id) VALUES (?, ?, ?, ?, ?)`,
		email, fullName(u), role, u.Active(), u.ID); err != nil {
		return err
	}
	h.log.InfoContext(ctx, "acme: member provisioned", "email", email, "scim_id", u.ID)
	return nil
}

// UserUpdated copies the mapped fields (name, e-mail) to the member. The
// role is not mapped: whatever the app set survives every sync.
func (h *hooks) UserUpdated(ctx context.Context, e *scim.UserUpdated) error {
	mapped := false
	for _, c := range e.Changed {
		switch c.Attribute {
		case "userName", "name", "displayName", "emails":
			mapped = true
		}
	}
	if !mapped {
		return nil // e.g. only active changed: UserDeactivated follows
	}
	tx, err := appTx(e.Origin)
	if err != nil {
		return err
	}
	email := primaryEmail(e.After)
	var other int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM app_members WHERE email = ? AND (scim_id IS NULL OR scim_id <> ?)`,
		email, e.After.ID).Scan(&other)
	if err == nil {
		return scim.Reject(http.StatusConflict, "uniqueness", fmt.Sprintf(
			"another Acme Notes member has the e-mail %s", email))
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE app_members SET email = ?, name = ? WHERE scim_id = ?`,
		email, fullName(e.After), e.After.ID)
	return err
}

// UserDeactivated blocks the member and ends its sessions at once.
func (h *hooks) UserDeactivated(ctx context.Context, e *scim.UserDeactivated) error {
	tx, err := appTx(e.Origin)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE app_members SET active = 0 WHERE scim_id = ?`, e.User.ID); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM app_sessions
		WHERE member_id IN (SELECT id FROM app_members WHERE scim_id = ?)`, e.User.ID)
	if err != nil {
		return err
	}
	n, _ := res.RowsAffected()
	h.log.InfoContext(ctx, "acme: member deactivated", "scim_id", e.User.ID, "sessions_ended", n)
	return nil
}

// UserReactivated lets the member log in again.
func (h *hooks) UserReactivated(ctx context.Context, e *scim.UserReactivated) error {
	tx, err := appTx(e.Origin)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE app_members SET active = 1 WHERE scim_id = ?`, e.User.ID)
	return err
}

// UserDeleted removes the member, its sessions and team memberships.
func (h *hooks) UserDeleted(ctx context.Context, e *scim.UserDeleted) error {
	tx, err := appTx(e.Origin)
	if err != nil {
		return err
	}
	for _, stmt := range []string{
		`DELETE FROM app_sessions WHERE member_id IN (SELECT id FROM app_members WHERE scim_id = ?)`,
		`DELETE FROM app_team_members WHERE member_id IN (SELECT id FROM app_members WHERE scim_id = ?)`,
		`DELETE FROM app_members WHERE scim_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, stmt, e.User.ID); err != nil {
			return err
		}
	}
	h.log.InfoContext(ctx, "acme: member deleted", "scim_id", e.User.ID)
	return nil
}

// GroupCreated creates the team, or links the app's unlinked team of that
// name. Team names are unique in Acme Notes: a second group with the name
// of a linked team is refused with 409.
func (h *hooks) GroupCreated(ctx context.Context, e *scim.GroupCreated) error {
	tx, err := appTx(e.Origin)
	if err != nil {
		return err
	}
	name := e.Group.DisplayName()
	var id int64
	var groupID sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT id, scim_group_id FROM app_teams WHERE name = ?`, name).Scan(&id, &groupID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO app_teams (name, scim_group_id) VALUES (?, ?)`, name, e.Group.ID)
		return err
	case err != nil:
		return err
	case groupID.Valid:
		return scim.Reject(http.StatusConflict, "uniqueness", fmt.Sprintf("Acme Notes already has a team named %q", name))
	default:
		_, err = tx.ExecContext(ctx, `UPDATE app_teams SET scim_group_id = ? WHERE id = ?`, e.Group.ID, id)
		return err
	}
}

// GroupRenamed renames the team.
func (h *hooks) GroupRenamed(ctx context.Context, e *scim.GroupRenamed) error {
	tx, err := appTx(e.Origin)
	if err != nil {
		return err
	}
	var other int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM app_teams WHERE name = ? AND (scim_group_id IS NULL OR scim_group_id <> ?)`,
		e.NewName, e.Group.ID).Scan(&other)
	if err == nil {
		return scim.Reject(http.StatusConflict, "uniqueness", fmt.Sprintf("Acme Notes already has a team named %q", e.NewName))
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE app_teams SET name = ? WHERE scim_group_id = ?`, e.NewName, e.Group.ID)
	return err
}

// GroupDeleted applies the configured policy to the group's team.
//
// With scim.KeepMembers the team and its memberships stay, unlinked from
// SCIM (scim_group_id NULL): it is the app's own team from now on, which
// SCIM no longer touches, and a group of the same name pushed later links
// to it again (GroupCreated).
//
// With scim.RemoveMembers, MembersRemoved has already ended the group's
// memberships; the team is deleted, with any members the app added to it
// itself.
func (h *hooks) GroupDeleted(ctx context.Context, e *scim.GroupDeleted) error {
	tx, err := appTx(e.Origin)
	if err != nil {
		return err
	}
	if h.groupDeletion == scim.KeepMembers {
		_, err := tx.ExecContext(ctx, `UPDATE app_teams SET scim_group_id = NULL WHERE scim_group_id = ?`, e.Group.ID)
		if err == nil {
			h.log.InfoContext(ctx, "acme: team kept, unlinked from its deleted SCIM group", "team", e.Group.DisplayName())
		}
		return err
	}
	for _, stmt := range []string{
		`DELETE FROM app_team_members WHERE team_id IN (SELECT id FROM app_teams WHERE scim_group_id = ?)`,
		`DELETE FROM app_teams WHERE scim_group_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, stmt, e.Group.ID); err != nil {
			return err
		}
	}
	return nil
}

// MembersAdded adds the group's new user members to the team.
//
// Nested groups are ignored, not expanded: Acme Notes' teams are flat, and
// Okta and Entra ID push groups with their users flattened anyway.
func (h *hooks) MembersAdded(ctx context.Context, e *scim.MembersAdded) error {
	tx, err := appTx(e.Origin)
	if err != nil {
		return err
	}
	for _, m := range e.Members {
		if m.Type == store.Group {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO app_team_members (team_id, member_id)
			SELECT t.id, m.id FROM app_teams t, app_members m WHERE t.scim_group_id = ? AND m.scim_id = ?`,
			e.Group.ID, m.Value); err != nil {
			return err
		}
	}
	return nil
}

// MembersRemoved removes the group's former user members from the team.
func (h *hooks) MembersRemoved(ctx context.Context, e *scim.MembersRemoved) error {
	tx, err := appTx(e.Origin)
	if err != nil {
		return err
	}
	for _, m := range e.Members {
		if m.Type == store.Group {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM app_team_members
			WHERE team_id IN (SELECT id FROM app_teams WHERE scim_group_id = ?)
			AND member_id IN (SELECT id FROM app_members WHERE scim_id = ?)`, e.Group.ID, m.Value); err != nil {
			return err
		}
	}
	return nil
}

// emailCandidates are the addresses a SCIM user may match an existing
// member by: its userName when it is an e-mail, then its primary and work
// e-mails.
func emailCandidates(u *store.Resource) []string {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "@") {
			return
		}
		for _, o := range out {
			if strings.EqualFold(o, s) {
				return
			}
		}
		out = append(out, s)
	}
	add(u.UserName())
	for _, want := range []func(map[string]any) bool{
		func(e map[string]any) bool { p, _ := e["primary"].(bool); return p },
		func(e map[string]any) bool { t, _ := e["type"].(string); return strings.EqualFold(t, "work") },
	} {
		for _, e := range emails(u) {
			if want(e) {
				v, _ := e["value"].(string)
				add(v)
			}
		}
	}
	return out
}

// primaryEmail is the e-mail a member gets: userName when it is one,
// else the primary or work e-mail, else the first, else userName as is.
func primaryEmail(u *store.Resource) string {
	if c := emailCandidates(u); len(c) > 0 {
		return c[0]
	}
	for _, e := range emails(u) {
		if v, _ := e["value"].(string); v != "" {
			return v
		}
	}
	return u.UserName()
}

func emails(u *store.Resource) []map[string]any {
	list, _ := u.Attributes["emails"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// fullName is name.formatted, else givenName familyName, else displayName.
func fullName(u *store.Resource) string {
	if n, ok := u.Attributes["name"].(map[string]any); ok {
		if f, _ := n["formatted"].(string); strings.TrimSpace(f) != "" {
			return strings.TrimSpace(f)
		}
		given, _ := n["givenName"].(string)
		family, _ := n["familyName"].(string)
		if s := strings.TrimSpace(given + " " + family); s != "" {
			return s
		}
	}
	return strings.TrimSpace(u.DisplayName())
}
