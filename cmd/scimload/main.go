// Command scimload is a load generator for SCIM 2.0 endpoints.
//
// By default it starts a target in this process, on a loopback listener
// with real HTTP, and drives it:
//
//	go run ./cmd/scimload                      # scimkit on the memory store
//	go run ./cmd/scimload -target sqlite       # scimkit on SQLite (a temp file)
//	go run ./cmd/scimload -target elimity      # a plain elimity-com/scim server with a naive map store
//	go run ./cmd/scimload -target all          # all three in turn, then a comparison table
//	go run ./cmd/scimload -target memory,elimity   # a chosen few in turn
//	go run ./cmd/scimload -url http://host/scim/v2 -token T   # someone else's endpoint
//
// A run has two phases. The sync creates -users users, then -groups
// groups of -members members each, one POST at a time from -c workers, and
// reports users per second. The steady phase then sends an IdP-like mix
// (-mix; by default 40% userName eq filters, 20% GET by id, 15% PATCH of a
// user, 10% PUT of a user, 15% group membership PATCH) from -c closed-loop
// workers for -duration, optionally capped at -rate requests per second.
//
// Every request's latency is kept; the output gives throughput and p50,
// p99, p99.9 and maximum latency per operation and overall, and counts of
// statuses. Any status outside 2xx and 3xx is an error; the exit code is
// 1 when more than 0.1% of a run's requests failed, 2 on a usage or setup
// error.
//
// The load generator shares the machine (and, in-process, the Go runtime)
// with the target, so on a small machine it takes a good part of the CPU
// itself; compare targets run the same way rather than reading absolute
// figures as the server's capacity.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxErrorRate is the fraction of failed requests above which a run fails.
const maxErrorRate = 0.001

// options are the parsed command line.
type options struct {
	target     string
	url        string
	token      string
	users      int
	groups     int
	members    int
	conc       int
	duration   time.Duration
	rate       float64
	seed       uint64
	mix        string
	json       bool
	cpuprofile string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// parseFlags reads args into options.
func parseFlags(args []string, stderr io.Writer) (options, *picker, error) {
	var o options
	fs := flag.NewFlagSet("scimload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target, "target", targetMemory, "in-process target: memory, sqlite, elimity, bare (a map-backed net/http handler: the machine's ceiling), a comma-separated list of them, or all (ignored with -url)")
	fs.StringVar(&o.url, "url", "", "base URL of an external SCIM endpoint, such as http://host/scim/v2")
	fs.StringVar(&o.token, "token", "", "bearer token for -url")
	fs.IntVar(&o.users, "users", 10000, "users the sync creates")
	fs.IntVar(&o.groups, "groups", 100, "groups the sync creates")
	fs.IntVar(&o.members, "members", 50, "members of each group at creation")
	fs.IntVar(&o.conc, "c", 16, "concurrent requests (workers)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of the steady phase")
	fs.Float64Var(&o.rate, "rate", 0, "cap on steady-phase requests per second (0: none)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the workers' random choices")
	fs.StringVar(&o.mix, "mix", "idp", "steady mix: idp, writes, reads, or op=weight,… with ops "+strings.Join(steadyOps(), ", "))
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the steady phase (whole process: client and in-process server) to this file; with several targets, the target's name is added")
	if err := fs.Parse(args); err != nil {
		return o, nil, err
	}
	if fs.NArg() > 0 {
		return o, nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	switch {
	case o.users < 1:
		return o, nil, errors.New("-users must be at least 1")
	case o.groups < 0 || o.members < 0:
		return o, nil, errors.New("-groups and -members must not be negative")
	case o.conc < 1:
		return o, nil, errors.New("-c must be at least 1")
	case o.duration < 0 || o.rate < 0:
		return o, nil, errors.New("-duration and -rate must not be negative")
	case o.url != "" && o.token == "":
		return o, nil, errors.New("-url needs -token")
	}
	if o.url == "" && o.target != targetAll {
		for _, name := range strings.Split(o.target, ",") {
			if !slices.Contains(allTargets(), name) {
				return o, nil, fmt.Errorf("unknown target %q (want memory, sqlite, elimity, a list of them, or all)", name)
			}
		}
	}
	mix, err := parseMix(o.mix)
	if err != nil {
		return o, nil, err
	}
	return o, mix, nil
}

// run is the whole command; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, mix, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "scimload:", err)
		return 2
	}
	w := workload{
		users: o.users, groups: o.groups, members: o.members, concurrency: o.conc,
		duration: o.duration, rate: o.rate, seed: o.seed, mix: mix,
		runID: strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
		log:   stderr,
	}
	names := strings.Split(o.target, ",")
	if o.url != "" {
		names = []string{"external"}
	} else if o.target == targetAll {
		names = allTargets()
	}

	var rep Report
	code := 0
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		var t *target
		if o.url != "" {
			t = externalTarget(o.url, o.token)
		} else if t, err = startTarget(ctx, name); err != nil {
			fmt.Fprintf(stderr, "scimload: starting %s: %v\n", name, err)
			return 2
		}
		profile := ""
		if o.cpuprofile != "" {
			profile = o.cpuprofile
			if len(names) > 1 {
				ext := filepath.Ext(profile)
				profile = strings.TrimSuffix(profile, ext) + "-" + name + ext
			}
		}
		res := runTarget(ctx, t, w, profile)
		if err := t.close(); err != nil {
			fmt.Fprintf(stderr, "scimload: stopping %s: %v\n", name, err)
		}
		if res.ErrorRate > maxErrorRate || res.Err != "" {
			code = 1
		}
		rep.Runs = append(rep.Runs, res)
	}
	rep.Comparison, rep.RatioOf = compare(rep.Runs)
	if o.json {
		err = writeJSON(stdout, rep)
	} else {
		err = writeText(stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(stderr, "scimload:", err)
		return 2
	}
	if code != 0 {
		fmt.Fprintf(stderr, "scimload: more than %.1f%% of requests failed (or a run stopped early)\n", 100*maxErrorRate)
	}
	return code
}

// runTarget runs the sync and the steady phase against t, profiling the
// steady phase into profile when it is not empty.
func runTarget(ctx context.Context, t *target, w workload, profile string) RunResult {
	res := RunResult{
		Target: t.name, URL: t.url, Users: w.users, Groups: w.groups, Members: w.members,
		Concurrency: w.concurrency, Rate: w.rate, Seconds: w.duration.Seconds(), Mix: w.mix.String(), Seed: w.seed,
	}
	c := newClient(t.url, t.token, w.concurrency)
	defer c.closeIdle()

	fmt.Fprintf(w.log, "%s: sync of %d users and %d groups × %d members…\n", t.name, w.users, w.groups, w.members)
	f, phases, err := runSync(ctx, c, w)
	res.Phases = append(res.Phases, phases...)
	if err != nil {
		res.Err = err.Error()
		res.finish()
		return res
	}
	if ctx.Err() != nil {
		res.Err = "interrupted"
		res.finish()
		return res
	}
	if w.mix.has(opPatchGroup) && len(f.groups) == 0 {
		fmt.Fprintf(w.log, "%s: no groups, so no group PATCH\n", t.name)
		weights := make(map[string]int)
		for op, n := range w.mix.weight {
			if op != opPatchGroup {
				weights[op] = n
			}
		}
		mix, err := newPicker(weights)
		if err != nil {
			res.Err = err.Error()
			res.finish()
			return res
		}
		w.mix = mix
	}

	if profile != "" {
		pf, err := os.Create(profile)
		if err != nil {
			res.Err = err.Error()
			res.finish()
			return res
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			_ = pf.Close()
			res.Err = err.Error()
			res.finish()
			return res
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = pf.Close()
		}()
	}
	fmt.Fprintf(w.log, "%s: steady mix for %s…\n", t.name, w.duration)
	steady := runSteady(ctx, c, f, w)
	res.Phases = append(res.Phases, steady)
	if steady.Canceled {
		res.Err = "interrupted"
	}
	res.finish()
	return res
}
