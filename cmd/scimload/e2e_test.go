package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEndToEnd runs the whole command against in-process targets and
// checks that every request succeeded and that the steady phase did work.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("end-to-end load run")
	}
	for _, target := range []string{targetMemory, targetElimity, targetBare} {
		t.Run(target, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{
				"-target", target, "-users", "200", "-groups", "5", "-members", "10",
				"-duration", "1s", "-c", "4", "-json",
			}, &stdout, &stderr)
			require.Equal(t, 0, code, stderr.String())

			var rep Report
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep))
			require.Len(t, rep.Runs, 1)
			r := rep.Runs[0]
			assert.Equal(t, target, r.Target)
			assert.Empty(t, r.Err)
			assert.Zero(t, r.ErrorRate)
			assert.Greater(t, r.SyncUsersPerSec, 0.0)
			assert.Greater(t, r.SteadyRPS, 0.0)

			sync, ok := r.phase("sync_users")
			require.True(t, ok)
			assert.Equal(t, 200, sync.Total.Requests)
			groups, ok := r.phase("sync_groups")
			require.True(t, ok)
			assert.Equal(t, 5, groups.Total.Requests)

			steady, ok := r.phase("steady")
			require.True(t, ok)
			assert.Zero(t, steady.Total.Errors, steady.Total.Statuses)
			seen := make(map[string]bool)
			for _, o := range steady.Ops {
				seen[o.Op] = o.Requests > 0
			}
			for _, op := range steadyOps() {
				assert.True(t, seen[op], "no %s requests", op)
			}
		})
	}
}

// TestNaiveStorePatch checks the baseline's PATCH handling through the
// elimity server: add skips members already present, remove with a value
// filter drops only the matching member, and user replace works with and
// without a path.
func TestNaiveStorePatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tg, err := startTarget(ctx, targetElimity)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, tg.close()) })
	c := newClient(tg.url, tg.token, 1)

	var ids []string
	for i := range 2 {
		var out created
		st, err := c.send(ctx, "POST", "/Users", userBody(user{userName: fmt.Sprintf("u%d@example.com", i), index: i}, "T", true), &out)
		require.NoError(t, err)
		require.Equal(t, 201, st)
		ids = append(ids, out.ID)
	}
	var g created
	st, err := c.send(ctx, "POST", "/Groups", []byte(`{"schemas":["`+groupURN+`"],"displayName":"g","members":[{"value":"`+ids[0]+`"}]}`), &g)
	require.NoError(t, err)
	require.Equal(t, 201, st)

	members := func() []string {
		var out struct {
			Members []struct{ Value string } `json:"members"`
		}
		st, err := c.send(ctx, "GET", "/Groups/"+g.ID, nil, &out)
		require.NoError(t, err)
		require.Equal(t, 200, st)
		var vs []string
		for _, m := range out.Members {
			vs = append(vs, m.Value)
		}
		return vs
	}
	patch := func(path, ops string) int {
		st, err := c.send(ctx, "PATCH", path, []byte(`{"schemas":["`+patchURN+`"],"Operations":[`+ops+`]}`), nil)
		require.NoError(t, err)
		return st
	}

	assert.Equal(t, 204, patch("/Groups/"+g.ID, `{"op":"add","path":"members","value":[{"value":"`+ids[0]+`"},{"value":"`+ids[1]+`"}]}`))
	assert.Equal(t, ids, members())
	assert.Equal(t, 204, patch("/Groups/"+g.ID, `{"op":"remove","path":"members[value eq \"`+ids[0]+`\"]"}`))
	assert.Equal(t, ids[1:], members())

	assert.Equal(t, 200, patch("/Users/"+ids[0], `{"op":"replace","path":"title","value":"Boss"},{"op":"replace","value":{"active":false}},{"op":"replace","path":"name.givenName","value":"Ann"}`))
	var u struct {
		Title  string
		Active bool
		Name   struct{ GivenName, FamilyName string }
	}
	st, err = c.send(ctx, "GET", "/Users/"+ids[0], nil, &u)
	require.NoError(t, err)
	require.Equal(t, 200, st)
	assert.Equal(t, "Boss", u.Title)
	assert.False(t, u.Active)
	assert.Equal(t, "Ann", u.Name.GivenName)
	assert.Equal(t, "Family0", u.Name.FamilyName)

	var list struct{ TotalResults int }
	st, err = c.send(ctx, "GET", "/Users?filter=userName%20eq%20%22u1@example.com%22", nil, &list)
	require.NoError(t, err)
	require.Equal(t, 200, st)
	assert.Equal(t, 1, list.TotalResults)
}
