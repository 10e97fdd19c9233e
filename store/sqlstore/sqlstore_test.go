package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
	"github.com/scimkit/scimkit/store/storetest"
)

func TestContractSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return sqlstoretest.SQLite(t) })
}

func TestContractSQLiteInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlstore.OpenSQLite(context.Background(), ":memory:")
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestContractPostgreSQL(t *testing.T) {
	sqlstoretest.PostgresDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := sqlstoretest.Postgres(t)
		return s
	})
}
