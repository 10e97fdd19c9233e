package scim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore"
)

// outboxOf returns the outbox of a store the suite opened.
func outboxOf(t *testing.T, s store.Store) events.Outbox {
	t.Helper()
	switch s := s.(type) {
	case *memory.Store:
		return s.Events()
	case *sqlstore.Store:
		return s.Events()
	}
	t.Fatalf("no outbox for %T", s)
	return nil
}

// feed reads the whole feed of ob after the cursor.
func feed(t *testing.T, ob events.Outbox, after int64) []events.Record {
	t.Helper()
	var out []events.Record
	for {
		page, err := ob.Events(context.Background(), events.Query{After: after})
		require.NoError(t, err)
		if len(page.Records) == 0 {
			return out
		}
		out = append(out, page.Records...)
		after = page.Next
	}
}

func TestEventsRecordEveryCommittedChange(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		st := sk.open(t)
		ob := outboxOf(t, st)
		c := sk.newClient(t, scim.Config{Store: st, Events: ob})

		var requestIDs []string
		send := func(status int, method, path string, body any) map[string]any {
			r := c.must(status, method, path, body, scim.RequestIDHeader, "")
			requestIDs = append(requestIDs, r.header.Get(scim.RequestIDHeader))
			return r.body
		}
		ann := send(http.StatusCreated, "POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "ann", "title": "Eng"})["id"].(string)
		bob := send(http.StatusCreated, "POST", "/Users", map[string]any{"schemas": []string{userURN}, "userName": "bob"})["id"].(string)
		send(http.StatusOK, "PATCH", "/Users/"+ann, patchBody(op("replace", "title", "CTO"), op("replace", "active", false)))
		g := send(http.StatusCreated, "POST", "/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "eng",
			"members": []any{map[string]any{"value": ann}}})["id"].(string)
		send(http.StatusNoContent, "PATCH", "/Groups/"+g, patchBody(op("replace", "displayName", "engineering"),
			op("add", "members", []any{map[string]any{"value": bob}})))
		send(http.StatusOK, "PATCH", "/Users/"+ann, patchBody(op("replace", "title", "CTO"))) // changes nothing
		send(http.StatusNoContent, "DELETE", "/Users/"+bob, nil)

		got := feed(t, ob, 0)
		type line struct {
			kind     events.Kind
			id       string
			request  int
			resource string
		}
		want := []line{
			{events.KindUserProvisioned, ann, 0, ann},
			{events.KindUserProvisioned, bob, 1, bob},
			{events.KindUserUpdated, ann, 2, ann},
			{events.KindUserDeactivated, ann, 2, ann},
			{events.KindGroupCreated, g, 3, g},
			{events.KindMembersAdded, g, 3, g},
			{events.KindGroupRenamed, g, 4, g},
			{events.KindMembersAdded, g, 4, g},
			{events.KindUserDeleted, bob, 6, bob},
		}
		require.Len(t, got, len(want), "a write that changed nothing records nothing")
		for i, w := range want {
			r := got[i]
			assert.Equal(t, w.kind, r.Kind, "event %d", i)
			assert.Equal(t, int64(i+1), r.Seq, "the scope's events are numbered in order")
			assert.Equal(t, requestIDs[w.request], r.RequestID, "event %d names its request", i)
			assert.Equal(t, w.resource, r.ResourceID)
			assert.False(t, r.Time.IsZero())
		}
		for _, id := range requestIDs {
			assert.Len(t, id, 24, "the handler makes a request id when the client sends none")
		}

		var updated struct {
			User    map[string]any `json:"user"`
			Changed []struct {
				Attribute     string
				Before, After any
			} `json:"changed"`
		}
		require.NoError(t, json.Unmarshal(got[2].Data, &updated))
		assert.Equal(t, "ann", updated.User["userName"])
		require.Len(t, updated.Changed, 2)
		assert.Equal(t, "active", updated.Changed[0].Attribute)
		assert.Equal(t, "title", updated.Changed[1].Attribute)
		assert.Equal(t, "CTO", updated.Changed[1].After)
		var added struct {
			Group   map[string]any   `json:"group"`
			Members []map[string]any `json:"members"`
		}
		require.NoError(t, json.Unmarshal(got[7].Data, &added))
		assert.Equal(t, "engineering", added.Group["displayName"])
		assert.Equal(t, []map[string]any{{"value": bob, "type": "User", "display": "bob"}}, added.Members)
	})
}

func TestEventsOfBulkShareTheRequestID(t *testing.T) {
	t.Parallel()
	everyStore(t, func(t *testing.T, sk storeKind) {
		st := sk.open(t)
		ob := outboxOf(t, st)
		c := sk.newClient(t, scim.Config{Store: st, Events: ob})
		r := c.must(http.StatusOK, "POST", "/Bulk", bulk(0,
			bop("POST", "/Users", "u1", map[string]any{"schemas": []string{userURN}, "userName": "ann"}),
			bop("POST", "/Groups", "g1", map[string]any{"schemas": []string{groupURN}, "displayName": "eng",
				"members": []any{map[string]any{"value": "bulkId:u1"}}}),
		), scim.RequestIDHeader, "ticket-4711")
		assert.Equal(t, "ticket-4711", r.header.Get(scim.RequestIDHeader), "a sane request id is kept")
		got := feed(t, ob, 0)
		require.Len(t, got, 3)
		for _, e := range got {
			assert.Equal(t, "ticket-4711", e.RequestID)
		}
		assert.Equal(t, []events.Kind{events.KindUserProvisioned, events.KindGroupCreated, events.KindMembersAdded},
			[]events.Kind{got[0].Kind, got[1].Kind, got[2].Kind})

		r = c.must(http.StatusOK, "GET", "/Users", nil, scim.RequestIDHeader, "bad id with spaces")
		assert.Len(t, r.header.Get(scim.RequestIDHeader), 24, "an insane request id is replaced")
	})
}
