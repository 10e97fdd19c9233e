package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
)

const (
	userSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// env is the whole app on a fresh SQLite file, served over real HTTP.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	db    *sql.DB
	token string
	owner *http.Client // logged in as the seeded owner
	app   *app

	mu  sync.Mutex
	now time.Time // the app's clock for the grace period
}

func (e *env) clock() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }

func (e *env) advance(d time.Duration) { e.mu.Lock(); e.now = e.now.Add(d); e.mu.Unlock() }

// newEnv starts the app as main does by default (group deletion
// removes team memberships); tweaks change its options.
func newEnv(t *testing.T, tweaks ...func(*options)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "saas.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	token, hash, err := auth.NewToken()
	require.NoError(t, err)
	e := &env{t: t, token: token, now: time.Now()}
	opts := options{grace: 24 * time.Hour, now: e.clock, groupDeletion: scim.RemoveMembers}
	for _, tweak := range tweaks {
		tweak(&opts)
	}
	h, err := newApp(ctx, st, hash, slog.New(slog.DiscardHandler), opts)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e.srv, e.db, e.app = srv, st.DB(), h
	e.owner = e.client()
	require.Equal(t, http.StatusOK, e.login(e.owner, "admin@acme.example"))
	return e
}

// client returns a browser-like client with its own cookie jar.
func (e *env) client() *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(e.t, err)
	return &http.Client{Jar: jar}
}

// do sends a request and returns the status and decoded JSON body (nil if
// there is none).
func (e *env) do(c *http.Client, method, path, contentType, body string, header ...string) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	require.NoError(e.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(e.t, json.Unmarshal(raw, &out), "body: %s", raw)
	}
	return resp.StatusCode, out
}

// scim sends a SCIM request with the IdP's token.
func (e *env) scim(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	return e.do(http.DefaultClient, method, "/scim/v2"+path, "application/scim+json", body, "Authorization", "Bearer "+e.token)
}

// provision creates a SCIM user from the JSON fields after "schemas" and
// returns its id.
func (e *env) provision(fields string) string {
	e.t.Helper()
	status, body := e.scim("POST", "/Users", `{"schemas":["`+userSchema+`"],`+fields+`}`)
	require.Equal(e.t, http.StatusCreated, status, "%v", body)
	return body["id"].(string)
}

// createGroup creates a SCIM group with the given user members.
func (e *env) createGroup(name string, memberIDs ...string) string {
	e.t.Helper()
	status, body := e.scim("POST", "/Groups", groupBody(name, memberIDs...))
	require.Equal(e.t, http.StatusCreated, status, "%v", body)
	return body["id"].(string)
}

func groupBody(name string, memberIDs ...string) string {
	members := make([]string, len(memberIDs))
	for i, id := range memberIDs {
		members[i] = `{"value":"` + id + `"}`
	}
	return fmt.Sprintf(`{"schemas":["%s"],"displayName":%q,"members":[%s]}`, groupSchema, name, strings.Join(members, ","))
}

func patchBody(ops ...string) string {
	return `{"schemas":["` + patchSchema + `"],"Operations":[` + strings.Join(ops, ",") + `]}`
}

// count runs a SCIM list with filter and returns totalResults.
func (e *env) count(resource, filter string) int {
	e.t.Helper()
	status, body := e.scim("GET", "/"+resource+"?filter="+url.QueryEscape(filter), "")
	require.Equal(e.t, http.StatusOK, status, "%v", body)
	return int(body["totalResults"].(float64))
}

func (e *env) login(c *http.Client, email string) int {
	e.t.Helper()
	status, _ := e.do(c, "POST", "/login", "application/x-www-form-urlencoded", url.Values{"email": {email}}.Encode())
	return status
}

func (e *env) me(c *http.Client) (int, map[string]any) {
	e.t.Helper()
	return e.do(c, "GET", "/me", "", "")
}

// row is an app_members row as the database has it.
type row struct {
	ID     int64
	Email  string
	Name   string
	Role   string
	Active bool
	SCIMID sql.NullString
	Teams  []string
}

// member reads the member where the condition holds; ok false if none.
func (e *env) member(where string, args ...any) (row, bool) {
	e.t.Helper()
	m, err := getMember(context.Background(), e.db, where, args...)
	if errors.Is(err, errNoMember) {
		return row{}, false
	}
	require.NoError(e.t, err)
	r := row{ID: m.ID, Email: m.Email, Name: m.Name, Role: m.Role, Active: m.Active, Teams: m.Teams}
	if m.SCIMID != nil {
		r.SCIMID = sql.NullString{String: *m.SCIMID, Valid: true}
	}
	return r, true
}

func (e *env) bySCIM(id string) row {
	e.t.Helper()
	r, ok := e.member(`m.scim_id = ?`, id)
	require.True(e.t, ok, "no member with scim_id %s", id)
	return r
}

func (e *env) rows(query string, args ...any) int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.db.QueryRow(query, args...).Scan(&n))
	return n
}

// adminMembers returns GET /admin/members as the owner sees it, by email.
func (e *env) adminMembers() map[string]map[string]any {
	e.t.Helper()
	status, body := e.do(e.owner, "GET", "/admin/members", "", "")
	require.Equal(e.t, http.StatusOK, status, "%v", body)
	out := map[string]map[string]any{}
	for _, m := range body["members"].([]any) {
		mm := m.(map[string]any)
		out[mm["email"].(string)] = mm
	}
	return out
}

func itoa(n int64) string { return fmt.Sprint(n) }
