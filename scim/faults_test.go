package scim_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
)

// faultyStore wraps a store and makes one Tx method fail (or hang until
// the request's context ends) once armed.
type faultyStore struct {
	store.Store
	method string // Tx method to break: Create, Replace, Delete, AddMembers, RemoveMembers, Get
	hang   bool
	armed  atomic.Bool
}

var errDisk = errors.New("disk on fire")

func (f *faultyStore) Update(ctx context.Context, scope store.Scope, fn func(context.Context, store.Tx) error) error {
	return f.Store.Update(ctx, scope, func(ctx context.Context, tx store.Tx) error {
		return fn(ctx, &faultyTx{Tx: tx, f: f})
	})
}

type faultyTx struct {
	store.Tx
	f *faultyStore
}

func (t *faultyTx) fault(ctx context.Context, method string) error {
	if !t.f.armed.Load() || t.f.method != method {
		return nil
	}
	if t.f.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return errDisk
}

func (t *faultyTx) Get(ctx context.Context, typ store.ResourceType, id string) (*store.Resource, error) {
	if err := t.fault(ctx, "Get"); err != nil {
		return nil, err
	}
	return t.Tx.Get(ctx, typ, id)
}
func (t *faultyTx) Create(ctx context.Context, r *store.Resource) error {
	if err := t.fault(ctx, "Create"); err != nil {
		return err
	}
	return t.Tx.Create(ctx, r)
}
func (t *faultyTx) Replace(ctx context.Context, r *store.Resource) error {
	if err := t.fault(ctx, "Replace"); err != nil {
		return err
	}
	return t.Tx.Replace(ctx, r)
}
func (t *faultyTx) Delete(ctx context.Context, typ store.ResourceType, id string) error {
	if err := t.fault(ctx, "Delete"); err != nil {
		return err
	}
	return t.Tx.Delete(ctx, typ, id)
}
func (t *faultyTx) AddMembers(ctx context.Context, id string, ms []store.Member) ([]store.Member, error) {
	if err := t.fault(ctx, "AddMembers"); err != nil {
		return nil, err
	}
	return t.Tx.AddMembers(ctx, id, ms)
}
func (t *faultyTx) RemoveMembers(ctx context.Context, id string, ids []string) ([]store.Member, error) {
	if err := t.fault(ctx, "RemoveMembers"); err != nil {
		return nil, err
	}
	return t.Tx.RemoveMembers(ctx, id, ids)
}

// TestStoreFaultsChangeNothing: a store that fails or times out in the
// middle of a request (after earlier writes of the same request) leaves
// nothing behind, and the client gets a 5xx it will retry, with nothing
// of the cause shown.
func TestStoreFaultsChangeNothing(t *testing.T) {
	everyStoreInTurn(t, func(t *testing.T, sk storeKind) {
		cases := []struct {
			method string
			hang   bool
			status int
			req    func(c *client, ids map[string]string) response
		}{
			{"Create", false, 500, func(c *client, ids map[string]string) response {
				return c.do("POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "new@example.com"})
			}},
			{"Replace", false, 500, func(c *client, ids map[string]string) response {
				return c.do("PUT", "/Users/"+ids["u"], map[string]any{"schemas": []string{userURN}, "userName": "u@example.com", "title": "x"})
			}},
			// The rename is written before the member change fails.
			{"AddMembers", false, 500, func(c *client, ids map[string]string) response {
				return c.do("PATCH", "/Groups/"+ids["g"], patchBody(op("replace", "displayName", "X"), op("add", "members", []any{map[string]any{"value": ids["v"]}})))
			}},
			// The member-only fast path: the removal is written before the
			// addition fails.
			{"AddMembers", false, 500, func(c *client, ids map[string]string) response {
				return c.do("PATCH", "/Groups/"+ids["g"], patchBody(op("remove", `members[value eq "`+ids["u"]+`"]`, nil),
					op("add", "members", []any{map[string]any{"value": ids["v"]}})))
			}},
			{"RemoveMembers", false, 500, func(c *client, ids map[string]string) response {
				return c.do("PATCH", "/Groups/"+ids["g"], patchBody(op("remove", `members[value eq "`+ids["u"]+`"]`, nil)))
			}},
			{"RemoveMembers", false, 500, func(c *client, ids map[string]string) response {
				return c.do("PUT", "/Groups/"+ids["g"], map[string]any{"schemas": []string{groupURN}, "displayName": "Y", "members": []any{map[string]any{"value": ids["v"]}}})
			}},
			{"Delete", false, 500, func(c *client, ids map[string]string) response {
				return c.do("DELETE", "/Users/"+ids["u"], nil)
			}},
			{"Replace", true, 503, func(c *client, ids map[string]string) response {
				return c.do("PATCH", "/Users/"+ids["u"], patchBody(op("replace", "title", "slow")))
			}},
		}
		for _, tc := range cases {
			name := tc.method
			if tc.hang {
				name += "/times out"
			}
			t.Run(name, func(t *testing.T) {
				fs := &faultyStore{Store: sk.open(t), method: tc.method, hang: tc.hang}
				h, err := scim.NewHandler(scim.Config{Store: fs, HostAuthenticates: true, Logger: slog.New(slog.DiscardHandler)})
				require.NoError(t, err)
				// The app's own middleware gives every request a deadline.
				deadline := func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						ctx, cancel := context.WithTimeout(r.Context(), 300*time.Millisecond)
						defer cancel()
						next.ServeHTTP(w, r.WithContext(ctx))
					})
				}
				srv := serve(t, deadline(h))
				c := &client{t: t, srv: srv, base: srv.URL}
				ids := map[string]string{
					"u": c.createUser("u@example.com", nil)["id"].(string),
					"v": c.createUser("v@example.com", nil)["id"].(string),
				}
				ids["g"] = c.createGroup("G", ids["u"])["id"].(string)
				before := snapshot(c)

				fs.armed.Store(true)
				r := tc.req(c, ids)
				fs.armed.Store(false)
				requireError(t, r, tc.status, "")
				assert.NotContains(t, r.raw, errDisk.Error(), "the cause is logged, not shown")
				assert.Equal(t, before, snapshot(c), "nothing changed")
			})
		}
	})
}

// TestClientDisconnectsMidBody: a client that announces a body and hangs
// up half way changes nothing, and the server goes on serving.
func TestClientDisconnectsMidBody(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		h, err := scim.NewHandler(scim.Config{Store: sk.open(t), HostAuthenticates: true, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		// finished receives the status of every request the handler has
		// completely served, so the test waits for the handler, not a clock.
		finished := make(chan int, 16)
		srv := httptest.NewServer(http.StripPrefix("/scim/v2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			defer func() { finished <- rec.status }()
			h.ServeHTTP(rec, r)
		})))
		defer srv.Close()
		c := &client{t: t, srv: srv, base: srv.URL + "/scim/v2"}
		before := snapshot(c)
		for range 2 {
			<-finished // the snapshot's two GETs
		}
		addr := strings.TrimPrefix(srv.URL, "http://")
		body := `{"schemas":["` + userURN + `"],"userName":"half@example.com"}`
		for _, tc := range []struct {
			name   string
			sent   string
			length int
		}{
			{"nothing of the body", "", len(body)},
			{"part of the body", body[:10], len(body)},
			{"all but the last byte", body[:len(body)-1], len(body)},
			// A complete JSON object, but the client promised more and hung
			// up: the body is incomplete, so nothing may be created from it.
			{"a whole object of a longer body", body, len(body) + 100},
			{"a whole object, then a space", body + " ", len(body) + 100},
		} {
			t.Run(tc.name, func(t *testing.T) {
				conn, err := net.Dial("tcp", addr)
				require.NoError(t, err)
				_, err = fmt.Fprintf(conn, "POST /scim/v2/Users HTTP/1.1\r\nHost: %s\r\nContent-Type: application/scim+json\r\nContent-Length: %d\r\n\r\n%s",
					addr, tc.length, tc.sent)
				require.NoError(t, err)
				require.NoError(t, conn.(*net.TCPConn).CloseWrite())
				select {
				case status := <-finished:
					assert.GreaterOrEqual(t, status, 400, "an unfinished body is refused")
				case <-time.After(30 * time.Second * raceSlowdown):
					t.Fatal("the handler never finished the abandoned request")
				}
				require.NoError(t, conn.Close())
			})
		}
		// The half-sent requests left nothing, and a whole one still works.
		assert.Equal(t, before, snapshot(c))
		c.createUser("whole@example.com", nil)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}
