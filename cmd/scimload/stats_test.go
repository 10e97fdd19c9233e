package main

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentileNearestRank(t *testing.T) {
	t.Parallel()
	var lat []time.Duration
	for i := 1; i <= 1000; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, 500*time.Millisecond, percentile(lat, 0.50))
	assert.Equal(t, 990*time.Millisecond, percentile(lat, 0.99))
	assert.Equal(t, 999*time.Millisecond, percentile(lat, 0.999))
	assert.Equal(t, 1000*time.Millisecond, percentile(lat, 1))
	assert.Equal(t, 1*time.Millisecond, percentile(lat, 0.0001))
	assert.Zero(t, percentile(nil, 0.5))

	one := []time.Duration{7 * time.Millisecond}
	assert.Equal(t, 7*time.Millisecond, percentile(one, 0.5))
	assert.Equal(t, 7*time.Millisecond, percentile(one, 0.999))
}

func TestSummarizeSortsAndSummarizes(t *testing.T) {
	t.Parallel()
	// 1..100 ms in random order.
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(lat), func(i, j int) { lat[i], lat[j] = lat[j], lat[i] })

	s := summarize(lat)
	assert.InDelta(t, 50, s.P50, 1e-9)
	assert.InDelta(t, 99, s.P99, 1e-9)
	assert.InDelta(t, 100, s.P999, 1e-9)
	assert.InDelta(t, 100, s.Max, 1e-9)
	assert.InDelta(t, 50.5, s.Mean, 1e-9)
	assert.Equal(t, Latency{}, summarize(nil))
}

func TestResultMergesWorkersAndCountsErrors(t *testing.T) {
	t.Parallel()
	a, b := newRecorder(), newRecorder()
	for i := 0; i < 90; i++ {
		a.record(opGetUser, 200, time.Millisecond)
	}
	for i := 0; i < 8; i++ {
		b.record(opGetUser, 404, 2*time.Millisecond)
	}
	b.record(opPatchGroup, 204, 3*time.Millisecond)
	b.record(opPatchGroup, statusTransport, 4*time.Millisecond)

	pr := result("steady", merge([]*recorder{a, b}), 2*time.Second)
	require.Len(t, pr.Ops, 2)
	get := pr.Ops[0]
	assert.Equal(t, opGetUser, get.Op)
	assert.Equal(t, 98, get.Requests)
	assert.Equal(t, 8, get.Errors)
	assert.InDelta(t, 49, get.RPS, 1e-9)
	assert.Equal(t, map[string]int{"200": 90, "404": 8}, get.Statuses)

	grp := pr.Ops[1]
	assert.Equal(t, 1, grp.Errors)
	assert.Equal(t, map[string]int{"204": 1, "transport": 1}, grp.Statuses)

	assert.Equal(t, 100, pr.Total.Requests)
	assert.Equal(t, 9, pr.Total.Errors)
	assert.InDelta(t, 50, pr.Total.RPS, 1e-9)
	assert.InDelta(t, 4, pr.Total.Latency.Max, 1e-9)
	assert.InDelta(t, 0.09, pr.ErrorRate(), 1e-9)
}

func TestIsError(t *testing.T) {
	t.Parallel()
	for st, want := range map[int]bool{200: false, 201: false, 204: false, 304: false, 400: true, 404: true, 409: true, 412: true, 500: true, statusTransport: true, statusBadBody: true} {
		assert.Equal(t, want, isError(st), "status %d", st)
	}
}
