package document

import (
	"reflect"
	"slices"
	"strings"

	"github.com/scimkit/scimkit/filter"
)

// A PATCH may carry up to MaxPatchOperations operations against a
// multi-valued attribute of 100,000 values (a group's members, a user's
// emails). Each operation must cost what it adds, removes or changes, not
// the size of the attribute, whatever the order of the operations:
// otherwise a 60 KB PATCH alternating add and remove holds the store's
// write lock for seconds. mvList is the working copy of one multi-valued
// attribute during one PATCH, with the indexes that make that so:
//
//   - removed elements become tombstones, so positions never shift and a
//     removal does not copy the list; the list is compacted once, when the
//     PATCH has been applied;
//   - the identities of the elements (what makes an add a duplicate) are
//     counted in a map that every change keeps up to date;
//   - value filters of the form `sub eq "v"` (emails[value eq "…"],
//     members[value eq "…"], emails[type eq "work"]) find their candidates
//     in an index of the sub-attribute, then are evaluated on those only;
//     removals by value (Entra ID's members removal) likewise;
//   - the elements flagged primary, and a journal of how the current
//     operation changed them, so that demoting the previous primary value
//     (RFC 7644 §3.5.2) costs what the operation changed.
//
// The indexes are built on first use, in one pass over the list. Operations
// that by their meaning change every element (emails.display without a
// filter) cost the size of the list and drop the indexes they would have to
// rewrite.

// tombstone takes the place of a removed element until the list is
// compacted.
var tombstone any = &struct{ removed bool }{true}

// mvList is one multi-valued attribute of the PATCH working document.
type mvList struct {
	container map[string]any
	key       string
	// elems is the list with tombstones; while published it is also the
	// value of container[key] (compacted by patchState.flush).
	elems     []any
	live      int
	published bool
	byValue   bool // members: an element's identity is its "value"
	primary   bool // the attribute has a "primary" sub-attribute

	// ids counts the live elements by identity, and cids is the identity
	// of each position; both nil until an add needs them.
	ids  map[string]int
	cids []string
	// vals indexes positions by elementIdentity(e, true), for removals by
	// value; subs indexes them by the folded string of a sub-attribute,
	// for value filters. Entries may be stale (the element changed or was
	// removed since): lookups verify them and drop the stale ones.
	vals map[string][]int
	subs map[string]*subIndex

	// prim holds the live elements flagged primary, with their content
	// without the flag (elementKey); primN counts prim by that key.
	prim  map[int]string
	primN map[string]int
	// opDelta is how the current operation changed primN; opPrim lists
	// the positions it made primary. Both are reset after each operation.
	opDelta map[string]int
	opPrim  []int
	inOp    bool

	// work counts the elements the PATCH's passes over whole lists have
	// visited (patchState.work).
	work *int
}

type subIndex struct {
	by  map[string][]int
	odd []int // elements whose sub-attribute is not a plain string
}

// patchState carries what one PATCH request's operations share: the
// working copies of the multi-valued attributes they touched.
type patchState struct {
	opts    Options
	lists   map[listKey]*mvList
	order   []*mvList // in order of creation, for a deterministic flush
	touched []*mvList // by the current operation
	// work is the number of elements visited by passes over whole lists
	// (a filter no index answers, a change of every element, building an
	// index), which applyPatch holds to its budget (patchWorkBudget).
	work int
}

type listKey struct {
	container uintptr // the map's identity (the mvList keeps it alive)
	key       string
}

// list returns the working copy of the multi-valued attribute t targets,
// made afresh when the attribute was replaced behind its back.
func (st *patchState) list(t *target) *mvList {
	k := listKey{reflect.ValueOf(t.container).Pointer(), t.key}
	l := st.lists[k]
	if l == nil || !l.current() {
		l = &mvList{container: t.container, key: t.key, byValue: t.key == "members", work: &st.work}
		_, l.primary = subAttr(t.attr, "primary")
		l.load(t.elements(), t.container[t.key] != nil)
		if st.lists == nil {
			st.lists = map[listKey]*mvList{}
		}
		st.lists[k] = l
		st.order = append(st.order, l)
	}
	if !l.inOp {
		l.inOp = true
		st.touched = append(st.touched, l)
	}
	return l
}

// current reports whether container[key] is still this list.
func (l *mvList) current() bool {
	v, ok := l.container[l.key]
	if !l.published {
		return !ok || v == nil
	}
	cur, isList := v.([]any)
	return isList && len(cur) == len(l.elems) && (len(cur) == 0 || &cur[0] == &l.elems[0])
}

// load makes elems the list, with no index built but prim.
func (l *mvList) load(elems []any, published bool) {
	l.elems, l.live, l.published = elems, len(elems), published
	l.ids, l.cids, l.vals, l.subs = nil, nil, nil, nil
	if published {
		l.container[l.key] = elems
	}
	if l.primary {
		for i := range elems {
			l.hookPrimary(i)
		}
	}
}

// publish stores the list in its container.
func (l *mvList) publish() {
	l.published = true
	l.container[l.key] = l.elems
}

// replaceAll makes values the whole list (replace of the attribute).
func (l *mvList) replaceAll(values []any) {
	l.dropPrimaries()
	l.load(values, true)
}

// removeAll removes the attribute.
func (l *mvList) removeAll() {
	l.dropPrimaries()
	delete(l.container, l.key)
	l.load(nil, false)
}

// each calls f with the position and content of every live element.
func (l *mvList) each(f func(i int, e any)) {
	if l.work != nil {
		*l.work += len(l.elems)
	}
	for i, e := range l.elems {
		if e != tombstone {
			f(i, e)
		}
	}
}

// identities returns the identity counts, building them on first use.
func (l *mvList) identities() map[string]int {
	if l.ids == nil {
		l.ids = make(map[string]int, l.live)
		l.cids = make([]string, len(l.elems))
		l.each(func(i int, e any) {
			id := elementIdentity(e, l.byValue)
			l.cids[i] = id
			l.ids[id]++
		})
	}
	return l.ids
}

// contains reports whether a live element has v's identity.
func (l *mvList) contains(v any) bool {
	return l.identities()[elementIdentity(v, l.byValue)] > 0
}

// append adds v at the end.
func (l *mvList) append(v any) {
	l.elems = append(l.elems, v)
	l.live++
	if l.cids != nil {
		l.cids = append(l.cids, "")
	}
	l.hook(len(l.elems) - 1)
	l.publish()
}

// change runs f, which changes element i in place or returns its
// replacement, and keeps the indexes up to date.
func (l *mvList) change(i int, f func(e any) any) {
	l.unhook(i)
	l.elems[i] = f(l.elems[i])
	l.hook(i)
}

// remove makes element i a tombstone.
func (l *mvList) remove(i int) {
	l.unhook(i)
	l.elems[i] = tombstone
	if l.cids != nil {
		l.cids[i] = ""
	}
	l.live--
}

// changeAll runs f on every live element: an operation that by its meaning
// costs the whole list. The indexes it would have to rewrite are dropped
// and rebuilt when next needed.
func (l *mvList) changeAll(f func(e any)) {
	l.dropPrimaries()
	l.ids, l.cids, l.vals, l.subs = nil, nil, nil, nil
	l.each(func(i int, e any) {
		f(e)
		l.hookPrimary(i)
	})
}

// unhook takes live element i out of the exact indexes before it changes.
func (l *mvList) unhook(i int) {
	if l.ids != nil {
		id := l.cids[i]
		if l.ids[id]--; l.ids[id] <= 0 {
			delete(l.ids, id)
		}
	}
	if k, ok := l.prim[i]; ok {
		delete(l.prim, i)
		l.primN[k]--
		l.journal(k, -1)
	}
}

// hook enters live element i in the indexes after it changed.
func (l *mvList) hook(i int) {
	e := l.elems[i]
	if l.ids != nil {
		id := elementIdentity(e, l.byValue)
		l.cids[i] = id
		l.ids[id]++
	}
	if l.vals != nil {
		id := elementIdentity(e, true)
		l.vals[id] = append(l.vals[id], i)
	}
	for sub, x := range l.subs {
		x.enter(sub, i, e)
	}
	l.hookPrimary(i)
}

func (l *mvList) hookPrimary(i int) {
	if !l.primary {
		return
	}
	m, ok := l.elems[i].(map[string]any)
	if !ok || !primaryFlag(m) {
		return
	}
	if l.prim == nil {
		l.prim, l.primN = map[int]string{}, map[string]int{}
	}
	k := elementKey(m)
	l.prim[i] = k
	l.primN[k]++
	l.journal(k, 1)
	if l.inOp {
		l.opPrim = append(l.opPrim, i)
	}
}

// dropPrimaries takes every element out of prim, as if removed.
func (l *mvList) dropPrimaries() {
	for i, k := range l.prim {
		delete(l.prim, i)
		l.primN[k]--
		l.journal(k, -1)
	}
}

func (l *mvList) journal(k string, d int) {
	if !l.inOp {
		return
	}
	if l.opDelta == nil {
		l.opDelta = map[string]int{}
	}
	l.opDelta[k] += d
}

// endOp closes the current operation. When it set a primary flag, it
// applies RFC 7644 §3.5.2 like a comparison of the primary values before
// and after the operation would: if the operation made a value primary
// whose content was not primary before, the values that were primary
// before lose the flag. Only the values the operation made primary are
// examined, and each demoted value leaves prim, so this stays linear.
func (l *mvList) endOp(setsPrimary bool) {
	if setsPrimary && len(l.opPrim) > 0 {
		before := func(k string) int { return l.primN[k] - l.opDelta[k] }
		fresh := false
		for _, i := range l.opPrim {
			if k, ok := l.prim[i]; ok && before(k) <= 0 {
				fresh = true
				break
			}
		}
		if fresh {
			var old []int
			for i, k := range l.prim {
				if before(k) > 0 {
					old = append(old, i)
				}
			}
			l.inOp = false // demotions are not part of the operation
			for _, i := range old {
				l.change(i, func(e any) any {
					setKey(e.(map[string]any), "primary", false)
					return e
				})
			}
		}
	}
	l.opDelta, l.opPrim, l.inOp = nil, nil, false
}

// matched returns, in order, the positions of the live elements sel
// selects. A filter of `sub eq "v"` form is answered from an index of sub;
// any other filter is tested against every element.
func (l *mvList) matched(sel *filter.Filter) []int {
	sub, values, ok := sel.ValueEqualities()
	if !ok {
		var idx []int
		l.each(func(i int, e any) {
			if m, isMap := e.(map[string]any); isMap && sel.Match(m) {
				idx = append(idx, i)
			}
		})
		return idx
	}
	x := l.subIndex(sub)
	seen := map[int]bool{}
	var idx []int
	check := func(i int) {
		if !seen[i] {
			seen[i] = true
			if m, isMap := l.elems[i].(map[string]any); isMap && sel.Match(m) {
				idx = append(idx, i)
			}
		}
	}
	for _, v := range values {
		x.by[v] = l.fresh(x.by[v], func(e any) bool { k, kind := subKey(e, sub); return kind == subString && k == v })
		for _, i := range x.by[v] {
			check(i)
		}
	}
	x.odd = l.fresh(x.odd, func(e any) bool { _, kind := subKey(e, sub); return kind == subOdd })
	for _, i := range x.odd {
		check(i)
	}
	slices.Sort(idx)
	return idx
}

// withValues returns, in order, the positions of the live elements whose
// elementIdentity(e, true) is one of ids.
func (l *mvList) withValues(ids []string) []int {
	if l.vals == nil {
		l.vals = make(map[string][]int, l.live)
		l.each(func(i int, e any) {
			id := elementIdentity(e, true)
			l.vals[id] = append(l.vals[id], i)
		})
	}
	seen := map[int]bool{}
	var idx []int
	for _, id := range ids {
		l.vals[id] = l.fresh(l.vals[id], func(e any) bool { return elementIdentity(e, true) == id })
		for _, i := range l.vals[id] {
			if !seen[i] {
				seen[i] = true
				idx = append(idx, i)
			}
		}
	}
	slices.Sort(idx)
	return idx
}

// fresh drops from an index bucket the positions that are removed, no
// longer belong (belongs is false) or repeat, in place, so that each stale
// entry costs one lookup.
func (l *mvList) fresh(bucket []int, belongs func(e any) bool) []int {
	if len(bucket) == 0 {
		return bucket
	}
	out := bucket[:0]
	var seen map[int]bool
	if len(bucket) > 1 {
		seen = make(map[int]bool, len(bucket))
	}
	for _, i := range bucket {
		if e := l.elems[i]; e != tombstone && !seen[i] && belongs(e) {
			if seen != nil {
				seen[i] = true
			}
			out = append(out, i)
		}
	}
	return out
}

func (l *mvList) subIndex(sub string) *subIndex {
	if x := l.subs[sub]; x != nil {
		return x
	}
	x := &subIndex{by: map[string][]int{}}
	l.each(func(i int, e any) { x.enter(sub, i, e) })
	if l.subs == nil {
		l.subs = map[string]*subIndex{}
	}
	l.subs[sub] = x
	return x
}

func (x *subIndex) enter(sub string, i int, e any) {
	switch k, kind := subKey(e, sub); kind {
	case subString:
		x.by[k] = append(x.by[k], i)
	case subOdd:
		x.odd = append(x.odd, i)
	}
}

// Kinds of sub-attribute value, for a subIndex.
const (
	subNone   = iota // not a JSON object, or no value: no eq test matches
	subString        // a string, indexed by its folding
	subOdd           // anything else: tested on every lookup
)

// subKey returns the folded string an element has under sub, looked up as
// filters do (the exact key, else a case-insensitive one), and its kind.
func subKey(e any, sub string) (string, int) {
	m, ok := e.(map[string]any)
	if !ok {
		return "", subNone
	}
	v, found := m[sub]
	if !found {
		n := 0
		for k, x := range m {
			if strings.EqualFold(k, sub) {
				v, n = x, n+1
			}
		}
		if n > 1 {
			return "", subOdd // which one a filter sees is not defined
		}
	}
	switch t := v.(type) {
	case nil:
		return "", subNone
	case string:
		return filter.Fold(t), subString
	}
	return "", subOdd
}

// endOp closes the current operation on every list it touched.
func (st *patchState) endOp(setsPrimary bool) {
	for _, l := range st.touched {
		l.endOp(setsPrimary)
	}
	st.touched = st.touched[:0]
}

// flush compacts every list still in the document: the working document
// holds no tombstone afterwards.
func (st *patchState) flush() {
	for _, l := range st.order {
		if !l.published || !l.current() || l.live == len(l.elems) {
			continue
		}
		out := make([]any, 0, l.live)
		l.each(func(_ int, e any) { out = append(out, e) })
		l.container[l.key] = out
	}
}
