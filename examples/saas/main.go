// Command saas is "Acme Notes", a tiny SaaS whose members and teams are
// provisioned over SCIM: the demo of what scimkit's lifecycle hooks are for.
//
//	go run ./examples/saas                       # database in $TMPDIR/acme-notes.db
//	go run ./examples/saas -db ./saas.db -addr 127.0.0.1:9090
//
// It needs no external service. One SQLite file (-db; default
// acme-notes.db in os.TempDir(), kept between runs) holds both the SCIM
// store's tables (scim_*) and the app's own (app_members, app_teams,
// app_team_members, app_sessions). Hooks (hooks.go) write the app's tables
// in the same transaction as each SCIM change, so the two never disagree:
//
//   - a provisioned user becomes a member, or is linked to the member the
//     app already had with that e-mail (which keeps its role);
//   - an update changes only the mapped fields (name, e-mail): the role is
//     the app's own and survives every sync;
//   - deactivation ends the member's sessions at once;
//   - groups become teams, their members team members; deleting a group
//     (-group-delete) either ends its memberships and deletes the team
//     ("remove", the default) or keeps both, the team unlinked from SCIM
//     ("keep").
//
// Every SCIM write also leaves an audit record (GET /admin/audit).
//
// The IdP authenticates with a bearer token: SCIMKIT_TOKEN, or one
// generated and printed at start, or the token of a directory an admin
// connects while the app runs (each IdP connection its own directory,
// with its own settings). The app's own routes are
//
//	POST /login                      demo login, e-mail only (no password!)
//	GET  /me                         the logged-in member, 401 once deactivated
//	GET  /admin/members              members with role, active, scim_id, teams
//	POST /admin/members/{id}/role    set the app-owned role, {"role":"admin"}
//	GET  /admin/audit                recent SCIM audit records
//
//	GET  /admin/directories          connected IdPs, their tokens (never secrets), last use
//	POST /admin/directories          connect another IdP: {"id":"okta","kind":"okta","name":"Okta"};
//	                                 answers with its SCIM URL and token, usable at once
//
// /admin routes need the session of an owner or admin, such as the seeded
// owner admin@acme.example. On start it prints a curl walkthrough.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	dbPath := flag.String("db", filepath.Join(os.TempDir(), "acme-notes.db"),
		"SQLite database file (created if missing; kept between runs)")
	grace := flag.Duration("grace", 30*24*time.Hour,
		"how long a deactivated member is kept, with its teams and role, before it is deleted (0: until the IdP deletes it)")
	groupDelete := flag.String("group-delete", "remove",
		`what deleting a SCIM group does to its team: "remove" ends its memberships and deletes the team, "keep" keeps both, unlinked from SCIM`)
	flag.Parse()
	var policy scim.GroupDeletion
	switch *groupDelete {
	case "remove":
		policy = scim.RemoveMembers
	case "keep":
		policy = scim.KeepMembers
	default:
		fmt.Fprintf(os.Stderr, "saas: -group-delete must be \"remove\" or \"keep\", not %q\n", *groupDelete)
		os.Exit(2)
	}
	if err := run(*addr, *dbPath, options{grace: *grace, groupDeletion: policy}); err != nil {
		fmt.Fprintln(os.Stderr, "saas:", err)
		os.Exit(1)
	}
}

func run(addr, dbPath string, opts options) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	token := os.Getenv("SCIMKIT_TOKEN")
	hash := auth.HashToken(token)
	if token == "" {
		var err error
		if token, hash, err = auth.NewToken(); err != nil {
			return err
		}
	}

	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer st.Close()
	handler, err := newApp(ctx, st, hash, logger, opts)
	if err != nil {
		return err
	}
	// Last-used times of directory tokens, and directories' last errors,
	// are written in batches: write the last ones on the way out, once
	// the server has stopped taking requests.
	defer handler.flush(logger)
	go expireEvery(ctx, handler, time.Minute, logger)
	demoUser, err := freeDemoEmail(ctx, st.DB())
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	printWalkthrough(os.Stdout, "http://"+ln.Addr().String(), token, dbPath, demoUser)

	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("saas: stopped")
	return nil
}

// freeDemoEmail picks the walkthrough's user: alice@example.com, or, when
// an earlier run already provisioned her into this database, alice2@...,
// alice3@..., so the printed commands work on every run.
func freeDemoEmail(ctx context.Context, db *sql.DB) (string, error) {
	for i := 1; ; i++ {
		email := "alice@example.com"
		if i > 1 {
			email = fmt.Sprintf("alice%d@example.com", i)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM app_members WHERE email = ?`, email).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return email, nil
		}
	}
}

func printWalkthrough(w io.Writer, base, token, dbPath, user string) {
	jar := filepath.Join(os.TempDir(), "acme-notes.cookies")
	fmt.Fprintf(w, `Acme Notes is running.
  database:      %s
  SCIM base URL: %s/scim/v2
  bearer token:  %s

Walk through it in another terminal (bash or zsh):

  APP=%s TOKEN='%s' JAR=%s

  # 1. The IdP provisions %s over SCIM; keep her SCIM id.
  ID=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/scim+json' -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s","name":{"givenName":"Alice","familyName":"Smith"}}' $APP/scim/v2/Users | tee /dev/stderr | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4); echo; echo "SCIM id: $ID"

  # 2. She logs in (demo login: e-mail only, no password) and gets a session cookie.
  curl -s -c $JAR -d email=%s $APP/login

  # 3. Her session works.
  curl -s -b $JAR -w 'HTTP %%{http_code}\n' $APP/me

  # 4. The IdP deactivates her (Okta's PATCH); her sessions end in the same transaction.
  curl -s -o /dev/null -w 'HTTP %%{http_code}\n' -X PATCH -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/scim+json' -d '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}' $APP/scim/v2/Users/$ID

  # 5. The very same cookie is refused now.
  curl -s -b $JAR -w 'HTTP %%{http_code}\n' $APP/me

  # 6. As the owner (seeded, not from SCIM): members with their roles, and the audit log.
  curl -s -c $JAR.owner -d email=admin@acme.example -o /dev/null $APP/login && curl -s -b $JAR.owner $APP/admin/members && curl -s -b $JAR.owner $APP/admin/audit

  # 7. Connect another IdP while the app runs: a directory with its own token, shown once, working at once.
  curl -s -b $JAR.owner -H 'Content-Type: application/json' -d '{"id":"okta-'$RANDOM'","kind":"okta","name":"Okta"}' $APP/admin/directories; echo
  curl -s -b $JAR.owner $APP/admin/directories; echo

`, dbPath, base, token, base, token, jar, user, user, user)
}

// expireEvery runs the app's deactivation expiry until ctx ends.
func expireEvery(ctx context.Context, a *app, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := a.expire(ctx); err != nil {
				logger.Error("saas: expiring deactivated members", slog.Any("error", err))
			} else if n > 0 {
				logger.Info("saas: deleted members deactivated past the grace period", slog.Int("members", n))
			}
		}
	}
}
