package scimtest_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/scimtest"
	"github.com/scimkit/scimkit/store/memory"
)

// Replay every IdP's documented conversation against the app's own SCIM
// mux, in a test of the app. Pass the app's real authentication through
// Options.Header.
//
// Run needs the test's *testing.T, so go test compiles these examples but
// does not run them; TestExample runs the same code.
func Example() {
	testIdPs := func(t *testing.T) {
		// All() includes Entra ID's conversations, read with its IdP
		// profile (with directory records, each directory's own).
		h, err := scim.NewHandler(scim.Config{Store: memory.New(), IdPProfile: directory.Entra.Profile()})
		if err != nil {
			t.Fatal(err)
		}
		requireToken, err := auth.Bearer([]auth.Token{{ID: "idp", Hash: auth.HashToken("test-token")}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/scim/v2/", requireToken(http.StripPrefix("/scim/v2", h)))
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

// TestExample runs what Example and ExampleScenario show, behind a real
// bearer-token check so that Options.Header matters.
func TestExample(t *testing.T) {
	t.Parallel()
	token, hash, err := auth.NewToken()
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	requireToken, err := auth.Bearer([]auth.Token{{ID: "idp", Hash: hash}}, logger)
	require.NoError(t, err)
	h, err := scim.NewHandler(scim.Config{Store: memory.New(), Logger: logger, IdPProfile: directory.Entra.Profile()})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", requireToken(http.StripPrefix("/scim/v2", h)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

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
	scimtest.Run(t, srv.URL+"/scim/v2", scimtest.Options{
		Header: http.Header{"Authorization": {"Bearer " + token}},
	}, append(scimtest.All(), custom)...)

	// Without the token the middleware answers 401 before the handler.
	resp, err := http.Get(srv.URL + "/scim/v2/Users")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
