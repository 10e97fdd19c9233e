package scim_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

func TestDeactivationGracePeriod(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		var mu sync.Mutex
		now := time.Now().Add(time.Hour) // the handler's clock, ahead of the store's
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

		rec := &recorder{}
		audit := &memory.AuditLog{}
		cfg := scim.Config{Store: sk.open(t), Hooks: rec.hooks(), Audit: audit, DeactivationGracePeriod: 24 * time.Hour, Now: clock}
		c := sk.newClient(t, cfg)
		h, err := scim.NewHandler(cfg)
		require.NoError(t, err)

		keep := c.createUser("keep@example.com", map[string]any{"active": true})["id"].(string)
		back := c.createUser("back@example.com", map[string]any{"active": true})["id"].(string)
		gone := c.createUser("gone@example.com", map[string]any{"active": true})["id"].(string)
		g := c.createGroup("Team", keep, back, gone)["id"].(string)
		for _, id := range []string{back, gone} {
			c.must(http.StatusOK, "PATCH", "/Users/"+id, patchBody(op("replace", "", map[string]any{"active": false})))
		}
		rec.take()

		n, err := h.ExpireDeactivated(context.Background(), store.Scope{})
		require.NoError(t, err)
		assert.Zero(t, n, "within the grace period nothing is deleted")

		// Reactivated within the grace period: everything is still there.
		c.must(http.StatusOK, "PATCH", "/Users/"+back, patchBody(op("replace", "active", true)))
		assert.Contains(t, memberIDs(c.must(http.StatusOK, "GET", "/Groups/"+g, nil).body), back)

		advance(25 * time.Hour)
		n, err = h.ExpireDeactivated(context.Background(), store.Scope{})
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.Equal(t, []string{"UserUpdated back@example.com active", "UserReactivated back@example.com", "UserDeleted gone@example.com"}, rec.take())
		requireError(t, c.do("GET", "/Users/"+gone, nil), http.StatusNotFound, "")
		c.must(http.StatusOK, "GET", "/Users/"+back, nil)
		c.must(http.StatusOK, "GET", "/Users/"+keep, nil)
		assert.ElementsMatch(t, []string{keep, back}, memberIDs(c.must(http.StatusOK, "GET", "/Groups/"+g, nil).body))
		recs, _ := audit.AuditRecords(context.Background(), store.Scope{}, store.AuditQuery{ResourceID: gone, Limit: 1})
		require.Len(t, recs, 1)
		assert.Equal(t, "delete", recs[0].Operation)
		assert.Equal(t, scim.ExpiryActor, recs[0].Actor)

		n, err = h.ExpireDeactivated(context.Background(), store.Scope{})
		require.NoError(t, err)
		assert.Zero(t, n)

		off, err := scim.NewHandler(scim.Config{Store: cfg.Store})
		require.NoError(t, err)
		n, err = off.ExpireDeactivated(context.Background(), store.Scope{})
		require.NoError(t, err)
		assert.Zero(t, n, "no grace period configured: never deletes")
	})
}

// TestGracePeriodCountsFromDeactivation: changes to a deactivated user
// (a group membership, IdP updates by PATCH and PUT) do not restart its
// grace period, whose start no client can see or set; a reactivation
// ends it, so a later deactivation starts a new one.
func TestGracePeriodCountsFromDeactivation(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		var mu sync.Mutex
		now := time.Now().Truncate(time.Millisecond)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

		rec := &recorder{}
		audit := &memory.AuditLog{}
		// The store and the handler share the clock, so meta.lastModified
		// moves with every change as it does in production.
		cfg := scim.Config{Store: sk.open(t, withClock(clock)), Hooks: rec.hooks(), Audit: audit, DeactivationGracePeriod: 24 * time.Hour, Now: clock}
		c := sk.newClient(t, cfg)
		h, err := scim.NewHandler(cfg)
		require.NoError(t, err)
		expire := func() int {
			t.Helper()
			n, err := h.ExpireDeactivated(context.Background(), store.Scope{})
			require.NoError(t, err)
			return n
		}
		deactivate := func(id string) {
			t.Helper()
			c.must(http.StatusOK, "PATCH", "/Users/"+id, patchBody(op("replace", "active", false)))
		}

		idle := c.createUser("idle@example.com", map[string]any{"active": true})["id"].(string)
		busy := c.createUser("busy@example.com", map[string]any{"active": true, "title": "a"})["id"].(string)
		back := c.createUser("back@example.com", map[string]any{"active": true})["id"].(string)
		again := c.createUser("again@example.com", map[string]any{"active": true})["id"].(string)
		born := c.createUser("born@example.com", map[string]any{"active": false})["id"].(string)
		g := c.createGroup("Team")["id"].(string)
		for _, id := range []string{idle, busy, back, again} {
			deactivate(id)
		}
		rec.take()

		advance(6 * time.Hour)
		c.must(http.StatusNoContent, "PATCH", "/Groups/"+g, patchBody(op("add", "members", []any{map[string]any{"value": busy}})))
		c.must(http.StatusOK, "PATCH", "/Users/"+busy, patchBody(op("replace", "title", "b")))
		c.must(http.StatusOK, "PATCH", "/Users/"+back, patchBody(op("replace", "active", true)))
		c.must(http.StatusOK, "PATCH", "/Users/"+again, patchBody(op("replace", "active", true)))
		assert.Equal(t, []string{"MembersAdded Team " + busy, "UserUpdated busy@example.com title",
			"UserUpdated back@example.com active", "UserReactivated back@example.com",
			"UserUpdated again@example.com active", "UserReactivated again@example.com"}, rec.take(),
			"the deactivation time is no attribute change hooks hear of")

		advance(14 * time.Hour) // 20h after the deactivations
		// Entra's PUT, "active" as a string, and a client trying to set the
		// internal attribute: it keeps the deactivation time it has.
		c.must(http.StatusOK, "PUT", "/Users/"+busy, map[string]any{"schemas": []string{userURN}, "userName": "busy@example.com",
			"active": "False", "title": "c", "_scimkitDeactivatedAt": store.FormatTime(now.Add(time.Hour))})
		r := c.must(http.StatusOK, "GET", "/Users/"+busy, nil)
		assert.Equal(t, false, r.body["active"])
		assert.Equal(t, "c", r.body["title"])
		assert.NotContains(t, r.raw, "_scimkitDeactivatedAt", "the internal attribute is never rendered")
		assert.NotContains(t, c.must(http.StatusOK, "GET", "/Users?filter=active+eq+false", nil).raw, "_scimkitDeactivatedAt")
		requireError(t, c.do("GET", "/Users?filter=_scimkitDeactivatedAt+pr", nil), http.StatusBadRequest, "invalidFilter")
		assert.Zero(t, expire(), "within the grace period")

		advance(5 * time.Hour) // 25h after the deactivations, 5h after busy's last change
		deactivate(again)      // a new grace period starts now
		rec.take()
		assert.Equal(t, 3, expire(), "idle, busy and born, deactivated 25h ago")
		assert.ElementsMatch(t, []string{"UserDeleted idle@example.com", "UserDeleted busy@example.com", "UserDeleted born@example.com"}, rec.take())
		for _, id := range []string{idle, busy, born} {
			requireError(t, c.do("GET", "/Users/"+id, nil), http.StatusNotFound, "")
		}
		recs, err := audit.AuditRecords(context.Background(), store.Scope{}, store.AuditQuery{ResourceID: busy})
		require.NoError(t, err)
		require.NotEmpty(t, recs)
		assert.Equal(t, scim.ExpiryActor, recs[0].Actor)
		for _, rc := range recs {
			assert.NotContains(t, string(rc.Before)+string(rc.After), "_scimkitDeactivatedAt", "audit records never show it")
		}

		advance(20 * time.Hour)
		assert.Zero(t, expire(), "again was deactivated again only 20h ago; back is active")
		advance(5 * time.Hour)
		assert.Equal(t, 1, expire())
		requireError(t, c.do("GET", "/Users/"+again, nil), http.StatusNotFound, "")

		advance(1000 * time.Hour)
		assert.Zero(t, expire(), "a reactivated user is never expired")
		assert.Equal(t, true, c.must(http.StatusOK, "GET", "/Users/"+back, nil).body["active"])
	})
}

// TestGracePeriodWithoutDeactivationTime: a user deactivated with no
// recorded deactivation time (stored before the handler kept it, or by a
// store that drops unknown attributes) expires by meta.lastModified, and
// its next change fixes that time instead of moving it on.
func TestGracePeriodWithoutDeactivationTime(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		var mu sync.Mutex
		now := time.Now().Truncate(time.Millisecond)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		st := sk.open(t, withClock(clock))
		cfg := scim.Config{Store: st, DeactivationGracePeriod: 24 * time.Hour, Now: clock}
		c := sk.newClient(t, cfg)
		h, err := scim.NewHandler(cfg)
		require.NoError(t, err)
		expire := func() int {
			t.Helper()
			n, err := h.ExpireDeactivated(context.Background(), store.Scope{})
			require.NoError(t, err)
			return n
		}
		require.NoError(t, st.Update(context.Background(), store.Scope{}, func(ctx context.Context, tx store.Tx) error {
			for _, id := range []string{"legacy", "touched"} {
				u := &store.Resource{Type: store.User, ID: id, Attributes: map[string]any{"userName": id + "@example.com", "active": false}}
				if err := tx.Create(ctx, u); err != nil {
					return err
				}
			}
			return nil
		}))

		advance(20 * time.Hour)
		c.must(http.StatusOK, "PATCH", "/Users/touched", patchBody(op("replace", "title", "x")))
		advance(5 * time.Hour)
		assert.Equal(t, 2, expire(), "legacy by its lastModified, touched by the time it was last changed before")
	})
}

// failDeleteOf has a UserDeleted hook that fails for the listed userNames.
type failDeleteOf struct {
	fail map[string]bool
}

func (f failDeleteOf) UserDeleted(_ context.Context, e *scim.UserDeleted) error {
	if f.fail[e.User.UserName()] {
		return errors.New("the app cannot remove " + e.User.UserName())
	}
	return nil
}

// TestExpiryGoesOnPastFailures: a user whose deletion fails (its hook
// refuses) does not stop the others: every other expired user is deleted,
// each failure is reported (errors.As finds the user's id) and audited,
// and the failed user stays for the next run.
func TestExpiryGoesOnPastFailures(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		var mu sync.Mutex
		now := time.Now().Add(time.Hour)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		audit := &memory.AuditLog{}
		hooks := failDeleteOf{fail: map[string]bool{"b1@example.com": true, "b2@example.com": true}}
		cfg := scim.Config{Store: sk.open(t), Hooks: &scim.Hooks{UserDeleted: hooks.UserDeleted}, Audit: audit, DeactivationGracePeriod: time.Hour, Now: clock}
		c := sk.newClient(t, cfg)
		h, err := scim.NewHandler(cfg)
		require.NoError(t, err)

		ids := map[string]string{}
		// The failing users are created first, so they are listed first.
		for _, name := range []string{"b1@example.com", "ok1@example.com", "b2@example.com", "ok2@example.com"} {
			ids[name] = c.createUser(name, map[string]any{"active": false})["id"].(string)
		}
		mu.Lock()
		now = now.Add(2 * time.Hour)
		mu.Unlock()

		n, err := h.ExpireDeactivated(context.Background(), store.Scope{})
		assert.Equal(t, 2, n, "both users whose hooks succeed are deleted")
		require.Error(t, err)
		var failed []string
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var ee *scim.ExpiryError
			require.ErrorAs(t, e, &ee)
			failed = append(failed, ee.UserID)
			assert.Contains(t, ee.Error(), "cannot remove")
		}
		assert.ElementsMatch(t, []string{ids["b1@example.com"], ids["b2@example.com"]}, failed)
		for name, id := range ids {
			status := http.StatusOK
			if name[:2] == "ok" {
				status = http.StatusNotFound
			}
			assert.Equal(t, status, c.do("GET", "/Users/"+id, nil).status, name)
			recs, _ := audit.AuditRecords(context.Background(), store.Scope{}, store.AuditQuery{ResourceID: id})
			var deletes []store.AuditRecord
			for _, r := range recs {
				if r.Operation == "delete" {
					deletes = append(deletes, r)
				}
			}
			require.Len(t, deletes, 1, "one audited deletion attempt for %s", name)
			assert.Equal(t, scim.ExpiryActor, deletes[0].Actor)
			if name[:2] == "ok" {
				assert.Equal(t, http.StatusNoContent, deletes[0].Status)
			} else {
				assert.NotEqual(t, http.StatusNoContent, deletes[0].Status)
				assert.NotEmpty(t, deletes[0].Error)
			}
		}
	})
}
