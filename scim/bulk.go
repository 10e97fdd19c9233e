package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/internal/scimerr"
	"github.com/scimkit/scimkit/store"
)

// Bulk (RFC 7644 §3.7). Each operation runs through Handler.write, exactly
// as its single-request twin: validation, uniqueness, If-Match (the
// operation's "version"), its own store transaction, hooks and audit
// record. Operations are not atomic together; each is atomic on its own.

const (
	bulkRequestURN  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkResponseURN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	bulkIDPrefix    = "bulkId:"
)

// Defaults for the Bulk limits.
const (
	DefaultBulkMaxOperations   = 1000
	DefaultBulkMaxPayloadBytes = 1 << 20
)

// bulkMethods are the methods a bulk operation may use, with the write each
// makes and the status it answers on success.
var bulkMethods = map[string]struct {
	kind   writeKind
	status int
}{
	http.MethodPost:   {opCreate, http.StatusCreated},
	http.MethodPut:    {opReplace, http.StatusOK},
	http.MethodPatch:  {opPatch, http.StatusOK},
	http.MethodDelete: {opDelete, http.StatusNoContent},
}

type bulkOp struct {
	index   int
	method  string
	bulkID  string
	version string
	path    string
	data    any

	done    bool
	failed  bool
	result  map[string]any
	created string // id, for a POST that succeeded
	// deferred are members of a POST stripped to break a circular
	// reference, added once their bulkIds resolve.
	deferred []any
}

func (h *Handler) serveBulk(w http.ResponseWriter, r *http.Request) {
	if !h.allow(w, r, http.MethodPost) {
		return
	}
	scope, err := h.scope(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	body, err := readJSON(r)
	if err != nil {
		if se, _ := toSCIMError(err); se.Status == http.StatusRequestEntityTooLarge {
			err = errorf(http.StatusRequestEntityTooLarge, "",
				"the size of the bulk request exceeds maxPayloadSize (%d bytes)", h.cfg.BulkMaxPayloadBytes)
		}
		h.writeError(w, r, err)
		return
	}
	ops, failOnErrors, err := h.parseBulk(body)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	// The directory's policy is read once, for every operation.
	pol, err := h.policyFor(r.Context(), scope)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.runBulk(r, target{scope, pol}, ops, failOnErrors)
	results := make([]any, 0, len(ops))
	for _, op := range ops {
		if op.result != nil {
			results = append(results, op.result)
		}
	}
	h.writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{bulkResponseURN}, "Operations": results})
}

// parseBulk checks the request as a whole; nothing is applied when it
// fails.
func (h *Handler) parseBulk(body map[string]any) ([]*bulkOp, int, error) {
	k, _ := document.LookupKey(body, "schemas")
	list, _ := body[k].([]any)
	found := false
	for _, s := range list {
		if str, ok := s.(string); ok && strings.EqualFold(str, bulkRequestURN) {
			found = true
		}
	}
	if !found {
		return nil, 0, badRequest(typeInvalidSyntax, `"schemas" must contain %q`, bulkRequestURN)
	}
	failOnErrors := 0
	if k, ok := document.LookupKey(body, "failOnErrors"); ok && body[k] != nil {
		n, isNum := body[k].(json.Number)
		v, err := strconv.Atoi(string(n))
		if !isNum || err != nil || v < 0 {
			return nil, 0, badRequest(typeInvalidValue, `"failOnErrors" must be a non-negative integer`)
		}
		failOnErrors = v
	}
	k, _ = document.LookupKey(body, "Operations")
	raw, ok := body[k].([]any)
	if !ok {
		return nil, 0, badRequest(typeInvalidSyntax, `"Operations" must be an array`)
	}
	if len(raw) > h.cfg.BulkMaxOperations {
		return nil, 0, errorf(http.StatusRequestEntityTooLarge, typeTooMany,
			"the bulk request has %d operations; maxOperations is %d", len(raw), h.cfg.BulkMaxOperations)
	}
	ops := make([]*bulkOp, 0, len(raw))
	bulkIDs := map[string]bool{}
	for i, e := range raw {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, 0, badRequest(typeInvalidSyntax, "operation %d must be an object", i)
		}
		op := &bulkOp{index: i}
		str := func(name string) string {
			k, _ := document.LookupKey(m, name)
			s, _ := m[k].(string)
			return s
		}
		op.method, op.bulkID, op.version, op.path = strings.ToUpper(str("method")), str("bulkId"), str("version"), str("path")
		if k, ok := document.LookupKey(m, "data"); ok {
			op.data = m[k]
		}
		if op.bulkID != "" {
			if bulkIDs[op.bulkID] {
				return nil, 0, badRequest(typeInvalidValue, "bulkId %q is used by more than one operation", op.bulkID)
			}
			bulkIDs[op.bulkID] = true
		}
		ops = append(ops, op)
	}
	return ops, failOnErrors, nil
}

// runBulk processes the operations, each once its bulkId references can
// be resolved, in request order otherwise.
func (h *Handler) runBulk(r *http.Request, tg target, ops []*bulkOp, failOnErrors int) {
	scope := tg.scope
	byBulkID := map[string]*bulkOp{}
	for _, op := range ops {
		if op.bulkID != "" && op.method == http.MethodPost {
			byBulkID[op.bulkID] = op
		}
	}
	errorsSeen := 0
	stop := func() bool { return failOnErrors > 0 && errorsSeen >= failOnErrors }
	finish := func(op *bulkOp) {
		if op.failed {
			errorsSeen++
		}
	}
	for !stop() {
		progressed := false
		for _, op := range ops {
			if op.done || stop() {
				continue
			}
			refs := bulkRefs(op)
			state := resolvable(refs, byBulkID)
			switch state {
			case refsPending:
				continue
			case refsFailed:
				h.refuseBulk(r, scope, op, badRequest(typeInvalidValue, "a bulkId this operation refers to was not created"))
			default:
				h.execBulk(r, tg, op, byBulkID)
			}
			progressed = true
			finish(op)
		}
		if !progressed {
			break
		}
	}
	if stop() {
		return
	}
	// What is left waits on itself: circular references. A POST whose
	// unresolved references are all group members is created without
	// them, and they are added once resolved (RFC 7644 §3.7.1); anything
	// else is a 409.
	var deferred []*bulkOp
	for _, op := range ops {
		if op.done || op.method != http.MethodPost || stop() {
			continue
		}
		if h.stripCircularMembers(op, byBulkID) {
			h.execBulk(r, tg, op, byBulkID)
			finish(op)
			if !op.failed && len(op.deferred) > 0 {
				deferred = append(deferred, op)
			}
		}
	}
	for _, op := range ops {
		if !op.done && !stop() {
			h.refuseBulk(r, scope, op, errorf(http.StatusConflict, "", "circular bulkId references could not be resolved"))
			finish(op)
		}
	}
	for _, op := range deferred {
		if stop() {
			return
		}
		h.addDeferredMembers(r, tg, op, byBulkID)
		if op.failed {
			errorsSeen++
		}
	}
}

type refState int

const (
	refsReady refState = iota
	refsPending
	refsFailed
)

func resolvable(refs []string, byBulkID map[string]*bulkOp) refState {
	state := refsReady
	for _, ref := range refs {
		target, ok := byBulkID[ref]
		switch {
		case !ok || (target.done && target.failed):
			return refsFailed
		case !target.done:
			state = refsPending
		}
	}
	return state
}

// bulkRefs lists the bulkIds an operation's path and data refer to.
func bulkRefs(op *bulkOp) []string {
	var refs []string
	if i := strings.Index(op.path, bulkIDPrefix); i >= 0 {
		refs = append(refs, op.path[i+len(bulkIDPrefix):])
	}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case string:
			if strings.HasPrefix(t, bulkIDPrefix) {
				refs = append(refs, t[len(bulkIDPrefix):])
			}
		case map[string]any:
			for _, e := range t {
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(op.data)
	return refs
}

// substitute replaces resolved "bulkId:X" strings with the created ids.
func substitute(v any, byBulkID map[string]*bulkOp) any {
	switch t := v.(type) {
	case string:
		if ref, ok := strings.CutPrefix(t, bulkIDPrefix); ok {
			if target := byBulkID[ref]; target != nil && target.created != "" {
				return target.created
			}
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = substitute(e, byBulkID)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = substitute(e, byBulkID)
		}
		return out
	}
	return v
}

// stripCircularMembers removes from a POST /Groups the members whose
// bulkIds are still unresolved, keeping them to add later; it reports
// false when unresolved references remain elsewhere in the operation.
func (h *Handler) stripCircularMembers(op *bulkOp, byBulkID map[string]*bulkOp) bool {
	data, ok := op.data.(map[string]any)
	rt, _, _ := h.bulkTarget(op.path)
	if !ok || rt != h.groups {
		return false
	}
	k, ok := document.LookupKey(data, "members")
	if !ok {
		return false
	}
	list, _ := data[k].([]any)
	var keep []any
	for _, m := range list {
		mm, _ := m.(map[string]any)
		vk, _ := document.LookupKey(mm, "value")
		if ref, isRef := strings.CutPrefix(fmt.Sprint(mm[vk]), bulkIDPrefix); isRef {
			if target := byBulkID[ref]; target != nil && !target.done {
				op.deferred = append(op.deferred, m)
				continue
			}
		}
		keep = append(keep, m)
	}
	stripped := make(map[string]any, len(data))
	for key, v := range data {
		stripped[key] = v
	}
	stripped[k] = append([]any{}, keep...)
	rest := &bulkOp{path: op.path, data: stripped}
	if resolvable(bulkRefs(rest), byBulkID) != refsReady {
		op.deferred = nil
		return false
	}
	op.data = stripped
	return true
}

// addDeferredMembers adds the members stripped from a circular POST, now
// that their bulkIds have resolved, through the same write path as PATCH.
// When that fails (a member's own POST failed, or the PATCH is refused),
// the group created without them is deleted again through the write path
// (hooks and audit included), so a failed POST leaves no half-made group
// behind for the client's retry to collide with.
func (h *Handler) addDeferredMembers(r *http.Request, tg target, op *bulkOp, byBulkID map[string]*bulkOp) {
	scope := tg.scope
	members := substitute(op.deferred, byBulkID).([]any)
	var err error
	for _, m := range members {
		mm, _ := m.(map[string]any)
		vk, _ := document.LookupKey(mm, "value")
		if s, _ := mm[vk].(string); strings.HasPrefix(s, bulkIDPrefix) {
			err = badRequest(typeInvalidValue, "member %s was not created", s)
			break
		}
	}
	var res *store.Resource
	if err == nil {
		patch := []document.Op{document.AddOp("members", members)}
		res, err = h.write(r.Context(), scope, writeOp{kind: opPatch, rt: h.groups, id: op.created, status: http.StatusOK, policy: tg.policy,
			compute: func(cur *store.Resource) (*document.Decoded, error) {
				return h.groups.ApplyPatch(cur, patch, document.Options{})
			}})
	}
	if err == nil {
		op.result["version"] = res.ETag()
		return
	}
	if _, derr := h.write(r.Context(), scope, writeOp{kind: opDelete, rt: h.groups, id: op.created, policy: tg.policy,
		status: http.StatusNoContent}); derr != nil && !errors.Is(derr, store.ErrNotFound) {
		// The group stays; say so rather than pretend the POST failed.
		h.log.ErrorContext(r.Context(), "scim: bulk: undoing a circular group POST", "id", op.created, "error", derr)
		op.result["status"] = strconv.Itoa(http.StatusCreated)
		op.result["response"] = map[string]any{"detail": "created without the members whose operations failed"}
		return
	}
	op.created = ""
	h.failBulk(op, err)
}

// bulkTarget resolves an operation's path to a resource type and id.
func (h *Handler) bulkTarget(path string) (*document.Type, string, error) {
	p := strings.TrimPrefix(strings.TrimSuffix(path, "/"), "/")
	first, id, _ := strings.Cut(p, "/")
	for _, rt := range h.types {
		if strings.EqualFold(first, rt.Endpoint[1:]) {
			if id != "" {
				unescaped, err := url.PathUnescape(id)
				if err != nil || strings.Contains(unescaped, "/") {
					return nil, "", badRequest(typeInvalidPath, "invalid resource path %q", filter.Excerpt(path))
				}
				if !validText(unescaped) {
					return nil, "", errorf(http.StatusNotFound, "", "no such resource")
				}
				id = unescaped
			}
			return rt, id, nil
		}
	}
	return nil, "", badRequest(typeInvalidPath, "path %q names no resource type", filter.Excerpt(path))
}

// execBulk runs one operation through the write path and records its
// result.
func (h *Handler) execBulk(r *http.Request, tg target, op *bulkOp, byBulkID map[string]*bulkOp) {
	scope := tg.scope
	path := op.path
	if i := strings.Index(path, bulkIDPrefix); i >= 0 {
		// "/Users/bulkId:qwerty" names the resource a POST created.
		if target := byBulkID[path[i+len(bulkIDPrefix):]]; target != nil && target.created != "" {
			path = path[:i] + target.created
		}
	}
	data := substitute(op.data, byBulkID)
	rt, id, err := h.bulkTarget(path)
	if err != nil {
		h.refuseBulk(r, scope, op, err)
		return
	}
	wop := writeOp{rt: rt, id: id, ifMatch: op.version}
	if m, ok := bulkMethods[op.method]; ok {
		wop.kind, wop.status = m.kind, m.status
	} else {
		err = badRequest(typeInvalidSyntax, "method %q is not POST, PUT, PATCH or DELETE", filter.Excerpt(op.method))
	}
	if op.method == http.MethodPost {
		if id != "" {
			err = badRequest(typeInvalidPath, "POST needs a resource type path, not %q", filter.Excerpt(path))
		} else if op.bulkID == "" {
			err = badRequest(typeInvalidSyntax, "POST needs a bulkId")
		}
	}
	if err == nil && op.method != http.MethodPost && id == "" {
		err = badRequest(typeInvalidPath, "%s needs a resource path such as /Users/{id}", op.method)
	}
	if err == nil {
		if p, ok := auth.FromContext(r.Context()); ok && !p.Allows(rt.Name, true) {
			need := auth.RequiredScope(rt.Name, true)
			// Logged as a single request's 403 is (auth.Forbid), naming
			// the operation.
			auth.LogForbidden(r, h.log, need, p.Tenant, slog.Int("bulkOperation", op.index),
				slog.String("bulkMethod", op.method), slog.String("bulkPath", op.path))
			err = errorf(http.StatusForbidden, "", "the credential lacks the scope %s", need)
		}
	}
	wop.policy = tg.policy
	if err == nil && op.method != http.MethodDelete {
		body, isObj := data.(map[string]any)
		if !isObj {
			err = badRequest(typeInvalidSyntax, `"data" must be an object`)
		} else if op.method == http.MethodPatch {
			err = h.fromPatch(rt)(body, &wop)
		} else {
			err = h.fromBody(rt)(body, &wop)
		}
	}
	if err != nil {
		h.refuseBulk(r, scope, op, err)
		return
	}
	res, err := h.write(r.Context(), scope, wop)
	if err != nil {
		h.failBulk(op, err)
		return
	}
	op.done = true
	op.result = map[string]any{"method": op.method, "status": strconv.Itoa(wop.status)}
	if op.bulkID != "" {
		op.result["bulkId"] = op.bulkID
	}
	if res != nil {
		op.created = res.ID
		op.result["location"] = h.baseURL(r) + rt.Endpoint + "/" + url.PathEscape(res.ID)
		op.result["version"] = res.ETag()
	}
}

// refuseBulk fails an operation refused before it reached the write path,
// auditing the refusal as serveWrite does for a single request (the write
// path audits everything that reaches it).
func (h *Handler) refuseBulk(r *http.Request, scope store.Scope, op *bulkOp, err error) {
	h.failBulk(op, err)
	if h.cfg.Audit == nil {
		return
	}
	operation := strings.ToLower(op.method)
	if m, ok := bulkMethods[op.method]; ok {
		operation = m.kind.String()
	}
	se, _ := toSCIMError(err)
	rec := store.AuditRecord{Scope: scope, Operation: operation, Status: se.Status, Error: se.Detail}
	if p, ok := auth.FromContext(r.Context()); ok {
		rec.Actor = p.CredentialID
	}
	if rt, id, terr := h.bulkTarget(op.path); terr == nil {
		rec.ResourceType = rt.Kind
		if !strings.HasPrefix(id, bulkIDPrefix) {
			rec.ResourceID = id
		}
	}
	h.audit(r.Context(), rec)
}

// failBulk records op as failed with err's SCIM error.
func (h *Handler) failBulk(op *bulkOp, err error) {
	se, known := toSCIMError(err)
	if !known {
		h.log.ErrorContext(context.Background(), "scim: bulk operation failed", "index", op.index, "error", err)
	}
	op.done, op.failed = true, true
	op.result = map[string]any{"method": op.method, "status": strconv.Itoa(se.Status), "response": scimerr.New(se.Status, string(se.ScimType), se.Detail)}
	if op.bulkID != "" {
		op.result["bulkId"] = op.bulkID
	}
}
