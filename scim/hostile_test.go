package scim_test

// Hostile input over real HTTP. Every request here is answered with the
// status RFC 7644 calls for and an RFC 7644 §3.12 error body, it is
// answered before a client deadline (it does not hang), and a rejected
// request leaves every user and group as it was.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/scim"
)

// hostileDeadline is the context deadline of every hostile request. It is
// not a timing assertion: a request fails only if the handler has not
// answered at all by then, which for inputs bounded by MaxBodyBytes means
// it is stuck or doing super-linear work. Under the race detector (and on a
// busy 2-core CI machine) the same linear work is an order of magnitude
// slower, so the deadline scales with it.
const hostileDeadline = 10 * time.Second * raceSlowdown

const searchURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

// hostileEnv is a handler on a real HTTP server, holding two users (alice,
// bob) and one group (Staff, both members). It is mounted with
// http.StripPrefix only, without a ServeMux, so that paths reach the
// handler exactly as sent (a ServeMux would clean ".." and redirect first).
type hostileEnv struct {
	*client
	cfg                     scim.Config
	aliceID, bobID, staffID string
	// abandoned is set when a request missed hostileDeadline: the handler
	// may still be working on it, and closing the server would wait for it.
	abandoned atomic.Bool
	// read counts the request body bytes the handler consumed, below its
	// http.MaxBytesReader.
	read atomic.Int64
	// handlers counts the requests being handled.
	handlers sync.WaitGroup
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// endless is a request body that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// newHostileEnv serves a handler of cfg on a new store of kind sk (unless
// cfg has one), holding the fixture.
func (sk storeKind) newHostileEnv(t *testing.T, cfg scim.Config) *hostileEnv {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = sk.open(t)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.HostAuthenticates = true
	h, err := scim.NewHandler(cfg)
	require.NoError(t, err)
	e := &hostileEnv{cfg: cfg}
	inner := http.StripPrefix("/scim/v2", h)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.handlers.Add(1)
		defer e.handlers.Done()
		if r.Body != nil {
			r.Body = countingBody{r.Body, &e.read}
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		_ = srv.Listener.Close()
		if !e.abandoned.Load() {
			// As serve does: wait for the handlers, not for net/http's
			// lingering on connections with unread bodies. A handler
			// stuck on a request the client gave up on (the test has
			// failed already) is not waited for.
			e.handlers.Wait()
		}
		srv.CloseClientConnections()
		srv.Client().CloseIdleConnections()
	})
	e.client = &client{t: t, srv: srv, base: srv.URL + "/scim/v2"}
	e.aliceID = e.createUser("alice@example.com", map[string]any{
		"schemas": []string{userURN, enterpriseURN},
		"name":    map[string]any{"givenName": "Alice", "familyName": "Adams"},
		"emails":  []any{map[string]any{"value": "alice@example.com", "type": "work", "primary": true}},
		"title":   "Engineer", enterpriseURN: map[string]any{"department": "R&D"},
	})["id"].(string)
	e.bobID = e.createUser("bob@example.com", nil)["id"].(string)
	e.staffID = e.createGroup("Staff", e.aliceID, e.bobID)["id"].(string)
	return e
}

// expand replaces {alice}, {bob} and {staff} by the fixture's ids.
func (e *hostileEnv) expand(s string) string {
	return strings.NewReplacer("{alice}", e.aliceID, "{bob}", e.bobID, "{staff}", e.staffID).Replace(s)
}

// send makes one request under hostileDeadline. body is a string or
// []byte (sent as is, {alice}… expanded in strings), an io.Reader
// (streamed), a func(*hostileEnv) any, or any other value (JSON-encoded).
func (e *hostileEnv) send(method, path string, body any, headers ...string) response {
	e.t.Helper()
	if f, ok := body.(func(*hostileEnv) any); ok {
		body = f(e)
	}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(e.expand(b))
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.base+e.expand(path), rd)
	require.NoError(e.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], e.expand(headers[i+1]))
	}
	resp, err := e.srv.Client().Do(req)
	if errors.Is(err, context.DeadlineExceeded) {
		e.abandoned.Store(true)
	}
	require.NoError(e.t, err, "%s %.100s: not answered within %v", method, path, hostileDeadline)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if errors.Is(err, context.DeadlineExceeded) {
		e.abandoned.Store(true)
	}
	require.NoError(e.t, err, "%s %.100s: response not read within %v", method, path, hostileDeadline)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 {
		// Not required to be JSON here: the assertions on the error shape
		// say what is wrong when it is not.
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

// snapshot is every user and group as GET /Users and /Groups return them.
func (e *hostileEnv) snapshot() string {
	e.t.Helper()
	var b strings.Builder
	for _, p := range []string{"/Users?sortBy=userName&count=1000", "/Groups?sortBy=displayName&count=1000"} {
		r := e.send("GET", p, nil)
		require.Equal(e.t, http.StatusOK, r.status, short(r.raw))
		b.WriteString(r.raw)
	}
	return b.String()
}

func short(s string) string {
	if len(s) > 600 {
		return s[:600] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

// requireSCIMError is requireError with the raw body shortened in
// failure messages (some hostile responses are megabytes).
func requireSCIMError(t *testing.T, r response, status int, scimType string) {
	t.Helper()
	r.raw = short(r.raw)
	require.NotNil(t, r.body, "not a JSON error body: %d %s", r.status, r.raw)
	requireError(t, r, status, scimType)
}

func userJSON(extra string) string {
	return `{"schemas":["` + userURN + `"],"userName":"mallory@example.com"` + extra + `}`
}

func patchJSON(ops string) string {
	return `{"schemas":["` + patchURN + `"],"Operations":[` + ops + `]}`
}

func nest(open, leaf, close string, n int) string {
	return strings.Repeat(open, n) + leaf + strings.Repeat(close, n)
}

// repeatJoin joins n copies of f(i) with sep.
func repeatJoin(n int, sep string, f func(i int) string) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(f(i))
	}
	return b.String()
}

// hostileCase is one hostile request and the answer it must get.
type hostileCase struct {
	name    string
	cfg     scim.Config // the handler's configuration (Store and Logger are filled in)
	method  string
	path    string // {alice}, {bob} and {staff} are expanded
	body    any    // see hostileEnv.send
	headers []string
	// status and scimType are the answer ("" for an error without
	// scimType). For a status of 400 or more the body must be an RFC 7644
	// §3.12 error and the users and groups must be unchanged.
	status   int
	scimType string
	// orScimType is another acceptable scimType of the same status.
	orScimType string
	// orStatus lists other acceptable statuses, for inputs where accepting
	// and refusing are both correct as long as the answer is bounded.
	orStatus []int
	// setup, when set, prepares the fixture before the request.
	setup func(e *hostileEnv)
	check func(t *testing.T, e *hostileEnv, r response)
	// allocPerByte overrides the linear factor of hostileAllocBound.
	allocPerByte uint64
}

// runHostile runs each case on a new environment on a store of kind sk.
func runHostile(t *testing.T, sk storeKind, cases []hostileCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := sk.newHostileEnv(t, tc.cfg)
			if tc.setup != nil {
				tc.setup(e)
			}
			before := e.snapshot()
			body := tc.body
			if f, ok := body.(func(*hostileEnv) any); ok {
				body = f(e)
			}
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			r := e.send(tc.method, tc.path, body, tc.headers...)
			runtime.ReadMemStats(&m1)
			// Bounded memory: what the request allocated (client side
			// included) is linear in what was sent, with a small constant.
			size := uint64(bodyLen(t, body) + len(tc.path))
			allocated := m1.TotalAlloc - m0.TotalAlloc
			assert.LessOrEqual(t, allocated, hostileAllocBound(size, tc.allocPerByte),
				"%s %.100s: %d bytes sent, %d allocated", tc.method, tc.path, size, allocated)
			switch {
			case r.status >= 500:
				require.Failf(t, "server error", "%s %.100s → %d: %s", tc.method, tc.path, r.status, short(r.raw))
			case slices.Contains(tc.orStatus, r.status):
				if r.status >= 400 {
					assert.Equal(t, []any{errorURN}, r.body["schemas"], short(r.raw))
					assert.Equal(t, fmt.Sprint(r.status), r.body["status"], "status must be a string: %s", short(r.raw))
				}
			case tc.status >= 400 && tc.orScimType != "" && r.body["scimType"] == tc.orScimType:
				requireSCIMError(t, r, tc.status, tc.orScimType)
			case tc.status >= 400:
				requireSCIMError(t, r, tc.status, tc.scimType)
			default:
				require.Equal(t, tc.status, r.status, short(r.raw))
			}
			if r.status >= 400 {
				assert.Equal(t, before, e.snapshot(), "a rejected request changed users or groups")
			}
			if tc.check != nil {
				tc.check(t, e, r)
			}
		})
	}
}

// hostileAllocBound is the most a hostile request may allocate for size
// bytes sent: a generous linear factor (decoding JSON into maps, copies for
// the transaction, rendering the answer) plus a constant. Super-linear work
// (or an allocation sized by a number in the request, like count=1e9)
// blows through it.
func hostileAllocBound(size, perByte uint64) uint64 {
	if perByte == 0 {
		perByte = 256
	}
	return perByte*size + 64<<20
}

func bodyLen(t *testing.T, body any) int {
	switch b := body.(type) {
	case nil:
		return 0
	case string:
		return len(b)
	case []byte:
		return len(b)
	case io.Reader:
		return 0
	}
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	return len(raw)
}

func TestHostileInput(t *testing.T) {
	everyStoreInTurn(t, func(t *testing.T, sk storeKind) {
		big := scim.Config{MaxBodyBytes: 8 << 20}
		const mib = 1 << 20
		emails := func(n int) string {
			return repeatJoin(n, ",", func(i int) string { return fmt.Sprintf(`{"value":"u%d@x.io"}`, i) })
		}
		var cases []hostileCase
		manyOps := func(n int, f func(i int) string) string { return patchJSON(repeatJoin(n, ",", f)) }

		// Nesting: encoding/json refuses more than 10000 levels; the refusal is
		// a 400 invalidSyntax, also for a body of nearly MaxBodyBytes.
		cases = append(cases, []hostileCase{
			{name: "nesting/objects beyond 10000 levels", method: "POST", path: "/Users",
				body: userJSON(`,"x":` + nest(`{"a":`, "1", "}", 10001)), status: 400, scimType: "invalidSyntax"},
			{name: "nesting/arrays beyond 10000 levels", method: "POST", path: "/Users",
				body: userJSON(`,"x":` + nest("[", "1", "]", 10001)), status: 400, scimType: "invalidSyntax"},
			{name: "nesting/arrays just under MaxBodyBytes", method: "POST", path: "/Users",
				body: userJSON(`,"x":` + nest("[", "1", "]", (mib-200)/2)), status: 400, scimType: "invalidSyntax"},
			{name: "nesting/objects just under MaxBodyBytes", method: "POST", path: "/Users",
				body: userJSON(`,"x":` + nest(`{"a":`, "1", "}", (mib-200)/6)), status: 400, scimType: "invalidSyntax"},
			{name: "nesting/unclosed arrays up to MaxBodyBytes", method: "POST", path: "/Users",
				body: userJSON(`,"x":` + strings.Repeat("[", mib-100)), status: 400, scimType: "invalidSyntax"},
			{name: "nesting/9999 levels in an unknown attribute are dropped", method: "POST", path: "/Users",
				body: userJSON(`,"x":` + nest("[", "1", "]", 9999)), status: 201,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.NotContains(t, r.body, "x", "unknown attributes are not stored")
				}},
			{name: "nesting/9990 levels in a known attribute", method: "POST", path: "/Users",
				body: userJSON(`,"name":{"givenName":` + nest("[", `"a"`, "]", 9990) + `}`), status: 400, scimType: "invalidValue"},
			{name: "nesting/PATCH value 9990 levels deep", method: "PATCH", path: "/Users/{alice}",
				body: patchJSON(`{"op":"replace","path":"title","value":` + nest(`{"a":`, "1", "}", 9990) + `}`), status: 400, scimType: "invalidValue"},
			{name: "nesting/PATCH beyond 10000 levels", method: "PATCH", path: "/Users/{alice}",
				body: patchJSON(`{"op":"replace","path":"title","value":` + nest("[", "1", "]", 10001) + `}`), status: 400, scimType: "invalidSyntax"},
			{name: "nesting/Bulk beyond 10000 levels", method: "POST", path: "/Bulk",
				body: `{"schemas":["` + bulkURN + `"],"Operations":` + nest("[", "", "]", 10001) + `}`, status: 400, scimType: "invalidSyntax"},
			{name: "nesting/search beyond 10000 levels", method: "POST", path: "/Users/.search",
				body: `{"schemas":["` + searchURN + `"],"filter":` + nest("[", "", "]", 10001) + `}`, status: 400, scimType: "invalidSyntax"},
		}...)

		// Huge arrays: accepted or refused, but answered.
		cases = append(cases, []hostileCase{
			{name: "arrays/100k empty emails within the default limit", method: "POST", path: "/Users",
				body:   userJSON(`,"emails":[` + repeatJoin(100000, ",", func(int) string { return "{}" }) + `]`),
				status: 201, orStatus: []int{400}},
			{name: "arrays/100k string emails", method: "POST", path: "/Users",
				body:   userJSON(`,"emails":[` + repeatJoin(100000, ",", func(int) string { return `"x"` }) + `]`),
				status: 400, scimType: "invalidValue"},
			{name: "arrays/100k emails with an 8 MiB limit", cfg: big, method: "POST", path: "/Users",
				body: userJSON(`,"emails":[` + emails(100000) + `]`), status: 201, orStatus: []int{400, 413},
				check: func(t *testing.T, e *hostileEnv, r response) {
					if r.status == 201 {
						assert.Len(t, r.body["emails"], 100000)
					}
				}},
			{name: "arrays/100k primary emails", cfg: big, method: "POST", path: "/Users",
				body: userJSON(`,"emails":[` + repeatJoin(100000, ",", func(i int) string {
					return fmt.Sprintf(`{"value":"u%d@x.io","primary":true}`, i)
				}) + `]`), status: 400, scimType: "invalidValue"},
			{name: "arrays/100k copies of one member", cfg: big, method: "POST", path: "/Groups",
				body: `{"schemas":["` + groupURN + `"],"displayName":"Many","members":[` +
					repeatJoin(100000, ",", func(int) string { return `{"value":"{alice}"}` }) + `]}`, status: 201,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, []string{e.aliceID}, memberIDs(r.body))
				}},
			{name: "arrays/100k unknown members", cfg: big, method: "POST", path: "/Groups",
				body: `{"schemas":["` + groupURN + `"],"displayName":"Many","members":[` +
					repeatJoin(100000, ",", func(i int) string { return fmt.Sprintf(`{"value":"m%d"}`, i) }) + `]}`,
				status: 400, scimType: "invalidValue"},
			{name: "arrays/100k schema URNs", method: "POST", path: "/Users",
				body: `{"schemas":[` + repeatJoin(100000, ",", func(int) string { return `"urn:x"` }) +
					`,"` + userURN + `"],"userName":"mallory@example.com"}`, status: 201},
			{name: "arrays/PUT 100k emails with an 8 MiB limit", cfg: big, method: "PUT", path: "/Users/{bob}",
				body:   `{"schemas":["` + userURN + `"],"userName":"bob@example.com","emails":[` + emails(100000) + `]}`,
				status: 200, orStatus: []int{400, 413}},
		}...)

		// Bodies over the limit: 413 without reading them (see also
		// TestHostileBodyIsNotReadPastTheLimit).
		over := strings.Repeat(" ", 10<<20)
		cases = append(cases, []hostileCase{
			{name: "size/10 MB POST", method: "POST", path: "/Users", body: userJSON(over), status: 413},
			{name: "size/10 MB PUT", method: "PUT", path: "/Users/{alice}", body: userJSON(over), status: 413},
			{name: "size/10 MB PATCH", method: "PATCH", path: "/Users/{alice}", body: patchJSON(over), status: 413},
			{name: "size/10 MB search", method: "POST", path: "/.search", body: `{"filter":"` + over + `"}`, status: 413},
			{name: "size/10 MB Bulk", method: "POST", path: "/Bulk", body: `{"schemas":["` + bulkURN + `"]` + over + `}`, status: 413,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Contains(t, r.body["detail"], "maxPayloadSize")
				}},
			{name: "size/10 MB on a GET is not read", method: "GET", path: "/Users/{alice}", body: over, status: 200},
		}...)

		// Invalid UTF-8 anywhere in a body is 400 invalidSyntax.
		cases = append(cases, []hostileCase{
			{name: "utf8/in a value", method: "POST", path: "/Users", body: userJSON(`,"title":"a` + "\xff" + `"`), status: 400, scimType: "invalidSyntax"},
			{name: "utf8/in a key", method: "POST", path: "/Users", body: userJSON(`,"ti` + "\xfe" + `tle":"a"`), status: 400, scimType: "invalidSyntax"},
			{name: "utf8/in userName", method: "POST", path: "/Users", body: `{"schemas":["` + userURN + `"],"userName":"m` + "\xc3" + `"}`, status: 400, scimType: "invalidSyntax"},
			{name: "utf8/overlong encoding of /", method: "POST", path: "/Users", body: userJSON(`,"title":"` + "\xc0\xaf" + `"`), status: 400, scimType: "invalidSyntax"},
			{name: "utf8/encoded surrogate half", method: "POST", path: "/Users", body: userJSON(`,"title":"` + "\xed\xa0\x80" + `"`), status: 400, scimType: "invalidSyntax"},
			{name: "utf8/in a nested key", method: "PUT", path: "/Users/{alice}", body: userJSON(`,"name":{"given` + "\x80" + `Name":"a"}`), status: 400, scimType: "invalidSyntax"},
			{name: "utf8/in a PATCH value", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"replace","path":"title","value":"` + "\xff" + `"}`), status: 400, scimType: "invalidSyntax"},
			{name: "utf8/in a PATCH path", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"replace","path":"ti` + "\xff" + `","value":"x"}`), status: 400, scimType: "invalidSyntax"},
			{name: "utf8/in Bulk data", method: "POST", path: "/Bulk",
				body:   `{"schemas":["` + bulkURN + `"],"Operations":[{"method":"POST","path":"/Users","bulkId":"1","data":` + userJSON(`,"title":"`+"\xff"+`"`) + `}]}`,
				status: 400, scimType: "invalidSyntax"},
			{name: "utf8/in a search body", method: "POST", path: "/Users/.search", body: `{"filter":"userName eq \"` + "\xff" + `\""}`, status: 400, scimType: "invalidSyntax"},
			{name: "utf8/in a filter", method: "GET", path: "/Users?filter=userName%20eq%20%22%FF%22", status: 400, scimType: "invalidFilter"},
			{name: "utf8/raw NUL in a filter", method: "GET", path: "/Users?filter=userName%20eq%20%22%00%22", status: 400, scimType: "invalidFilter"},
			// A NUL escape is valid JSON and valid UTF-8. Stored or refused
			// (400 invalidValue), it must be the same on every store: never a
			// 500 (PostgreSQL text and jsonb cannot hold NUL).
			{name: "utf8/NUL escape in userName", method: "POST", path: "/Users", body: `{"schemas":["` + userURN + `"],"userName":"m\u0000"}`,
				status: 201, orStatus: []int{400}},
			{name: "utf8/NUL escape in a value", method: "POST", path: "/Users", body: userJSON(`,"title":"a\u0000b"`), status: 201, orStatus: []int{400}},
			{name: "utf8/NUL escape in an extension value", method: "POST", path: "/Users",
				body: userJSON(`,"` + enterpriseURN + `":{"department":"\u0000"}`), status: 201, orStatus: []int{400}},
			{name: "utf8/NUL escape in a PATCH value", method: "PATCH", path: "/Users/{alice}",
				body: patchJSON(`{"op":"replace","path":"title","value":"\u0000"}`), status: 200, orStatus: []int{400}},
			{name: "utf8/NUL escape in a filter", method: "GET", path: "/Users?filter=userName%20eq%20%22%5Cu0000%22", status: 200, orStatus: []int{400}},
			{name: "utf8/escaped lone surrogate is replaced", method: "POST", path: "/Users", body: userJSON(`,"title":"\ud800"`), status: 201,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, "\uFFFD", r.body["title"])
				}},
		}...)

		// Duplicate keys: refused (400 invalidSyntax) wherever they are, so no
		// two parsers can read one request differently. Keys that differ only
		// in case are duplicates too: SCIM names are case-insensitive.
		ext := enterpriseURN
		cases = append(cases, []hostileCase{
			{name: "dup/top level", method: "POST", path: "/Users", body: userJSON(`,"userName":"eve@example.com"`), status: 400, scimType: "invalidSyntax"},
			{name: "dup/nested", method: "POST", path: "/Users", body: userJSON(`,"name":{"givenName":"a","givenName":"b"}`), status: 400, scimType: "invalidSyntax"},
			{name: "dup/in an array element", method: "POST", path: "/Users", body: userJSON(`,"emails":[{"value":"a@x.io","value":"b@x.io"}]`), status: 400, scimType: "invalidSyntax"},
			{name: "dup/schemas", method: "POST", path: "/Users", body: userJSON(`,"schemas":["urn:x"]`), status: 400, scimType: "invalidSyntax"},
			{name: "dup/in an extension", method: "POST", path: "/Users", body: userJSON(`,"` + ext + `":{"department":"a","department":"b"}`), status: 400, scimType: "invalidSyntax"},
			{name: "dup/on PUT", method: "PUT", path: "/Users/{alice}", body: userJSON(`,"active":true,"active":false`), status: 400, scimType: "invalidSyntax"},
			{name: "dup/PATCH Operations", method: "PATCH", path: "/Users/{alice}",
				body: `{"schemas":["` + patchURN + `"],"Operations":[],"Operations":[{"op":"replace","path":"title","value":"x"}]}`, status: 400, scimType: "invalidSyntax"},
			{name: "dup/PATCH op", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"replace","op":"remove","path":"title","value":"x"}`), status: 400, scimType: "invalidSyntax"},
			{name: "dup/Bulk operation", method: "POST", path: "/Bulk",
				body:   `{"schemas":["` + bulkURN + `"],"Operations":[{"method":"POST","method":"DELETE","path":"/Users","bulkId":"1","data":` + userJSON("") + `}]}`,
				status: 400, scimType: "invalidSyntax"},
			{name: "dup/search filter", method: "POST", path: "/Users/.search", body: `{"filter":"userName pr","filter":"userName eq \"x\""}`, status: 400, scimType: "invalidSyntax"},

			{name: "dup case/top level", method: "POST", path: "/Users", body: userJSON(`,"USERNAME":"eve@example.com"`), status: 400, scimType: "invalidSyntax"},
			{name: "dup case/URN-qualified core attribute", method: "POST", path: "/Users", body: userJSON(`,"` + userURN + `:userName":"eve@example.com"`), status: 400, scimType: "invalidSyntax"},
			{name: "dup case/in an extension", method: "POST", path: "/Users", body: userJSON(`,"` + ext + `":{"department":"a","Department":"b"}`), status: 400, scimType: "invalidSyntax"},
			// Refused by readJSON (invalidSyntax) or, failing that, by
			// elimity's validation (invalidValue).
			{name: "dup case/nested", method: "POST", path: "/Users", body: userJSON(`,"name":{"givenName":"a","GIVENNAME":"b"}`),
				status: 400, scimType: "invalidSyntax", orScimType: "invalidValue"},
			{name: "dup case/in an array element", method: "POST", path: "/Users", body: userJSON(`,"emails":[{"value":"a@x.io","Value":"b@x.io"}]`),
				status: 400, scimType: "invalidSyntax", orScimType: "invalidValue"},
			{name: "dup case/in a member", method: "POST", path: "/Groups",
				body:   `{"schemas":["` + groupURN + `"],"displayName":"G","members":[{"value":"{alice}","VALUE":"{bob}"}]}`,
				status: 400, scimType: "invalidSyntax", orScimType: "invalidValue"},
			// The same extension twice, its URN spelt in two cases, with
			// different values: which one is stored must not depend on Go's map
			// order. Refused like any other duplicate.
			{name: "dup case/extension URN", method: "POST", path: "/Users",
				body: userJSON(`,"` + ext + `":{"department":"a"},"` + strings.ToUpper(ext) + `":{"department":"b"}`), status: 400, scimType: "invalidSyntax"},
			{name: "dup case/extension attribute flat and nested", method: "POST", path: "/Users",
				body: userJSON(`,"` + ext + `:department":"a","` + ext + `":{"department":"b"}`), status: 400, scimType: "invalidSyntax"},
			{name: "dup case/PATCH Operations", method: "PATCH", path: "/Users/{alice}",
				body:   `{"schemas":["` + patchURN + `"],"OPERATIONS":[{"op":"replace","path":"title","value":"a"}],"operations":[{"op":"replace","path":"title","value":"b"}]}`,
				status: 400, scimType: "invalidSyntax"},
			{name: "dup case/PATCH op", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"OP":"replace","Op":"remove","path":"title","value":"x"}`), status: 400, scimType: "invalidSyntax"},
			{name: "dup case/PATCH path", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"replace","PATH":"title","Path":"displayName","value":"x"}`), status: 400, scimType: "invalidSyntax"},
			{name: "dup case/PATCH value", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"replace","path":"title","VALUE":"a","Value":"b"}`), status: 400, scimType: "invalidSyntax"},
			{name: "dup case/Bulk method", method: "POST", path: "/Bulk",
				body:   `{"schemas":["` + bulkURN + `"],"Operations":[{"METHOD":"DELETE","Method":"PATCH","path":"/Users/{alice}","data":` + patchJSON(`{"op":"replace","path":"title","value":"x"}`) + `}]}`,
				status: 400, scimType: "invalidSyntax"},
			{name: "dup case/search filter", method: "POST", path: "/Users/.search", body: `{"FILTER":"userName pr","Filter":"userName eq \"x\""}`, status: 400, scimType: "invalidSyntax"},
		}...)

		// Wrong types.
		cases = append(cases, []hostileCase{
			{name: "type/active maybe", method: "POST", path: "/Users", body: userJSON(`,"active":"maybe"`), status: 400, scimType: "invalidValue"},
			{name: "type/userName number", method: "POST", path: "/Users", body: `{"schemas":["` + userURN + `"],"userName":5}`, status: 400, scimType: "invalidValue"},
			{name: "type/userName object", method: "POST", path: "/Users", body: `{"schemas":["` + userURN + `"],"userName":{"a":1}}`, status: 400, scimType: "invalidValue"},
			{name: "type/emails string", method: "POST", path: "/Users", body: userJSON(`,"emails":"x"`), status: 400, scimType: "invalidValue"},
			{name: "type/name array", method: "POST", path: "/Users", body: userJSON(`,"name":[]`), status: 400, scimType: "invalidValue"},
			{name: "type/name number", method: "POST", path: "/Users", body: userJSON(`,"name":1e999`), status: 400, scimType: "invalidValue"},
			{name: "type/externalId number", method: "POST", path: "/Users", body: userJSON(`,"externalId":5`), status: 400, scimType: "invalidValue"},
			{name: "type/extension string", method: "POST", path: "/Users", body: userJSON(`,"` + ext + `":"x"`), status: 400, scimType: "invalidSyntax"},
			{name: "type/schemas string", method: "POST", path: "/Users", body: `{"schemas":"` + userURN + `","userName":"m"}`, status: 400, scimType: "invalidSyntax"},
			{name: "type/body array", method: "POST", path: "/Users", body: `[` + userJSON("") + `]`, status: 400, scimType: "invalidSyntax"},
			{name: "type/body null", method: "POST", path: "/Users", body: `null`, status: 400, scimType: "invalidSyntax"},
			{name: "type/two documents", method: "POST", path: "/Users", body: userJSON("") + userJSON(""), status: 400, scimType: "invalidSyntax"},
			{name: "type/group displayName object", method: "POST", path: "/Groups", body: `{"schemas":["` + groupURN + `"],"displayName":{}}`, status: 400, scimType: "invalidValue"},
			{name: "type/group members string", method: "POST", path: "/Groups", body: `{"schemas":["` + groupURN + `"],"displayName":"G","members":"x"}`, status: 400, scimType: "invalidValue"},
			{name: "type/group member value number", method: "PUT", path: "/Groups/{staff}", body: `{"schemas":["` + groupURN + `"],"displayName":"Staff","members":[{"value":5}]}`, status: 400, scimType: "invalidValue"},
			{name: "type/PATCH active maybe", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"replace","path":"active","value":"maybe"}`), status: 400, scimType: "invalidValue"},
			{name: "type/PATCH name array", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"replace","path":"name","value":[1,2]}`), status: 400, scimType: "invalidValue"},
			{name: "type/PATCH Operations object", method: "PATCH", path: "/Users/{alice}", body: `{"schemas":["` + patchURN + `"],"Operations":{}}`, status: 400, scimType: "invalidSyntax"},
			{name: "type/PATCH path number", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"replace","path":5,"value":"x"}`), status: 400, scimType: "invalidPath"},
			{name: "type/PATCH unknown op", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"merge","path":"title","value":"x"}`), status: 400, scimType: "invalidSyntax"},
			{name: "type/PATCH operation string", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`"x"`), status: 400, scimType: "invalidSyntax"},
			{name: "type/search count object", method: "POST", path: "/Users/.search", body: `{"count":{}}`, status: 400, scimType: "invalidValue"},
			{name: "type/Bulk Operations string", method: "POST", path: "/Bulk", body: `{"schemas":["` + bulkURN + `"],"Operations":"x"}`, status: 400, scimType: "invalidSyntax"},
			{name: "type/Bulk failOnErrors string", method: "POST", path: "/Bulk", body: `{"schemas":["` + bulkURN + `"],"Operations":[],"failOnErrors":"1"}`, status: 400, scimType: "invalidValue"},
		}...)

		// "schemas": unknown extra URNs are tolerated (Entra ID adds its own to
		// group creates), the core URN is required.
		cases = append(cases, []hostileCase{
			{name: "schemas/unknown URN next to the core one", method: "POST", path: "/Users",
				body: `{"schemas":["` + userURN + `","urn:evil:params:scim:schemas:extension:x:2.0:User"],"userName":"m"}`, status: 201,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, []any{userURN}, r.body["schemas"], "schemas are derived from what is stored, not echoed")
				}},
			{name: "schemas/attributes under an unknown URN are dropped", method: "POST", path: "/Users",
				body: userJSON(`,"urn:evil:x":{"admin":true},"urn:evil:x:admin":true`), status: 201,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.NotContains(t, r.raw, "evil")
				}},
			{name: "schemas/only an unknown URN", method: "POST", path: "/Users", body: `{"schemas":["urn:evil:x"],"userName":"m"}`, status: 400, scimType: "invalidSyntax"},
			{name: "schemas/core URN as a prefix", method: "POST", path: "/Users", body: `{"schemas":["` + userURN + `x"],"userName":"m"}`, status: 400, scimType: "invalidSyntax"},
			{name: "schemas/empty", method: "POST", path: "/Users", body: `{"schemas":[],"userName":"m"}`, status: 400, scimType: "invalidSyntax"},
			{name: "schemas/missing", method: "POST", path: "/Users", body: `{"userName":"m"}`, status: 400, scimType: "invalidSyntax"},
			{name: "schemas/Group URN for a User", method: "POST", path: "/Users", body: `{"schemas":["` + groupURN + `"],"userName":"m"}`, status: 400, scimType: "invalidSyntax"},
			{name: "schemas/User URN for a Group", method: "PUT", path: "/Groups/{staff}", body: `{"schemas":["` + userURN + `"],"displayName":"x"}`, status: 400, scimType: "invalidSyntax"},
			{name: "schemas/PATCH without the PatchOp URN", method: "PATCH", path: "/Users/{alice}",
				body: `{"schemas":["` + userURN + `"],"Operations":[{"op":"replace","path":"title","value":"x"}]}`, status: 400, scimType: "invalidSyntax"},
			{name: "schemas/Bulk without the BulkRequest URN", method: "POST", path: "/Bulk",
				body: `{"schemas":["` + patchURN + `"],"Operations":[{"method":"DELETE","path":"/Users/{alice}"}]}`, status: 400, scimType: "invalidSyntax"},
		}...)

		// readOnly attributes: ignored in a POST or PUT body, refused with 400
		// mutability as a PATCH target (RFC 7644 §3.5.2).
		cases = append(cases, []hostileCase{
			{name: "readOnly/PATCH id", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"replace","path":"id","value":"{bob}"}`), status: 400, scimType: "mutability"},
			{name: "readOnly/PATCH meta", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"replace","path":"meta","value":{"created":"2000-01-01T00:00:00Z"}}`), status: 400, scimType: "mutability"},
			{name: "readOnly/PATCH meta.version", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"add","path":"meta.version","value":"W/\"99\""}`), status: 400, scimType: "mutability"},
			{name: "readOnly/PATCH remove meta", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"remove","path":"meta"}`), status: 400, scimType: "mutability"},
			{name: "readOnly/PATCH groups", method: "PATCH", path: "/Users/{bob}", body: patchJSON(`{"op":"add","path":"groups","value":[{"value":"{staff}"}]}`), status: 400, scimType: "mutability"},
			{name: "readOnly/PATCH remove groups", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"remove","path":"groups"}`), status: 400, scimType: "mutability"},
			{name: "readOnly/PATCH groups by value filter", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"remove","path":"groups[value eq \"{staff}\"]"}`), status: 400, scimType: "mutability"},
			{name: "readOnly/PATCH groups without a path", method: "PATCH", path: "/Users/{alice}", body: patchJSON(`{"op":"add","value":{"groups":[{"value":"{staff}"}]}}`), status: 400, scimType: "mutability"},
			{name: "readOnly/PATCH group id", method: "PATCH", path: "/Groups/{staff}", body: patchJSON(`{"op":"replace","path":"id","value":"x"}`), status: 400, scimType: "mutability"},
			{name: "readOnly/PATCH id and meta without a path are ignored", method: "PATCH", path: "/Users/{alice}",
				body: patchJSON(`{"op":"replace","value":{"id":"{bob}","meta":{"created":"2000-01-01T00:00:00Z"},"title":"Boss"}}`), status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, e.aliceID, r.body["id"])
					assert.Equal(t, "Boss", r.body["title"])
					assert.NotEqual(t, "2000-01-01T00:00:00Z", at(r.body, "meta", "created"))
				}},
		}...)

		// Paths and ids: nothing but 404 for what names no resource.
		cases = append(cases, []hostileCase{
			{name: "path/encoded traversal", method: "GET", path: "/Users/..%2F..%2Fetc%2Fpasswd", status: 404},
			{name: "path/encoded dots and slashes", method: "GET", path: "/Users/%2e%2e%2f%2e%2e%2fetc%2fpasswd", status: 404},
			{name: "path/dot-dot segment", method: "GET", path: "/Users/..", status: 404},
			{name: "path/dot-dot beyond the mount", method: "DELETE", path: "/Users/../../Users/{alice}", status: 404},
			{name: "path/dot segment", method: "DELETE", path: "/Users/.", status: 404},
			{name: "path/NUL id", method: "GET", path: "/Users/%00", status: 404},
			{name: "path/NUL id on DELETE", method: "DELETE", path: "/Users/%00", status: 404},
			{name: "path/NUL inside an id on PATCH", method: "PATCH", path: "/Users/{alice}%00",
				body: patchJSON(`{"op":"replace","path":"title","value":"x"}`), status: 404},
			{name: "path/NUL group id", method: "GET", path: "/Groups/%00", status: 404},
			{name: "path/NUL group id without members", method: "GET", path: "/Groups/%00?excludedAttributes=members", status: 404},
			{name: "path/invalid UTF-8 id", method: "GET", path: "/Users/%FF%FE", status: 404},
			{name: "path/invalid UTF-8 id on PUT", method: "PUT", path: "/Users/%C3", body: userJSON(""), status: 404},
			{name: "path/space id", method: "GET", path: "/Users/%20", status: 404},
			{name: "path/percent id", method: "GET", path: "/Users/%25", status: 404},
			{name: "path/quote id", method: "GET", path: "/Groups/%22%20or%20%22%22%3D%22?excludedAttributes=members", status: 404},
			{name: "path/very long id", method: "GET", path: "/Users/" + strings.Repeat("a", 100000), status: 404},
			{name: "path/very long id on DELETE", method: "DELETE", path: "/Groups/" + strings.Repeat("%41", 30000), status: 404},
			{name: "path/id with an encoded slash", method: "DELETE", path: "/Users/{alice}%2Fx", status: 404},
			{name: "path/id with a slash", method: "GET", path: "/Users/{alice}/x", status: 404},
			{name: "path/id with a backslash", method: "DELETE", path: "/Users/%5C..%5C{alice}", status: 404},
			{name: "path/unknown endpoint", method: "GET", path: "/..%2FUsers", status: 404},
			{name: "path/NUL member id", method: "PATCH", path: "/Groups/{staff}",
				body: patchJSON(`{"op":"add","path":"members","value":[{"value":"\u0000"}]}`), status: 400, scimType: "invalidValue"},
			{name: "path/Bulk NUL id", method: "POST", path: "/Bulk",
				body: `{"schemas":["` + bulkURN + `"],"Operations":[{"method":"DELETE","path":"/Users/%00"}]}`, status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, "404", at(r.body, "Operations", 0, "status"), r.raw)
				}},
			{name: "path/Bulk traversal", method: "POST", path: "/Bulk",
				body:   `{"schemas":["` + bulkURN + `"],"Operations":[{"method":"DELETE","path":"/Users/..%2F{alice}"},{"method":"DELETE","path":"/Users/{alice}/.."}]}`,
				status: 200, check: func(t *testing.T, e *hostileEnv, r response) {
					for i := range 2 {
						assert.Contains(t, []any{"400", "404"}, at(r.body, "Operations", i, "status"), r.raw)
					}
					e.must(http.StatusOK, "GET", "/Users/"+e.aliceID, nil)
				}},
		}...)

		// Filters.
		clause := `userName eq "x" or `
		cases = append(cases, []hostileCase{
			{name: "filter/10k clauses", method: "GET", path: "/Users?filter=" + urlq(strings.Repeat(clause, 10000)+"userName pr"), status: 400, scimType: "invalidFilter"},
			{name: "filter/10k clauses in a search body", method: "POST", path: "/.search",
				body: map[string]any{"filter": strings.Repeat(clause, 10000) + "userName pr"}, status: 400, scimType: "invalidFilter"},
			{name: "filter/1 MB value", method: "POST", path: "/Users/.search",
				body: map[string]any{"filter": `userName eq "` + strings.Repeat("x", mib-100) + `"`}, status: 400, scimType: "invalidFilter"},
			{name: "filter/as many clauses as MaxFilterLen allows", method: "GET",
				path: "/Users?filter=" + urlq(strings.Repeat(clause, 4000/len(clause))+"userName pr"), status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) { assert.Equal(t, float64(2), r.body["totalResults"]) }},
			{name: "filter/as many value filters as MaxFilterLen allows", method: "GET",
				path: "/Users?filter=" + urlq(strings.Repeat(`emails[value eq "x" and type eq "y"] or `, 90)+"userName pr"), status: 200},
			{name: "filter/2000 nested parentheses", method: "GET", path: "/Users?filter=" + urlq(nest("(", "userName pr", ")", 2000)), status: 400, scimType: "invalidFilter"},
			{name: "filter/100 nested parentheses", method: "GET", path: "/Users?filter=" + urlq(nest("(", "userName pr", ")", 100)), status: 200},
			{name: "filter/1000 nested nots", method: "GET", path: "/Users?filter=" + urlq(nest("not (", "userName pr", ")", 1000)), status: 400, scimType: "invalidFilter"},
			{name: "filter/2000 opening parentheses", method: "GET", path: "/Users?filter=" + urlq(strings.Repeat("(", 2000)), status: 400, scimType: "invalidFilter"},
			{name: "filter/unbalanced brackets", method: "GET", path: "/Users?filter=" + urlq(strings.Repeat("emails[", 500)), status: 400, scimType: "invalidFilter"},
			{name: "filter/nested parentheses in a search body", method: "POST", path: "/Groups/.search",
				body: map[string]any{"filter": nest("(", "displayName pr", ")", 1500)}, status: 400, scimType: "invalidFilter"},
			// filter-parser/v2's PEG parser allocates about 2 KiB per byte of
			// a long filter (docs/PERFORMANCE.md): bounded by MaxFilterLen.
			{name: "filter/2000 clauses with MaxFilterLen 64 KiB", cfg: scim.Config{MaxFilterLen: 64 << 10}, allocPerByte: 4096, method: "POST", path: "/Users/.search",
				body: map[string]any{"filter": strings.Repeat(clause, 2000) + "userName pr"}, status: 200, orStatus: []int{400}},
			{name: "filter/unknown attribute", method: "GET", path: "/Users?filter=" + urlq(`x eq "1"`), status: 400, scimType: "invalidFilter"},
			{name: "filter/SQL in a value", method: "GET", path: "/Users?filter=" + urlq(`userName eq "x' OR '1'='1" or userName eq "x\" OR 1=1 --"`), status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) { assert.Equal(t, float64(0), r.body["totalResults"]) }},
			{name: "filter/SQL in an attribute name", method: "GET", path: "/Users?filter=" + urlq(`userName);DROP TABLE resources;-- eq "x"`), status: 400, scimType: "invalidFilter"},
		}...)

		// Paging, sorting and projection.
		capped := scim.Config{MaxResults: 1}
		attrs := repeatJoin(10000, ",", func(i int) string { return fmt.Sprintf("a%d", i) })
		cases = append(cases, []hostileCase{
			{name: "list/count=1000000000 is capped", cfg: capped, method: "GET", path: "/Users?count=1000000000", status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, float64(1), r.body["itemsPerPage"])
					assert.Equal(t, float64(2), r.body["totalResults"])
				}},
			{name: "list/count beyond int64 is capped", cfg: capped, method: "GET", path: "/Groups?count=99999999999999999999999", status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) { assert.Equal(t, float64(1), r.body["itemsPerPage"]) }},
			{name: "list/count in exponent notation", method: "GET", path: "/Users?count=1e9", status: 400, scimType: "invalidValue"},
			{name: "list/negative count", method: "GET", path: "/Users?count=-5", status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, []any{}, r.body["Resources"])
					assert.Equal(t, float64(2), r.body["totalResults"])
				}},
			{name: "list/startIndex=1e18", method: "GET", path: "/Users?startIndex=1000000000000000000&count=1000000000", status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, []any{}, r.body["Resources"])
					assert.Equal(t, float64(2), r.body["totalResults"])
				}},
			{name: "list/startIndex=MaxInt64 sorted", method: "GET", path: "/Users?startIndex=9223372036854775807&sortBy=emails.value", status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) { assert.Equal(t, []any{}, r.body["Resources"]) }},
			{name: "list/startIndex beyond int64 in a search body", method: "POST", path: "/.search",
				body: `{"startIndex":1e400,"count":1}`, status: 400, scimType: "invalidValue"},
			{name: "list/startIndex not a number", method: "GET", path: "/Users?startIndex=abc", status: 400, scimType: "invalidValue"},
			{name: "list/sortBy garbage", method: "GET", path: "/Users?sortBy=" + urlq("))(("), status: 400, scimType: "invalidValue"},
			{name: "list/sortBy unknown attribute", method: "GET", path: "/Users?sortBy=nope", status: 400, scimType: "invalidValue"},
			{name: "list/sortBy the write-only password", method: "GET", path: "/Users?sortBy=password", status: 200, orStatus: []int{400}},
			{name: "list/sortBy SQL", method: "GET", path: "/Users?sortBy=" + urlq("userName; DROP TABLE resources"), status: 400, scimType: "invalidValue"},
			{name: "list/sortBy 100 KB", method: "GET", path: "/Groups?sortBy=" + strings.Repeat("a", 100000), status: 400, scimType: "invalidValue"},
			{name: "list/sortBy value filter", method: "GET", path: "/Users?sortBy=" + urlq(`emails[type eq "work"].value`), status: 400, scimType: "invalidValue"},
			{name: "list/sortOrder garbage", method: "GET", path: "/Users?sortBy=userName&sortOrder=sideways", status: 400, scimType: "invalidValue"},
			{name: "list/attributes with 10k names", method: "GET", path: "/Users?attributes=" + attrs, status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) { assert.Len(t, r.body["Resources"], 2) }},
			{name: "list/excludedAttributes with 10k names", method: "GET", path: "/Groups?excludedAttributes=" + attrs, status: 200},
			{name: "list/10k attributes on a GET", method: "GET", path: "/Users/{alice}?attributes=" + attrs + ",userName", status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, "alice@example.com", r.body["userName"])
				}},
			{name: "list/10k attributes in a search body", method: "POST", path: "/.search",
				body: map[string]any{"attributes": strings.Split(attrs, ","), "excludedAttributes": strings.Split(attrs, ",")}, status: 200},
			{name: "list/attributes of the wrong type in a search body", method: "POST", path: "/.search",
				body: map[string]any{"attributes": []any{1, 2}}, status: 400, scimType: "invalidValue"},
		}...)

		// PATCH with many operations: more than MaxPatchOperations are refused
		// before anything is applied; up to it (also when a host raises it to
		// 10k), they are answered. Many values in one operation:
		// TestHostilePatchIsBounded.
		raised := scim.Config{MaxPatchOperations: 10000}
		cases = append(cases, []hostileCase{
			{name: "patch/10k operations are refused", method: "PATCH", path: "/Users/{alice}",
				body:   manyOps(10000, func(i int) string { return fmt.Sprintf(`{"op":"replace","path":"title","value":"t%d"}`, i) }),
				status: 400, scimType: "invalidValue",
				check: func(t *testing.T, e *hostileEnv, r response) { assert.Contains(t, r.body["detail"], "at most") }},
			{name: "patch/10k member adds are refused", method: "PATCH", path: "/Groups/{staff}",
				body:   manyOps(10000, func(i int) string { return fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":"m%d"}]}`, i) }),
				status: 400, scimType: "invalidValue"},
			{name: "patch/MaxPatchOperations email adds", method: "PATCH", path: "/Users/{alice}",
				body: manyOps(scim.DefaultMaxPatchOperations, func(i int) string {
					return fmt.Sprintf(`{"op":"add","path":"emails","value":[{"value":"u%d@x.io"}]}`, i)
				}), status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Len(t, r.body["emails"], scim.DefaultMaxPatchOperations+1)
				}},
			{name: "patch/MaxPatchOperations member adds", method: "PATCH", path: "/Groups/{staff}",
				body: manyOps(scim.DefaultMaxPatchOperations, func(i int) string {
					return fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":"m%d"}]}`, i)
				}), status: 400, scimType: "invalidValue"},
			{name: "patch/10k replace operations with the limit raised", cfg: raised, method: "PATCH", path: "/Users/{alice}",
				body: manyOps(10000, func(i int) string { return fmt.Sprintf(`{"op":"replace","path":"title","value":"t%d"}`, i) }), status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) { assert.Equal(t, "t9999", r.body["title"]) }},
			// Each value filter is parsed and compiled: 5k of them keep a margin
			// under the race detector.
			{name: "patch/5k removes by value filter with the limit raised", cfg: raised, method: "PATCH", path: "/Users/{alice}",
				body: manyOps(5000, func(i int) string { return fmt.Sprintf(`{"op":"remove","path":"emails[value eq \"x%d\"]"}`, i) }), status: 200},
			{name: "patch/10k operations without a path with the limit raised", cfg: raised, method: "PATCH", path: "/Users/{alice}",
				body: manyOps(10000, func(i int) string { return fmt.Sprintf(`{"op":"add","value":{"nickName":"n%d"}}`, i) }), status: 200},
			{name: "patch/10k operations then an invalid one with the limit raised", cfg: raised, method: "PATCH", path: "/Users/{alice}",
				body: manyOps(10000, func(i int) string {
					if i == 9999 {
						return `{"op":"replace","path":"active","value":"maybe"}`
					}
					return `{"op":"replace","path":"title","value":"x"}`
				}), status: 400, scimType: "invalidValue",
				check: func(t *testing.T, e *hostileEnv, r response) { assert.Contains(t, r.body["detail"], "active") }},
		}...)

		// Bulk limits (cycles: TestHostileBulkCycles).
		cases = append(cases, []hostileCase{
			{name: "bulk/maxOperations+1", method: "POST", path: "/Bulk",
				body: func(e *hostileEnv) any {
					ops := make([]map[string]any, 0, scim.DefaultBulkMaxOperations+1)
					for i := range scim.DefaultBulkMaxOperations + 1 {
						ops = append(ops, bop("POST", "/Users", fmt.Sprint(i), userData(fmt.Sprintf("u%d@example.com", i))))
					}
					return bulk(0, ops...)
				}, status: 413, scimType: "tooMany"},
			{name: "bulk/maxOperations+1 of a small limit", cfg: scim.Config{BulkMaxOperations: 2}, method: "POST", path: "/Bulk",
				body:   bulk(0, bop("DELETE", "/Users/{alice}", "", nil), bop("DELETE", "/Users/{bob}", "", nil), bop("DELETE", "/Groups/{staff}", "", nil)),
				status: 413, scimType: "tooMany"},
			{name: "bulk/duplicate bulkIds", method: "POST", path: "/Bulk",
				body: bulk(0, bop("DELETE", "/Users/{alice}", "x", nil), bop("DELETE", "/Users/{bob}", "x", nil)), status: 400, scimType: "invalidValue"},
			{name: "bulk/reference to a bulkId that does not exist", method: "POST", path: "/Bulk",
				body: bulk(0, bop("POST", "/Groups", "g", groupData("G", "bulkId:nope"))), status: 200,
				check: func(t *testing.T, e *hostileEnv, r response) {
					assert.Equal(t, "400", at(r.body, "Operations", 0, "status"))
				}},
		}...)

		// Header abuse.
		etags := repeatJoin(10000, ", ", func(i int) string { return fmt.Sprintf(`W/"%d"`, i+1000) })
		cases = append(cases, []hostileCase{
			{name: "header/If-Match with 10k etags on PUT", method: "PUT", path: "/Users/{alice}", body: userJSON(""), headers: []string{"If-Match", etags}, status: 412},
			{name: "header/If-Match with 10k etags on PATCH", method: "PATCH", path: "/Users/{alice}",
				body: patchJSON(`{"op":"replace","path":"title","value":"x"}`), headers: []string{"If-Match", etags}, status: 412},
			{name: "header/If-Match with 10k etags on DELETE", method: "DELETE", path: "/Groups/{staff}", headers: []string{"If-Match", etags}, status: 412},
			{name: "header/If-Match with 10k etags on GET", method: "GET", path: "/Users/{alice}", headers: []string{"If-Match", etags}, status: 412},
			{name: "header/If-Match with 10k empty etags", method: "DELETE", path: "/Users/{alice}", headers: []string{"If-Match", strings.Repeat(",", 10000)}, status: 412},
			{name: "header/If-None-Match with 10k etags", method: "GET", path: "/Users/{alice}", headers: []string{"If-None-Match", etags}, status: 200},
		}...)

		runHostile(t, sk, cases)
	})
}

// urlq escapes s for a query string.
func urlq(s string) string {
	r := strings.NewReplacer("%", "%25", " ", "%20", `"`, "%22", "&", "%26", "#", "%23", "+", "%2B", "[", "%5B", "]", "%5D", ";", "%3B", "'", "%27", "=", "%3D")
	return r.Replace(s)
}

// TestHostileBodyIsNotReadPastTheLimit: a body over MaxBodyBytes is
// answered 413 after reading at most MaxBodyBytes+1 bytes of it, even when
// it never ends.
func TestHostileBodyIsNotReadPastTheLimit(t *testing.T) {
	everyStoreInTurn(t, func(t *testing.T, sk storeKind) {
		for _, tc := range []struct {
			name   string
			cfg    scim.Config
			method string
			path   string
			body   func() io.Reader
			limit  int64
		}{
			{"10 MB POST", scim.Config{}, "POST", "/Users", func() io.Reader { return io.LimitReader(endless{}, 10<<20) }, scim.DefaultMaxBodyBytes},
			{"endless POST", scim.Config{}, "POST", "/Users", func() io.Reader { return endless{} }, scim.DefaultMaxBodyBytes},
			{"endless PATCH", scim.Config{MaxBodyBytes: 4096}, "PATCH", "/Users/{alice}", func() io.Reader { return endless{} }, 4096},
			{"endless search", scim.Config{}, "POST", "/.search", func() io.Reader { return endless{} }, scim.DefaultMaxBodyBytes},
			{"endless Bulk", scim.Config{BulkMaxPayloadBytes: 64 << 10}, "POST", "/Bulk", func() io.Reader { return endless{} }, 64 << 10},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := sk.newHostileEnv(t, tc.cfg)
				before := e.snapshot()
				e.read.Store(0)
				r := e.send(tc.method, tc.path, tc.body())
				requireSCIMError(t, r, http.StatusRequestEntityTooLarge, "")
				assert.LessOrEqual(t, e.read.Load(), tc.limit+1, "the handler read past its limit")
				assert.Equal(t, before, e.snapshot())
			})
		}
	})
}

// TestHostileReadOnlyAttributesAreIgnored: id, meta and groups in a POST
// or PUT body change nothing (RFC 7643 §3.1: the service provider assigns
// them; groups is readOnly, membership changes go through /Groups).
func TestHostileReadOnlyAttributesAreIgnored(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		e := sk.newHostileEnv(t, scim.Config{})
		other := e.createGroup("Other")["id"].(string)
		forged := map[string]any{
			"id":     e.aliceID,
			"meta":   map[string]any{"created": "2000-01-01T00:00:00Z", "version": `W/"999"`, "resourceType": "Group", "location": "https://evil.example/x"},
			"groups": []any{map[string]any{"value": other, "display": "Other"}},
		}
		body := map[string]any{"schemas": []string{userURN}, "userName": "mallory@example.com"}
		for k, v := range forged {
			body[k] = v
		}
		created := e.must(http.StatusCreated, "POST", "/Users", body).body
		id := created["id"].(string)
		assert.NotEqual(t, e.aliceID, id, "a client-chosen id is ignored")
		assert.NotEqual(t, "2000-01-01T00:00:00Z", at(created, "meta", "created"))
		assert.Equal(t, "User", at(created, "meta", "resourceType"))
		assert.NotContains(t, at(created, "meta", "location"), "evil")
		assert.Empty(t, created["groups"], "groups in a body does not add a membership")
		assert.Equal(t, "alice@example.com", e.must(http.StatusOK, "GET", "/Users/"+e.aliceID, nil).body["userName"], "alice is untouched")

		body["userName"] = "bob@example.com"
		replaced := e.must(http.StatusOK, "PUT", "/Users/"+e.bobID, body).body
		assert.Equal(t, e.bobID, replaced["id"])
		assert.Equal(t, []any{e.staffID}, groupValues(replaced), "PUT cannot change groups")
		assert.Empty(t, memberIDs(e.must(http.StatusOK, "GET", "/Groups/"+other, nil).body))

		// A group's id in a body is ignored too.
		g := e.must(http.StatusCreated, "POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "id": e.staffID, "displayName": "Copy"}).body
		assert.NotEqual(t, e.staffID, g["id"])
		assert.Equal(t, "Staff", e.must(http.StatusOK, "GET", "/Groups/"+e.staffID, nil).body["displayName"])
	})
}

func groupValues(user map[string]any) []any {
	var out []any
	gs, _ := user["groups"].([]any)
	for _, g := range gs {
		out = append(out, g.(map[string]any)["value"])
	}
	return out
}

// TestHostileBulkCycles: bulkId reference cycles of 1000 operations are
// answered. Groups in a cycle are created and then linked (RFC 7644
// §3.7.1); users whose manager references form a cycle cannot be, and each
// gets a 409 while nothing is created.
func TestHostileBulkCycles(t *testing.T) {
	everyStoreInTurn(t, func(t *testing.T, sk storeKind) {
		n := 1000
		if sk.durable() {
			// A durable store commits each link of the cycle to disk; a tenth
			// of the size checks the same within the client deadline.
			n = 100
		}
		t.Run("groups", func(t *testing.T) {
			e := sk.newHostileEnv(t, scim.Config{})
			ops := make([]map[string]any, 0, n)
			for i := range n {
				ops = append(ops, bop("POST", "/Groups", fmt.Sprintf("g%d", i), groupData(fmt.Sprintf("G%d", i), fmt.Sprintf("bulkId:g%d", (i+1)%n))))
			}
			r := e.send("POST", "/Bulk", bulk(0, ops...))
			require.Equal(t, http.StatusOK, r.status, short(r.raw))
			results, _ := r.body["Operations"].([]any)
			require.Len(t, results, n)
			loc := map[string]string{}
			for _, res := range results {
				m := res.(map[string]any)
				require.Equal(t, "201", m["status"], "%v", m)
				loc[m["bulkId"].(string)] = idFromLocation(m["location"].(string))
			}
			for _, i := range []int{0, 1, n / 2, n - 1} {
				g := e.must(http.StatusOK, "GET", "/Groups/"+loc[fmt.Sprintf("g%d", i)], nil).body
				assert.Equal(t, []string{loc[fmt.Sprintf("g%d", (i+1)%n)]}, memberIDs(g))
			}
		})
		t.Run("a group that contains itself", func(t *testing.T) {
			e := sk.newHostileEnv(t, scim.Config{})
			r := e.send("POST", "/Bulk", bulk(0, bop("POST", "/Groups", "self", groupData("Self", "bulkId:self"))))
			require.Equal(t, http.StatusOK, r.status, short(r.raw))
			assert.Contains(t, []any{"201", "400", "409"}, at(r.body, "Operations", 0, "status"), r.raw)
		})
		t.Run("users", func(t *testing.T) {
			e := sk.newHostileEnv(t, scim.Config{})
			before := e.snapshot()
			ops := make([]map[string]any, 0, n)
			for i := range n {
				ops = append(ops, bop("POST", "/Users", fmt.Sprintf("u%d", i), map[string]any{
					"schemas": []string{userURN, enterpriseURN}, "userName": fmt.Sprintf("u%d@example.com", i),
					enterpriseURN: map[string]any{"manager": map[string]any{"value": fmt.Sprintf("bulkId:u%d", (i+1)%n)}},
				}))
			}
			r := e.send("POST", "/Bulk", bulk(0, ops...))
			require.Equal(t, http.StatusOK, r.status, short(r.raw))
			results, _ := r.body["Operations"].([]any)
			require.Len(t, results, n)
			for _, res := range results {
				m := res.(map[string]any)
				require.Equal(t, "409", m["status"], "%v", m)
				assert.Equal(t, []any{errorURN}, at(m, "response", "schemas"))
			}
			assert.Equal(t, before, e.snapshot(), "nothing of a cycle that cannot be resolved is created")
		})
	})
}

// TestHostileAuthorizationHeader: a huge or malformed Authorization header
// through auth.Bearer is a plain 401 with a SCIM error, and the presented
// credential appears neither in the response nor in the log.
func TestHostileAuthorizationHeader(t *testing.T) {
	everyStoreInTurn(t, func(t *testing.T, sk storeKind) {
		logged := &lockedBuffer{}
		logger := slog.New(slog.NewTextHandler(logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
		h, err := scim.NewHandler(scim.Config{Store: sk.open(t), Logger: logger})
		require.NoError(t, err)
		const good = "scim_the-one-good-token"
		bearer, err := auth.Bearer([]auth.Token{{ID: "okta", Hash: auth.HashToken(good)}}, logger)
		require.NoError(t, err)
		srv := serve(t, bearer(http.StripPrefix("/scim/v2", h)))
		e := &hostileEnv{client: &client{t: t, srv: srv, base: srv.URL + "/scim/v2"}}

		r := e.send("GET", "/Users", nil, "Authorization", "Bearer "+good)
		require.Equal(t, http.StatusOK, r.status, "the good token works: %s", r.raw)

		secret := "s3cr3t" + strings.Repeat("A", 512<<10)
		rejected := 0
		for name, header := range map[string]string{
			"512 KiB token":        "Bearer " + secret,
			"10k tokens":           "Bearer " + repeatJoin(10000, ", ", func(i int) string { return fmt.Sprintf("s3cr3t%d", i) }),
			"the good token twice": "Bearer " + good + " " + good,
			"good token prefix":    "Bearer " + good + "s3cr3t",
			"NUL in the token":     "Bearer s3cr3t\x00" + good,
			"512 KiB of scheme":    "s3cr3t" + strings.Repeat("B", 512<<10) + " " + good,
		} {
			t.Run(name, func(t *testing.T) {
				var resp response
				if strings.ContainsRune(header, 0) {
					// net/http refuses to send a NUL in a header; hand the
					// request to the middleware directly.
					req := httptest.NewRequest("GET", "/scim/v2/Users", nil)
					req.Header["Authorization"] = []string{header}
					rec := httptest.NewRecorder()
					bearer(http.StripPrefix("/scim/v2", h)).ServeHTTP(rec, req)
					resp = response{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
					require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp.body))
				} else {
					resp = e.send("POST", "/Users", userJSON(""), "Authorization", header)
				}
				rejected++
				requireSCIMError(t, resp, http.StatusUnauthorized, "")
				assert.Equal(t, `Bearer realm="scim"`, resp.header.Get("WWW-Authenticate"))
				assert.NotContains(t, resp.raw, "s3cr3t")
			})
		}
		r = e.send("GET", "/Users", nil, "Authorization", "Bearer "+good)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, float64(0), r.body["totalResults"], "no rejected request created anything")
		assert.NotContains(t, logged.String(), "s3cr3t", "a presented credential was logged")
		assert.NotContains(t, logged.String(), good, "a presented credential was logged")
		if rejected > 0 {
			assert.Contains(t, logged.String(), "auth: request rejected", "rejections are logged")
		}
	})
}

// lockedBuffer is a log destination safe for concurrent request goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestHostilePatchIsBounded: one PATCH within MaxBodyBytes and
// MaxPatchOperations is answered, however many values its operations
// carry. (Last in this file: a handler that misses the deadline is left
// running, and should not slow the other hostile tests down.)
func TestHostilePatchIsBounded(t *testing.T) {
	everyStoreInTurn(t, func(t *testing.T, sk storeKind) {
		values := func(n int, f string) string {
			return "[" + repeatJoin(n, ",", func(i int) string { return fmt.Sprintf(f, i) }) + "]"
		}
		const n = 20000 // ~450 KB of values, within the default 1 MiB
		runHostile(t, sk, []hostileCase{
			{name: "one add of 20k emails", method: "PATCH", path: "/Users/{alice}",
				body:   patchJSON(`{"op":"add","path":"emails","value":` + values(n, `{"value":"u%d@x.io"}`) + `}`),
				status: 200, orStatus: []int{400, 413}},
			{name: "one remove of 20k emails by value from 20k", method: "PATCH", path: "/Users/{bob}",
				setup: func(e *hostileEnv) {
					e.must(http.StatusOK, "PUT", "/Users/"+e.bobID, `{"schemas":["`+userURN+`"],"userName":"bob@example.com","emails":`+
						values(n, `{"value":"b%d@x.io"}`)+`}`)
				},
				body:   patchJSON(`{"op":"remove","path":"emails","value":` + values(n, `{"value":"b%d@x.io"}`) + `}`),
				status: 200, orStatus: []int{400, 413}},
			{name: "one add of 20k members", method: "PATCH", path: "/Groups/{staff}",
				body:   patchJSON(`{"op":"add","path":"members","value":` + values(n, `{"value":"m%d"}`) + `}`),
				status: 400, scimType: "invalidValue", orStatus: []int{413}},
			{name: "10k email adds with the limit raised", cfg: scim.Config{MaxPatchOperations: 10000}, method: "PATCH", path: "/Users/{alice}",
				body: patchJSON(repeatJoin(10000, ",", func(i int) string {
					return fmt.Sprintf(`{"op":"add","path":"emails","value":[{"value":"u%d@x.io"}]}`, i)
				})), status: 200, orStatus: []int{400, 413}},
		})
	})
}
