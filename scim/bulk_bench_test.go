package scim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

// BenchmarkInitialSync provisions 10,000 users and then 100 groups of 100
// members over HTTP, with hooks (no-op) and an audit sink (the SQL store's
// durable one on SQLite) configured: in bulk requests of 1,000 operations,
// as an IdP chunks a large sync, or one request per resource. ns/op is the
// whole sync. Run it with -benchtime 1x or 3x.
func BenchmarkInitialSync(b *testing.B) {
	const (
		nUsers   = 10000
		nGroups  = 100
		perGroup = 100
		chunk    = 1000
	)
	users := make([]map[string]any, nUsers)
	for i := range users {
		users[i] = map[string]any{"schemas": []string{userURN}, "userName": fmt.Sprintf("user%05d@example.com", i),
			"externalId": fmt.Sprintf("ext-%05d", i), "active": true,
			"name":   map[string]any{"givenName": "User", "familyName": fmt.Sprint(i)},
			"emails": []any{map[string]any{"value": fmt.Sprintf("user%05d@example.com", i), "type": "work", "primary": true}}}
	}
	for _, storeName := range []string{"memory", "sqlite"} {
		for _, mode := range []string{"bulk", "single"} {
			b.Run(storeName+"/"+mode, func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					cfg := scim.Config{Store: memory.New(), HostAuthenticates: true, Hooks: &scim.Hooks{}, Audit: &memory.AuditLog{},
						Logger: slog.New(slog.DiscardHandler), BulkMaxOperations: chunk, BulkMaxPayloadBytes: 4 << 20}
					if storeName == "sqlite" {
						st := sqlstoretest.SQLite(b)
						cfg.Store, cfg.Audit = st, st.AuditSink()
					}
					h, err := scim.NewHandler(cfg)
					if err != nil {
						b.Fatal(err)
					}
					srv := httptest.NewServer(h)
					post := func(path string, body any) map[string]any {
						raw, _ := json.Marshal(body)
						resp, err := srv.Client().Post(srv.URL+path, "application/scim+json", bytes.NewReader(raw))
						if err != nil {
							b.Fatal(err)
						}
						defer resp.Body.Close()
						if resp.StatusCode >= 300 {
							b.Fatalf("status %d", resp.StatusCode)
						}
						var out map[string]any
						_ = json.NewDecoder(resp.Body).Decode(&out)
						return out
					}
					ids := make([]string, 0, nUsers)
					b.StartTimer()
					if mode == "bulk" {
						for start := 0; start < nUsers; start += chunk {
							var ops []map[string]any
							for i := start; i < start+chunk; i++ {
								ops = append(ops, bop("POST", "/Users", fmt.Sprint(i), users[i]))
							}
							r := post("/Bulk", bulk(0, ops...))
							for i := range ops {
								loc, ok := opResult(r, i)["location"].(string)
								if !ok {
									b.Fatalf("bulk operation %d failed: %v", i, opResult(r, i))
								}
								ids = append(ids, idFromLocation(loc))
							}
						}
						var ops []map[string]any
						for g := range nGroups {
							ops = append(ops, bop("POST", "/Groups", fmt.Sprint(g), groupData(fmt.Sprintf("Team %d", g), ids[g*perGroup:(g+1)*perGroup]...)))
						}
						post("/Bulk", bulk(0, ops...))
					} else {
						for _, u := range users {
							ids = append(ids, post("/Users", u)["id"].(string))
						}
						for g := range nGroups {
							post("/Groups", groupData(fmt.Sprintf("Team %d", g), ids[g*perGroup:(g+1)*perGroup]...))
						}
					}
					b.StopTimer()
					srv.Close()
					b.StartTimer()
				}
			})
		}
	}
}
