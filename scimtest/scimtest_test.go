package scimtest

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

// server serves a fresh memory-backed handler under /scim/v2, optionally
// wrapped, and returns the SCIM base URL.
func server(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	// The scenarios include Entra ID's, read with its IdP profile.
	h, err := scim.NewHandler(scim.Config{Store: memory.New(), HostAuthenticates: true, Logger: slog.New(slog.DiscardHandler),
		IdPProfile: directory.Entra.Profile()})
	require.NoError(t, err)
	var sh http.Handler = http.StripPrefix("/scim/v2", h)
	if wrap != nil {
		sh = wrap(sh)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", sh)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/scim/v2"
}

func TestAllAgainstMemoryHandler(t *testing.T) {
	t.Parallel()
	base := server(t, nil)
	Run(t, base, Options{}, All()...)
	// Twice on the same store: every run uses fresh names.
	Run(t, base, Options{}, All()...)
}

func TestEveryIdPIsCoveredAndSourced(t *testing.T) {
	t.Parallel()
	for _, sc := range All() {
		assert.NotEmpty(t, sc.IdP)
		assert.NotEmpty(t, sc.Name)
		assert.True(t, strings.HasPrefix(sc.Source, "https://"), "%s/%s: source %q", sc.IdP, sc.Name, sc.Source)
		names := map[string]bool{}
		for _, st := range sc.Steps {
			assert.NotEmpty(t, st.Method, "%s/%s/%s", sc.IdP, sc.Name, st.Name)
			assert.False(t, names[st.Name], "%s/%s: duplicate step name %q", sc.IdP, sc.Name, st.Name)
			names[st.Name] = true
		}
	}
	for _, f := range []func() []Scenario{Entra, Okta, Google, OneLogin, JumpCloud, Keycloak, Generic} {
		assert.NotEmpty(t, f())
	}
}

// recorder is a tb that records failures instead of failing the test.
type recorder struct {
	mu       *sync.Mutex
	name     string
	parent   *recorder
	failed   bool
	errors   []string
	logs     []string
	children []*recorder
}

func newRecorder() *recorder { return &recorder{mu: &sync.Mutex{}} }

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	for p := r; p != nil; p = p.parent {
		p.failed = true
	}
}

func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (r *recorder) Run(name string, f func(tb)) bool {
	c := &recorder{mu: r.mu, name: strings.TrimPrefix(r.name+"/"+name, "/"), parent: r}
	r.mu.Lock()
	r.children = append(r.children, c)
	r.mu.Unlock()
	f(c)
	return !c.failed
}

// failures lists the failed leaves (steps) by full name with their errors.
func (r *recorder) failures() map[string]string {
	out := map[string]string{}
	var walk func(*recorder)
	walk = func(n *recorder) {
		if len(n.errors) > 0 {
			out[n.name] = strings.Join(n.errors, "\n")
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(r)
	return out
}

func (r *recorder) find(name string) *recorder {
	if r.name == name {
		return r
	}
	for _, c := range r.children {
		if f := c.find(name); f != nil {
			return f
		}
	}
	return nil
}

// deleteAnswers200 is a broken handler: it answers 200 to every DELETE
// without deleting anything.
func deleteAnswers200(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusOK)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestRunReportsAFailingStep(t *testing.T) {
	t.Parallel()
	base := server(t, deleteAnswers200)
	rec := newRecorder()
	run(rec, base, Options{}, []Scenario{entraUserLifecycle()})

	require.True(t, rec.failed)
	fails := rec.failures()
	require.Len(t, fails, 1, "%v", fails)
	msg, ok := fails["Entra/user lifecycle/delete user"]
	require.True(t, ok, "%v", fails)
	assert.Contains(t, msg, "status 200, want 204")
	assert.Contains(t, msg, "request:\n  DELETE "+base+"/Users/")
	assert.Contains(t, msg, "response:\n  200 OK")

	// The steps after the failed one did not run.
	sc := rec.find("Entra/user lifecycle")
	require.NotNil(t, sc)
	last := sc.children[len(sc.children)-1]
	assert.Equal(t, "Entra/user lifecycle/delete user", last.name)
	assert.Contains(t, strings.Join(sc.logs, "\n"), `step "delete user" failed: the remaining 2 steps of this scenario were not run`)
}

func TestRunReportsExpectationFailuresWithTheExchange(t *testing.T) {
	t.Parallel()
	base := server(t, nil)
	rec := newRecorder()
	run(rec, base, Options{}, []Scenario{{
		IdP: "Test", Name: "wrong expectations", Source: "https://example.com",
		Steps: []Step{
			{
				Name: "create", Method: http.MethodPost, Path: "/Users",
				Body:    `{"schemas": ["` + userURN + `"], "userName": "x.{{rand}}@example.com", "password": "secret"}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"id": "id", "missing": "nope"},
				Expect: []Expectation{
					Equal("userName", "y.{{rand}}@example.com"),
					Present("password"),
					Absent("id"),
					Contains("emails", map[string]any{"value": "x"}),
					Equal("active", "true"),
				},
			},
		},
	}})
	fails := rec.failures()
	msg := fails["Test/wrong expectations/create"]
	require.NotEmpty(t, msg, "%v", fails)
	for _, want := range []string{
		`userName: "x.`, `@example.com", want "y.`,
		"password: absent, want a value",
		"id: \"",
		"emails: absent, want an array with an element matching {\"value\":\"x\"}",
		"capture missing: nothing at \"nope\"",
		"request:\n  POST " + base + "/Users\n",
		`"password": "secret"`,
		"response:\n  201 Created\n  Content-Type: application/scim+json",
	} {
		assert.Contains(t, msg, want)
	}
	// active is omitted or a boolean, never the string "true".
	assert.Regexp(t, `active: (absent, want "true"|true, want "true")`, msg)
}

func TestRunRejectsWrongContentTypeAndUndefinedVariables(t *testing.T) {
	t.Parallel()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok": true}`)
	}))
	defer plain.Close()
	rec := newRecorder()
	run(rec, plain.URL, Options{}, []Scenario{{IdP: "T", Name: "n", Steps: []Step{
		{Name: "ct", Method: http.MethodGet, Path: "/x", Status: http.StatusOK},
		{Name: "var", Method: http.MethodGet, Path: "/x/{{nope}}", Status: http.StatusOK},
	}}})
	assert.Contains(t, rec.failures()["T/n/ct"], `Content-Type "application/json", want application/scim+json`)
	assert.Nil(t, rec.find("T/n/var"), "a failed step ends the scenario")

	rec = newRecorder()
	run(rec, plain.URL, Options{}, []Scenario{{IdP: "T", Name: "n", Steps: []Step{
		{Name: "var", Method: http.MethodGet, Path: "/x/{{nope}}"},
	}}})
	assert.Contains(t, rec.failures()["T/n/var"], "undefined variable(s) nope")
}

func TestRunSendsOptionsAndEscapes(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/scim+json")
		_, _ = io.WriteString(w, `{"id": "a\"b", "n": 3, "list": [{"value": "v", "type": "work"}]}`)
	}))
	defer srv.Close()
	rec := newRecorder()
	run(rec, srv.URL+"/", Options{Client: srv.Client(), Header: http.Header{"Authorization": {"Bearer t"}}}, []Scenario{{
		IdP: "T", Name: "n", Header: http.Header{"User-Agent": {"IdP 1.0"}, "Authorization": {"overridden"}}, Steps: []Step{
			{Name: "capture", Method: http.MethodGet, Path: "/x", Capture: map[string]string{"id": "id", "n": "n", "len": "list.#"},
				Expect: []Expectation{Equal("n", 3), Equal("list.#", 1), Contains("list", map[string]any{"TYPE": "work"}),
					NotContains("list", map[string]any{"value": "w"}), NotContains("missing", "x"), Absent("list.1")}},
			{Name: "use", Method: http.MethodPost, Path: `/Users?filter=userName eq "{{id}}"&count={{n}}`,
				Body: `{"v": "{{id}}", "len": "{{len}}"}`},
		},
	}})
	require.False(t, rec.failed, "%v", rec.failures())
	assert.Equal(t, "Bearer t", got.Header.Get("Authorization"), "Options.Header wins over Scenario.Header")
	assert.Equal(t, "IdP 1.0", got.Header.Get("User-Agent"))
	assert.Equal(t, "application/scim+json", got.Header.Get("Content-Type"))
	assert.Equal(t, `filter=userName%20eq%20%22a%5C%22b%22&count=3`, got.URL.RawQuery)
	assert.Equal(t, `userName eq "a\"b"`, got.URL.Query().Get("filter"))
	assert.JSONEq(t, `{"v": "a\"b", "len": "1"}`, string(body))
}

func TestResolve(t *testing.T) {
	t.Parallel()
	var doc any = map[string]any{
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"manager": map[string]any{"value": "m"}},
		"Resources": []any{map[string]any{"id": "1"}},
		"nothing":   nil,
	}
	v, ok := resolve(doc, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value")
	assert.True(t, ok)
	assert.Equal(t, "m", v)
	v, ok = resolve(doc, "resources.0.ID")
	assert.True(t, ok, "names match case-insensitively")
	assert.Equal(t, "1", v)
	v, _ = resolve(doc, "Resources.#")
	assert.Equal(t, float64(1), v)
	for _, p := range []string{"nothing", "Resources.1", "Resources.x", "Resources.#.x", "missing"} {
		_, ok = resolve(doc, p)
		assert.False(t, ok, p)
	}
}

// TestRunFailsTheRealTest proves the exported Run, with a real *testing.T,
// fails the test and names the failing step: it runs
// TestHelperBrokenDelete in a child process.
func TestRunFailsTheRealTest(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs a child test process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBrokenDelete$", "-test.v")
	cmd.Env = append(os.Environ(), "SCIMTEST_HELPER=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	require.Error(t, err, "the child test must fail:\n%s", out.String())
	s := out.String()
	assert.Contains(t, s, "--- FAIL: TestHelperBrokenDelete/JumpCloud/connection_test/delete_test_group")
	assert.Contains(t, s, "status 200, want 204")
	assert.Contains(t, s, "--- PASS: TestHelperBrokenDelete/JumpCloud/connection_test/create_test_group")
	assert.NotContains(t, s, "delete_test_user", "steps after the failure do not run")
}

func TestHelperBrokenDelete(t *testing.T) {
	if os.Getenv("SCIMTEST_HELPER") != "1" {
		t.Skip("helper for TestRunFailsTheRealTest")
	}
	Run(t, server(t, deleteAnswers200), Options{}, JumpCloud()...)
}
