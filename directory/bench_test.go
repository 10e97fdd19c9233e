package directory_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/directory/directorytest"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
)

// BenchmarkAuthenticate: authenticating one request (the middleware
// around an empty handler) with a token of one of n directories, each with
// one credential. The cost is one indexed read and a hash, so it stays flat
// as n grows; compare the sizes side by side.
func BenchmarkAuthenticate(b *testing.B) {
	backends := map[string]func(b *testing.B) directorytest.Store{
		"memory": func(*testing.B) directorytest.Store { return memory.New().Directories() },
		"sqlite": func(b *testing.B) directorytest.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "scim.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s.Directories()
		},
	}
	for _, name := range []string{"memory", "sqlite"} {
		for _, n := range []int{10, 1000, 100000} {
			b.Run(fmt.Sprintf("%s/directories=%d", name, n), func(b *testing.B) {
				s := backends[name](b)
				ctx := context.Background()
				tokens := make([]string, 0, n)
				for i := range n {
					sc := store.Scope{Tenant: fmt.Sprintf("t%06d", i), Directory: "okta"}
					if err := s.CreateDirectory(ctx, &directory.Directory{Tenant: sc.Tenant, ID: sc.Directory, Kind: directory.Okta}); err != nil {
						b.Fatal(err)
					}
					token, c, err := directory.NewBearerToken(sc, "Okta", nil)
					if err != nil {
						b.Fatal(err)
					}
					if err := s.CreateCredential(ctx, c); err != nil {
						b.Fatal(err)
					}
					tokens = append(tokens, token)
				}
				a, err := directory.NewAuthenticator(s, directory.AuthOptions{Logger: quiet()})
				if err != nil {
					b.Fatal(err)
				}
				h := a.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
				reqs := make([]*http.Request, 64)
				for i := range reqs {
					reqs[i] = httptest.NewRequest(http.MethodGet, "/Users", nil)
					reqs[i].Header.Set("Authorization", "Bearer "+tokens[(i*7919)%n])
				}
				w := httptest.NewRecorder()
				b.ReportAllocs()
				b.ResetTimer()
				i := 0
				for b.Loop() {
					h.ServeHTTP(w, reqs[i%len(reqs)])
					i++
				}
				b.StopTimer()
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			})
		}
	}
}
