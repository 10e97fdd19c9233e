package scim_test

import (
	"context"
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
	var mu sync.Mutex
	now := time.Now().Add(time.Hour) // the handler's clock, ahead of the store's
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	rec := &recorder{}
	audit := &memory.AuditLog{}
	cfg := scim.Config{Store: testStore(t), Hooks: rec, Audit: audit, DeactivationGracePeriod: 24 * time.Hour, Now: clock}
	c := newClient(t, cfg)
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
}
