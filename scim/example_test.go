package scim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/schema"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

// Mount the handler under /scim/v2 on an existing mux, behind a bearer
// token, and provision a user. Without authentication middleware the
// handler answers 401 (see Config.HostAuthenticates).
func ExampleNewHandler() {
	h, err := scim.NewHandler(scim.Config{Store: memory.New()})
	if err != nil {
		panic(err)
	}
	requireToken, err := auth.Bearer([]auth.Token{{ID: "okta", Hash: auth.HashToken("s3cret")}}, nil)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", requireToken(http.StripPrefix("/scim/v2", h)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	send := func(method, path, body string) (*http.Response, string) {
		req, err := http.NewRequest(method, srv.URL+"/scim/v2"+path, strings.NewReader(body))
		if err != nil {
			panic(err)
		}
		req.Header.Set("Authorization", "Bearer s3cret")
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp, string(out)
	}

	resp, _ := send("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com"}`)
	fmt.Println(resp.Status, resp.Header.Get("ETag"))
	_, out := send("GET", `/Users?filter=userName+eq+"BJENSEN@example.com"&attributes=userName`, "")
	fmt.Println(strings.Contains(out, `"totalResults":1`))
	resp, _ = http.Get(srv.URL + "/scim/v2/Users") // no token
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// 201 Created W/"1"
	// true
	// 401 Unauthorized
}

// Declare a schema extension of the app's own: its attributes are then
// validated, stored, filterable, projected and listed in /Schemas.
func ExampleConfig_userExtensions() {
	const acme = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
	h, err := scim.NewHandler(scim.Config{
		Store:             memory.New(),
		HostAuthenticates: true, // this example sends no credentials
		UserExtensions: []schema.Schema{{
			ID:   acme,
			Name: "AcmeUser",
			Attributes: []schema.Attribute{
				{Name: "badgeNumber", CaseExact: true},
				{Name: "clearance", Type: schema.Integer},
			},
		}},
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + acme + `"],"userName":"bjensen",` +
		`"` + acme + `":{"badgeNumber":"B-7","clearance":3}}`
	resp, err := http.Post(srv.URL+"/Users", "application/scim+json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	resp, err = http.Get(srv.URL + `/Users?filter=` + url.QueryEscape(acme+`:clearance gt 2`) + `&attributes=userName`)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Println(strings.Contains(string(out), `"totalResults":1`))
	// Output: true
}
