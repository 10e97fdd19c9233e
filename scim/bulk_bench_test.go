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

// BenchmarkInitialSync provisions 1,000 users over HTTP, in one bulk
// request or one request each; ns/op is the whole sync.
func BenchmarkInitialSync(b *testing.B) {
	const n = 1000
	users := make([]map[string]any, n)
	for i := range users {
		users[i] = map[string]any{"schemas": []string{userURN}, "userName": fmt.Sprintf("user%05d@example.com", i), "active": true}
	}
	for _, storeName := range []string{"memory", "sqlite"} {
		for _, mode := range []string{"bulk", "single"} {
			b.Run(storeName+"/"+mode, func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					cfg := scim.Config{Store: memory.New(), Logger: slog.New(slog.DiscardHandler), BulkMaxOperations: n, BulkMaxPayloadBytes: 8 << 20}
					if storeName == "sqlite" {
						cfg.Store = sqlstoretest.SQLite(b)
					}
					h, err := scim.NewHandler(cfg)
					if err != nil {
						b.Fatal(err)
					}
					srv := httptest.NewServer(h)
					post := func(path string, body any) {
						raw, _ := json.Marshal(body)
						resp, err := srv.Client().Post(srv.URL+path, "application/scim+json", bytes.NewReader(raw))
						if err != nil {
							b.Fatal(err)
						}
						resp.Body.Close()
						if resp.StatusCode >= 300 {
							b.Fatalf("status %d", resp.StatusCode)
						}
					}
					var ops []map[string]any
					for i, u := range users {
						ops = append(ops, bop("POST", "/Users", fmt.Sprint(i), u))
					}
					bulkBody := bulk(0, ops...)
					b.StartTimer()
					if mode == "bulk" {
						post("/Bulk", bulkBody)
					} else {
						for _, u := range users {
							post("/Users", u)
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
