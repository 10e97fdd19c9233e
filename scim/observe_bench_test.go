package scim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

// BenchmarkObserve: GET of one user without and with Config.Observe (a
// counter), side by side: the cost of observing a request.
func BenchmarkObserve(b *testing.B) {
	var n atomic.Int64
	for _, tc := range []struct {
		name    string
		observe func(context.Context, scim.RequestInfo)
	}{
		{"off", nil},
		{"on", func(context.Context, scim.RequestInfo) { n.Add(1) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h, err := scim.NewHandler(scim.Config{Store: memory.New(), HostAuthenticates: true, Observe: tc.observe})
			if err != nil {
				b.Fatal(err)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/Users",
				strings.NewReader(`{"schemas":["`+userURN+`"],"userName":"bob"}`)))
			if w.Code != http.StatusCreated {
				b.Fatal(w.Body.String())
			}
			id := strings.Split(strings.Split(w.Body.String(), `"id":"`)[1], `"`)[0]
			req := httptest.NewRequest(http.MethodGet, "/Users/"+id, nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
