package memory_test

import (
	"testing"

	"github.com/scimkit/scimkit/events/eventstest"
	"github.com/scimkit/scimkit/store/memory"
)

func TestEvents(t *testing.T) {
	t.Parallel()
	eventstest.Run(t, func(*testing.T) eventstest.Subject {
		s := memory.New()
		return eventstest.Subject{Store: s, Outbox: s.Events(), Deliveries: s.Deliveries(), Directories: s.Directories()}
	})
}
