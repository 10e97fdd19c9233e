package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// The app's own tables live in the same SQLite file as the SCIM store's
// (which are prefixed "scim_"), so a hook can change both in one
// transaction.
//
// Members not linked to SCIM (scim_id NULL) belong to the app alone: every
// hook looks members up by scim_id, so SCIM never touches them. role is
// app-owned: set in the app, never by a sync.
var schemaStatements = []string{
	`CREATE TABLE IF NOT EXISTS app_members (
		id INTEGER PRIMARY KEY,
		email TEXT COLLATE NOCASE UNIQUE,
		name TEXT NOT NULL DEFAULT '',
		role TEXT NOT NULL DEFAULT 'member',
		active INTEGER NOT NULL,
		scim_id TEXT UNIQUE NULL,
		created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
	)`,
	`CREATE TABLE IF NOT EXISTS app_teams (
		id INTEGER PRIMARY KEY,
		name TEXT COLLATE NOCASE NOT NULL UNIQUE,
		scim_group_id TEXT UNIQUE NULL
	)`,
	`CREATE TABLE IF NOT EXISTS app_team_members (
		team_id INTEGER NOT NULL REFERENCES app_teams(id) ON DELETE CASCADE,
		member_id INTEGER NOT NULL REFERENCES app_members(id) ON DELETE CASCADE,
		PRIMARY KEY (team_id, member_id)
	)`,
	`CREATE INDEX IF NOT EXISTS app_team_members_member ON app_team_members (member_id)`,
	// Only the SHA-256 of a session token is kept, like the SCIM tokens.
	`CREATE TABLE IF NOT EXISTS app_sessions (
		token TEXT PRIMARY KEY,
		member_id INTEGER NOT NULL REFERENCES app_members(id) ON DELETE CASCADE,
		created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
	)`,
	`CREATE INDEX IF NOT EXISTS app_sessions_member ON app_sessions (member_id)`,
}

// Roles a member can have. They are app-owned: no IdP sets them.
var roles = map[string]bool{"owner": true, "admin": true, "member": true}

// migrate creates the app's tables and, in an empty database, the members
// Acme Notes had before it turned SCIM on: its owner, and bjensen, whom
// the IdP will provision later (and the app will link, not duplicate).
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	for _, stmt := range schemaStatements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("creating app tables: %w", err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM app_members`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO app_members (email, name, role, active) VALUES
			('admin@acme.example', 'Acme Admin', 'owner', 1),
			('bjensen@example.com', 'Barbara Jensen', 'admin', 1)`); err != nil {
			return fmt.Errorf("seeding members: %w", err)
		}
	}
	return tx.Commit()
}

// member is an app member as the JSON API shows it.
type member struct {
	ID        int64    `json:"id"`
	Email     string   `json:"email"`
	Name      string   `json:"name"`
	Role      string   `json:"role"`
	Active    bool     `json:"active"`
	SCIMID    *string  `json:"scim_id"`
	Teams     []string `json:"teams"`
	CreatedAt string   `json:"created_at"`
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var errNoMember = errors.New("no such member")

const memberColumns = `m.id, coalesce(m.email, ''), m.name, m.role, m.active, m.scim_id, m.created_at,
	coalesce((SELECT group_concat(t.name, char(31) ORDER BY t.name) FROM app_team_members tm
		JOIN app_teams t ON t.id = tm.team_id WHERE tm.member_id = m.id), '')`

func scanMember(row interface{ Scan(...any) error }) (*member, error) {
	var m member
	var teams string
	if err := row.Scan(&m.ID, &m.Email, &m.Name, &m.Role, &m.Active, &m.SCIMID, &m.CreatedAt, &teams); err != nil {
		return nil, err
	}
	m.Teams = []string{}
	if teams != "" {
		m.Teams = strings.Split(teams, "\x1f")
	}
	return &m, nil
}

// getMember loads one member with its teams; errNoMember if there is none.
func getMember(ctx context.Context, q querier, where string, args ...any) (*member, error) {
	m, err := scanMember(q.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM app_members m WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoMember
	}
	return m, err
}

// listMembers loads every member, oldest first.
func listMembers(ctx context.Context, q querier) ([]*member, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+memberColumns+` FROM app_members m ORDER BY m.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*member{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
