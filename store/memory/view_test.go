package memory_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
)

// Views hold what copies hold, and stay the resource as it was read: the
// store never changes a handed-out attribute map in place.
func TestViewsMatchCopiesAndAreSnapshots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memory.New()
	u := &store.Resource{Type: store.User, ID: "u1", Attributes: map[string]any{
		"userName": "alice", "name": map[string]any{"givenName": "Alice"}, "emails": []any{map[string]any{"value": "a@example.com"}}}}
	createAll(t, s, u)
	createAll(t, s, &store.Resource{Type: store.Group, ID: "g1", Attributes: map[string]any{"displayName": "G"},
		Members: []store.Member{{Value: "u1", Type: store.User}}})

	got, err := s.Get(ctx, store.Scope{}, store.User, "u1")
	require.NoError(t, err)
	view, err := s.GetView(ctx, store.Scope{}, store.User, "u1")
	require.NoError(t, err)
	assert.Equal(t, got, view)

	f, err := filter.Parse(`userName eq "alice"`)
	require.NoError(t, err)
	q := store.Query{Filter: f, Count: 10}
	page, err := s.List(ctx, store.Scope{}, store.User, q)
	require.NoError(t, err)
	pageView, err := s.ListView(ctx, store.Scope{}, store.User, q)
	require.NoError(t, err)
	assert.Equal(t, page, pageView)

	var txView *store.Resource
	require.NoError(t, s.Update(ctx, store.Scope{}, func(ctx context.Context, tx store.Tx) error {
		txView, err = tx.(store.TxViewReader).GetView(ctx, store.User, "u1")
		if err != nil {
			return err
		}
		// Replace the user in the same transaction: the view taken
		// before is not changed by it.
		next := got.Clone()
		next.Attributes["name"].(map[string]any)["givenName"] = "Alicia"
		next.Attributes["title"] = "CEO"
		return tx.Replace(ctx, next)
	}))
	assert.Equal(t, got.Attributes, txView.Attributes, "a view taken in a transaction")
	assert.Equal(t, "Alice", view.Attributes["name"].(map[string]any)["givenName"], "a view taken before the write")
	assert.NotContains(t, view.Attributes, "title")
	assert.Equal(t, "Alice", pageView.Resources[0].Attributes["name"].(map[string]any)["givenName"])

	after, err := s.GetView(ctx, store.Scope{}, store.User, "u1")
	require.NoError(t, err)
	assert.Equal(t, "Alicia", after.Attributes["name"].(map[string]any)["givenName"])
	assert.Equal(t, "CEO", after.Attributes["title"])

	// A copy stays the caller's: changing it changes nothing stored.
	got.Attributes["userName"] = "mallory"
	again, err := s.GetView(ctx, store.Scope{}, store.User, "u1")
	require.NoError(t, err)
	assert.Equal(t, "alice", again.Attributes["userName"])
}

// wrapped embeds the memory store, as a redacting or scoping wrapper would.
type wrapped struct{ *memory.Store }

// TestViewsOnlyForTheStoreItself: ViewsFor hands out the views to the
// memory store itself, never to a wrapper that embeds it (and so inherits
// ViewsFor), whose own reads would be bypassed.
func TestViewsOnlyForTheStoreItself(t *testing.T) {
	t.Parallel()
	s := memory.New()
	assert.NotNil(t, s.ViewsFor(s))
	assert.Nil(t, s.ViewsFor(wrapped{s}))
	var viaWrapper store.Viewer = wrapped{s}
	assert.Nil(t, viaWrapper.ViewsFor(wrapped{s}))
	assert.Nil(t, s.ViewsFor(memory.New()), "another memory store")
}
