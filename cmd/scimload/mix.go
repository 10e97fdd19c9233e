package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// Operations of the steady phase, and of the initial sync.
const (
	opFilter     = "filter_username" // GET /Users?filter=userName eq "…"
	opGetUser    = "get_user"        // GET /Users/{id}
	opPatchUser  = "patch_user"      // PATCH /Users/{id}: replace title and active
	opPutUser    = "put_user"        // PUT /Users/{id}
	opPatchGroup = "patch_group"     // PATCH /Groups/{id}: add or remove one member
	opPostUser   = "post_user"       // sync: POST /Users
	opPostGroup  = "post_group"      // sync: POST /Groups
)

// steadyOps are the operations a mix may name.
func steadyOps() []string {
	return []string{opFilter, opGetUser, opPatchUser, opPutUser, opPatchGroup}
}

// mixPresets are the named mixes. "idp" is the default: what an IdP such
// as Okta sends once a directory is in sync (an existence check by
// userName before most writes). "writes" keeps only its writes, in the
// same proportions; "reads" only its reads.
func mixPresets() map[string]string {
	return map[string]string{
		"idp":    "filter_username=40,get_user=20,patch_user=15,put_user=10,patch_group=15",
		"writes": "patch_user=15,put_user=10,patch_group=15",
		"reads":  "filter_username=40,get_user=20",
	}
}

// picker chooses operations at random in proportion to their weights.
type picker struct {
	ops    []string
	cum    []int // cumulative weights, ascending
	total  int
	weight map[string]int
}

// parseMix reads a preset name or a list such as
// "filter_username=40,get_user=20" into a picker. Weights are
// non-negative integers; at least one must be positive.
func parseMix(spec string) (*picker, error) {
	if preset, ok := mixPresets()[spec]; ok {
		spec = preset
	}
	known := make(map[string]bool)
	for _, op := range steadyOps() {
		known[op] = true
	}
	weights := make(map[string]int)
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("mix %q: %q is not op=weight", spec, part)
		}
		name = strings.TrimSpace(name)
		if !known[name] {
			return nil, fmt.Errorf("mix: unknown operation %q (want one of %s)", name, strings.Join(steadyOps(), ", "))
		}
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("mix: weight of %s must be a non-negative integer, not %q", name, w)
		}
		weights[name] += n
	}
	return newPicker(weights)
}

// newPicker builds a picker from weights by operation name.
func newPicker(weights map[string]int) (*picker, error) {
	p := &picker{weight: weights}
	names := make([]string, 0, len(weights))
	for name := range weights {
		names = append(names, name)
	}
	sort.Strings(names) // a fixed order, so a seed always picks the same sequence
	for _, name := range names {
		if weights[name] == 0 {
			continue
		}
		p.total += weights[name]
		p.ops = append(p.ops, name)
		p.cum = append(p.cum, p.total)
	}
	if p.total == 0 {
		return nil, fmt.Errorf("mix: no operation has a positive weight")
	}
	return p, nil
}

// pick returns an operation, drawing from rng.
func (p *picker) pick(rng *rand.Rand) string {
	n := rng.IntN(p.total)
	i := sort.SearchInts(p.cum, n+1)
	return p.ops[i]
}

// has reports whether the mix can pick op.
func (p *picker) has(op string) bool { return p.weight[op] > 0 }

// String renders the mix as op=weight pairs.
func (p *picker) String() string {
	parts := make([]string, len(p.ops))
	for i, op := range p.ops {
		parts[i] = op + "=" + strconv.Itoa(p.weight[op])
	}
	return strings.Join(parts, ",")
}
