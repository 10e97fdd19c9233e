package scim_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

// vandalHooks changes every resource it is handed.
type vandalHooks struct{ scim.NopHooks }

func (vandalHooks) UserUpdated(_ context.Context, e *scim.UserUpdated) error {
	e.Before.Attributes["title"] = "vandalised"
	e.After.Attributes["title"] = "vandalised"
	e.After.Attributes["name"].(map[string]any)["givenName"] = "vandalised"
	return nil
}

// The memory store shares its stored attributes with the handler's reads
// (store.ViewReader); whatever hooks do to what they are given must still
// never reach the store.
func TestHooksCannotChangeWhatIsStored(t *testing.T) {
	c := newClient(t, scim.Config{Store: memory.New(), Hooks: vandalHooks{}})
	id := c.must(http.StatusCreated, "POST", "/Users", fullUser()).body["id"].(string)
	c.must(http.StatusOK, "PATCH", "/Users/"+id, map[string]any{"schemas": []string{patchURN},
		"Operations": []any{map[string]any{"op": "replace", "path": "title", "value": "CTO"}}})

	for _, path := range []string{"/Users/" + id, "/Users?filter=id+eq+%22" + id + "%22"} {
		body := c.must(http.StatusOK, "GET", path, nil).body
		if res, ok := body["Resources"].([]any); ok {
			require.Len(t, res, 1, path)
			body = res[0].(map[string]any)
		}
		assert.Equal(t, "CTO", body["title"], path)
		assert.NotEqual(t, "vandalised", at(body, "name", "givenName"), path)
	}
}
