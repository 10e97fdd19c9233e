package auth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
)

var (
	secretOld = []byte("0123456789abcdef0123456789abcdef-old")
	secretNew = []byte("0123456789abcdef0123456789abcdef-new")
)

type failingCache struct{}

func (failingCache) Seen(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("cache down")
}

// echo answers with the tenant and the body it received.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.FromContext(r.Context())
	b, _ := io.ReadAll(r.Body)
	_, _ = w.Write([]byte(p.Tenant + "|" + p.CredentialID + "|" + string(b)))
})

func signedServer(t *testing.T, opts auth.SignedOptions) *httptest.Server {
	t.Helper()
	if opts.Keys == nil {
		opts.Keys = []auth.SigningKey{
			{ID: "old", Secret: secretOld, Principal: auth.Principal{Tenant: "acme"}},
			{ID: "new", Secret: secretNew, Principal: auth.Principal{Tenant: "acme"}},
		}
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	mw, err := auth.Signed(opts)
	require.NoError(t, err)
	srv := httptest.NewServer(mw(echo))
	t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func newReq(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	return req
}

func TestSignedAccepts(t *testing.T) {
	srv := signedServer(t, auth.SignedOptions{})
	for _, secret := range [][]byte{secretOld, secretNew} {
		req := newReq(t, "PATCH", srv.URL+"/scim/v2/Users/1?attributes=userName", `{"Operations":[]}`)
		require.NoError(t, auth.Sign(req, secret, time.Now()))
		status, body, _ := send(t, req)
		require.Equal(t, http.StatusOK, status, body)
		assert.Contains(t, body, `acme|`)
		assert.True(t, strings.HasSuffix(body, `|{"Operations":[]}`), "the handler gets the body")
	}
	req := newReq(t, "GET", srv.URL+"/scim/v2/Users", "")
	req.Body = http.NoBody
	require.NoError(t, auth.Sign(req, secretNew, time.Now().Add(-4*time.Minute)))
	status, body, _ := send(t, req)
	assert.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "acme|new|", body)
}

func TestSignedRejects(t *testing.T) {
	now := time.Now()
	srv := signedServer(t, auth.SignedOptions{MaxBodyBytes: 64})
	url := srv.URL + "/scim/v2/Users"
	cases := []struct {
		name   string
		build  func() *http.Request
		status int
	}{
		{"unsigned", func() *http.Request { return newReq(t, "POST", url, "{}") }, 401},
		{"malformed header", func() *http.Request {
			r := newReq(t, "POST", url, "{}")
			r.Header.Set(auth.SignatureHeader, "garbage")
			return r
		}, 401},
		{"stale", func() *http.Request {
			r := newReq(t, "POST", url, "{}")
			require.NoError(t, auth.Sign(r, secretNew, now.Add(-6*time.Minute)))
			return r
		}, 401},
		{"from the future", func() *http.Request {
			r := newReq(t, "POST", url, "{}")
			require.NoError(t, auth.Sign(r, secretNew, now.Add(6*time.Minute)))
			return r
		}, 401},
		{"unknown secret", func() *http.Request {
			r := newReq(t, "POST", url, "{}")
			require.NoError(t, auth.Sign(r, []byte("0123456789abcdef0123456789abcdef-bad"), now))
			return r
		}, 401},
		{"tampered body", func() *http.Request {
			r := newReq(t, "POST", url, `{"a":1}`)
			require.NoError(t, auth.Sign(r, secretNew, now))
			r.Body = io.NopCloser(strings.NewReader(`{"a":2}`))
			return r
		}, 401},
		{"tampered path", func() *http.Request {
			r := newReq(t, "POST", url, "{}")
			require.NoError(t, auth.Sign(r, secretNew, now))
			r.URL.Path = "/scim/v2/Groups"
			return r
		}, 401},
		{"tampered query", func() *http.Request {
			r := newReq(t, "GET", url+"?count=1", "")
			require.NoError(t, auth.Sign(r, secretNew, now))
			r.URL.RawQuery = "count=1000"
			return r
		}, 401},
		{"tampered method", func() *http.Request {
			r := newReq(t, "GET", url, "")
			require.NoError(t, auth.Sign(r, secretNew, now))
			r.Method = "DELETE"
			return r
		}, 401},
		{"tampered timestamp", func() *http.Request {
			r := newReq(t, "POST", url, "{}")
			require.NoError(t, auth.Sign(r, secretNew, now))
			h := r.Header.Get(auth.SignatureHeader)
			r.Header.Set(auth.SignatureHeader, strings.Replace(h, "t=", "t=1", 1))
			return r
		}, 401},
		{"body too large", func() *http.Request {
			r := newReq(t, "POST", url, strings.Repeat("x", 100))
			require.NoError(t, auth.Sign(r, secretNew, now))
			return r
		}, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, hdr := send(t, tc.build())
			require.Equal(t, tc.status, status, body)
			assert.Equal(t, "application/scim+json", hdr.Get("Content-Type"))
			assert.Contains(t, body, `"urn:ietf:params:scim:api:messages:2.0:Error"`)
			if status == 401 {
				assert.JSONEq(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"authentication required"}`, body,
					"no hint of which part failed")
				assert.Equal(t, `Signature realm="scim"`, hdr.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestSignedTolerance: a configured Tolerance replaces the default window
// in both directions, to the second: inside it is accepted, outside
// rejected, whether narrower or wider than DefaultTolerance.
func TestSignedTolerance(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	clock := func() time.Time { return now }
	for _, tc := range []struct {
		name      string
		tolerance time.Duration
		skew      time.Duration // signing time minus server time
		want      int
	}{
		{"narrow: at the edge, past", 30 * time.Second, -30 * time.Second, 200},
		{"narrow: at the edge, future", 30 * time.Second, 30 * time.Second, 200},
		{"narrow: just outside, past", 30 * time.Second, -31 * time.Second, 401},
		{"narrow: just outside, future", 30 * time.Second, 31 * time.Second, 401},
		{"narrow: inside the default window but outside its own", 30 * time.Second, -4 * time.Minute, 401},
		{"wide: outside the default window but inside its own", 15 * time.Minute, -14 * time.Minute, 200},
		{"wide: future, inside", 15 * time.Minute, 14 * time.Minute, 200},
		{"wide: just outside", 15 * time.Minute, -15*time.Minute - time.Second, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := signedServer(t, auth.SignedOptions{Tolerance: tc.tolerance, Now: clock})
			req := newReq(t, "POST", srv.URL+"/scim/v2/Users", "{}")
			require.NoError(t, auth.Sign(req, secretNew, now.Add(tc.skew)))
			status, body, hdr := send(t, req)
			require.Equal(t, tc.want, status, body)
			if status == http.StatusUnauthorized {
				assert.Equal(t, `Signature realm="scim"`, hdr.Get("WWW-Authenticate"))
				assert.JSONEq(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"authentication required"}`, body)
			}
		})
	}
}

func TestSignedReplay(t *testing.T) {
	srv := signedServer(t, auth.SignedOptions{})
	req := newReq(t, "POST", srv.URL+"/scim/v2/Users", "{}")
	require.NoError(t, auth.Sign(req, secretNew, time.Now()))
	sig := req.Header.Get(auth.SignatureHeader)
	status, _, _ := send(t, req)
	require.Equal(t, http.StatusOK, status)

	again := newReq(t, "POST", srv.URL+"/scim/v2/Users", "{}")
	again.Header.Set(auth.SignatureHeader, sig)
	status, _, _ = send(t, again)
	assert.Equal(t, http.StatusUnauthorized, status, "a replayed signature is refused")
}

func TestSignedFailsClosed(t *testing.T) {
	srv := signedServer(t, auth.SignedOptions{Replay: failingCache{}})
	req := newReq(t, "POST", srv.URL+"/x", "{}")
	require.NoError(t, auth.Sign(req, secretNew, time.Now()))
	status, _, _ := send(t, req)
	assert.Equal(t, http.StatusUnauthorized, status)
}

func TestSignedConfig(t *testing.T) {
	_, err := auth.Signed(auth.SignedOptions{})
	require.Error(t, err)
	_, err = auth.Signed(auth.SignedOptions{Keys: []auth.SigningKey{{ID: "short", Secret: []byte("short")}}})
	require.Error(t, err)
}

func TestMemoryReplayCacheExpires(t *testing.T) {
	c := auth.NewMemoryReplayCache()
	ctx := context.Background()
	exp := time.Now().Add(50 * time.Millisecond)
	seen, err := c.Seen(ctx, "k", exp)
	require.NoError(t, err)
	assert.False(t, seen)
	seen, _ = c.Seen(ctx, "k", exp)
	assert.True(t, seen)
	seen, _ = c.Seen(ctx, "k2", exp)
	assert.False(t, seen)
	time.Sleep(60 * time.Millisecond)
	seen, _ = c.Seen(ctx, "k", time.Now().Add(time.Minute))
	assert.False(t, seen, "a key is forgotten once its window has passed")
	seen, _ = c.Seen(ctx, "k", time.Now().Add(time.Minute))
	assert.True(t, seen)
}

func TestParseSignatureHeader(t *testing.T) {
	good := "t=1764036000,v1=" + strings.Repeat("ab", 32)
	ts, sig, err := auth.ParseSignatureHeader(good)
	require.NoError(t, err)
	assert.Equal(t, int64(1764036000), ts)
	assert.Len(t, sig, 32)
	_, _, err = auth.ParseSignatureHeader(" t=1764036000 , v1=" + strings.Repeat("AB", 32) + ", v0=ignored")
	require.NoError(t, err)
	for _, bad := range []string{
		"", "t=1", "v1=" + strings.Repeat("ab", 32), "t=x,v1=" + strings.Repeat("ab", 32),
		"t=-5,v1=" + strings.Repeat("ab", 32), "t=1,v1=zz", "t=1,v1=abcd", "t=1,t=2,v1=" + strings.Repeat("ab", 32),
		"t=1,v1=" + strings.Repeat("ab", 32) + ",v1=" + strings.Repeat("ab", 32), "t", ",,,",
	} {
		_, _, err := auth.ParseSignatureHeader(bad)
		assert.Error(t, err, bad)
	}
}

func FuzzParseSignatureHeader(f *testing.F) {
	for _, s := range []string{"t=1764036000,v1=" + strings.Repeat("ab", 32), "", "t=1,v1=", "=,=", "t=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		ts, sig, err := auth.ParseSignatureHeader(h)
		if err == nil {
			assert.Positive(t, ts)
			assert.Len(t, sig, 32)
		}
	})
}

func BenchmarkMiddlewareOverhead(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	token, hash, _ := auth.NewToken()
	tokens := make([]auth.Token, 0, 3)
	for i := 0; i < 2; i++ {
		_, h, _ := auth.NewToken()
		tokens = append(tokens, auth.Token{ID: "other", Hash: h})
	}
	tokens = append(tokens, auth.Token{ID: "t", Hash: hash})
	bearer, _ := auth.Bearer(tokens, slog.New(slog.DiscardHandler))
	signed, _ := auth.Signed(auth.SignedOptions{Keys: []auth.SigningKey{{ID: "k", Secret: secretNew}}, Logger: slog.New(slog.DiscardHandler)})
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com"}`
	// Requests are built (and, for signed, signed) outside the timer, so
	// each figure is the middleware's own work plus the trivial handler
	// and a response recorder, and the differences are the overhead.
	b.Run("none", func(b *testing.B) {
		r := httptest.NewRequest("GET", "/scim/v2/Users/1", nil)
		b.ReportAllocs()
		for b.Loop() {
			ok.ServeHTTP(httptest.NewRecorder(), r)
		}
	})
	b.Run("bearer-3-tokens", func(b *testing.B) {
		h := bearer(ok)
		r := httptest.NewRequest("GET", "/scim/v2/Users/1", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
	// n numbers the signed requests across the runs the benchmark makes.
	n := 0
	b.Run("signed", func(b *testing.B) {
		h := signed(ok)
		// Replay protection refuses a signature twice, so every request
		// is distinct (its own URI) and freshly signed. They are signed in
		// batches with the timer stopped: the client's Sign is not the
		// server's overhead.
		const batch = 1024
		var reqs []*http.Request
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if len(reqs) == 0 {
				b.StopTimer()
				reqs = make([]*http.Request, 0, batch)
				at := time.Now()
				for range batch {
					n++
					r := httptest.NewRequest("POST", "/scim/v2/Users?n="+strconv.Itoa(n), strings.NewReader(body))
					if err := auth.Sign(r, secretNew, at); err != nil {
						b.Fatal(err)
					}
					reqs = append(reqs, r)
				}
				b.StartTimer()
			}
			r := reqs[len(reqs)-1]
			reqs = reqs[:len(reqs)-1]
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}
