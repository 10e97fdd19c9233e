// Package scimtest replays the conversations real identity providers hold
// with a SCIM 2.0 service provider, and checks the answers they rely on.
//
// Each Scenario is one conversation taken from an IdP's published
// documentation: the requests it sends, in order, and what it needs back.
// Run plays scenarios against any live SCIM endpoint — typically an
// httptest.Server around the host application's own mux, with its real
// authentication and store — each as a subtest named "IdP/Name", each step
// a nested subtest. A failed step reports the request and the response and
// ends its scenario.
//
//	func TestIdPConversations(t *testing.T) {
//		h, err := scim.NewHandler(scim.Config{Store: memory.New()})
//		if err != nil {
//			t.Fatal(err)
//		}
//		requireToken, err := auth.Bearer([]auth.Token{{ID: "idp", Hash: auth.HashToken("test-token")}}, nil)
//		if err != nil {
//			t.Fatal(err)
//		}
//		mux := http.NewServeMux()
//		mux.Handle("/scim/v2/", requireToken(http.StripPrefix("/scim/v2", h)))
//		srv := httptest.NewServer(mux)
//		defer srv.Close()
//		scimtest.Run(t, srv.URL+"/scim/v2", scimtest.Options{
//			Header: http.Header{"Authorization": {"Bearer test-token"}},
//		}, scimtest.All()...)
//	}
//
// Scenarios create their own users and groups with unique names (the
// {{rand}} placeholder is fresh for every scenario run), so they can share a
// store with other data and with each other; they do not call t.Parallel.
//
// # Sources
//
// Every scenario names the page it follows in Scenario.Source, and comments
// in the scenario code quote what each step relies on. Where a page leaves a
// detail open (a status code, a body) the step says so rather than guess.
//
//   - Okta: the SCIM 2.0 protocol reference and the Runscope test guides
//     (developer.okta.com). Detailed request and response bodies.
//   - Microsoft Entra ID: "Tutorial: Develop and plan provisioning for a SCIM
//     endpoint" and "Known issues and resolutions with SCIM 2.0 protocol
//     compliance" (learn.microsoft.com). Detailed bodies, with and without
//     the aadOptscim062020 flag.
//   - OneLogin: the "SCIM Provisioner" connector's JSON template (OneLogin
//     knowledge base). Only the create body is documented.
//   - JumpCloud: the "Custom SCIM Identity Management" article (test user
//     and test group created, then deleted). No request bodies are published.
//   - Google Workspace: "About automated user provisioning" says only that
//     users added, modified or deleted in the Admin console are added,
//     modified or deleted in the app; Google publishes no request bodies for
//     custom SCIM apps, so its scenario uses RFC 7644 shapes and says so.
//   - Keycloak: Keycloak has no SCIM provisioning client of its own; its
//     scenarios follow the community keycloak-scim extension (libre.sh, the
//     mitodl fork), whose requests are read from its source, not from
//     published examples: PUT of whole resources, and its PATCH mode.
//   - Generic: RFC 7644's own examples, for clients written from the RFC
//     alone.
package scimtest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Scenario is one IdP conversation: a named sequence of steps. Variables
// captured by a step are available to the later steps of the same scenario.
type Scenario struct {
	// IdP names the identity provider, such as "Okta" or "Entra".
	IdP string
	// Name says what the conversation does, such as "user lifecycle".
	Name string
	// Source is the URL of the documentation the scenario follows.
	Source string
	// Header is added to every request of the scenario (before
	// Options.Header), to send what the IdP sends, such as its User-Agent.
	Header http.Header
	// Steps run in order; the first failing step ends the scenario.
	Steps []Step
}

// Step is one request and what the response must be.
//
// Path, Body and the strings in Expect may contain {{var}} placeholders:
// {{rand}} (digits, fresh for every run of a scenario) and any variable an
// earlier step captured. In Body a value is inserted JSON-escaped (write the
// placeholder inside a JSON string); in Path it is escaped for the URL.
type Step struct {
	// Name names the step's subtest.
	Name string
	// Method is the HTTP method.
	Method string
	// Path is relative to the SCIM base URL and starts with "/". Write query
	// values unescaped, such as `/Users?filter=userName eq "{{userName}}"`;
	// Run escapes them. A query value cannot contain '&'.
	Path string
	// Body is the JSON request body, or "" for none.
	Body string
	// Status is the expected status code. Statuses lists several acceptable
	// codes instead. With neither, any 2xx status passes.
	Status   int
	Statuses []int
	// Capture maps a variable name to a JSON path in the response (see
	// Expectation for the path syntax), such as "id" or "Resources.0.id".
	Capture map[string]string
	// Expect are checks on the response body.
	Expect []Expectation
}

// Expectation is one check on a JSON response body.
//
// Path addresses a value: object members by name, joined by "." (a name may
// itself contain dots, as schema URNs do: the longest member name that
// matches wins, and names match case-insensitively when no exact one does),
// array elements by index, and "#" for an array's length, as in
// "Resources.0.id", "members.#" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department".
// A JSON null counts as absent (RFC 7643 §2.5). An empty Path is the whole
// document.
//
// Which check runs depends on the fields set:
//   - Contains set: the array at Path has an element matching Contains (an
//     object matches when each of Contains' members matches; other values
//     must be equal). With Absent, no element may match; a missing array
//     then passes.
//   - Equals set: the value at Path equals Equals, compared as JSON (so 3
//     and 3.0 are equal, and "3" is not).
//   - Absent alone: nothing is at Path.
//   - none: something is at Path.
//
// The constructors Equal, Present, Absent, Contains and NotContains build
// each kind.
type Expectation struct {
	// Path addresses the value checked.
	Path string
	// Equals is the JSON value expected at Path, or nil.
	Equals any
	// Contains is an element expected in the array at Path, or nil.
	Contains any
	// Absent negates: nothing at Path, or with Contains no matching element.
	Absent bool
}

// Equal expects the value at path to equal v, compared as JSON.
func Equal(path string, v any) Expectation { return Expectation{Path: path, Equals: v} }

// Present expects a non-null value at path.
func Present(path string) Expectation { return Expectation{Path: path} }

// Absent expects no value (or null) at path.
func Absent(path string) Expectation { return Expectation{Path: path, Absent: true} }

// Contains expects the array at path to have an element matching v.
func Contains(path string, v any) Expectation { return Expectation{Path: path, Contains: v} }

// NotContains expects the array at path, if any, to have no element
// matching v.
func NotContains(path string, v any) Expectation {
	return Expectation{Path: path, Contains: v, Absent: true}
}

// Options configures Run.
type Options struct {
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
	// Header is added to every request, such as an Authorization header.
	Header http.Header
}

// All returns the scenarios of every IdP.
func All() []Scenario {
	var all []Scenario
	for _, f := range []func() []Scenario{Entra, Okta, Google, OneLogin, JumpCloud, Keycloak, Generic} {
		all = append(all, f()...)
	}
	return all
}

// Run runs each scenario against the SCIM endpoint at baseURL (such as
// "http://127.0.0.1:8080/scim/v2") as a subtest of t named IdP+"/"+Name,
// and every step as a nested subtest. A failing step reports its request
// and response, and the rest of its scenario is skipped.
//
// Besides each step's own checks, every response with a body must be JSON
// with Content-Type application/scim+json (RFC 7644 §3.1; Entra requires
// it).
func Run(t *testing.T, baseURL string, opts Options, scenarios ...Scenario) {
	t.Helper()
	run(stdT{t}, baseURL, opts, scenarios)
}

// tb is the part of *testing.T that run uses, so tests can record it.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
	Run(name string, f func(tb)) bool
}

type stdT struct{ *testing.T }

func (s stdT) Run(name string, f func(tb)) bool {
	return s.T.Run(name, func(t *testing.T) { f(stdT{t}) })
}

func run(t tb, baseURL string, opts Options, scenarios []Scenario) {
	t.Helper()
	client := opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	base := strings.TrimSuffix(baseURL, "/")
	for _, sc := range scenarios {
		t.Run(sc.IdP+"/"+sc.Name, func(t tb) {
			if sc.Source != "" {
				t.Logf("source: %s", sc.Source)
			}
			vars := map[string]string{"rand": randDigits(12)}
			for i, st := range sc.Steps {
				name := st.Name
				if name == "" {
					name = fmt.Sprintf("step %d", i+1)
				}
				header := sc.Header.Clone()
				if header == nil {
					header = http.Header{}
				}
				for k, vs := range opts.Header {
					header[http.CanonicalHeaderKey(k)] = vs
				}
				if !t.Run(name, func(t tb) { runStep(t, client, base, header, st, vars) }) {
					if i+1 < len(sc.Steps) {
						t.Logf("step %q failed: the remaining %d steps of this scenario were not run", name, len(sc.Steps)-i-1)
					}
					return
				}
			}
		})
	}
}

// randDigits returns n random decimal digits: the same in upper and lower
// case, so scenarios can test case-insensitive userNames with literals.
func randDigits(n int) string {
	var b strings.Builder
	for range n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic(err)
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}

// runStep sends one request and checks the response, reporting every
// problem together with the exchange in one error.
func runStep(t tb, client *http.Client, base string, header http.Header, st Step, vars map[string]string) {
	t.Helper()
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	target, err := expandPath(st.Path, vars)
	if err != nil {
		t.Errorf("scenario error: path %q: %v", st.Path, err)
		return
	}
	reqBody := ""
	if st.Body != "" {
		reqBody, err = expand(st.Body, vars, jsonEscape)
		if err != nil {
			t.Errorf("scenario error: body: %v", err)
			return
		}
		if !json.Valid([]byte(reqBody)) {
			t.Errorf("scenario error: body is not valid JSON after expansion:\n%s", reqBody)
			return
		}
	}
	var rd io.Reader
	if reqBody != "" {
		rd = strings.NewReader(reqBody)
	}
	req, err := http.NewRequest(st.Method, base+target, rd)
	if err != nil {
		t.Errorf("scenario error: %v", err)
		return
	}
	req.Header.Set("Accept", "application/scim+json")
	if reqBody != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	exchange := func(status string, respHeader http.Header, respBody []byte) string {
		var b strings.Builder
		fmt.Fprintf(&b, "request:\n  %s %s\n", req.Method, req.URL)
		if reqBody != "" {
			fmt.Fprintf(&b, "  %s\n", indent(reqBody))
		}
		fmt.Fprintf(&b, "response:\n  %s\n", status)
		if ct := respHeader.Get("Content-Type"); ct != "" {
			fmt.Fprintf(&b, "  Content-Type: %s\n", ct)
		}
		if len(respBody) > 0 {
			fmt.Fprintf(&b, "  %s\n", indent(string(respBody)))
		}
		return b.String()
	}

	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", req.Method, req.URL, err)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	_ = resp.Body.Close()
	if err != nil {
		t.Errorf("%s %s: reading the response: %v", req.Method, req.URL, err)
		return
	}

	if !statusOK(st, resp.StatusCode) {
		fail("status %d, want %s", resp.StatusCode, wantStatus(st))
	}
	var doc any
	hasDoc := false
	if len(bytes.TrimSpace(raw)) > 0 {
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if mt != "application/scim+json" {
			fail("Content-Type %q, want application/scim+json", resp.Header.Get("Content-Type"))
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			fail("response body is not JSON: %v", err)
		} else {
			hasDoc = true
		}
	}
	if len(st.Expect)+len(st.Capture) > 0 && !hasDoc && len(problems) == 0 {
		fail("no JSON response body to check")
	}
	if hasDoc {
		for _, e := range st.Expect {
			if err := e.check(doc, vars); err != nil {
				fail("%v", err)
			}
		}
		names := make([]string, 0, len(st.Capture))
		for name := range st.Capture {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			path := st.Capture[name]
			v, ok := resolve(doc, path)
			if !ok {
				fail("capture %s: nothing at %q", name, path)
				continue
			}
			vars[name] = scalarString(v)
		}
	}
	if len(problems) > 0 {
		t.Errorf("%s\n%s", strings.Join(problems, "\n"), exchange(resp.Status, resp.Header, raw))
	}
}

func statusOK(st Step, got int) bool {
	switch {
	case len(st.Statuses) > 0:
		for _, s := range st.Statuses {
			if s == got {
				return true
			}
		}
		return false
	case st.Status != 0:
		return got == st.Status
	default:
		return got >= 200 && got < 300
	}
}

func wantStatus(st Step) string {
	switch {
	case len(st.Statuses) > 0:
		s := make([]string, len(st.Statuses))
		for i, c := range st.Statuses {
			s[i] = strconv.Itoa(c)
		}
		return "one of " + strings.Join(s, ", ")
	case st.Status != 0:
		return strconv.Itoa(st.Status)
	default:
		return "2xx"
	}
}

func indent(s string) string {
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(s), "  ", "  ") == nil {
		s = pretty.String()
	}
	return strings.TrimRight(s, "\n")
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// expand replaces each {{var}} in s with esc(value); an undefined variable
// is an error.
func expand(s string, vars map[string]string, esc func(string) string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return esc(v)
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("undefined variable(s) %s", strings.Join(missing, ", "))
	}
	return out, nil
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func identity(s string) string { return s }

// expandPath expands placeholders in a step's Path and escapes it: path
// segments with url.PathEscape, query values (JSON-escaped first, since they
// sit in SCIM filter strings) with percent-encoding. Parameter order is kept.
func expandPath(p string, vars map[string]string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("must start with /")
	}
	path, query, hasQuery := strings.Cut(p, "?")
	path, err := expand(path, vars, url.PathEscape)
	if err != nil {
		return "", err
	}
	if !hasQuery {
		return path, nil
	}
	var params []string
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		v, err := expand(v, vars, jsonEscape)
		if err != nil {
			return "", err
		}
		params = append(params, url.QueryEscape(k)+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	}
	return path + "?" + strings.Join(params, "&"), nil
}

// scalarString renders a captured value: strings as they are, anything else
// as JSON.
func scalarString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// resolve walks path (see Expectation) through a decoded JSON document.
func resolve(v any, path string) (any, bool) {
	if path == "" {
		return v, v != nil
	}
	switch x := v.(type) {
	case map[string]any:
		best, found := "", false
		match := func(fold bool) {
			for k := range x {
				p, kk := path, k
				if fold {
					p, kk = strings.ToLower(path), strings.ToLower(k)
				}
				if (p == kk || strings.HasPrefix(p, kk+".")) && (!found || len(k) > len(best)) {
					best, found = k, true
				}
			}
		}
		if match(false); !found {
			match(true)
		}
		if !found {
			return nil, false
		}
		return resolve(x[best], strings.TrimPrefix(path[len(best):], "."))
	case []any:
		seg, rest, _ := strings.Cut(path, ".")
		if seg == "#" {
			if rest != "" {
				return nil, false
			}
			return float64(len(x)), true
		}
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(x) {
			return nil, false
		}
		return resolve(x[i], rest)
	}
	return nil, false
}

// normalize turns any Go value into its decoded-JSON form and expands
// placeholders in its strings.
func normalize(v any, vars map[string]string) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return expandValue(out, vars)
}

func expandValue(v any, vars map[string]string) (any, error) {
	switch x := v.(type) {
	case string:
		return expand(x, vars, identity)
	case []any:
		for i := range x {
			e, err := expandValue(x[i], vars)
			if err != nil {
				return nil, err
			}
			x[i] = e
		}
	case map[string]any:
		for k := range x {
			e, err := expandValue(x[k], vars)
			if err != nil {
				return nil, err
			}
			x[k] = e
		}
	}
	return v, nil
}

// matches reports whether actual matches want: objects by each of want's
// members (names case-insensitive, as SCIM attribute names are), anything
// else by equality.
func matches(want, actual any) bool {
	wm, ok := want.(map[string]any)
	if !ok {
		return reflect.DeepEqual(want, actual)
	}
	am, ok := actual.(map[string]any)
	if !ok {
		return false
	}
	for k, wv := range wm {
		av, found := am[k]
		if !found {
			for ak, v := range am {
				if strings.EqualFold(ak, k) {
					av, found = v, true
					break
				}
			}
		}
		if wv == nil {
			if found && av != nil {
				return false
			}
			continue
		}
		if !found || !matches(wv, av) {
			return false
		}
	}
	return true
}

func (e Expectation) check(doc any, vars map[string]string) error {
	got, ok := resolve(doc, e.Path)
	show := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	switch {
	case e.Contains != nil:
		want, err := normalize(e.Contains, vars)
		if err != nil {
			return fmt.Errorf("scenario error: %s: %v", e.Path, err)
		}
		var list []any
		if ok {
			l, isList := got.([]any)
			if !isList {
				return fmt.Errorf("%s: %s is not an array", e.Path, show(got))
			}
			list = l
		}
		found := false
		for _, el := range list {
			if matches(want, el) {
				found = true
				break
			}
		}
		if e.Absent && found {
			return fmt.Errorf("%s: has an element matching %s, want none", e.Path, show(want))
		}
		if !e.Absent && !found {
			if !ok {
				return fmt.Errorf("%s: absent, want an array with an element matching %s", e.Path, show(want))
			}
			return fmt.Errorf("%s: no element matches %s in %s", e.Path, show(want), show(got))
		}
	case e.Equals != nil:
		want, err := normalize(e.Equals, vars)
		if err != nil {
			return fmt.Errorf("scenario error: %s: %v", e.Path, err)
		}
		if !ok {
			return fmt.Errorf("%s: absent, want %s", e.Path, show(want))
		}
		if !reflect.DeepEqual(want, got) {
			return fmt.Errorf("%s: %s, want %s", e.Path, show(got), show(want))
		}
	case e.Absent:
		if ok {
			return fmt.Errorf("%s: %s, want absent", e.Path, show(got))
		}
	default:
		if !ok {
			return fmt.Errorf("%s: absent, want a value", e.Path)
		}
	}
	return nil
}
