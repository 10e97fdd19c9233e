package sqlstore_test

import (
	"testing"

	"github.com/scimkit/scimkit/events/eventstest"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

func subject(s *sqlstore.Store) eventstest.Subject {
	return eventstest.Subject{Store: s, Outbox: s.Events(), Deliveries: s.Deliveries(), Directories: s.Directories()}
}

func TestEventsSQLite(t *testing.T) {
	t.Parallel()
	eventstest.Run(t, func(t *testing.T) eventstest.Subject { return subject(sqlstoretest.SQLite(t)) })
}

func TestEventsPostgreSQL(t *testing.T) {
	t.Parallel()
	sqlstoretest.PostgresDSN(t) // skips without SCIMKIT_POSTGRES_DSN
	eventstest.Run(t, func(t *testing.T) eventstest.Subject {
		s, _ := pgSchemas.Postgres(t)
		return subject(s)
	})
}
