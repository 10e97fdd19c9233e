package main

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPickerFollowsWeights(t *testing.T) {
	t.Parallel()
	p, err := parseMix("idp")
	require.NoError(t, err)
	const n = 200_000
	counts := make(map[string]int)
	rng := rand.New(rand.NewPCG(42, 1))
	for range n {
		counts[p.pick(rng)]++
	}
	want := map[string]float64{opFilter: 0.40, opGetUser: 0.20, opPatchUser: 0.15, opPutUser: 0.10, opPatchGroup: 0.15}
	require.Len(t, counts, len(want))
	for op, share := range want {
		assert.InDelta(t, share, float64(counts[op])/n, 0.01, op)
	}
}

func TestPickerIsDeterministicPerSeed(t *testing.T) {
	t.Parallel()
	p, err := parseMix("filter_username=1,get_user=1,put_user=2")
	require.NoError(t, err)
	seq := func(seed uint64) []string {
		rng := rand.New(rand.NewPCG(seed, 1))
		out := make([]string, 50)
		for i := range out {
			out[i] = p.pick(rng)
		}
		return out
	}
	assert.Equal(t, seq(7), seq(7))
	assert.NotEqual(t, seq(7), seq(8))
}

func TestParseMix(t *testing.T) {
	t.Parallel()
	p, err := parseMix("writes")
	require.NoError(t, err)
	assert.False(t, p.has(opFilter))
	assert.True(t, p.has(opPutUser))
	assert.Equal(t, "patch_group=15,patch_user=15,put_user=10", p.String())

	p, err = parseMix("get_user=3, filter_username=0")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 1))
	for range 100 {
		require.Equal(t, opGetUser, p.pick(rng))
	}

	for _, bad := range []string{"", "get_user", "get_user=-1", "get_user=x", "delete_user=1", "get_user=0"} {
		_, err := parseMix(bad)
		assert.Error(t, err, bad)
	}
}

func TestLimiterNeverExceedsRate(t *testing.T) {
	const rate, burst = 200.0, 4
	lim := newLimiter(rate, burst)
	ctx := context.Background()
	start := time.Now()
	n := 0
	for time.Since(start) < 250*time.Millisecond {
		require.NoError(t, lim.wait(ctx))
		n++
	}
	elapsed := time.Since(start).Seconds()
	assert.LessOrEqual(t, float64(n), burst+rate*elapsed+1)
	assert.Greater(t, n, 10) // it does let requests through

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	slow := newLimiter(0.001, 1)
	require.NoError(t, slow.wait(canceled)) // the one token in the bucket
	assert.ErrorIs(t, slow.wait(canceled), context.Canceled)
}
