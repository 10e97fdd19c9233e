package scim_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/scimkit/scimkit/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

// vandalise changes every resource it is handed.
func vandalise(_ context.Context, e *scim.UserUpdated) error {
	e.Before.Attributes["title"] = "vandalised"
	e.After.Attributes["title"] = "vandalised"
	e.After.Attributes["name"].(map[string]any)["givenName"] = "vandalised"
	return nil
}

// The memory store shares its stored attributes with the handler's reads
// (store.ViewReader); whatever hooks do to what they are given must still
// never reach the store.
func TestHooksCannotChangeWhatIsStored(t *testing.T) {
	t.Parallel()
	c := newClient(t, scim.Config{Store: memory.New(), Hooks: &scim.Hooks{UserUpdated: vandalise}})
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

// A projection that names an attribute and then one of its
// sub-attributes must not write into what it read: with the memory
// store's views that would be the stored resource itself.
func TestProjectionsNeverChangeWhatIsStored(t *testing.T) {
	t.Parallel()
	const urn = "urn:example:params:scim:schemas:extension:roles:2.0:User"
	ext := schema.Schema{ID: urn, Name: "Roles", Attributes: []schema.Attribute{
		{Name: "roles", MultiValued: true},
	}}
	c := newClient(t, scim.Config{Store: memory.New(), UserExtensions: []schema.Schema{ext}})
	user := fullUser()
	user["schemas"] = []string{userURN, enterpriseURN, urn}
	user[urn] = map[string]any{"roles": []any{"admin", "billing"}}
	id := c.must(http.StatusCreated, "POST", "/Users", user).body["id"].(string)
	before := c.must(http.StatusOK, "GET", "/Users/"+id, nil).body

	for _, attrs := range []string{
		urn + "," + urn + ":roles.value",
		"name,name.givenName",
		"emails,emails.value",
		enterpriseURN + "," + enterpriseURN + ":manager.value",
	} {
		q := "?attributes=" + url.QueryEscape(attrs)
		c.must(http.StatusOK, "GET", "/Users/"+id+q, nil)
		c.must(http.StatusOK, "GET", "/Users"+q, nil)
		c.must(http.StatusOK, "GET", "/Users/"+id+"?excludedAttributes="+url.QueryEscape(attrs), nil)
	}
	assert.Equal(t, before, c.must(http.StatusOK, "GET", "/Users/"+id, nil).body)
}

// The same, concurrently: under -race a projection writing into a shared
// map, however harmlessly, is a data race with the readers encoding it.
func TestConcurrentProjectionsAndReads(t *testing.T) {
	t.Parallel()
	c := newClient(t, scim.Config{Store: memory.New()})
	id := c.must(http.StatusCreated, "POST", "/Users", fullUser()).body["id"].(string)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 25 {
				path := "/Users/" + id
				if i%2 == 0 {
					path += "?attributes=" + url.QueryEscape("name,name.givenName,emails,emails.value")
				}
				c.must(http.StatusOK, "GET", path, nil)
			}
		})
	}
	wg.Wait()
}

// redacting wraps a memory store and hides titles from every read. It
// embeds *memory.Store, so it inherits GetView and ListView: the handler
// must see that they are not its own and call its Get and List.
type redacting struct{ *memory.Store }

func (r redacting) Get(ctx context.Context, scope store.Scope, typ store.ResourceType, id string) (*store.Resource, error) {
	res, err := r.Store.Get(ctx, scope, typ, id)
	if err == nil {
		delete(res.Attributes, "title")
	}
	return res, err
}

func (r redacting) List(ctx context.Context, scope store.Scope, typ store.ResourceType, q store.Query) (*store.Page, error) {
	page, err := r.Store.List(ctx, scope, typ, q)
	if err == nil {
		for _, res := range page.Resources {
			delete(res.Attributes, "title")
		}
	}
	return page, err
}

func TestWrapperEmbeddingAViewReaderKeepsItsReads(t *testing.T) {
	t.Parallel()
	c := newClient(t, scim.Config{Store: redacting{memory.New()}})
	user := fullUser()
	user["title"] = "Secret Agent"
	id := c.must(http.StatusCreated, "POST", "/Users", user).body["id"].(string)
	assert.NotContains(t, c.must(http.StatusOK, "GET", "/Users/"+id, nil).body, "title")
	list := c.must(http.StatusOK, "GET", "/Users?filter="+url.QueryEscape(`userName pr`), nil).body
	require.Len(t, list["Resources"], 1)
	assert.NotContains(t, list["Resources"].([]any)[0], "title")
}
