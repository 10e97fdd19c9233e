package memory_test

import (
	"context"
	"fmt"

	"github.com/scimkit/scimkit/schema"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

func Example() {
	ctx := context.Background()
	s := memory.New()
	acme := store.Scope{Tenant: "acme"}

	// Writes happen in a transaction: all of them or none.
	err := s.Update(ctx, acme, func(ctx context.Context, tx store.Tx) error {
		alice := &store.Resource{Type: store.User, ID: "2819c223", Attributes: map[string]any{
			"userName": "alice@example.com",
			"name":     map[string]any{"givenName": "Alice", "familyName": "Liddell"},
		}}
		if err := tx.Create(ctx, alice); err != nil {
			return err
		}
		return tx.Create(ctx, &store.Resource{Type: store.Group, ID: "e9e30dba",
			Attributes: map[string]any{"displayName": "Wonderland"},
			Members:    []store.Member{{Value: alice.ID, Type: store.User}},
		})
	})
	if err != nil {
		panic(err)
	}

	f, err := filter.Parse(`userName eq "ALICE@example.com"`, filter.WithSchemas(schema.User()))
	if err != nil {
		panic(err)
	}
	page, err := s.List(ctx, acme, store.User, store.Query{Filter: f, Count: 10})
	if err != nil {
		panic(err)
	}
	u := page.Resources[0]
	fmt.Println(page.Total, u.ID, u.UserName(), u.ETag(), u.Groups[0].Display)

	// Other tenants see nothing.
	_, err = s.Get(ctx, store.Scope{Tenant: "globex"}, store.User, u.ID)
	fmt.Println(err)
	// Output:
	// 1 2819c223 alice@example.com W/"2" Wonderland
	// store: resource not found: User "2819c223"
}
