package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingServer is an httptest.Server that counts the connections it
// accepted.
type countingServer struct {
	*httptest.Server
	conns atomic.Int64
}

func newCountingServer(t *testing.T, h http.Handler) *countingServer {
	t.Helper()
	s := &countingServer{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// newTestClient returns a lean client for s's /scim/v2, closed with the
// test.
func newTestClient(t *testing.T, s *countingServer, concurrency int) *client {
	t.Helper()
	c := newClient(s.URL+"/scim/v2/", "tok", concurrency)
	require.Nil(t, c.hc, "an http:// URL takes the lean path")
	t.Cleanup(c.closeIdle)
	return c
}

// TestClientResponses sends three requests over one client for each shape
// of response and checks the status, the decoded body and that the
// connection was reused (or not) as the response asked.
func TestClientResponses(t *testing.T) {
	t.Parallel()
	big := `{"id":"big","pad":"` + strings.Repeat("x", 3*readBufferSize) + `"}`
	tests := []struct {
		name    string
		handler http.HandlerFunc
		decode  bool   // pass an out to decode into
		status  int    // want
		id      string // want in out
		wantErr bool   // want a decoding error (with the status)
		conns   int64  // connections the server sees for the three requests
	}{
		{
			name: "content-length decoded",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Length", "11")
				_, _ = io.WriteString(w, `{"id":"a1"}`)
			},
			decode: true, status: 200, id: "a1", conns: 1,
		},
		{
			name: "content-length discarded",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Length", "11")
				_, _ = io.WriteString(w, `{"id":"a1"}`)
			},
			status: 200, conns: 1,
		},
		{
			name: "content-length larger than the read buffer",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(big)))
				_, _ = io.WriteString(w, big)
			},
			decode: true, status: 200, id: "big", conns: 1,
		},
		{
			name: "chunked decoded",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, `{"id":`)
				w.(http.Flusher).Flush() // no Content-Length: chunked from here
				_, _ = io.WriteString(w, `"c1"}`)
			},
			decode: true, status: 201, id: "c1", conns: 1,
		},
		{
			name: "chunked discarded",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, `{"id":`)
				w.(http.Flusher).Flush()
				_, _ = io.WriteString(w, `"c1"}`)
			},
			status: 201, conns: 1,
		},
		{
			name: "chunked with a trailer",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Trailer", "X-Checksum")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, `{"id":"t1"}`)
				w.(http.Flusher).Flush()
				w.Header().Set("X-Checksum", "abc")
			},
			decode: true, status: 201, id: "t1", conns: 1,
		},
		{
			name: "204 without a body",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			},
			decode: true, status: 204, conns: 1,
		},
		{
			name: "non-2xx with a body is not decoded",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/scim+json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = io.WriteString(w, `{"id":"not-me","status":"404"}`)
			},
			decode: true, status: 404, conns: 1,
		},
		{
			name: "non-2xx with a chunked body",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = io.WriteString(w, `{"detail":`)
				w.(http.Flusher).Flush()
				_, _ = io.WriteString(w, `"boom"}`)
			},
			decode: true, status: 500, conns: 1,
		},
		{
			name: "2xx that does not decode",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, `{"id":`)
			},
			decode: true, status: 200, wantErr: true, conns: 1,
		},
		{
			name: "Connection: close on every response",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Connection", "close")
				_, _ = io.WriteString(w, `{"id":"k1"}`)
			},
			decode: true, status: 200, id: "k1", conns: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCountingServer(t, tt.handler)
			c := newTestClient(t, srv, 1)
			for i := range 3 {
				var out created
				var dst any
				if tt.decode {
					dst = &out
				}
				got, err := c.send(context.Background(), "GET", "/Users/x", nil, dst)
				if tt.wantErr {
					require.Error(t, err, "request %d", i)
				} else {
					require.NoError(t, err, "request %d", i)
				}
				assert.Equal(t, tt.status, got, "request %d", i)
				assert.Equal(t, tt.id, out.ID, "request %d", i)
			}
			assert.Equal(t, tt.conns, srv.conns.Load())
		})
	}
}

// TestClientWritesRequest checks the request line, headers and body the
// lean client writes.
func TestClientWritesRequest(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, uri, host, authz, accept, ctype, body string
		length                                        int64
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   []byte
		want   seen
	}{
		{
			name: "GET with a query", method: "GET", path: "/Users?filter=userName%20eq%20%22a%22",
			want: seen{method: "GET", uri: "/scim/v2/Users?filter=userName%20eq%20%22a%22", authz: "Bearer tok", accept: "application/scim+json"},
		},
		{
			name: "PATCH with a body", method: "PATCH", path: "/Users/1", body: []byte(`{"a":1}`),
			want: seen{method: "PATCH", uri: "/scim/v2/Users/1", authz: "Bearer tok", accept: "application/scim+json",
				ctype: "application/scim+json", body: `{"a":1}`, length: 7},
		},
		{
			name: "POST without a body", method: "POST", path: "/Users",
			want: seen{method: "POST", uri: "/scim/v2/Users", authz: "Bearer tok", accept: "application/scim+json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			srv := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got = seen{method: r.Method, uri: r.RequestURI, host: r.Host, authz: r.Header.Get("Authorization"),
					accept: r.Header.Get("Accept"), ctype: r.Header.Get("Content-Type"), body: string(b), length: r.ContentLength}
				w.WriteHeader(http.StatusNoContent)
			}))
			c := newTestClient(t, srv, 1)
			st, err := c.send(context.Background(), tt.method, tt.path, tt.body, nil)
			require.NoError(t, err)
			require.Equal(t, 204, st)
			tt.want.host = strings.TrimPrefix(srv.URL, "http://")
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestClientReconnects checks that a request on a pooled connection the
// server has since closed is sent again on a new one, for reads and
// writes alike.
func TestClientReconnects(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			var requests atomic.Int64
			srv := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				_, _ = io.Copy(io.Discard, r.Body)
				_, _ = io.WriteString(w, `{"id":"r1"}`)
			}))
			c := newTestClient(t, srv, 1)
			var body []byte
			if method == "POST" {
				body = []byte(`{}`)
			}
			for i := range 3 {
				if i > 0 {
					srv.CloseClientConnections() // the pooled connection goes stale
					time.Sleep(10 * time.Millisecond)
				}
				var out created
				st, err := c.send(context.Background(), method, "/Users", body, &out)
				require.NoError(t, err, "request %d", i)
				assert.Equal(t, 200, st)
				assert.Equal(t, "r1", out.ID)
			}
			assert.Equal(t, int64(3), srv.conns.Load())
			assert.Equal(t, int64(3), requests.Load(), "each request reached the handler once")
		})
	}
}

// TestClientRawResponses drives the client against a scripted server for
// responses net/http does not send: each connection reads one request
// and answers with the script, then closes when asked to.
func TestClientRawResponses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		response string
		close    bool // close the connection after the response
		status   int
		id       string
		err      error // want errors.Is; nil for success
	}{
		{
			name:     "interim 100 before the response",
			response: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"id\":\"i1\"}",
			status:   200, id: "i1",
		},
		{
			name:     "HTTP/1.0 body delimited by the close",
			response: "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"id\":\"h0\"}",
			close:    true, status: 200, id: "h0",
		},
		{
			name:     "header names in any case, chunked with extension",
			response: "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n4;x=y\r\n{\"id\r\n7\r\n\":\"x1\"}\r\n0\r\n\r\n",
			status:   200, id: "x1",
		},
		{
			name:     "chunked with trailer fields",
			response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-A, X-B\r\n\r\nb\r\n{\"id\":\"t2\"}\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n",
			status:   200, id: "t2",
		},
		{
			name:     "truncated body",
			response: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"id\":",
			close:    true, status: statusTransport, err: io.ErrUnexpectedEOF,
		},
		{
			name:     "malformed status line",
			response: "HTTP/1.1 OK\r\n\r\n",
			close:    true, status: statusTransport, err: errors.New("any"),
		},
		{
			name:     "conflicting Content-Length",
			response: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
			close:    true, status: statusTransport, err: errors.New("any"),
		},
		{
			name:     "no response at all on a new connection",
			response: "",
			close:    true, status: statusTransport, err: io.ErrUnexpectedEOF,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, accepted := scriptedServer(t, tt.response, tt.close)
			c := newClient("http://"+addr+"/scim/v2", "tok", 1)
			t.Cleanup(c.closeIdle)
			for i := range 2 {
				var out created
				st, err := c.send(context.Background(), "GET", "/Users/1", nil, &out)
				assert.Equal(t, tt.status, st, "request %d", i)
				switch {
				case tt.err == nil:
					require.NoError(t, err, "request %d", i)
					assert.Equal(t, tt.id, out.ID)
				case tt.err.Error() == "any":
					require.Error(t, err, "request %d", i)
				default:
					require.ErrorIs(t, err, tt.err, "request %d", i)
				}
			}
			want := int64(1)
			if tt.close {
				want = 2 // no retry on a new connection: one dial per request
			}
			assert.Equal(t, want, accepted.Load())
		})
	}
}

// scriptedServer listens on loopback and answers every request on every
// connection with response, closing the connection after it when close
// is set. It returns the address and a count of accepted connections.
func scriptedServer(t *testing.T, response string, close bool) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		accepted atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		open     []net.Conn
	)
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			open = append(open, nc)
			mu.Unlock()
			wg.Go(func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if _, err := io.WriteString(nc, response); err != nil || close {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, nc := range open {
			_ = nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), &accepted
}

// TestClientContext checks that a canceled or expired ctx ends a request
// promptly with ctx's error, and that the client works afterwards.
func TestClientContext(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
		sent bool // whether the request reaches the server
	}{
		{
			name: "canceled while waiting for the response",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			},
			want: context.Canceled, sent: true,
		},
		{
			name: "deadline while waiting for the response",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			},
			want: context.DeadlineExceeded, sent: true,
		},
		{
			name: "canceled before sending",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			want: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var slow atomic.Int64
			srv := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/scim/v2/slow" {
					slow.Add(1)
					select { // until the client hangs up
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			c := newTestClient(t, srv, 1)
			// A pooled connection first, so the slow request reuses it.
			st, err := c.send(context.Background(), "GET", "/fast", nil, nil)
			require.NoError(t, err)
			require.Equal(t, 204, st)

			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			st, err = c.send(ctx, "GET", "/slow", nil, &created{})
			assert.Less(t, time.Since(start), 5*time.Second)
			assert.Equal(t, statusTransport, st)
			require.ErrorIs(t, err, tt.want)
			if tt.sent {
				assert.Equal(t, int64(1), slow.Load())
			} else {
				assert.Zero(t, slow.Load())
			}

			st, err = c.send(context.Background(), "GET", "/fast", nil, nil)
			require.NoError(t, err)
			assert.Equal(t, 204, st)
		})
	}
}

// TestClientSharedByWorkers checks that goroutines sharing a client each
// get a connection of their own, and never more connections than
// goroutines.
func TestClientSharedByWorkers(t *testing.T) {
	t.Parallel()
	const workers, each = 8, 50
	srv := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"id":"`+r.URL.Query().Get("n")+`"}`)
	}))
	c := newTestClient(t, srv, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := strconv.Itoa(w*each + i)
				var out created
				st, err := c.send(context.Background(), "PUT", "/Users/x?n="+n, []byte(`{"n":`+n+`}`), &out)
				switch {
				case err != nil:
					errs <- err
				case st != 200 || out.ID != n:
					errs <- errors.New("request " + n + ": status " + strconv.Itoa(st) + ", id " + out.ID)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.LessOrEqual(t, srv.conns.Load(), int64(workers))
}

// TestClientRejectsUnsafePath checks that a path that would break the
// request line is refused before anything is sent.
func TestClientRejectsUnsafePath(t *testing.T) {
	t.Parallel()
	srv := newCountingServer(t, http.NotFoundHandler())
	c := newTestClient(t, srv, 1)
	for _, path := range []string{"/Users/a b", "/Users/a\r\nX-Evil: 1", "Users"} {
		st, err := c.send(context.Background(), "GET", path, nil, nil)
		assert.Error(t, err, path)
		assert.Equal(t, statusTransport, st, path)
	}
	assert.Zero(t, srv.conns.Load())
}

// TestClientHTTPS checks that an https:// endpoint still works, through
// net/http.
func TestClientHTTPS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
		_, _ = io.WriteString(w, `{"id":"s1"}`)
	}))
	t.Cleanup(srv.Close)
	c := newClient(srv.URL, "tok", 1)
	require.NotNil(t, c.hc)
	c.hc.Transport = srv.Client().Transport // trusts the test certificate
	t.Cleanup(c.closeIdle)
	var out created
	st, err := c.send(context.Background(), "GET", "/Users/1", nil, &out)
	require.NoError(t, err)
	assert.Equal(t, 200, st)
	assert.Equal(t, "s1", out.ID)
}

// BenchmarkClientSend measures one GET by id and its decoded response
// from 2×GOMAXPROCS goroutines sharing a client, through the lean client and through
// net/http, against a handler that does nothing else. Both client and
// server run in this process, so ns/op is their sum; allocs/op is mostly
// the client's.
func BenchmarkClientSend(b *testing.B) {
	doc := `{"id":"0123456789abcdef","userName":"load-0001@example.com","active":true}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		_, _ = io.WriteString(w, doc)
	}))
	b.Cleanup(srv.Close)
	for _, name := range []string{"lean", "net/http"} {
		b.Run(name, func(b *testing.B) {
			c := newClient(srv.URL+"/scim/v2", "tok", 2*runtime.GOMAXPROCS(0))
			if name == "net/http" {
				c.useNetHTTP()
			}
			b.Cleanup(c.closeIdle)
			b.SetParallelism(2)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					var out created
					if st, err := c.send(context.Background(), "GET", "/Users/0123456789abcdef", nil, &out); err != nil || st != 200 {
						b.Errorf("status %d, error %v", st, err)
						return
					}
				}
			})
		})
	}
}
