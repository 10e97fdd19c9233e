package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/internal/killtest"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
)

const crashEnv = "SCIMKIT_CRASH_WRITER_DB"

// TestCrashWriter is the child process of TestKilledWriterLeavesNoPartialWrite:
// it writes until it is killed. Each transaction creates a user, a group
// holding that user, and adds the user to a shared group. It prints
// "ready" before the first and "committed N" after the N-th.
func TestCrashWriter(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("child process of TestKilledWriterLeavesNoPartialWrite")
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	scope := store.Scope{Tenant: "crash"}
	require.NoError(t, s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, &store.Resource{Type: store.Group, ID: "all", Attributes: map[string]any{"displayName": "All"}})
	}))
	fmt.Println("ready")
	for i := 0; ; i++ {
		err := s.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
			u := &store.Resource{Type: store.User, ID: fmt.Sprintf("u%d", i), Attributes: map[string]any{
				"userName": fmt.Sprintf("user%d", i), "title": strings.Repeat("x", 2000)}}
			if err := tx.Create(ctx, u); err != nil {
				return err
			}
			g := &store.Resource{Type: store.Group, ID: fmt.Sprintf("g%d", i), Attributes: map[string]any{"displayName": fmt.Sprintf("G%d", i)},
				Members: []store.Member{{Value: u.ID, Type: store.User}}}
			if err := tx.Create(ctx, g); err != nil {
				return err
			}
			return errOnly(tx.AddMembers(ctx, "all", []store.Member{{Value: u.ID, Type: store.User}}))
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("committed %d\n", i+1)
	}
}

func TestKilledWriterLeavesNoPartialWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	const enough = 10
	child := killtest.Start(t, "TestCrashWriter", crashEnv+"="+path)
	child.WaitFor(t, 1, func(line string) bool { return line == "ready" })
	child.WaitFor(t, enough, func(line string) bool { return strings.HasPrefix(line, "committed ") })
	// The writer is mid-way through another transaction, or about to be.
	child.Kill(t)

	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	var check string
	require.NoError(t, s.DB().QueryRow("PRAGMA integrity_check").Scan(&check))
	assert.Equal(t, "ok", check)

	scope := store.Scope{Tenant: "crash"}
	users, err := s.List(ctx, scope, store.User, store.Query{Count: -1})
	require.NoError(t, err)
	groups, err := s.List(ctx, scope, store.Group, store.Query{Count: -1})
	require.NoError(t, err)
	require.GreaterOrEqual(t, users.Total, enough, "every transaction the writer reported committed survives")
	assert.Equal(t, users.Total+1, groups.Total, "every committed user came with its group")
	all, err := s.Get(ctx, scope, store.Group, "all")
	require.NoError(t, err)
	assert.Len(t, all.Members, users.Total, "every committed user is in the shared group")
	for _, u := range users.Resources {
		require.Len(t, u.Groups, 2, "user %s", u.ID)
		assert.Len(t, u.Attributes["title"], 2000)
	}
	t.Logf("%d complete transactions survived the kill", users.Total)
}

// errOnly drops the member list a Tx membership method returns.
func errOnly(_ []store.Member, err error) error { return err }
