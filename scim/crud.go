package scim

import (
	"context"
	"fmt"
	"net/http"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/store"
)

func (h *Handler) scope(r *http.Request) (store.Scope, error) {
	return h.cfg.Scope(r)
}

func queryProjection(r *http.Request) document.Projection {
	if r.URL.RawQuery == "" {
		return document.Projection{}
	}
	q := r.URL.Query()
	return document.ParseProjection(q.Get("attributes"), q.Get("excludedAttributes"))
}

func (h *Handler) writeResource(w http.ResponseWriter, r *http.Request, status int, rt *document.Type, res *store.Resource) {
	base := h.baseURL(r)
	w.Header().Set("ETag", res.ETag()) // render puts the same in meta.version
	if status == http.StatusCreated {
		w.Header().Set("Location", base+rt.Endpoint+"/"+res.ID)
	}
	h.writeJSON(w, status, h.render(base, rt, res, queryProjection(r)))
}

func (h *Handler) serveGet(w http.ResponseWriter, r *http.Request, rt *document.Type, id string) {
	scope, err := h.scope(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	res, err := h.getForRead(r, scope, rt, id)
	h.auditRead(r, scope, rt, "get", id, err)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if im := r.Header.Get("If-Match"); !etagMatches(im, res.ETag()) {
		h.writeError(w, r, errorf(http.StatusPreconditionFailed, "", "If-Match %s does not match the current version %s", im, res.ETag()))
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, res.ETag()) {
		w.Header().Set("ETag", res.ETag())
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.writeResource(w, r, http.StatusOK, rt, res)
}

// fromBody decodes a POST or PUT body into the resource to store.
func (h *Handler) fromBody(rt *document.Type) parser {
	return func(body map[string]any, op *writeOp) error {
		next, err := rt.Decode(body, true)
		if err != nil {
			return err
		}
		op.compute = func(*store.Resource) (*document.Decoded, error) { return next, nil }
		return nil
	}
}

// fromPatch parses a PatchOp body into the change it makes: a member delta
// when that is all it is (document.Type.MemberDelta), else a function
// applying it.
func (h *Handler) fromPatch(rt *document.Type) parser {
	return func(body map[string]any, op *writeOp) error {
		ops, err := document.ParsePatch(body)
		if err != nil {
			return err
		}
		if len(ops) > h.cfg.MaxPatchOperations {
			return badRequest(typeInvalidValue, "a PATCH may have at most %d operations, not %d", h.cfg.MaxPatchOperations, len(ops))
		}
		opts := op.policy.documentOptions()
		if op.members = rt.MemberDelta(ops, opts); op.members == nil {
			op.compute = func(cur *store.Resource) (*document.Decoded, error) { return rt.ApplyPatch(cur, ops, opts) }
		}
		return nil
	}
}

// serveWrite answers POST, PUT, PATCH and DELETE: it reads and parses the
// body (when parse is non-nil), runs the write and writes the response.
func (h *Handler) serveWrite(w http.ResponseWriter, r *http.Request, rt *document.Type, kind writeKind, id string, parse parser) {
	scope, err := h.scope(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	op := writeOp{kind: kind, rt: rt, id: id, ifMatch: r.Header.Get("If-Match"), ifNoneMatch: r.Header.Get("If-None-Match"),
		status: successStatus(r, rt, kind)}
	if op.policy, err = h.policyFor(r.Context(), scope); err != nil {
		h.writeError(w, r, err)
		return
	}
	if parse != nil {
		body, err := readJSON(r)
		if err == nil {
			err = parse(body, &op)
		}
		if err != nil {
			// Refused before reaching the write path: still audited.
			se, _ := toSCIMError(err)
			p, _ := auth.FromContext(r.Context())
			rec := store.AuditRecord{Scope: scope, Actor: p.CredentialID, Operation: kind.String(),
				ResourceType: rt.Kind, ResourceID: id, Status: se.Status, Error: se.Detail}
			h.audit(r.Context(), rec)
			h.noteFailure(op.policy, rec)
			h.writeError(w, r, err)
			return
		}
	}
	res, err := h.write(r.Context(), scope, op)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	switch op.status {
	case http.StatusNoContent:
		if res != nil {
			w.Header().Set("ETag", res.ETag())
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		h.writeResource(w, r, op.status, rt, res)
	}
}

// successStatus is what a successful write answers: 201 for a create, 204
// for a delete and, because Entra ID expects it and returning a large
// group's member list after every membership change is wasteful, for a
// group PATCH that asks for no attributes (RFC 7644 §3.5.2); else 200.
func successStatus(r *http.Request, rt *document.Type, kind writeKind) int {
	switch {
	case kind == opCreate:
		return http.StatusCreated
	case kind == opDelete:
		return http.StatusNoContent
	case kind == opPatch && rt.Kind == store.Group && queryProjection(r).Empty():
		return http.StatusNoContent
	}
	return http.StatusOK
}

// getForRead loads a resource for GET. When a group's members will not be
// returned (Entra ID asks with excludedAttributes=members), it is read
// through List with ExcludeMembers, so a store need not load a large
// member list for nothing.
func (h *Handler) getForRead(r *http.Request, scope store.Scope, rt *document.Type, id string) (*store.Resource, error) {
	if rt.Kind != store.Group || queryProjection(r).WantsMembers() {
		return h.readGet(r.Context(), scope, rt.Kind, id)
	}
	f, err := rt.EqFilter("id", id)
	if err != nil {
		return nil, err
	}
	page, err := h.readList(r.Context(), scope, rt.Kind, store.Query{Filter: f, StartIndex: 1, Count: 1, ExcludeMembers: true})
	if err != nil {
		return nil, err
	}
	if len(page.Resources) == 0 {
		return nil, fmt.Errorf("%w: %s %q", store.ErrNotFound, rt.Kind, id)
	}
	return page.Resources[0], nil
}

// auditRead records a read when Config.AuditReads is set.
func (h *Handler) auditRead(r *http.Request, scope store.Scope, rt *document.Type, operation, id string, err error) {
	if !h.cfg.AuditReads {
		return
	}
	p, _ := auth.FromContext(r.Context())
	rec := store.AuditRecord{Scope: scope, Actor: p.CredentialID, Operation: operation, ResourceType: rt.Kind,
		ResourceID: id, Status: http.StatusOK}
	if err != nil {
		se, _ := toSCIMError(err)
		rec.Status, rec.Error = se.Status, se.Detail
	}
	h.audit(r.Context(), rec)
}

// readGet and readList read resources that are only rendered (render
// copies before a document.Projection changes anything; nothing reaches hooks):
// from the store's views when it offers them, without a copy of their
// attributes.
func (h *Handler) readGet(ctx context.Context, scope store.Scope, typ store.ResourceType, id string) (*store.Resource, error) {
	if h.views != nil {
		return h.views.GetView(ctx, scope, typ, id)
	}
	return h.store.Get(ctx, scope, typ, id)
}

func (h *Handler) readList(ctx context.Context, scope store.Scope, typ store.ResourceType, q store.Query) (*store.Page, error) {
	if h.views != nil {
		return h.views.ListView(ctx, scope, typ, q)
	}
	return h.store.List(ctx, scope, typ, q)
}

// viewsOf returns st's views when it offers them for itself, nil for a
// store without, or a wrapper that embeds one (see store.Viewer).
func viewsOf(st store.Store) store.ViewReader {
	if v, ok := st.(store.Viewer); ok {
		return v.ViewsFor(st)
	}
	return nil
}
