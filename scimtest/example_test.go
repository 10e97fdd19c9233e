package scimtest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/scimtest"
	"github.com/scimkit/scimkit/store/memory"
)

// Replay every IdP's documented conversation against the app's own SCIM
// mux, in a test of the app. Pass the app's real authentication through
// Options.Header.
func Example() {
	testIdPs := func(t *testing.T) {
		h, err := scim.NewHandler(scim.Config{Store: memory.New()})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
		srv := httptest.NewServer(mux)
		defer srv.Close()

		scimtest.Run(t, srv.URL+"/scim/v2", scimtest.Options{
			Header: http.Header{"Authorization": {"Bearer test-token"}},
		}, scimtest.All()...)
	}
	_ = testIdPs // in a _test.go file: func TestIdPs(t *testing.T) { ... }
}

// A scenario of your own: steps capture values for later steps, and
// expectations address the response by JSON path.
func ExampleScenario() {
	custom := scimtest.Scenario{
		IdP: "MyIdP", Name: "create and find", Source: "https://example.com/docs/scim",
		Steps: []scimtest.Step{
			{
				Name: "create", Method: http.MethodPost, Path: "/Users",
				Body:    `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "me.{{rand}}@example.com"}`,
				Status:  http.StatusCreated,
				Capture: map[string]string{"id": "id"},
			},
			{
				Name: "find", Method: http.MethodGet, Path: `/Users?filter=userName eq "me.{{rand}}@example.com"`,
				Status: http.StatusOK,
				Expect: []scimtest.Expectation{
					scimtest.Equal("totalResults", 1),
					scimtest.Equal("Resources.0.id", "{{id}}"),
				},
			},
		},
	}
	_ = custom // scimtest.Run(t, baseURL, scimtest.Options{}, custom)
}
