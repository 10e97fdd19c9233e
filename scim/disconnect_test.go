package scim_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

// disconnectRecorder records the events hooks receive, as "kind id", and
// can stop the run after a number of them, as a crash would: the write
// whose hook saw the last one then rolls back.
type disconnectRecorder struct {
	mu     sync.Mutex
	events []string
	causes map[scim.Cause]int
	stopAt int                // cancel after this many events; 0 never
	cancel context.CancelFunc // what stopAt calls
}

func (r *disconnectRecorder) note(o scim.Origin, line string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, line)
	r.causes[o.Cause]++
	if r.stopAt > 0 && len(r.events) == r.stopAt && r.cancel != nil {
		r.cancel()
	}
	return nil
}

func (r *disconnectRecorder) hooks() *scim.Hooks {
	return &scim.Hooks{
		UserDeactivated: func(_ context.Context, e *scim.UserDeactivated) error {
			return r.note(e.Origin, "user.deactivated "+e.User.ID)
		},
		UserDeleted: func(_ context.Context, e *scim.UserDeleted) error { return r.note(e.Origin, "user.deleted "+e.User.ID) },
		UserReleased: func(_ context.Context, e *scim.UserReleased) error {
			return r.note(e.Origin, "user.released "+e.User.ID)
		},
		GroupDeleted: func(_ context.Context, e *scim.GroupDeleted) error {
			return r.note(e.Origin, "group.deleted "+e.Group.ID)
		},
		GroupReleased: func(_ context.Context, e *scim.GroupReleased) error {
			return r.note(e.Origin, "group.released "+e.Group.ID)
		},
	}
}

// committed lists the committed writes of the disconnect in scope, from
// the audit log, as "event id" for each event: what the app's hooks did
// for good (a hook's work in a write that rolled back is undone with it).
func committed(t *testing.T, audit *memory.AuditLog, scope store.Scope) []string {
	t.Helper()
	records, err := audit.AuditRecords(context.Background(), scope, store.AuditQuery{Limit: 1000})
	require.NoError(t, err)
	var out []string
	for _, r := range records {
		if r.Actor != scim.DisconnectActor || r.Operation == "disconnect" || r.Status >= 300 {
			continue
		}
		for _, e := range r.Events {
			out = append(out, e+" "+r.ResourceID)
		}
	}
	sort.Strings(out)
	return out
}

// TestDisconnect: each disconnect policy on every store, run whole and
// run interrupted then resumed: every user and group of the directory is
// released, deactivated or deleted exactly once, through the write path
// (hooks see CauseDisconnect), the directory's token is refused from the
// start, another directory of the tenant is untouched, and a run after
// the end changes nothing.
func TestDisconnect(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		b := sk.withDirectories(t)
		for _, policy := range []directory.DisconnectPolicy{directory.KeepUnmanaged, directory.DeactivateMembers, directory.DeleteMembers} {
			for _, interrupted := range []bool{false, true} {
				name := fmt.Sprintf("%s/interrupted=%v", policy, interrupted)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					ctx := context.Background()
					tenant := fmt.Sprintf("t-%s-%v", policy, interrupted)
					rec := &disconnectRecorder{causes: map[scim.Cause]int{}}
					audit := &memory.AuditLog{}
					e := newDirectoryEnv(t, b, scim.Config{Hooks: rec.hooks(), Audit: audit})
					h := e.h
					okta, other := e.connect(tenant, "okta", directory.Okta, directory.Settings{}), e.connect(tenant, "other", directory.Okta, directory.Settings{})
					var users, groups []string
					for i := range 5 {
						status, body := okta.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": fmt.Sprintf("u%d", i)})
						require.Equal(t, http.StatusCreated, status, body)
						users = append(users, body["id"].(string))
					}
					for i := range 3 {
						status, body := okta.do("POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": fmt.Sprintf("g%d", i),
							"members": []any{map[string]any{"value": users[i]}, map[string]any{"value": users[i+1]}}})
						require.Equal(t, http.StatusCreated, status, body)
						groups = append(groups, body["id"].(string))
					}
					status, body := other.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "stays"})
					require.Equal(t, http.StatusCreated, status, body)
					kept := body["id"].(string)

					scope := store.Scope{Tenant: tenant, Directory: "okta"}
					// The app's admin starts it.
					adminCtx := auth.NewContext(ctx, auth.Principal{Tenant: tenant, CredentialID: "admin@" + tenant})
					if interrupted {
						runCtx, cancel := context.WithCancel(adminCtx)
						rec.stopAt, rec.cancel = 3, cancel
						_, err := h.Disconnect(runCtx, scope, policy)
						require.Error(t, err, "the interrupted run reports it")
						require.True(t, errors.Is(err, context.Canceled), "%v", err)
						cancel()
						d, err := b.dirs.Directory(ctx, scope)
						require.NoError(t, err)
						assert.Equal(t, directory.Disconnected, d.State)
						require.NotNil(t, d.Disconnection)
						assert.True(t, d.Disconnection.Finished.IsZero(), "not finished")
						_, err = h.Disconnect(ctx, scope, otherPolicy(policy))
						require.ErrorIs(t, err, scim.ErrDisconnectPolicy, "a resume keeps the policy")
						status, _ = okta.do("GET", "/Users", nil)
						assert.Equal(t, http.StatusUnauthorized, status, "the directory's token is refused from the start")
					}

					_, err := h.Disconnect(adminCtx, scope, policy)
					require.NoError(t, err)
					status, _ = okta.do("GET", "/Users", nil)
					assert.Equal(t, http.StatusUnauthorized, status, "the directory's token is refused")
					d, err := b.dirs.Directory(ctx, scope)
					require.NoError(t, err)
					assert.False(t, d.Disconnection.Finished.IsZero(), "finished")

					var want []string
					switch policy {
					case directory.KeepUnmanaged:
						for _, id := range groups {
							want = append(want, "group.released "+id)
						}
						for _, id := range users {
							want = append(want, "user.released "+id)
						}
					case directory.DeleteMembers:
						for _, id := range groups {
							want = append(want, "group.deleted "+id)
						}
						for _, id := range users {
							want = append(want, "user.deleted "+id)
						}
					case directory.DeactivateMembers:
						for _, id := range users {
							want = append(want, "user.updated "+id, "user.deactivated "+id)
						}
					}
					sort.Strings(want)
					assert.Equal(t, want, committed(t, audit, scope), "each resource once, across the interruption")
					rec.mu.Lock()
					assert.Equal(t, []scim.Cause{scim.CauseDisconnect}, slices.Collect(maps.Keys(rec.causes)), "hooks see why")
					rec.mu.Unlock()
					records, err := audit.AuditRecords(ctx, scope, store.AuditQuery{Limit: 1000})
					require.NoError(t, err)
					starts := 0
					for _, r := range records {
						if r.Operation == "disconnect" {
							starts++
							assert.Equal(t, "admin@"+tenant, r.Actor, "the start is audited with who started it")
						}
					}
					assert.Equal(t, 1, starts)

					for _, id := range users {
						u, err := b.store.Get(ctx, scope, store.User, id)
						if policy == directory.DeactivateMembers {
							require.NoError(t, err)
							assert.False(t, u.Active(), "deactivated")
						} else {
							require.ErrorIs(t, err, store.ErrNotFound)
						}
					}
					_, err = b.store.Get(ctx, store.Scope{Tenant: tenant, Directory: "other"}, store.User, kept)
					require.NoError(t, err, "another directory of the tenant is untouched")

					n, err := h.Disconnect(ctx, scope, policy)
					require.NoError(t, err)
					assert.Zero(t, n, "idempotent")
					assert.Equal(t, want, committed(t, audit, scope))
				})
			}
		}
	})
}

func otherPolicy(p directory.DisconnectPolicy) directory.DisconnectPolicy {
	if p == directory.DeleteMembers {
		return directory.KeepUnmanaged
	}
	return directory.DeleteMembers
}

// TestDisconnectEdges: a user whose hook fails is tried once per run and
// reported while the others are handled, and the next run finishes; a
// reconnected directory is disconnected anew; a protected user is left
// as it is by a deactivating disconnect; a paused or disconnected
// directory takes no client's writes, whatever credential let the
// request in.
func TestDisconnectEdges(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		b := sk.withDirectories(t)
		ctx := context.Background()
		var mu sync.Mutex
		refuse := map[string]bool{}
		tries := map[string]int{}
		var protectedID string
		staticToken, staticHash, err := auth.NewToken()
		require.NoError(t, err)
		scope := store.Scope{Tenant: "edges", Directory: "okta"}
		e := newDirectoryEnv(t, b, scim.Config{
			Protected: func(_ context.Context, _ store.Scope, u *store.Resource) bool {
				mu.Lock()
				defer mu.Unlock()
				return u.ID == protectedID
			},
			Hooks: &scim.Hooks{UserDeactivated: func(_ context.Context, ev *scim.UserDeactivated) error {
				mu.Lock()
				defer mu.Unlock()
				tries[ev.User.ID]++
				if refuse[ev.User.ID] {
					return errors.New("the app cannot deactivate this member now")
				}
				return nil
			}}},
			auth.Token{ID: "static", Hash: staticHash, Principal: auth.Principal{Tenant: scope.Tenant, Directory: scope.Directory}})
		okta := e.connect(scope.Tenant, scope.Directory, directory.Okta, directory.Settings{})
		static := e.client(staticToken)
		user := func(c tokenClient, name string) (int, string) {
			status, body := c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": name})
			id, _ := body["id"].(string)
			return status, id
		}
		var ids []string
		for i := range 4 {
			status, id := user(okta, fmt.Sprintf("e%d", i))
			require.Equal(t, http.StatusCreated, status)
			ids = append(ids, id)
		}
		mu.Lock()
		refuse[ids[1]], protectedID = true, ids[3]
		mu.Unlock()

		_, err = e.h.Disconnect(ctx, scope, directory.DeactivateMembers)
		require.Error(t, err)
		assert.Contains(t, err.Error(), ids[1])
		mu.Lock()
		assert.Equal(t, map[string]int{ids[0]: 1, ids[1]: 1, ids[2]: 1}, tries, "each user tried once; the protected one not at all")
		refuse[ids[1]] = false
		mu.Unlock()
		status, _ := user(static, "late")
		assert.Equal(t, http.StatusForbidden, status, "a disconnected directory takes no writes, even through a static token")
		status, body := static.do("GET", "/Users/"+ids[0], nil)
		assert.Equal(t, http.StatusOK, status, "reads go on: %v", body)

		_, err = e.h.Disconnect(ctx, scope, directory.DeactivateMembers)
		require.NoError(t, err, "the next run finishes")
		for i, id := range ids {
			u, err := b.store.Get(ctx, scope, store.User, id)
			require.NoError(t, err)
			assert.Equal(t, i == 3, u.Active(), "user %d", i)
		}

		// Reconnected: its token works again, and a later disconnect
		// handles what was provisioned since.
		_, err = b.dirs.UpdateDirectory(ctx, scope, func(d *directory.Directory) error { d.State = directory.Active; return nil })
		require.NoError(t, err)
		status, late := user(okta, "after-reconnect")
		require.Equal(t, http.StatusCreated, status)
		_, err = e.h.Disconnect(ctx, scope, directory.DeleteMembers)
		require.NoError(t, err, "a new policy, as the last disconnect finished")
		_, err = b.store.Get(ctx, scope, store.User, late)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.store.Get(ctx, scope, store.User, ids[3])
		require.ErrorIs(t, err, store.ErrNotFound, "the protected user is released")

		// Paused: writes refused, and nothing expires.
		_, err = b.dirs.UpdateDirectory(ctx, scope, func(d *directory.Directory) error { d.State = directory.Paused; return nil })
		require.NoError(t, err)
		status, _ = user(static, "while-paused")
		assert.Equal(t, http.StatusForbidden, status)
	})
}
