package scim_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/internal/killtest"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
)

const disconnectChildEnv = "SCIMKIT_DISCONNECT_CHILD_DB"

var killedScope = store.Scope{Tenant: "acme", Directory: "okta"}

// disconnectHandler is the handler the parent and the child run the
// disconnect with: on st, its directories and its audit sink (which
// writes in each write's transaction), with a hook that prints each
// event and slows the run down, so that a kill lands in its middle.
func disconnectHandler(t *testing.T, st *sqlstore.Store, pace time.Duration) *scim.Handler {
	t.Helper()
	note := func(kind, id string) error {
		fmt.Printf("event %s %s\n", kind, id)
		time.Sleep(pace)
		return nil
	}
	h, err := scim.NewHandler(scim.Config{Store: st, Directories: st.Directories(), Audit: st.AuditSink(),
		Logger: slog.New(slog.DiscardHandler), Hooks: &scim.Hooks{
			UserDeleted:  func(_ context.Context, e *scim.UserDeleted) error { return note("user", e.User.ID) },
			GroupDeleted: func(_ context.Context, e *scim.GroupDeleted) error { return note("group", e.Group.ID) },
		}})
	require.NoError(t, err)
	return h
}

// TestDisconnectChild is the child process of TestDisconnectKilledResumes:
// it disconnects the directory until it is killed.
func TestDisconnectChild(t *testing.T) {
	path := os.Getenv(disconnectChildEnv)
	if path == "" {
		t.Skip("child process of TestDisconnectKilledResumes")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	fmt.Println("ready")
	_, err = disconnectHandler(t, st, 20*time.Millisecond).Disconnect(ctx, killedScope, directory.DeleteMembers)
	require.NoError(t, err)
	fmt.Println("finished")
}

// TestDisconnectKilledResumes: a disconnect whose process is killed with
// SIGKILL in its middle is resumed by another process, which finishes it:
// every user and group is deleted exactly once, by the committed audit
// log (written in each deletion's transaction), and nothing is left.
func TestDisconnectKilledResumes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "scim.db")
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, st.Directories().CreateDirectory(ctx, &directory.Directory{Tenant: killedScope.Tenant, ID: killedScope.Directory, Kind: directory.Okta}))
	const users, groups = 40, 8
	require.NoError(t, st.Update(ctx, killedScope, func(ctx context.Context, tx store.Tx) error {
		for i := range users {
			if err := tx.Create(ctx, &store.Resource{Type: store.User, ID: fmt.Sprintf("u%02d", i), Attributes: map[string]any{"userName": fmt.Sprintf("u%02d", i)}}); err != nil {
				return err
			}
		}
		for i := range groups {
			g := &store.Resource{Type: store.Group, ID: fmt.Sprintf("g%d", i), Attributes: map[string]any{"displayName": fmt.Sprintf("G%d", i)},
				Members: []store.Member{{Value: fmt.Sprintf("u%02d", i), Type: store.User}}}
			if err := tx.Create(ctx, g); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, st.Close())

	child := killtest.Start(t, "TestDisconnectChild", disconnectChildEnv+"="+path)
	child.WaitFor(t, 12, func(line string) bool { return strings.HasPrefix(line, "event ") })
	child.Kill(t)

	st, err = sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer st.Close()
	d, err := st.Directories().Directory(ctx, killedScope)
	require.NoError(t, err)
	require.NotNil(t, d.Disconnection, "the kill came after the start")
	require.True(t, d.Disconnection.Finished.IsZero(), "and before the end")
	before, err := st.List(ctx, killedScope, store.User, store.Query{Count: -1})
	require.NoError(t, err)
	require.Less(t, before.Total, users, "the child deleted some users before it was killed")

	_, err = disconnectHandler(t, st, 0).Disconnect(ctx, killedScope, directory.DeleteMembers)
	require.NoError(t, err)
	d, err = st.Directories().Directory(ctx, killedScope)
	require.NoError(t, err)
	assert.False(t, d.Disconnection.Finished.IsZero(), "finished")
	for _, typ := range []store.ResourceType{store.User, store.Group} {
		left, err := st.List(ctx, killedScope, typ, store.Query{Count: -1})
		require.NoError(t, err)
		assert.Zero(t, left.Total, "no %s left", typ)
	}
	records, err := st.AuditSink().AuditRecords(ctx, killedScope, store.AuditQuery{Limit: 10000})
	require.NoError(t, err)
	deleted := map[string]int{}
	for _, r := range records {
		if r.Actor == scim.DisconnectActor && r.Operation == "delete" && r.Status < 300 {
			deleted[string(r.ResourceType)+"/"+r.ResourceID]++
		}
	}
	assert.Len(t, deleted, users+groups, "every user and group")
	for id, n := range deleted {
		assert.Equal(t, 1, n, "%s deleted once", id)
	}
	t.Logf("the child deleted %d users before the kill", users-before.Total)
}
