package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoginRacingDeactivationLeavesNoSession races logins against the IdP
// ending the member (deactivating it, or deleting it), round after round:
// whichever commits first, afterwards the member has no session left. The
// proof is that each session cookie a racing login got is refused even
// once the member is back (reactivated, or provisioned again, which may
// reuse the deleted member's id), and that no login failed with a 500.
func TestLoginRacingDeactivationLeavesNoSession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		end    func(e *env, id string) (int, map[string]any)
		ended  int
		revive func(e *env, id, email string)
	}{
		{
			name: "deactivate",
			end: func(e *env, id string) (int, map[string]any) {
				return e.scim("PATCH", "/Users/"+id, patchBody(`{"op":"replace","value":{"active":false}}`))
			},
			ended: http.StatusOK,
			revive: func(e *env, id, _ string) {
				status, body := e.scim("PATCH", "/Users/"+id, patchBody(`{"op":"replace","path":"active","value":true}`))
				require.Equal(e.t, http.StatusOK, status, "%v", body)
			},
		},
		{
			name: "delete",
			end: func(e *env, id string) (int, map[string]any) {
				return e.scim("DELETE", "/Users/"+id, "")
			},
			ended: http.StatusNoContent,
			revive: func(e *env, _, email string) {
				e.provision(`"userName":"` + email + `"`)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			const rounds, racers = 30, 3
			// Enough idle connections kept for every racer: a new one per
			// login would slow the rounds down, not race them any harder.
			tr := &http.Transport{MaxIdleConnsPerHost: racers}
			t.Cleanup(tr.CloseIdleConnections)
			client := &http.Client{Transport: tr}
			leaked, failed := 0, 0
			for round := range rounds {
				email := fmt.Sprintf("racer%d@example.com", round)
				id := e.provision(`"userName":"` + email + `"`)
				memberID := e.bySCIM(id).ID

				tokens, statuses, errs := raceLogins(e, client, email, racers, func() {
					status, body := tc.end(e, id)
					require.Equal(t, tc.ended, status, "%v", body)
				})
				require.Empty(t, errs)
				for _, s := range statuses {
					if s != http.StatusOK && s != http.StatusUnauthorized {
						failed++
						t.Logf("round %d: a login racing the %s answered %d", round, tc.name, s)
						break
					}
				}
				assert.Zero(t, e.rows(`SELECT count(*) FROM app_sessions WHERE member_id = ?`, memberID),
					"round %d: sessions of the ended member left in the database", round)

				tc.revive(e, id, email)
				n := 0
				for _, tok := range tokens {
					if e.meWith(client, tok) != http.StatusUnauthorized {
						n++
					}
				}
				if n > 0 {
					leaked++
					t.Logf("round %d: %d of %d sessions from logins racing the %s still work", round, n, len(tokens), tc.name)
				}
			}
			assert.Zero(t, leaked, "rounds (of %d) that left a working session", rounds)
			assert.Zero(t, failed, "rounds (of %d) with a login that failed", rounds)
		})
	}
}

// raceLogins has racers goroutines log in as email with client, one login
// after another; once the first login is back it runs end while they go
// on, and they stop when it returns, or after maxLogins each: SQLite's
// busy handler does not queue waiting writers fairly, so logins in a tight
// loop could hold end off for long. It returns the session tokens the
// logins got, every login's status, and any transport errors.
func raceLogins(e *env, client *http.Client, email string, racers int, end func()) (tokens []string, statuses []int, errs []error) {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		started  = make(chan struct{})
		once     sync.Once
		stop     atomic.Bool
		form     = url.Values{"email": {email}}.Encode()
		loginURL = e.srv.URL + "/login"
	)
	const maxLogins = 4
	for range racers {
		wg.Go(func() {
			for i := 0; i < maxLogins && !stop.Load(); i++ {
				resp, err := client.Post(loginURL, "application/x-www-form-urlencoded", strings.NewReader(form))
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					statuses = append(statuses, resp.StatusCode)
					for _, c := range resp.Cookies() {
						if c.Name == sessionCookie {
							tokens = append(tokens, c.Value)
						}
					}
					_ = resp.Body.Close()
				}
				mu.Unlock()
				once.Do(func() { close(started) })
				if err != nil {
					return
				}
			}
		})
	}
	<-started
	func() {
		defer stop.Store(true) // even if end fails the test
		end()
	}()
	wg.Wait()
	return tokens, statuses, errs
}

// meWith sends GET /me with client and the session token as its cookie,
// and returns the status.
func (e *env) meWith(client *http.Client, token string) int {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+"/me", nil)
	require.NoError(e.t, err)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	resp, err := client.Do(req)
	require.NoError(e.t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}
