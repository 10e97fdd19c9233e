package sqlstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$", "-test.v")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	// Read the child's output line by line, to its end (Wait must not run
	// before), and say when it has printed "ready" and then committed
	// enough transactions to make the kill land among them.
	const enough = 10
	committed := make(chan struct{})
	drained := make(chan struct{})
	var lastLines []string
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(out)
		ready, said := false, false
		for sc.Scan() {
			line := sc.Text()
			lastLines = append(lastLines[max(0, len(lastLines)-9):], line)
			if line == "ready" {
				ready = true
			}
			if n, ok := strings.CutPrefix(line, "committed "); ok && ready && !said {
				if k, _ := strconv.Atoi(n); k >= enough {
					said = true
					close(committed)
				}
			}
		}
	}()
	select {
	case <-committed:
	case <-drained:
		_ = cmd.Wait()
		t.Fatalf("the writer exited before committing %d transactions; its last output:\n%s", enough, strings.Join(lastLines, "\n"))
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-drained
		_ = cmd.Wait()
		t.Fatalf("the writer did not commit %d transactions in 2 minutes; its last output:\n%s", enough, strings.Join(lastLines, "\n"))
	}
	// The writer is mid-way through another transaction, or about to be.
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	<-drained
	_ = cmd.Wait()

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
