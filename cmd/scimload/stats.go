package main

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
)

// statusTransport is the status recorded for a request that got no HTTP
// response at all (connection refused, reset, timeout).
const statusTransport = 0

// statusBadBody is the status recorded for a 2xx response whose body could
// not be decoded when it had to be (a create's id).
const statusBadBody = -1

// isError reports whether a status counts as an error: anything that is
// not a 2xx or 3xx response, including transport failures.
func isError(status int) bool { return status < 200 || status >= 400 }

// samples holds what one worker observed for one operation.
type samples struct {
	latencies []time.Duration
	statuses  map[int]int
}

// recorder collects the outcome of every request one worker sends. It is
// owned by a single goroutine and is not safe for concurrent use; workers
// each have their own and they are merged once the phase is over.
type recorder struct {
	ops map[string]*samples
}

func newRecorder() *recorder { return &recorder{ops: make(map[string]*samples)} }

// record notes one request of operation op that answered status after d.
func (r *recorder) record(op string, status int, d time.Duration) {
	s := r.ops[op]
	if s == nil {
		s = &samples{statuses: make(map[int]int)}
		r.ops[op] = s
	}
	s.latencies = append(s.latencies, d)
	s.statuses[status]++
}

// merge combines the recorders of all workers into one.
func merge(recs []*recorder) *recorder {
	out := newRecorder()
	for _, r := range recs {
		for op, s := range r.ops {
			m := out.ops[op]
			if m == nil {
				m = &samples{statuses: make(map[int]int)}
				out.ops[op] = m
			}
			m.latencies = append(m.latencies, s.latencies...)
			for st, n := range s.statuses {
				m.statuses[st] += n
			}
		}
	}
	return out
}

// Latency summarises a set of latencies. Values are in milliseconds so
// that the JSON output is readable as is.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// percentile returns the nearest-rank q-quantile (0 < q ≤ 1) of sorted,
// which must be in ascending order: the smallest value such that at least
// q of all values are less than or equal to it. It is 0 for no values.
func percentile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(q*float64(n))) - 1
	rank = max(0, min(rank, n-1))
	return sorted[rank]
}

// summarize sorts lat in place and returns its percentiles, maximum and
// mean.
func summarize(lat []time.Duration) Latency {
	if len(lat) == 0 {
		return Latency{}
	}
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	return Latency{
		P50:  ms(percentile(lat, 0.50)),
		P99:  ms(percentile(lat, 0.99)),
		P999: ms(percentile(lat, 0.999)),
		Max:  ms(lat[len(lat)-1]),
		Mean: ms(sum / time.Duration(len(lat))),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// OpResult is the outcome of one operation (or of all of them) in a phase.
type OpResult struct {
	Op       string         `json:"op"`
	Requests int            `json:"requests"`
	Errors   int            `json:"errors"`
	RPS      float64        `json:"rps"`
	Statuses map[string]int `json:"statuses"`
	Latency  Latency        `json:"latency"`
}

// PhaseResult is the outcome of one phase of a run.
type PhaseResult struct {
	Name     string     `json:"name"`
	Seconds  float64    `json:"seconds"`
	Total    OpResult   `json:"total"`
	Ops      []OpResult `json:"ops"`
	Canceled bool       `json:"canceled,omitempty"`
}

// ErrorRate is the fraction of the phase's requests that failed.
func (p PhaseResult) ErrorRate() float64 {
	if p.Total.Requests == 0 {
		return 0
	}
	return float64(p.Total.Errors) / float64(p.Total.Requests)
}

// result turns the merged samples of a phase that lasted elapsed into a
// PhaseResult, with operations in name order and a total over all of
// them.
func result(name string, rec *recorder, elapsed time.Duration) PhaseResult {
	secs := elapsed.Seconds()
	rate := func(n int) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(n) / secs
	}
	ops := make([]string, 0, len(rec.ops))
	for op := range rec.ops {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	pr := PhaseResult{Name: name, Seconds: secs}
	var all []time.Duration
	totalStatuses := make(map[int]int)
	for _, op := range ops {
		s := rec.ops[op]
		all = append(all, s.latencies...)
		for st, n := range s.statuses {
			totalStatuses[st] += n
		}
		r := opResult(op, s.statuses, s.latencies)
		r.RPS = rate(r.Requests)
		pr.Ops = append(pr.Ops, r)
	}
	pr.Total = opResult("total", totalStatuses, all)
	pr.Total.RPS = rate(pr.Total.Requests)
	return pr
}

func opResult(op string, statuses map[int]int, lat []time.Duration) OpResult {
	r := OpResult{Op: op, Statuses: make(map[string]int, len(statuses)), Latency: summarize(lat)}
	for st, n := range statuses {
		r.Requests += n
		if isError(st) {
			r.Errors += n
		}
		r.Statuses[statusName(st)] = n
	}
	return r
}

func statusName(st int) string {
	switch st {
	case statusTransport:
		return "transport"
	case statusBadBody:
		return "bad_body"
	}
	return strconv.Itoa(st)
}
