package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
)

// app is Acme Notes: its members, teams and sessions, and the SCIM
// endpoint that provisions them, all in one SQLite database.
type app struct {
	db    *sql.DB
	audit *sqlstore.AuditSink
	dirs  *sqlstore.Directories
	authn *directory.Authenticator
	// grace is the deactivation grace period of directories connected at
	// runtime (-grace).
	grace time.Duration
	log   *slog.Logger
	mux   *http.ServeMux
	scim  *scim.Handler
}

// options tune the app; the zero value keeps deactivated members until
// the IdP deletes them.
type options struct {
	// grace is how long a deactivated member is kept (with its teams and
	// role) before expire deletes it; 0 keeps it until the IdP deletes it.
	grace time.Duration
	// now is the clock the grace period is measured with.
	now func() time.Time
	// groupDeletion is what deleting a SCIM group (or Okta unlinking a
	// pushed group) means for its team: scim.KeepMembers keeps the team
	// and its memberships, unlinked from SCIM; scim.RemoveMembers ends
	// the memberships and deletes the team.
	groupDeletion scim.GroupDeletion
}

// flush writes what the SCIM side keeps to write in batches (credentials'
// last use, directories' last errors). Call it after the server stopped.
func (a *app) flush(logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := errors.Join(a.authn.Flush(ctx), a.scim.Flush(ctx)); err != nil {
		logger.Error("saas: writing batched state", slog.Any("error", err))
	}
}

// ServeHTTP serves SCIM and the app's routes.
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// expire deletes members deactivated for longer than the grace period,
// through SCIM's own delete path, so the UserDeleted hook removes them
// from the app in the same transaction. Okta never deletes users, so
// without this a deactivated member would stay forever.
func (a *app) expire(ctx context.Context) (int, error) {
	// The directories connected at runtime, each with its grace period,
	// and the scope of the start-up token, with the app's.
	n, err := a.scim.ExpireAll(ctx)
	m, err2 := a.scim.ExpireDeactivated(ctx, store.Scope{})
	return n + m, errors.Join(err, err2)
}

// newApp creates the app's tables in st's database (seeding an empty one)
// and returns the whole app as one handler: SCIM under /scim/v2/ for the
// bearer token whose SHA-256 is tokenHash and for the tokens of the
// directories an admin connects at runtime, and the app's own routes.
func newApp(ctx context.Context, st *sqlstore.Store, tokenHash string, logger *slog.Logger, opts options) (*app, error) {
	if err := migrate(ctx, st.DB()); err != nil {
		return nil, err
	}
	a := &app{db: st.DB(), audit: st.AuditSink(), dirs: st.Directories(), log: logger, mux: http.NewServeMux(), grace: opts.grace}

	// Tokens of directories connected at runtime (POST /admin/directories)
	// are looked up in the database at each request; the start-up token
	// stays accepted too, for the zero scope.
	authn, err := directory.NewAuthenticator(a.dirs, directory.AuthOptions{Logger: logger,
		Static: []auth.Token{{ID: "idp", Hash: tokenHash}}})
	if err != nil {
		return nil, err
	}
	a.authn = authn
	h, err := scim.NewHandler(scim.Config{
		Store: st,
		// Each connected directory's own settings and IdP profile apply
		// to its requests; the options below are for the start-up token.
		Directories: a.dirs,
		Hooks:       (&hooks{log: logger, groupDeletion: opts.groupDeletion}).scimHooks(),
		// With RemoveMembers, deleting a group first sends MembersRemoved
		// for its members, so team memberships end the same way as any
		// other removal; with KeepMembers only GroupDeleted comes, and
		// the hook keeps the team.
		GroupDeletion: opts.groupDeletion,
		// Every SCIM write leaves a record in the same transaction.
		Audit:                   a.audit,
		DeactivationGracePeriod: opts.grace,
		// The start-up token serves any IdP, Entra ID included, which
		// needs its IdP profile (directory.Profile).
		IdPProfile: directory.Entra.Profile(),
		Now:        opts.now,
		Logger:     logger,
	})
	if err != nil {
		return nil, err
	}
	a.scim = h
	a.mux.Handle("/scim/v2/", authn.Middleware(http.StripPrefix("/scim/v2", h)))

	a.mux.HandleFunc("POST /login", a.login)
	a.mux.HandleFunc("GET /me", a.me)
	a.mux.HandleFunc("GET /admin/members", a.requireAdmin(a.listMembers))
	a.mux.HandleFunc("POST /admin/members/{id}/role", a.requireAdmin(a.setRole))
	a.mux.HandleFunc("GET /admin/audit", a.requireAdmin(a.auditLog))
	a.mux.HandleFunc("GET /admin/directories", a.requireAdmin(a.listDirectories))
	a.mux.HandleFunc("POST /admin/directories", a.requireAdmin(a.connectDirectory))
	return a, nil
}

const sessionCookie = "session"

// login is a DEMO login: it asks only for an e-mail, no password. A real
// app signs members in through its IdP (SAML/OIDC) or a password; what
// this demo shows is what SCIM does to the session afterwards. The e-mail
// comes as a form field or JSON {"email": ...}.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	var email string
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		var body struct {
			Email string `json:"email"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
			writeError(w, http.StatusBadRequest, "malformed JSON")
			return
		}
		email = body.Email
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		email = r.PostFormValue("email")
	}
	token, err := newSessionToken()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	m, err := a.startSession(r.Context(), strings.TrimSpace(email), auth.HashToken(token))
	if errors.Is(err, errNoMember) {
		writeError(w, http.StatusUnauthorized, "no active member with this e-mail")
		return
	} else if err != nil {
		a.fail(w, r, err)
		return
	}
	// Secure is off only because the demo serves plain HTTP on localhost.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int((24 * time.Hour).Seconds())})
	writeJSON(w, http.StatusOK, map[string]any{"member": m})
}

// startSession saves a session (the token's hash) for the active member
// with the e-mail and returns the member; errNoMember if there is none.
//
// The active check and the insert are one statement, so a deactivation or
// deletion cannot commit between them. SQLite has one writer at a time,
// and a writing statement takes the write lock before it reads, so its
// SELECT sees the latest commit. The SCIM request that ends the member
// (setting active = 0 or deleting it, and deleting its sessions, in its
// hook's transaction) therefore commits either before this insert, which
// then finds no active member and inserts nothing, or after it, and
// deletes this session with the rest. A SELECT and then an INSERT would
// let it commit in between and leave a session behind: refused while the
// member is inactive, but working again once it is reactivated, or failing
// the login with a foreign key error if it was deleted.
func (a *app) startSession(ctx context.Context, email, tokenHash string) (*member, error) {
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO app_sessions (token, member_id)
		SELECT ?, id FROM app_members WHERE email = ? AND active = 1
		RETURNING member_id`, tokenHash, email).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoMember
	} else if err != nil {
		return nil, err
	}
	// The member as the session was made for it, read in the same
	// transaction, for the response.
	m, err := getMember(ctx, tx, `m.id = ?`, id)
	if err != nil {
		return nil, err
	}
	return m, tx.Commit()
}

// session returns the member of the request's session, if the session
// exists and the member is active. A deactivated member's sessions are
// deleted by the UserDeactivated hook; the active check guards the rest.
func (a *app) session(r *http.Request) (*member, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoMember
	}
	return getMember(r.Context(), a.db, `m.active = 1 AND m.id = (SELECT member_id FROM app_sessions WHERE token = ?)`,
		auth.HashToken(c.Value))
}

func (a *app) me(w http.ResponseWriter, r *http.Request) {
	m, err := a.session(r)
	if errors.Is(err, errNoMember) {
		writeError(w, http.StatusUnauthorized, "not logged in, or access revoked")
		return
	} else if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// requireAdmin lets through members logged in with role owner or admin.
func (a *app) requireAdmin(next func(http.ResponseWriter, *http.Request, *member)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m, err := a.session(r)
		switch {
		case errors.Is(err, errNoMember):
			writeError(w, http.StatusUnauthorized, "log in as an owner or admin")
		case err != nil:
			a.fail(w, r, err)
		case m.Role != "owner" && m.Role != "admin":
			writeError(w, http.StatusForbidden, "owners and admins only")
		default:
			next(w, r, m)
		}
	}
}

func (a *app) listMembers(w http.ResponseWriter, r *http.Request, _ *member) {
	ms, err := listMembers(r.Context(), a.db)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": ms})
}

// setRole sets the app-owned role. No IdP sync changes it afterwards.
// Only an owner hands out or takes away "owner".
func (a *app) setRole(w http.ResponseWriter, r *http.Request, me *member) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such member")
		return
	}
	var body struct {
		Role string `json:"role"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil || !roles[body.Role] {
		writeError(w, http.StatusBadRequest, `role must be "owner", "admin" or "member"`)
		return
	}
	m, err := getMember(r.Context(), a.db, `m.id = ?`, id)
	if errors.Is(err, errNoMember) {
		writeError(w, http.StatusNotFound, "no such member")
		return
	} else if err != nil {
		a.fail(w, r, err)
		return
	}
	if (body.Role == "owner" || m.Role == "owner") && me.Role != "owner" {
		writeError(w, http.StatusForbidden, "only an owner can grant or revoke owner")
		return
	}
	if _, err := a.db.ExecContext(r.Context(), `UPDATE app_members SET role = ? WHERE id = ?`, body.Role, id); err != nil {
		a.fail(w, r, err)
		return
	}
	m.Role = body.Role
	writeJSON(w, http.StatusOK, m)
}

// auditRecord is an audit record as /admin/audit shows it.
type auditRecord struct {
	Time         time.Time       `json:"time"`
	Actor        string          `json:"actor"`
	Operation    string          `json:"operation"`
	ResourceType string          `json:"resource_type"`
	ResourceID   string          `json:"resource_id"`
	Status       int             `json:"status"`
	Error        string          `json:"error,omitempty"`
	Before       json.RawMessage `json:"before,omitempty"`
	After        json.RawMessage `json:"after,omitempty"`
}

// auditLog lists the newest SCIM audit records (?limit=, default 20;
// ?resource= for one resource's; ?full=1 adds the before/after documents).
// They stay after the resource is deleted.
func (a *app) auditLog(w http.ResponseWriter, r *http.Request, _ *member) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 20
	}
	// The demo's one token has no tenant: its records are the zero scope's.
	recs, err := a.audit.AuditRecords(r.Context(), store.Scope{},
		store.AuditQuery{ResourceID: r.URL.Query().Get("resource"), Limit: limit})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	full := r.URL.Query().Get("full") == "1"
	out := make([]auditRecord, 0, len(recs))
	for _, rec := range recs {
		ar := auditRecord{Time: rec.Time, Actor: rec.Actor, Operation: rec.Operation,
			ResourceType: string(rec.ResourceType), ResourceID: rec.ResourceID, Status: rec.Status, Error: rec.Error}
		if full {
			ar.Before, ar.After = rec.Before, rec.After
		}
		out = append(out, ar)
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": out})
}

func (a *app) fail(w http.ResponseWriter, r *http.Request, err error) {
	a.log.ErrorContext(r.Context(), "acme: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func newSessionToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
