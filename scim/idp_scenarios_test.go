package scim_test

import (
	"testing"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/scimtest"
)

// TestIdPScenarios replays every IdP's documented conversation (package
// scimtest) against the handler on the store SCIMKIT_TEST_STORE selects, so
// CI runs them on memory, SQLite and PostgreSQL.
func TestIdPScenarios(t *testing.T) {
	c := newClient(t, scim.Config{})
	scimtest.Run(t, c.base, scimtest.Options{Client: c.srv.Client()}, scimtest.All()...)
}
