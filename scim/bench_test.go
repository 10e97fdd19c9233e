package scim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

// benchServer is the handler behind bearer auth with n users, called
// in-process (no network) so the handler's own cost shows.
func benchServer(b *testing.B, n int) (http.Handler, []string) {
	quiet := slog.New(slog.DiscardHandler)
	h, err := scim.NewHandler(scim.Config{Store: memory.New(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	mw, _ := auth.Bearer([]auth.Token{{ID: "t", Hash: auth.HashToken("token")}}, quiet)
	srv := mw(h)
	ids := make([]string, n)
	for i := range ids {
		body := fmt.Sprintf(`{"schemas":["%s"],"userName":"user%06d@example.com","name":{"givenName":"U","familyName":"%d"},"active":true,"emails":[{"value":"user%06d@example.com","type":"work","primary":true}]}`, userURN, i, i, i)
		rec := serveBench(srv, "POST", "/Users", body)
		if rec.Code != http.StatusCreated {
			b.Fatal(rec.Body.String())
		}
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		ids[i] = m["id"].(string)
	}
	return srv, ids
}

func serveBench(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer token")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// BenchmarkHandler measures each operation through auth, handler and the
// memory store holding 10,000 users.
func BenchmarkHandler(b *testing.B) {
	srv, ids := benchServer(b, 10000)
	// A group of 50 members, as in cmd/scimload's IdP mix.
	var members []string
	for _, id := range ids[:50] {
		members = append(members, fmt.Sprintf(`{"value":"%s"}`, id))
	}
	rec := serveBench(srv, "POST", "/Groups", fmt.Sprintf(`{"schemas":["%s"],"displayName":"Bench","members":[%s]}`,
		groupURN, strings.Join(members, ",")))
	if rec.Code != http.StatusCreated {
		b.Fatal(rec.Body.String())
	}
	var g map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &g)
	groupID := g["id"].(string)
	ops := []struct {
		name, method string
		path         func(i int) string
		body         func(i int) string
		want         int
	}{
		{"GetByID", "GET", func(i int) string { return "/Users/" + ids[i%len(ids)] }, nil, 200},
		{"FilterUserNameEq", "GET", func(i int) string {
			return fmt.Sprintf("/Users?filter=userName+eq+%%22user%06d@example.com%%22", i%len(ids))
		}, nil, 200},
		{"ListPage100", "GET", func(i int) string { return fmt.Sprintf("/Users?startIndex=%d&count=100", 1+(i*100)%9900) }, nil, 200},
		{"PatchReplace", "PATCH", func(i int) string { return "/Users/" + ids[i%len(ids)] }, func(i int) string {
			return fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"replace","value":{"title":"T%d"}}]}`, patchURN, i)
		}, 200},
		{"PatchIdP", "PATCH", func(i int) string { return "/Users/" + ids[i%len(ids)] }, func(i int) string {
			return fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"replace","path":"title","value":"Title %d"},{"op":"replace","value":{"active":%t}}]}`,
				patchURN, i, i%4 != 0)
		}, 200},
		{"Put", "PUT", func(i int) string { return "/Users/" + ids[i%len(ids)] }, func(i int) string {
			k := i % len(ids)
			return fmt.Sprintf(`{"schemas":["%s","%s"],"userName":"user%06d@example.com","externalId":"ext-%d",`+
				`"name":{"givenName":"Given%d","familyName":"Family%d"},"displayName":"Given%d Family%d","title":"Title %d","active":%t,`+
				`"emails":[{"value":"user%06d@example.com","type":"work","primary":true}],"%s":{"employeeNumber":"%d","department":"Dept %d"}}`,
				userURN, enterpriseURN, k, k, k, k, k, k, i, i%4 != 0, k, enterpriseURN, k, k%20)
		}, 200},
		{"PatchGroupMember", "PATCH", func(int) string { return "/Groups/" + groupID }, func(i int) string {
			// Add a user on even iterations, remove it again on odd ones.
			u := ids[1000+(i/2)%1000]
			if i%2 == 0 {
				return fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"add","path":"members","value":[{"value":"%s"}]}]}`, patchURN, u)
			}
			return fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`, patchURN, u)
		}, 204},
		{"Create", "POST", func(int) string { return "/Users" }, func(i int) string {
			return fmt.Sprintf(`{"schemas":["%s"],"userName":"new%d-%s@example.com"}`, userURN, i, b.Name())
		}, 201},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				body := ""
				if op.body != nil {
					body = op.body(i)
				}
				if rec := serveBench(srv, op.method, op.path(i), body); rec.Code != op.want {
					b.Fatalf("%d %s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// BenchmarkGetByIDVersusBare is the yardstick of issue #9: GET of one user
// by id through bearer auth, the handler and the memory store, against a
// bare net/http handler that encodes the same user from a map, both over
// loopback HTTP with parallel clients. Compare the two ns/op.
func BenchmarkGetByIDVersusBare(b *testing.B) {
	srv, ids := benchServer(b, 1000)
	rec := serveBench(srv, "GET", "/Users/"+ids[0], "")
	var user map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &user); err != nil {
		b.Fatal(err)
	}
	users := map[string]map[string]any{ids[0]: user}
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := users[r.URL.Path[len("/Users/"):]]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/scim+json")
		_ = json.NewEncoder(w).Encode(u)
	})
	for _, target := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"scimkit", srv}} {
		b.Run(target.name, func(b *testing.B) {
			ts := httptest.NewServer(target.h)
			defer ts.Close()
			client := ts.Client()
			client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
			url := ts.URL + "/Users/" + ids[0]
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", url, nil)
					req.Header.Set("Authorization", "Bearer token")
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		})
	}
}
