package scim_test

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

// TestProtectedMembers: a user the app protects can be updated by its IdP
// but not deactivated or deleted: such a request gets 403, changes
// nothing, is audited, and the app is told; a disconnect that deletes
// members releases it instead.
func TestProtectedMembers(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		b := sk.withDirectories(t)
		ctx := context.Background()
		var mu sync.Mutex
		var told []string
		var ownerID string
		audit := &memory.AuditLog{}
		e := newDirectoryEnv(t, b, scim.Config{Audit: audit,
			Protected: func(_ context.Context, _ store.Scope, u *store.Resource) bool {
				mu.Lock()
				defer mu.Unlock()
				return u.ID == ownerID
			},
			Hooks: &scim.Hooks{ProtectedRefused: func(_ context.Context, e *scim.ProtectedRefused) {
				mu.Lock()
				defer mu.Unlock()
				told = append(told, e.Change+" "+e.User.ID)
				assert.Nil(t, e.Tx, "told after the rollback")
			}}})
		h := e.h
		c := e.connect("acme", "okta", directory.Okta, directory.Settings{})
		d := &directory.Directory{Tenant: "acme", ID: "okta"}

		status, body := c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "owner@acme.example"})
		require.Equal(t, http.StatusCreated, status)
		mu.Lock()
		ownerID = body["id"].(string)
		mu.Unlock()
		status, body = c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "staff@acme.example"})
		require.Equal(t, http.StatusCreated, status)
		staff := body["id"].(string)

		status, _ = c.do("PATCH", "/Users/"+ownerID, patchBody(map[string]any{"op": "replace", "path": "title", "value": "CEO"}))
		assert.Equal(t, http.StatusOK, status, "updates are allowed")
		for _, req := range []struct{ method, change string }{{"PATCH", "deactivate"}, {"DELETE", "delete"}} {
			var payload any
			if req.method == "PATCH" {
				payload = patchBody(map[string]any{"op": "replace", "value": map[string]any{"active": false}})
			}
			status, body = c.do(req.method, "/Users/"+ownerID, payload)
			assert.Equal(t, http.StatusForbidden, status, req.change)
			assert.Contains(t, body["detail"], "protected", req.change)
		}
		u, err := b.store.Get(ctx, d.Scope(), store.User, ownerID)
		require.NoError(t, err)
		assert.True(t, u.Active(), "nothing changed")
		assert.Equal(t, "CEO", u.Attributes["title"])
		mu.Lock()
		assert.Equal(t, []string{"deactivate " + ownerID, "delete " + ownerID}, told, "the app is told")
		mu.Unlock()
		records, err := audit.AuditRecords(ctx, d.Scope(), store.AuditQuery{ResourceID: ownerID})
		require.NoError(t, err)
		refused := 0
		for _, r := range records {
			if r.Status == http.StatusForbidden {
				refused++
			}
		}
		assert.Equal(t, 2, refused, "both refusals are audited")
		status, _ = c.do("PATCH", "/Users/"+staff, patchBody(map[string]any{"op": "replace", "value": map[string]any{"active": false}}))
		assert.Equal(t, http.StatusOK, status, "others are not protected")

		_, err = h.Disconnect(ctx, d.Scope(), directory.DeleteMembers)
		require.NoError(t, err, "the protected user does not block the disconnect")
		_, err = b.store.Get(ctx, d.Scope(), store.User, ownerID)
		require.ErrorIs(t, err, store.ErrNotFound, "released")
		records, err = audit.AuditRecords(ctx, d.Scope(), store.AuditQuery{ResourceID: ownerID})
		require.NoError(t, err)
		assert.Equal(t, []string{"user.released"}, records[0].Events, "the owner was released, not deleted")
		records, err = audit.AuditRecords(ctx, d.Scope(), store.AuditQuery{ResourceID: staff})
		require.NoError(t, err)
		assert.Equal(t, []string{"user.deleted"}, records[0].Events)
	})
}

// TestManagedMembers: Managed finds a member provisioned by any directory
// of a tenant, ignoring case; Unmanaged lists the app's members no
// directory of the tenant has provisioned; other tenants do not count.
func TestManagedMembers(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		b := sk.withDirectories(t)
		ctx := context.Background()
		h, err := scim.NewHandler(scim.Config{Store: b.store, Directories: b.dirs, HostAuthenticates: true,
			Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		create := func(sc store.Scope, userName string) {
			if _, err := b.dirs.Directory(ctx, sc); err != nil && sc.Directory != "" {
				require.NoError(t, b.dirs.CreateDirectory(ctx, &directory.Directory{Tenant: sc.Tenant, ID: sc.Directory, Kind: directory.Okta}))
			}
			require.NoError(t, b.store.Update(ctx, sc, func(ctx context.Context, tx store.Tx) error {
				return tx.Create(ctx, &store.Resource{Type: store.User, ID: userName, Attributes: map[string]any{"userName": userName}})
			}))
		}
		okta := store.Scope{Tenant: "acme", Directory: "okta"}
		entra := store.Scope{Tenant: "acme", Directory: "entra"}
		create(okta, "ann@acme.example")
		create(entra, "ben@acme.example")
		create(store.Scope{Tenant: "globex", Directory: "okta"}, "cat@acme.example")

		u, sc, ok, err := h.Managed(ctx, "acme", "BEN@acme.example")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, entra, sc)
		assert.Equal(t, "ben@acme.example", u.Attributes["userName"])
		_, _, ok, err = h.Managed(ctx, "acme", "cat@acme.example")
		require.NoError(t, err)
		assert.False(t, ok, "another tenant's user")
		create(store.Scope{Tenant: "acme"}, "dan@acme.example")
		_, sc, ok, err = h.Managed(ctx, "acme", "dan@acme.example")
		require.NoError(t, err)
		assert.True(t, ok, "provisioned without a directory, by a static credential")
		assert.Equal(t, store.Scope{Tenant: "acme"}, sc)
		_, _, ok, err = h.Managed(ctx, "nobody", "dan@acme.example")
		require.NoError(t, err)
		assert.False(t, ok, "a tenant without directories manages nobody")

		var names []string
		for i := range 120 {
			names = append(names, "member"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@acme.example")
		}
		names = append(names, "Ann@acme.example", "ben@acme.example", "cat@acme.example")
		unmanaged, err := h.Unmanaged(ctx, "acme", names)
		require.NoError(t, err)
		assert.Len(t, unmanaged, 121, "every name but ann's and ben's, across batches")
		assert.NotContains(t, unmanaged, "Ann@acme.example")
		assert.NotContains(t, unmanaged, "ben@acme.example")
		assert.Contains(t, unmanaged, "cat@acme.example")

		_, err = b.dirs.UpdateDirectory(ctx, entra, func(d *directory.Directory) error { d.State = directory.Disconnected; return nil })
		require.NoError(t, err)
		_, _, ok, err = h.Managed(ctx, "acme", "ben@acme.example")
		require.NoError(t, err)
		assert.False(t, ok, "a disconnected directory manages nobody")
	})
}
