package events_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/store"
)

func TestEncode(t *testing.T) {
	t.Parallel()
	before := user(map[string]any{"userName": "ann", "active": true, "_internal": 1})
	after := user(map[string]any{"userName": "ann", "active": false, "title": "CTO", "_internal": 2})
	g := group("eng", store.Member{Value: "u1", Type: store.User, Display: "ann"})
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	meta := events.Meta{Scope: store.Scope{Tenant: "acme", Directory: "okta"}, Time: at, Actor: "cred1", RequestID: "req1"}
	evs := append(events.Derive(events.Write{Type: store.User, Op: events.Update, Before: before, After: after}),
		events.Derive(events.Write{Type: store.Group, Op: events.Create, After: g, Added: g.Members})...)
	recs, err := events.Encode(meta, evs)
	require.NoError(t, err)
	require.Len(t, recs, 4)

	tests := []struct {
		kind events.Kind
		data string
	}{
		{events.KindUserUpdated, `{"changed":[{"after":false,"attribute":"active","before":true},{"after":"CTO","attribute":"title","before":null}],"user":{"active":false,"groups":[],"id":"u1","title":"CTO","userName":"ann"}}`},
		{events.KindUserDeactivated, `{"user":{"active":false,"groups":[],"id":"u1","title":"CTO","userName":"ann"}}`},
		{events.KindGroupCreated, `{"group":{"displayName":"eng","id":"g-eng"}}`},
		{events.KindMembersAdded, `{"group":{"displayName":"eng","id":"g-eng"},"members":[{"display":"ann","type":"User","value":"u1"}]}`},
	}
	ids := map[string]bool{}
	for i, tt := range tests {
		r := recs[i]
		assert.Equal(t, tt.kind, r.Kind)
		assert.JSONEq(t, tt.data, withoutMeta(t, r.Data), "%s", tt.kind)
		assert.Equal(t, "acme", r.Tenant)
		assert.Equal(t, "okta", r.Directory)
		assert.Equal(t, at, r.Time)
		assert.Equal(t, "cred1", r.Actor)
		assert.Equal(t, "req1", r.RequestID)
		assert.Zero(t, r.Seq, "the outbox numbers records")
		assert.Len(t, r.ID, 36)
		ids[r.ID] = true
	}
	assert.Len(t, ids, 4, "every record has its own id")
	assert.Equal(t, store.User, recs[0].ResourceType)
	assert.Equal(t, "g-eng", recs[3].ResourceID)

	// The wire form names the kind "type".
	b, err := json.Marshal(recs[0])
	require.NoError(t, err)
	assert.Contains(t, string(b), `"type":"user.updated"`)
}

func TestDirectoryEvent(t *testing.T) {
	t.Parallel()
	d := func(s directory.State) *directory.Directory {
		return &directory.Directory{Tenant: "acme", ID: "okta", Name: "Okta", Kind: directory.Okta, State: s}
	}
	tests := []struct {
		name          string
		before, after *directory.Directory
		want          events.Kind
	}{
		{"created", nil, d(directory.Active), events.KindDirectoryCreated},
		{"paused", d(directory.Active), d(directory.Paused), events.KindDirectoryPaused},
		{"resumed", d(directory.Paused), d(directory.Active), events.KindDirectoryResumed},
		{"disconnected", d(directory.Active), d(directory.Disconnected), events.KindDirectoryDisconnected},
		{"settings only", d(directory.Active), d(directory.Active), ""},
		{"deleted", d(directory.Active), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := events.DirectoryEvent(tt.before, tt.after)
			if tt.want == "" {
				assert.Nil(t, ev)
				return
			}
			require.NotNil(t, ev)
			assert.Equal(t, tt.want, ev.Kind())
			recs, err := events.Encode(events.Meta{Scope: tt.after.Scope()}, []events.Event{ev})
			require.NoError(t, err)
			assert.JSONEq(t, `{"directory":{"id":"okta","name":"Okta","kind":"okta","state":"`+string(tt.after.State)+`"}}`, string(recs[0].Data))
		})
	}
}

// withoutMeta returns data with the meta of its user or group document
// removed, after checking it names the resource type.
func withoutMeta(t *testing.T, data json.RawMessage) string {
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	for key, typ := range map[string]string{"user": "User", "group": "Group"} {
		if doc, _ := m[key].(map[string]any); doc != nil && doc["meta"] != nil {
			assert.Equal(t, typ, doc["meta"].(map[string]any)["resourceType"])
			delete(doc, "meta")
		}
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}
