package events

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scimkit/scimkit/internal/jsonenc"
	"github.com/scimkit/scimkit/store"
)

// Record is one event as the outbox keeps it, the feed lists it and
// subscribers receive it: the event's kind and data with where, when, why
// and by whom it happened. Its JSON form (the struct tags) is what
// webhooks and brokers carry.
type Record struct {
	// ID is the event's unique id, the same in every delivery of it: the
	// idempotency key a receiver deduplicates on.
	ID string `json:"id"`
	// Position is the event's place in the outbox's commit order, the
	// feed's cursor (Query.After). It is 0 until the outbox has ordered
	// the event, which it does before the feed lists it.
	Position int64 `json:"position"`
	// Tenant and Directory are the scope the event happened in.
	Tenant    string `json:"tenant"`
	Directory string `json:"directory"`
	// Seq is the event's number in its scope, 1, 2, 3, ... in commit
	// order with no gaps: the scope's identity revision. An app that
	// records the Seq of the last event it applied knows which state of
	// the directory a decision ran against.
	Seq  int64     `json:"seq"`
	Kind Kind      `json:"type"`
	Time time.Time `json:"time"`
	// Actor is the credential id of the request's principal, "" for the
	// library's own writes (expiry, disconnect).
	Actor string `json:"actor,omitempty"`
	// RequestID identifies the SCIM request that made the change (every
	// event of one request shares it).
	RequestID string `json:"requestId,omitempty"`
	// Cause says why the change happened: "" for a SCIM client's request,
	// or the library's reason ("expiry", "disconnect", ...).
	Cause        string             `json:"cause,omitempty"`
	ResourceType store.ResourceType `json:"resourceType,omitempty"`
	ResourceID   string             `json:"resourceId,omitempty"`
	// Data is the event's JSON object, by kind:
	//
	//   - user.*: {"user": document}, and for user.updated also
	//     "changed": [{"attribute", "before", "after"}, ...];
	//   - group.created, group.deleted, group.released: {"group":
	//     document without members};
	//   - group.renamed: {"group", "oldName", "newName"};
	//   - group.members_added, group.members_removed: {"group": {"id",
	//     "displayName"}, "members": [{"value", "type", "display"}, ...]};
	//   - directory.*: {"directory": {"id", "name", "kind", "state"}}.
	Data json.RawMessage `json:"data"`
}

// Scope returns the record's store scope.
func (r *Record) Scope() store.Scope { return store.Scope{Tenant: r.Tenant, Directory: r.Directory} }

// Meta is what Encode stamps on every record of one write.
type Meta struct {
	Scope     store.Scope
	Time      time.Time
	Actor     string
	RequestID string
	Cause     string
}

// Encode turns a write's events into outbox records, in order, with new
// ids and without Seq or Position (the outbox assigns both). Documents
// are rendered with Resource.DocumentView; group documents leave the
// member list out (members travel in members_added and members_removed).
func Encode(meta Meta, evs []Event) ([]Record, error) {
	out := make([]Record, 0, len(evs))
	for _, ev := range evs {
		typ, id, data := payload(ev)
		b, err := jsonenc.Marshal(data)
		if err != nil {
			return nil, fmt.Errorf("events: encoding %s: %w", ev.Kind(), err)
		}
		out = append(out, Record{ID: NewID(), Tenant: meta.Scope.Tenant, Directory: meta.Scope.Directory,
			Kind: ev.Kind(), Time: meta.Time, Actor: meta.Actor, RequestID: meta.RequestID, Cause: meta.Cause,
			ResourceType: typ, ResourceID: id, Data: b})
	}
	return out, nil
}

// payload returns the resource an event is about and its data object.
func payload(ev Event) (store.ResourceType, string, map[string]any) {
	switch e := ev.(type) {
	case *UserProvisioned:
		return store.User, e.User.ID, map[string]any{"user": doc(e.User)}
	case *UserUpdated:
		changed := make([]any, len(e.Changed))
		for i, c := range e.Changed {
			changed[i] = map[string]any{"attribute": c.Attribute, "before": c.Before, "after": c.After}
		}
		return store.User, e.After.ID, map[string]any{"user": doc(e.After), "changed": changed}
	case *UserDeactivated:
		return store.User, e.User.ID, map[string]any{"user": doc(e.User)}
	case *UserReactivated:
		return store.User, e.User.ID, map[string]any{"user": doc(e.User)}
	case *UserDeleted:
		return store.User, e.User.ID, map[string]any{"user": doc(e.User)}
	case *UserReleased:
		return store.User, e.User.ID, map[string]any{"user": doc(e.User)}
	case *GroupCreated:
		return store.Group, e.Group.ID, map[string]any{"group": doc(e.Group)}
	case *GroupDeleted:
		return store.Group, e.Group.ID, map[string]any{"group": doc(e.Group)}
	case *GroupReleased:
		return store.Group, e.Group.ID, map[string]any{"group": doc(e.Group)}
	case *GroupRenamed:
		return store.Group, e.Group.ID, map[string]any{"group": doc(e.Group), "oldName": e.OldName, "newName": e.NewName}
	case *MembersAdded:
		return store.Group, e.Group.ID, map[string]any{"group": groupRef(e.Group), "members": members(e.Members)}
	case *MembersRemoved:
		return store.Group, e.Group.ID, map[string]any{"group": groupRef(e.Group), "members": members(e.Members)}
	case *DirectoryChanged:
		return "", "", map[string]any{"directory": map[string]any{"id": e.ID, "name": e.Name, "kind": e.DirKind, "state": e.State}}
	}
	return "", "", map[string]any{}
}

// doc is r's document without the library's bookkeeping keys and without
// members.
func doc(r *store.Resource) map[string]any {
	d := r.DocumentView()
	for k := range d {
		if len(k) > 0 && k[0] == '_' {
			delete(d, k)
		}
	}
	delete(d, "members")
	return d
}

func groupRef(g *store.Resource) map[string]any {
	return map[string]any{"id": g.ID, "displayName": g.DisplayName()}
}

func members(ms []store.Member) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		o := map[string]any{"value": m.Value, "type": string(m.Type)}
		if m.Display != "" {
			o["display"] = m.Display
		}
		out[i] = o
	}
	return out
}

// NewID returns a new random event id (a version 4 UUID).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
