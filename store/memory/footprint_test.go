package memory_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

// BenchmarkMemoryPerUser reports the heap one typical user costs (issue #9
// target: at most 2 KiB), as the metric bytes/user: a user as Okta or Entra
// creates it (userName, name, displayName, active, one e-mail, externalId),
// indexes included.
func BenchmarkMemoryPerUser(b *testing.B) {
	const n = 100000
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := memory.New()
		ctx := context.Background()
		err := s.Update(ctx, store.Scope{Tenant: "t"}, func(ctx context.Context, tx store.Tx) error {
			for i := range n {
				err := tx.Create(ctx, &store.Resource{Type: store.User, ID: fmt.Sprintf("%08x-7f76-453a-919d-413861904646", i), Attributes: map[string]any{
					"userName":    fmt.Sprintf("user%06d@example.com", i),
					"externalId":  fmt.Sprintf("00u%06d", i),
					"displayName": fmt.Sprintf("User %d", i),
					"active":      true,
					"name":        map[string]any{"givenName": "User", "familyName": fmt.Sprint(i)},
					"emails":      []any{map[string]any{"value": fmt.Sprintf("user%06d@example.com", i), "type": "work", "primary": true}},
				}})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/user")
		runtime.KeepAlive(s)
	}
}
