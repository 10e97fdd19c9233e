package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
)

// RunResult is everything one target's run measured.
type RunResult struct {
	Target      string        `json:"target"`
	URL         string        `json:"url"`
	Users       int           `json:"users"`
	Groups      int           `json:"groups"`
	Members     int           `json:"members"`
	Concurrency int           `json:"concurrency"`
	Rate        float64       `json:"rate,omitempty"`
	Seconds     float64       `json:"duration_seconds"`
	Mix         string        `json:"mix"`
	Seed        uint64        `json:"seed"`
	Phases      []PhaseResult `json:"phases"`
	// SyncUsersPerSec is how many users per second the sync created.
	SyncUsersPerSec float64 `json:"sync_users_per_sec"`
	// SteadyRPS is the steady phase's throughput, all operations.
	SteadyRPS float64 `json:"steady_rps"`
	// ErrorRate is the fraction of all requests of the run that failed.
	ErrorRate float64 `json:"error_rate"`
	// Err is why the run stopped early, if it did.
	Err string `json:"error,omitempty"`
}

// phase returns the named phase, if the run got that far.
func (r RunResult) phase(name string) (PhaseResult, bool) {
	for _, p := range r.Phases {
		if p.Name == name {
			return p, true
		}
	}
	return PhaseResult{}, false
}

// finish fills in the summary fields from the phases.
func (r *RunResult) finish() {
	var reqs, errs int
	for _, p := range r.Phases {
		reqs += p.Total.Requests
		errs += p.Total.Errors
	}
	if reqs > 0 {
		r.ErrorRate = float64(errs) / float64(reqs)
	}
	if p, ok := r.phase("sync_users"); ok && p.Seconds > 0 {
		r.SyncUsersPerSec = float64(p.Total.Requests-p.Total.Errors) / p.Seconds
	}
	if p, ok := r.phase("steady"); ok {
		r.SteadyRPS = p.Total.RPS
	}
}

// Report is the output of a whole invocation.
type Report struct {
	Runs []RunResult `json:"runs"`
	// RatioOf names the two targets whose values each comparison row's
	// Ratio divides: RatioOf[0] / RatioOf[1].
	RatioOf    []string        `json:"ratio_of,omitempty"`
	Comparison []ComparisonRow `json:"comparison,omitempty"`
}

// ComparisonRow is one metric across targets. Ratio is the value of the
// report's RatioOf[0] divided by that of RatioOf[1], when both have one
// (for throughput, higher is better for the first; for latency, lower
// is).
type ComparisonRow struct {
	Metric string             `json:"metric"`
	Values map[string]float64 `json:"values"`
	Ratio  float64            `json:"ratio,omitempty"`
}

// ratioPair chooses the two targets of runs the comparison divides, as
// numerator and denominator: a scimkit target (memory, else sqlite) over a
// reference (elimity, else bare) when runs have both, such as memory over
// elimity with -target all; otherwise the second target run over the
// first. ok is false when fewer than two distinct targets ran.
func ratioPair(runs []RunResult) (num, den string, ok bool) {
	var targets []string
	for _, r := range runs {
		if !slices.Contains(targets, r.Target) {
			targets = append(targets, r.Target)
		}
	}
	if len(targets) < 2 {
		return "", "", false
	}
	first := func(names ...string) string {
		for _, n := range names {
			if slices.Contains(targets, n) {
				return n
			}
		}
		return ""
	}
	num, den = first(targetMemory, targetSQLite), first(targetElimity, targetBare)
	if num == "" || den == "" {
		num, den = targets[1], targets[0]
	}
	return num, den, true
}

// compare builds the comparison rows for runs of several targets, and
// names the numerator and denominator of their ratios (see ratioPair).
func compare(runs []RunResult) (rows []ComparisonRow, ratioOf []string) {
	num, den, ok := ratioPair(runs)
	if !ok {
		return nil, nil
	}
	add := func(metric string, get func(RunResult) (float64, bool)) {
		row := ComparisonRow{Metric: metric, Values: make(map[string]float64)}
		for _, r := range runs {
			if v, ok := get(r); ok {
				row.Values[r.Target] = v
			}
		}
		if n, d := row.Values[num], row.Values[den]; n > 0 && d > 0 {
			row.Ratio = n / d
		}
		if len(row.Values) > 0 {
			rows = append(rows, row)
		}
	}
	add("sync users/s", func(r RunResult) (float64, bool) { return r.SyncUsersPerSec, r.SyncUsersPerSec > 0 })
	steady := func(f func(PhaseResult) (float64, bool)) func(RunResult) (float64, bool) {
		return func(r RunResult) (float64, bool) {
			p, ok := r.phase("steady")
			if !ok {
				return 0, false
			}
			return f(p)
		}
	}
	add("steady req/s", steady(func(p PhaseResult) (float64, bool) { return p.Total.RPS, true }))
	add("steady p50 ms", steady(func(p PhaseResult) (float64, bool) { return p.Total.Latency.P50, true }))
	add("steady p99 ms", steady(func(p PhaseResult) (float64, bool) { return p.Total.Latency.P99, true }))
	add("steady p99.9 ms", steady(func(p PhaseResult) (float64, bool) { return p.Total.Latency.P999, true }))
	ops := make(map[string]bool)
	for _, r := range runs {
		if p, ok := r.phase("steady"); ok {
			for _, o := range p.Ops {
				ops[o.Op] = true
			}
		}
	}
	names := make([]string, 0, len(ops))
	for o := range ops {
		names = append(names, o)
	}
	sort.Strings(names)
	for _, name := range names {
		find := func(p PhaseResult) (OpResult, bool) {
			for _, o := range p.Ops {
				if o.Op == name {
					return o, true
				}
			}
			return OpResult{}, false
		}
		add(name+" req/s", steady(func(p PhaseResult) (float64, bool) { o, ok := find(p); return o.RPS, ok }))
		add(name+" p99 ms", steady(func(p PhaseResult) (float64, bool) { o, ok := find(p); return o.Latency.P99, ok }))
	}
	return rows, []string{num, den}
}

// writeJSON writes rep as indented JSON.
func writeJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeText writes rep as plain tables.
func writeText(w io.Writer, rep Report) error {
	for _, r := range rep.Runs {
		rate := "unlimited"
		if r.Rate > 0 {
			rate = fmt.Sprintf("%.0f req/s", r.Rate)
		}
		fmt.Fprintf(w, "\n== %s  %s\n", r.Target, r.URL)
		fmt.Fprintf(w, "users=%d groups=%d members=%d c=%d duration=%.0fs rate=%s seed=%d mix=%s\n",
			r.Users, r.Groups, r.Members, r.Concurrency, r.Seconds, rate, r.Seed, r.Mix)
		if r.Err != "" {
			fmt.Fprintf(w, "stopped early: %s\n", r.Err)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "phase\top\trequests\treq/s\tp50 ms\tp99 ms\tp99.9 ms\tmax ms\terrors\tstatuses\t")
		for _, p := range r.Phases {
			for _, o := range append(append([]OpResult(nil), p.Ops...), p.Total) {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%s\t\n",
					p.Name, o.Op, o.Requests, o.RPS, o.Latency.P50, o.Latency.P99, o.Latency.P999, o.Latency.Max, o.Errors, statuses(o.Statuses))
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "sync: %.0f users/s; steady: %.0f req/s; error rate %.4f%%\n", r.SyncUsersPerSec, r.SteadyRPS, 100*r.ErrorRate)
	}
	if len(rep.Comparison) == 0 {
		return nil
	}
	var targets []string
	for _, r := range rep.Runs {
		targets = append(targets, r.Target)
	}
	ratio := "no ratio"
	if len(rep.RatioOf) == 2 {
		ratio = "ratio = " + rep.RatioOf[0] + " / " + rep.RatioOf[1]
	}
	fmt.Fprintf(w, "\n== comparison (%s)\n", ratio)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "metric\t%s\tratio\t\n", strings.Join(targets, "\t"))
	for _, row := range rep.Comparison {
		fmt.Fprintf(tw, "%s\t", row.Metric)
		for _, t := range targets {
			if v, ok := row.Values[t]; ok {
				fmt.Fprintf(tw, "%s\t", num(v))
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		if row.Ratio > 0 {
			fmt.Fprintf(tw, "%.2f×\t\n", row.Ratio)
		} else {
			fmt.Fprint(tw, "-\t\n")
		}
	}
	return tw.Flush()
}

// num formats throughputs without and latencies with decimals.
func num(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func statuses(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
