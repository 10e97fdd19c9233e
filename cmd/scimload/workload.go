package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchURN      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// workload is what one run sends to a target.
type workload struct {
	users       int           // users created by the sync
	groups      int           // groups created by the sync
	members     int           // members of each group at creation
	concurrency int           // simultaneous requests
	duration    time.Duration // length of the steady phase
	rate        float64       // cap on steady requests per second; 0 for none
	seed        uint64        // seeds every worker's RNG
	mix         *picker       // the steady phase's operations
	runID       string        // makes userNames and displayNames unique per run
	log         io.Writer     // progress lines
}

// user is a user the sync created.
type user struct {
	id       string
	userName string
	index    int // its number in the sync, which its attributes derive from
}

// group is a group the sync created and its members as this process knows
// them. mu is held for the whole of a membership PATCH, so the group's
// members are always known exactly and a remove never names a non-member.
type group struct {
	id string

	mu      sync.Mutex
	members []int       // indices into fleet.users
	pos     map[int]int // user index → position in members
}

func (g *group) add(u int) {
	g.pos[u] = len(g.members)
	g.members = append(g.members, u)
}

func (g *group) remove(u int) {
	i, ok := g.pos[u]
	if !ok {
		return
	}
	last := g.members[len(g.members)-1]
	g.members[i] = last
	g.pos[last] = i
	g.members = g.members[:len(g.members)-1]
	delete(g.pos, u)
}

// fleet is the directory the sync created: only users and groups the
// target acknowledged.
type fleet struct {
	users  []user
	groups []*group
}

// created is the part of a create response the load generator needs.
type created struct {
	ID string `json:"id"`
}

// runSync creates the users, then the groups with their members, with
// bounded concurrency, and returns the fleet and one PhaseResult for each.
func runSync(ctx context.Context, c *client, w workload) (*fleet, []PhaseResult, error) {
	all := make([]user, w.users)
	for i := range all {
		all[i] = user{index: i, userName: fmt.Sprintf("load-%s-%06d@example.com", w.runID, i)}
	}
	start := time.Now()
	recs := parallel(ctx, w.concurrency, w.users, func(ctx context.Context, rec *recorder, i int) {
		var out created
		status := timed(ctx, rec, opPostUser, func() (int, error) {
			return c.send(ctx, "POST", "/Users", userBody(all[i], "Member", true), &out)
		})
		if status/100 == 2 {
			all[i].id = out.ID
		}
	})
	usersPhase := result("sync_users", merge(recs), time.Since(start))
	usersPhase.Canceled = ctx.Err() != nil

	f := &fleet{}
	for _, u := range all {
		if u.id != "" {
			f.users = append(f.users, u)
		}
	}
	if len(f.users) == 0 {
		return nil, []PhaseResult{usersPhase}, errors.New("the sync created no users")
	}

	groups := make([]*group, w.groups)
	start = time.Now()
	recs = parallel(ctx, w.concurrency, w.groups, func(ctx context.Context, rec *recorder, g int) {
		grp := &group{pos: make(map[int]int)}
		for k := range min(w.members, len(f.users)) {
			grp.add((g*w.members + k) % len(f.users))
		}
		var out created
		status := timed(ctx, rec, opPostGroup, func() (int, error) {
			return c.send(ctx, "POST", "/Groups", groupBody(fmt.Sprintf("load-%s-group-%04d", w.runID, g), f, grp.members), &out)
		})
		if status/100 == 2 {
			grp.id = out.ID
			groups[g] = grp
		}
	})
	groupsPhase := result("sync_groups", merge(recs), time.Since(start))
	groupsPhase.Canceled = ctx.Err() != nil
	for _, g := range groups {
		if g != nil {
			f.groups = append(f.groups, g)
		}
	}
	return f, []PhaseResult{usersPhase, groupsPhase}, nil
}

// parallel calls fn for 0..n-1 from concurrency goroutines, each with its
// own recorder, until done or ctx is canceled, and returns the recorders.
func parallel(ctx context.Context, concurrency, n int, fn func(ctx context.Context, rec *recorder, i int)) []*recorder {
	jobs := make(chan int)
	recs := make([]*recorder, concurrency)
	var wg sync.WaitGroup
	for wk := range recs {
		rec := newRecorder()
		recs[wk] = rec
		wg.Go(func() {
			for i := range jobs {
				fn(ctx, rec, i)
			}
		})
	}
feed:
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return recs
}

// timed runs send, records its status and latency under op unless it
// failed because ctx was canceled (an interrupted run, not the target's
// fault), and returns the status.
func timed(ctx context.Context, rec *recorder, op string, send func() (int, error)) int {
	t0 := time.Now()
	status, err := send()
	d := time.Since(t0)
	if err != nil && ctx.Err() != nil {
		return statusTransport
	}
	if err != nil && status != statusTransport {
		status = statusBadBody
	}
	rec.record(op, status, d)
	return status
}

// runSteady sends the mix from w.concurrency workers for w.duration (or
// until ctx is canceled) and returns the result.
func runSteady(ctx context.Context, c *client, f *fleet, w workload) PhaseResult {
	var lim *limiter
	if w.rate > 0 {
		// A burst of one paces requests evenly; a larger one would let
		// every worker fire at once after a stall and measure the queue.
		lim = newLimiter(w.rate, 1)
	}
	start := time.Now()
	deadline := start.Add(w.duration)
	recs := make([]*recorder, w.concurrency)
	var wg sync.WaitGroup
	for i := range recs {
		wk := &worker{
			c:     c,
			f:     f,
			mix:   w.mix,
			rng:   rand.New(rand.NewPCG(w.seed, uint64(i)+1)),
			rec:   newRecorder(),
			runID: w.runID,
		}
		recs[i] = wk.rec
		wg.Go(func() { wk.run(ctx, deadline, lim) })
	}
	wg.Wait()
	pr := result("steady", merge(recs), time.Since(start))
	pr.Canceled = ctx.Err() != nil
	return pr
}

// worker is one closed-loop client of the steady phase: it sends one
// request at a time, drawing operations and resources from its own RNG.
type worker struct {
	c     *client
	f     *fleet
	mix   *picker
	rng   *rand.Rand
	rec   *recorder
	runID string
}

func (wk *worker) run(ctx context.Context, deadline time.Time, lim *limiter) {
	for ctx.Err() == nil && time.Now().Before(deadline) {
		if lim != nil {
			if lim.wait(ctx) != nil || !time.Now().Before(deadline) {
				return
			}
		}
		switch op := wk.mix.pick(wk.rng); op {
		case opFilter:
			u := wk.randomUser()
			q := url.QueryEscape(`userName eq "` + u.userName + `"`)
			wk.send(ctx, op, "GET", "/Users?filter="+strings.ReplaceAll(q, "+", "%20"), nil)
		case opGetUser:
			wk.send(ctx, op, "GET", "/Users/"+wk.randomUser().id, nil)
		case opPatchUser:
			body := fmt.Appendf(nil, `{"schemas":[%q],"Operations":[{"op":"replace","path":"title","value":"Title %d"},{"op":"replace","value":{"active":%t}}]}`,
				patchURN, wk.rng.IntN(1000), wk.rng.IntN(4) != 0)
			wk.send(ctx, op, "PATCH", "/Users/"+wk.randomUser().id, body)
		case opPutUser:
			u := wk.randomUser()
			wk.send(ctx, op, "PUT", "/Users/"+u.id, userBody(u, "Title "+strconv.Itoa(wk.rng.IntN(1000)), wk.rng.IntN(4) != 0))
		case opPatchGroup:
			wk.patchGroup(ctx)
		}
	}
}

func (wk *worker) randomUser() user { return wk.f.users[wk.rng.IntN(len(wk.f.users))] }

func (wk *worker) send(ctx context.Context, op, method, path string, body []byte) int {
	return timed(ctx, wk.rec, op, func() (int, error) { return wk.c.send(ctx, method, path, body, nil) })
}

// patchGroup adds a random non-member to a random group or removes a
// random member from it, as an IdP does when one assignment changes.
func (wk *worker) patchGroup(ctx context.Context) {
	if len(wk.f.groups) == 0 {
		return
	}
	g := wk.f.groups[wk.rng.IntN(len(wk.f.groups))]
	g.mu.Lock()
	defer g.mu.Unlock()
	add := len(g.members) == 0 || wk.rng.IntN(2) == 0
	u := -1
	if add {
		for range 8 {
			cand := wk.rng.IntN(len(wk.f.users))
			if _, member := g.pos[cand]; !member {
				u = cand
				break
			}
		}
		if u < 0 { // (nearly) everyone is a member already
			add = false
		}
	}
	var body []byte
	if add {
		body = fmt.Appendf(nil, `{"schemas":[%q],"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`,
			patchURN, wk.f.users[u].id)
	} else {
		u = g.members[wk.rng.IntN(len(g.members))]
		body = fmt.Appendf(nil, `{"schemas":[%q],"Operations":[{"op":"remove","path":%q}]}`,
			patchURN, `members[value eq "`+wk.f.users[u].id+`"]`)
	}
	if status := wk.send(ctx, opPatchGroup, "PATCH", "/Groups/"+g.id, body); status/100 == 2 {
		if add {
			g.add(u)
		} else {
			g.remove(u)
		}
	}
}

// userBody is a full User as an IdP sends it on create and replace.
func userBody(u user, title string, active bool) []byte {
	n := strconv.Itoa(u.index)
	doc := map[string]any{
		"schemas":     []string{userURN, enterpriseURN},
		"userName":    u.userName,
		"externalId":  "ext-" + n,
		"name":        map[string]any{"givenName": "Given" + n, "familyName": "Family" + n},
		"displayName": "Given" + n + " Family" + n,
		"title":       title,
		"active":      active,
		"emails":      []any{map[string]any{"value": u.userName, "type": "work", "primary": true}},
		enterpriseURN: map[string]any{"employeeNumber": n, "department": "Dept " + strconv.Itoa(u.index%20)},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // only strings, bools and maps of them
	}
	return b
}

// groupBody is a Group with the given members.
func groupBody(name string, f *fleet, members []int) []byte {
	ms := make([]map[string]string, len(members))
	for i, u := range members {
		ms[i] = map[string]string{"value": f.users[u].id}
	}
	b, err := json.Marshal(map[string]any{"schemas": []string{groupURN}, "displayName": name, "members": ms})
	if err != nil {
		panic(err)
	}
	return b
}
