package sqlite_test

import (
	"context"
	"fmt"

	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
)

// Open a store on an SQLite database (a file path in production) and write
// a user in one transaction.
func ExampleOpen() {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	err = s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		return tx.Create(ctx, &store.Resource{Type: store.User, ID: "u1", Attributes: map[string]any{"userName": "bjensen"}})
	})
	if err != nil {
		panic(err)
	}
	u, err := s.Get(ctx, store.Scope{}, store.User, "u1")
	if err != nil {
		panic(err)
	}
	fmt.Println(u.UserName(), u.Version)
	// Output: bjensen 1
}
