package scim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

// Mount the handler under /scim/v2 on an existing mux and provision a user.
func ExampleNewHandler() {
	h, err := scim.NewHandler(scim.Config{Store: memory.New()})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com"}`
	resp, err := http.Post(srv.URL+"/scim/v2/Users", "application/scim+json", strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Header.Get("ETag"))

	resp, err = http.Get(srv.URL + `/scim/v2/Users?filter=userName+eq+"BJENSEN@example.com"&attributes=userName`)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Println(strings.Contains(string(out), `"totalResults":1`))
	// Output:
	// 201 Created W/"1"
	// true
}
