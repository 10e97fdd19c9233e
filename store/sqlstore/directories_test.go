package sqlstore_test

import (
	"testing"

	"github.com/scimkit/scimkit/directory/directorytest"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

func TestDirectoriesSQLite(t *testing.T) {
	t.Parallel()
	directorytest.Run(t, func(t *testing.T) directorytest.Store { return sqlstoretest.SQLite(t).Directories() })
}

func TestDirectoriesPostgreSQL(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresDSN(t) // skips without SCIMKIT_POSTGRES_DSN
	directorytest.Run(t, func(t *testing.T) directorytest.Store {
		s, _ := pgSchemas.Postgres(t)
		return s.Directories()
	})
}
