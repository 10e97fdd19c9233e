package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore"
	"github.com/scimkit/scimkit/store/sqlstore/sqlstoretest"
)

var (
	_ store.TxAuditSink = (*sqlstore.AuditSink)(nil)
	_ store.AuditReader = (*sqlstore.AuditSink)(nil)
)

// auditDialects runs fn on a fresh store of each dialect (PostgreSQL is
// skipped without SCIMKIT_POSTGRES_DSN).
func auditDialects(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, sqlstoretest.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); s, _ := pgSchemas.Postgres(t); fn(t, s) })
}

var auditScope = store.Scope{Tenant: "acme", Directory: "okta"}

// assertJSONEq compares two documents as JSON values (jsonb normalises
// whitespace and key order), and nil with nil.
func assertJSONEq(t *testing.T, want, got json.RawMessage, msg string) {
	t.Helper()
	if want == nil {
		assert.Nil(t, got, msg)
		return
	}
	require.NotNil(t, got, msg)
	assert.JSONEq(t, string(want), string(got), msg)
}

func auditRecords(t *testing.T, sink *sqlstore.AuditSink, scope store.Scope, q store.AuditQuery) []store.AuditRecord {
	t.Helper()
	recs, err := sink.AuditRecords(context.Background(), scope, q)
	require.NoError(t, err)
	return recs
}

func operations(recs []store.AuditRecord) []string {
	ops := make([]string, len(recs))
	for i, r := range recs {
		ops[i] = r.Operation
	}
	return ops
}

func TestAuditRoundTrip(t *testing.T) {
	t.Parallel()
	auditDialects(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		v, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, v, 2, "the audit table is migration 2")
		require.NoError(t, s.Migrate(ctx), "migrating again is a no-op")
		sink := s.AuditSink()
		at := time.UnixMilli(time.Now().UnixMilli()).UTC()
		recs := []store.AuditRecord{
			{
				Time: at, Scope: auditScope, Actor: "tok-1", Operation: "replace",
				ResourceType: store.User, ResourceID: "u1",
				Before: json.RawMessage(`{"userName": "ann", "name": {"givenName": "Ann"}, "emails": [{"value": "a@x"}]}`),
				After:  json.RawMessage(`{"userName":"ann","active":false,"n":1.5,"s":"ü \"q\""}`),
				Status: 200,
			},
			{
				Time: at.Add(time.Millisecond), Scope: auditScope, Actor: "tok-2", Operation: "create",
				ResourceType: store.Group, Status: 409, Error: `userName "ann" already exists`,
			},
			{
				Time: at.Add(2 * time.Millisecond), Scope: auditScope, Actor: "tok-2", Operation: "patch",
				ResourceType: store.Group, ResourceID: "g1", Status: 204,
				Before: json.RawMessage(`{"displayName":"G"}`), After: json.RawMessage(`{"displayName":"G"}`),
				MembersAdded: []string{"u2", "u3"}, MembersRemoved: []string{"u1"},
			},
		}
		for _, r := range recs {
			require.NoError(t, sink.Record(ctx, r))
		}
		got := auditRecords(t, sink, auditScope, store.AuditQuery{})
		require.Len(t, got, 3)
		for i, want := range []store.AuditRecord{recs[2], recs[1], recs[0]} {
			g := got[i]
			assert.True(t, want.Time.Equal(g.Time), "time %v, want %v", g.Time, want.Time)
			assert.Equal(t, want.Scope, g.Scope)
			assert.Equal(t, want.Actor, g.Actor)
			assert.Equal(t, want.Operation, g.Operation)
			assert.Equal(t, want.ResourceType, g.ResourceType)
			assert.Equal(t, want.ResourceID, g.ResourceID)
			assertJSONEq(t, want.Before, g.Before, "before")
			assertJSONEq(t, want.After, g.After, "after")
			assert.Equal(t, want.Status, g.Status)
			assert.Equal(t, want.Error, g.Error)
			assert.Equal(t, want.MembersAdded, g.MembersAdded)
			assert.Equal(t, want.MembersRemoved, g.MembersRemoved)
		}
		if s.Dialect() == sqlstore.SQLite {
			assert.Equal(t, string(recs[0].Before), string(got[2].Before), "SQLite keeps the document's text as is")
		}

		err = sink.Record(ctx, store.AuditRecord{Scope: auditScope, Operation: "create", After: json.RawMessage(`{"a":`)})
		assert.Error(t, err, "a document that is not JSON is refused")
	})
}

func TestAuditOrderLimitAndFilter(t *testing.T) {
	t.Parallel()
	auditDialects(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		sink := s.AuditSink()
		at := time.Now()
		for i := range 6 {
			// All at the same millisecond: order comes from insertion.
			require.NoError(t, sink.Record(ctx, store.AuditRecord{Time: at, Scope: auditScope, Operation: fmt.Sprintf("op%d", i),
				ResourceType: store.User, ResourceID: fmt.Sprintf("u%d", i%2), Status: 200}))
		}
		assert.Equal(t, []string{"op5", "op4", "op3", "op2", "op1", "op0"}, operations(auditRecords(t, sink, auditScope, store.AuditQuery{})))
		assert.Equal(t, []string{"op5", "op4"}, operations(auditRecords(t, sink, auditScope, store.AuditQuery{Limit: 2})))
		assert.Len(t, auditRecords(t, sink, auditScope, store.AuditQuery{Limit: -1}), 6, "a negative limit means the default")
		assert.Len(t, auditRecords(t, sink, auditScope, store.AuditQuery{Limit: 1 << 40}), 6, "a huge limit is capped")

		got := auditRecords(t, sink, auditScope, store.AuditQuery{ResourceID: "u1"})
		assert.Equal(t, []string{"op5", "op3", "op1"}, operations(got))
		for _, r := range got {
			assert.Equal(t, "u1", r.ResourceID)
		}
		assert.Equal(t, []string{"op4"}, operations(auditRecords(t, sink, auditScope, store.AuditQuery{ResourceID: "u0", Limit: 1})))
		assert.Empty(t, auditRecords(t, sink, auditScope, store.AuditQuery{ResourceID: "nobody"}))
	})
}

func TestAuditDefaultLimit(t *testing.T) {
	t.Parallel()
	s := sqlstoretest.SQLite(t)
	ctx := context.Background()
	sink := s.AuditSink()
	for i := range 120 {
		require.NoError(t, sink.Record(ctx, store.AuditRecord{Scope: auditScope, Operation: fmt.Sprintf("op%d", i)}))
	}
	got := auditRecords(t, sink, auditScope, store.AuditQuery{})
	require.Len(t, got, 100)
	assert.Equal(t, "op119", got[0].Operation)
	assert.Equal(t, "op20", got[99].Operation)
	assert.Len(t, auditRecords(t, sink, auditScope, store.AuditQuery{Limit: 110}), 110)
}

func TestAuditScopeIsolation(t *testing.T) {
	t.Parallel()
	auditDialects(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		sink := s.AuditSink()
		a := store.Scope{Tenant: "a", Directory: "d"}
		require.NoError(t, sink.Record(ctx, store.AuditRecord{Scope: a, Operation: "create", ResourceType: store.User, ResourceID: "u1", Status: 201}))
		require.NoError(t, sink.Record(ctx, store.AuditRecord{Scope: a, Operation: "delete", ResourceType: store.User, ResourceID: "u1", Status: 204}))

		assert.Len(t, auditRecords(t, sink, a, store.AuditQuery{}), 2)
		for _, other := range []store.Scope{{Tenant: "b", Directory: "d"}, {Tenant: "a"}, {Tenant: "a", Directory: "e"}, {}} {
			assert.Empty(t, auditRecords(t, sink, other, store.AuditQuery{}), "scope %v", other)
			assert.Empty(t, auditRecords(t, sink, other, store.AuditQuery{ResourceID: "u1"}), "scope %v", other)
		}
		for _, r := range auditRecords(t, sink, a, store.AuditQuery{}) {
			assert.Equal(t, a, r.Scope)
		}
	})
}

func newAuditUser(id, userName string) *store.Resource {
	return &store.Resource{Type: store.User, ID: id, Attributes: map[string]any{"userName": userName}}
}

func TestAuditRecordTxCommitsWithTheChange(t *testing.T) {
	t.Parallel()
	auditDialects(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		sink := s.AuditSink()
		rec := store.AuditRecord{Time: time.Now(), Scope: auditScope, Actor: "tok", Operation: "create",
			ResourceType: store.User, ResourceID: "u1", After: json.RawMessage(`{"userName":"ann"}`), Status: 201}

		boom := errors.New("boom")
		err := s.Update(ctx, auditScope, func(ctx context.Context, tx store.Tx) error {
			if err := tx.Create(ctx, newAuditUser("u1", "ann")); err != nil {
				return err
			}
			if err := sink.RecordTx(ctx, tx, rec); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		assert.Empty(t, auditRecords(t, sink, auditScope, store.AuditQuery{}), "the record rolls back with the change")
		_, err = s.Get(ctx, auditScope, store.User, "u1")
		require.ErrorIs(t, err, store.ErrNotFound)

		err = s.Update(ctx, auditScope, func(ctx context.Context, tx store.Tx) error {
			if err := tx.Create(ctx, newAuditUser("u1", "ann")); err != nil {
				return err
			}
			return sink.RecordTx(ctx, tx, rec)
		})
		require.NoError(t, err)
		got := auditRecords(t, sink, auditScope, store.AuditQuery{})
		require.Len(t, got, 1)
		assert.Equal(t, "u1", got[0].ResourceID)
		assert.Equal(t, 201, got[0].Status)
	})
}

func TestAuditRecordsOutliveTheirResource(t *testing.T) {
	t.Parallel()
	auditDialects(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		sink := s.AuditSink()
		require.NoError(t, s.Update(ctx, auditScope, func(ctx context.Context, tx store.Tx) error {
			if err := tx.Create(ctx, newAuditUser("u1", "ann")); err != nil {
				return err
			}
			return sink.RecordTx(ctx, tx, store.AuditRecord{Scope: auditScope, Operation: "create",
				ResourceType: store.User, ResourceID: "u1", After: json.RawMessage(`{"userName":"ann"}`), Status: 201})
		}))
		require.NoError(t, s.Update(ctx, auditScope, func(ctx context.Context, tx store.Tx) error {
			if err := tx.Delete(ctx, store.User, "u1"); err != nil {
				return err
			}
			return sink.RecordTx(ctx, tx, store.AuditRecord{Scope: auditScope, Operation: "delete",
				ResourceType: store.User, ResourceID: "u1", Before: json.RawMessage(`{"userName":"ann"}`), Status: 204})
		}))
		_, err := s.Get(ctx, auditScope, store.User, "u1")
		require.ErrorIs(t, err, store.ErrNotFound)
		got := auditRecords(t, sink, auditScope, store.AuditQuery{ResourceID: "u1"})
		assert.Equal(t, []string{"delete", "create"}, operations(got))

		// A new user reusing the id does not disturb the old records.
		require.NoError(t, s.Update(ctx, auditScope, func(ctx context.Context, tx store.Tx) error {
			return tx.Create(ctx, newAuditUser("u1", "bob"))
		}))
		require.NoError(t, s.Update(ctx, auditScope, func(ctx context.Context, tx store.Tx) error {
			return tx.Delete(ctx, store.User, "u1")
		}))
		assert.Len(t, auditRecords(t, sink, auditScope, store.AuditQuery{ResourceID: "u1"}), 2)
	})
}

func TestAuditRecordTxForeignTransaction(t *testing.T) {
	t.Parallel()
	auditDialects(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		sink := s.AuditSink()
		rec := store.AuditRecord{Scope: auditScope, Operation: "create", ResourceType: store.User, Status: 201}

		// A transaction of another kind of store.
		err := memory.New().Update(ctx, auditScope, func(ctx context.Context, tx store.Tx) error {
			return sink.RecordTx(ctx, tx, rec)
		})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "sqlstore")

		// A transaction of a sqlstore.Store on another database.
		other := sqlstoretest.SQLite(t)
		err = other.Update(ctx, auditScope, func(ctx context.Context, tx store.Tx) error {
			return sink.RecordTx(ctx, tx, rec)
		})
		require.Error(t, err)

		// A finished transaction.
		var done store.Tx
		require.NoError(t, s.Update(ctx, auditScope, func(ctx context.Context, tx store.Tx) error {
			done = tx
			return nil
		}))
		require.Error(t, sink.RecordTx(ctx, done, rec))

		assert.Empty(t, auditRecords(t, sink, auditScope, store.AuditQuery{}))
		assert.Empty(t, auditRecords(t, other.AuditSink(), auditScope, store.AuditQuery{}))
	})
}

// TestAuditThroughHandler audits real SCIM requests: the handler writes
// successful changes through RecordTx and failures through Record.
func TestAuditThroughHandler(t *testing.T) {
	t.Parallel()
	auditDialects(t, func(t *testing.T, s *sqlstore.Store) {
		sink := s.AuditSink()
		h, err := scim.NewHandler(scim.Config{Store: s, Audit: sink})
		require.NoError(t, err)
		principal := auth.Principal{Tenant: auditScope.Tenant, Directory: auditScope.Directory, CredentialID: "tok-1"}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), principal)))
		}))
		t.Cleanup(srv.Close)

		do := func(method, path, body string) (int, map[string]any) {
			t.Helper()
			var rd io.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			req, err := http.NewRequest(method, srv.URL+path, rd)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/scim+json")
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			var doc map[string]any
			if len(raw) > 0 {
				require.NoError(t, json.Unmarshal(raw, &doc), "%s", raw)
			}
			return resp.StatusCode, doc
		}

		status, created := do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@example.com","displayName":"Ann"}`)
		require.Equal(t, http.StatusCreated, status, "%v", created)
		id, _ := created["id"].(string)
		require.NotEmpty(t, id)
		status, patched := do("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Ann B"}]}`)
		require.Equal(t, http.StatusOK, status, "%v", patched)
		status, _ = do("DELETE", "/Users/"+id, "")
		require.Equal(t, http.StatusNoContent, status)
		status, _ = do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"no userName"}`)
		require.Equal(t, http.StatusBadRequest, status)

		_, err = s.Get(context.Background(), auditScope, store.User, id)
		require.ErrorIs(t, err, store.ErrNotFound)

		got := auditRecords(t, sink, auditScope, store.AuditQuery{})
		require.Equal(t, []string{"create", "delete", "patch", "create"}, operations(got))
		failed, del, patch, create := got[0], got[1], got[2], got[3]
		for _, r := range got {
			assert.Equal(t, auditScope, r.Scope)
			assert.Equal(t, "tok-1", r.Actor)
			assert.Equal(t, store.User, r.ResourceType)
			assert.False(t, r.Time.IsZero())
			assert.WithinDuration(t, time.Now(), r.Time, time.Minute)
		}

		assert.Equal(t, http.StatusCreated, create.Status)
		assert.Equal(t, id, create.ResourceID)
		assert.Nil(t, create.Before)
		require.NotNil(t, create.After)
		assert.Contains(t, string(create.After), "ann@example.com")
		assert.Empty(t, create.Error)

		assert.Equal(t, http.StatusOK, patch.Status)
		assert.Equal(t, id, patch.ResourceID)
		require.NotNil(t, patch.Before)
		require.NotNil(t, patch.After)
		var before, after map[string]any
		require.NoError(t, json.Unmarshal(patch.Before, &before))
		require.NoError(t, json.Unmarshal(patch.After, &after))
		assert.Equal(t, "Ann", before["displayName"])
		assert.Equal(t, "Ann B", after["displayName"])

		assert.Equal(t, http.StatusNoContent, del.Status)
		assert.Equal(t, id, del.ResourceID)
		require.NotNil(t, del.Before)
		assert.Contains(t, string(del.Before), "Ann B")
		assert.Nil(t, del.After)

		assert.Equal(t, http.StatusBadRequest, failed.Status)
		assert.Equal(t, "create", failed.Operation)
		assert.Empty(t, failed.ResourceID)
		assert.NotEmpty(t, failed.Error)
		assert.Nil(t, failed.After)

		// A membership PATCH: its record names the members it added and
		// removed, and its documents leave the member list out.
		_, u2 := do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bo@example.com"}`)
		_, u3 := do("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"cy@example.com"}`)
		status, g := do("POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G","members":[{"value":"`+u2["id"].(string)+`"}]}`)
		require.Equal(t, http.StatusCreated, status, "%v", g)
		gid := g["id"].(string)
		status, _ = do("PATCH", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+
			`{"op":"remove","path":"members[value eq \"`+u2["id"].(string)+`\"]"},{"op":"add","path":"members","value":[{"value":"`+u3["id"].(string)+`"}]}]}`)
		require.Equal(t, http.StatusNoContent, status)
		grecs := auditRecords(t, sink, auditScope, store.AuditQuery{ResourceID: gid})
		require.Equal(t, []string{"patch", "create"}, operations(grecs))
		assert.Equal(t, []string{u2["id"].(string)}, grecs[1].MembersAdded, "a create adds its initial members")
		assert.Equal(t, []string{u3["id"].(string)}, grecs[0].MembersAdded)
		assert.Equal(t, []string{u2["id"].(string)}, grecs[0].MembersRemoved)
		assert.NotContains(t, string(grecs[0].Before), "members")
		assert.NotContains(t, string(grecs[0].After), "members")
		assert.Contains(t, string(grecs[0].After), `"displayName"`)

		// The deleted user's history stays, and is all its own.
		assert.Equal(t, []string{"delete", "patch", "create"}, operations(auditRecords(t, sink, auditScope, store.AuditQuery{ResourceID: id})))
		// Another tenant sees none of it.
		assert.Empty(t, auditRecords(t, sink, store.Scope{Tenant: "other", Directory: auditScope.Directory}, store.AuditQuery{}))
	})
}
