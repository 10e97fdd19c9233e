package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/internal/killtest"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
)

const (
	eventsChildDB  = "SCIMKIT_EVENTS_CHILD_DB"
	eventsChildURL = "SCIMKIT_EVENTS_CHILD_URL"
)

// postReceiver delivers records to url as JSON, a 2xx answer meaning
// delivered.
func postReceiver(url string) events.Receiver {
	return events.ReceiverFunc(func(ctx context.Context, r events.Record) error {
		body, err := json.Marshal(r)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("receiver answered %d", resp.StatusCode)
		}
		return nil
	})
}

// eventsDispatcher runs a dispatcher of the "hook" subscription on st as
// owner until ctx ends.
func eventsDispatcher(t *testing.T, ctx context.Context, st *sqlstore.Store, owner, url string) *sync.WaitGroup {
	d, err := events.NewDispatcher(events.DispatcherOptions{Feed: st.Events(), Log: st.Deliveries(), Owner: owner,
		Poll: 10 * time.Millisecond, Lease: 2 * time.Second, Logger: slog.New(slog.DiscardHandler),
		Backoff: func(int) time.Duration { return 20 * time.Millisecond }, MaxAttempts: 1 << 20})
	require.NoError(t, err)
	require.NoError(t, d.Subscribe(events.Subscription{ID: "hook", Receiver: postReceiver(url)}))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = d.Run(ctx)
	}()
	return &wg
}

// TestEventsKillChild is the child process of
// TestEventsSurviveKillBeforeDelivery: it provisions users through the
// handler, with a dispatcher running, until it is killed, printing
// "committed <id>" after each.
func TestEventsKillChild(t *testing.T) {
	path := os.Getenv(eventsChildDB)
	if path == "" {
		t.Skip("child process of TestEventsSurviveKillBeforeDelivery")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	eventsDispatcher(t, ctx, st, "child", os.Getenv(eventsChildURL))
	h, err := scim.NewHandler(scim.Config{Store: st, Events: st.Events(), HostAuthenticates: true, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	for i := 0; ; i++ {
		body := fmt.Sprintf(`{"schemas":[%q],"userName":"user%d"}`, userURN, i)
		req := httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/scim+json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		var u map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &u))
		fmt.Printf("committed %s\n", u["id"])
	}
}

// TestEventsSurviveKillBeforeDelivery: a process that commits writes and
// is killed with SIGKILL before their events are delivered (its receiver
// refuses them until then) loses none: another dispatcher, once the dead
// one's lease lapses, delivers the event of every committed user, and of
// no other.
func TestEventsSurviveKillBeforeDelivery(t *testing.T) {
	t.Parallel()
	var accept atomic.Bool
	var mu sync.Mutex
	delivered := map[string]int{} // user id -> user.provisioned deliveries
	refused := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rec events.Record
		if err := json.NewDecoder(r.Body).Decode(&rec); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !accept.Load() {
			refused++
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if rec.Kind == events.KindUserProvisioned {
			delivered[rec.ResourceID]++
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()

	path := filepath.Join(t.TempDir(), "scim.db")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path) // migrated before the child starts
	require.NoError(t, err)
	require.NoError(t, st.Close())
	child := killtest.Start(t, "TestEventsKillChild", eventsChildDB+"="+path, eventsChildURL+"="+recv.URL)
	child.WaitFor(t, 15, func(line string) bool { return strings.HasPrefix(line, "committed ") })
	child.Kill(t)

	st, err = sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer st.Close()
	users, err := st.List(ctx, store.Scope{}, store.User, store.Query{Count: -1})
	require.NoError(t, err)
	require.GreaterOrEqual(t, users.Total, 15)
	mu.Lock()
	assert.Positive(t, refused, "the child was trying to deliver when it was killed")
	mu.Unlock()

	accept.Store(true)
	runCtx, stop := context.WithCancel(ctx)
	wg := eventsDispatcher(t, runCtx, st, "parent", recv.URL)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(delivered) >= users.Total
	}, 30*time.Second, 10*time.Millisecond, "every committed user's event is delivered")
	stop()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for _, u := range users.Resources {
		assert.Positive(t, delivered[u.ID], "user %s", u.ID)
	}
	assert.Len(t, delivered, users.Total, "no event of a user that was not committed")
	t.Logf("%d users committed before the kill, all delivered after it", users.Total)
}
