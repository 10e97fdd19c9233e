package scim_test

import (
	"testing"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/scimtest"
)

// TestIdPScenarios replays every IdP's documented conversation (package
// scimtest) against the handler on every store: memory, SQLite and
// PostgreSQL. Entra ID's run with its IdP profile, the others with the
// RFC's.
func TestIdPScenarios(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		entra := sk.newClient(t, scim.Config{IdPProfile: directory.Entra.Profile()})
		scimtest.Run(t, entra.base, scimtest.Options{Client: entra.srv.Client()}, scimtest.Entra()...)
		c := sk.newClient(t, scim.Config{})
		var others []scimtest.Scenario
		for _, f := range []func() []scimtest.Scenario{scimtest.Okta, scimtest.Google, scimtest.OneLogin, scimtest.JumpCloud, scimtest.Keycloak, scimtest.Generic} {
			others = append(others, f()...)
		}
		scimtest.Run(t, c.base, scimtest.Options{Client: c.srv.Client()}, others...)
	})
}
