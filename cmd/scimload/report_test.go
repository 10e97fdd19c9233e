package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompareNamesItsRatio checks which two targets the comparison
// divides, that every row with both values has the ratio, and that the
// text report's header names the same two.
func TestCompareNamesItsRatio(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		targets []string
		ratioOf []string // nil for no comparison
		header  string
	}{
		{name: "one target", targets: []string{targetMemory}},
		{name: "the same target twice", targets: []string{targetMemory, targetMemory}},
		{name: "memory and elimity", targets: []string{targetMemory, targetElimity},
			ratioOf: []string{targetMemory, targetElimity}, header: "ratio = memory / elimity"},
		{name: "elimity first", targets: []string{targetElimity, targetMemory},
			ratioOf: []string{targetMemory, targetElimity}, header: "ratio = memory / elimity"},
		{name: "bare and memory", targets: []string{targetBare, targetMemory},
			ratioOf: []string{targetMemory, targetBare}, header: "ratio = memory / bare"},
		{name: "all", targets: allTargets(),
			ratioOf: []string{targetMemory, targetElimity}, header: "ratio = memory / elimity"},
		{name: "sqlite and bare", targets: []string{targetSQLite, targetBare},
			ratioOf: []string{targetSQLite, targetBare}, header: "ratio = sqlite / bare"},
		{name: "no reference: second over first", targets: []string{targetMemory, targetSQLite},
			ratioOf: []string{targetSQLite, targetMemory}, header: "ratio = sqlite / memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rep Report
			for i, name := range tt.targets {
				rps := 1000 * float64(i+1)
				rep.Runs = append(rep.Runs, RunResult{
					Target: name, SyncUsersPerSec: rps, SteadyRPS: rps,
					Phases: []PhaseResult{{Name: "steady", Total: OpResult{Op: "total", RPS: rps, Latency: Latency{P50: 1, P99: float64(i + 2), P999: float64(i + 3)}}}},
				})
			}
			rep.Comparison, rep.RatioOf = compare(rep.Runs)
			assert.Equal(t, tt.ratioOf, rep.RatioOf)
			if tt.ratioOf == nil {
				assert.Empty(t, rep.Comparison)
				return
			}
			require.NotEmpty(t, rep.Comparison)
			for _, row := range rep.Comparison {
				num, den := row.Values[tt.ratioOf[0]], row.Values[tt.ratioOf[1]]
				require.Positive(t, den, row.Metric)
				assert.InDelta(t, num/den, row.Ratio, 1e-9, row.Metric)
			}
			var out bytes.Buffer
			require.NoError(t, writeText(&out, rep))
			assert.Contains(t, out.String(), "== comparison ("+tt.header+")")
		})
	}
}
