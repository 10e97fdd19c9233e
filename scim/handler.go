// Package scim serves a SCIM 2.0 (RFC 7643/7644) service provider endpoint
// as one http.Handler backed by a store.Store.
//
// Mount it under any prefix with http.StripPrefix:
//
//	h, err := scim.NewHandler(scim.Config{Store: memory.New()})
//	if err != nil { ... }
//	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
//
// The handler serves /Users, /Groups (POST, GET, PUT, PATCH, DELETE, list
// with filter, sortBy, paging and attribute document.Projection, POST /.search),
// /ServiceProviderConfig, /Schemas and /ResourceTypes. Authentication is
// left to middleware in front of it (see package auth); the handler scopes
// every store call to the tenant that middleware resolved.
//
// # Why not elimity-com/scim's Server
//
// Schema definitions, type validation and the SCIM error type come from
// github.com/elimity-com/scim. Its http Server is not used: it has no
// If-Match/If-None-Match handling, no sortBy, no attributes document.Projection,
// reports itemsPerPage as the requested count, hard-codes sort and etag as
// unsupported in /ServiceProviderConfig, rejects filters and PATCH bodies
// that Entra ID and Okta really send, and accepts Entra's "active":"False"
// only through a process-wide setter that would leak between two handlers
// in one process. Routing is a small switch here instead.
package scim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/events"
	"github.com/scimkit/scimkit/filter"
	"github.com/scimkit/scimkit/internal/batch"
	"github.com/scimkit/scimkit/internal/document"
	"github.com/scimkit/scimkit/internal/scimerr"
	"github.com/scimkit/scimkit/schema"
	"github.com/scimkit/scimkit/store"
)

const contentType = scimerr.ContentType

// Defaults for Config fields left zero.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxResults   = 1000
	DefaultMaxFilterLen = filter.DefaultMaxLength
	// DefaultMaxPatchOperations is Config.MaxPatchOperations' default.
	DefaultMaxPatchOperations = 1000
)

// Config configures a Handler. Only Store is required.
type Config struct {
	// Store keeps users and groups. Required.
	Store store.Store

	// UserExtensions are schema extensions for User beyond the enterprise
	// extension, which is always served. Each is validated, stored under
	// its URN, filterable and listed in /Schemas. Extensions are optional
	// on every resource.
	UserExtensions []schema.Schema
	// GroupExtensions are schema extensions for Group.
	GroupExtensions []schema.Schema

	// Directories, when set, holds the directory records whose settings
	// each write follows (directory.Settings): group deletion, the grace
	// period, unique group names, the default role and team permission
	// (handed to hooks in Origin) and the IdP profile. A scope without a
	// record follows the handler-wide options below, which are so the
	// defaults. Requests authenticated by directory.Authenticator carry
	// their directory, so reading its policy costs no store read.
	Directories directory.Store

	// UniqueGroupDisplayName makes Group displayName unique per scope,
	// ignoring case (409 uniqueness on a clash). userName is always unique.
	UniqueGroupDisplayName bool
	// Protected reports whether the app protects a user: SCIM may update
	// it but never deactivate or delete it (the owner's break-glass
	// admin). A write that would is refused with 403 and audited, and
	// Hooks.ProtectedRefused is told; a disconnect releases such a user
	// instead. Nil protects no one.
	Protected func(ctx context.Context, scope store.Scope, user *store.Resource) bool

	// IdPProfile is how requests are read where an IdP and RFC 7644
	// disagree, for scopes without a directory record; the zero Profile
	// is the RFC. An app serving Entra ID without directory records sets
	// directory.Entra.Profile().
	IdPProfile directory.Profile

	// MaxBodyBytes limits request bodies; larger ones get 413. Default 1 MiB.
	MaxBodyBytes int64
	// MaxResults caps the resources one list response returns; a larger
	// count is reduced to it, and it is the page size when the client
	// sends no count. Default 1000.
	MaxResults int

	// BulkMaxOperations and BulkMaxPayloadBytes limit a /Bulk request
	// (advertised in /ServiceProviderConfig); larger ones get 413 before
	// anything is applied. Defaults 1000 and 1 MiB.
	BulkMaxOperations   int
	BulkMaxPayloadBytes int64

	// MaxPatchOperations limits the operations of one PATCH request;
	// more get 400 invalidValue. Default 1000. (IdPs send a few; a
	// membership batch travels as one operation's value.)
	MaxPatchOperations int

	// MaxFilterLen limits the length in bytes of every filter and
	// attribute path a client sends: filter (400 invalidFilter), PATCH
	// path (400 invalidPath), sortBy and each name of attributes and
	// excludedAttributes (400 invalidValue). Longer ones are refused
	// before any parsing (filter.WithMaxLength). Default 4096
	// (filter.DefaultMaxLength), far above what IdPs send.
	MaxFilterLen int

	// BaseURL is the absolute URL the handler is mounted at, such as
	// "https://app.example.com/scim/v2", used in meta.location and $ref.
	// When empty it is derived from each request (scheme, Host and the
	// prefix that http.StripPrefix removed).
	BaseURL string

	// Scope returns the store scope a request acts on. The default takes
	// the tenant and directory of the auth.Principal in the request
	// context, or the zero Scope when there is none (only with
	// HostAuthenticates).
	Scope func(r *http.Request) (store.Scope, error)

	// HostAuthenticates says that the host app authenticates every
	// request itself, before the handler, with middleware of its own that
	// puts no auth.Principal in the request context. Such requests are
	// then served on the scope Scope returns (the zero scope by default).
	//
	// Left false (the default), the handler fails closed: a request that
	// reaches it without an auth.Principal, which auth.Bearer, auth.Signed
	// and auth.ClientCert put there, is refused with 401, so a route
	// mounted without its authentication by mistake serves nothing.
	HostAuthenticates bool

	// DocumentationURI is advertised in /ServiceProviderConfig.
	DocumentationURI string
	// AuthenticationSchemes are advertised in /ServiceProviderConfig.
	// Default: one OAuth bearer token scheme.
	AuthenticationSchemes []AuthenticationScheme

	// Hooks receive lifecycle events inside each write's transaction; nil
	// for none. Set only the functions the app needs.
	Hooks *Hooks
	// GroupDeletion decides what deleting a group means for its members'
	// team memberships; default KeepMembers.
	GroupDeletion GroupDeletion
	// Audit receives a store.AuditRecord for every write, failed ones
	// included; nil for none. A store.TxAuditSink (such as the SQL
	// store's) writes in the request's transaction. memory.AuditLog keeps
	// records in memory.
	Audit store.AuditSink
	// Events, when set, is the outbox each successful write records its
	// events in (events.Record), in the write's own transaction, so they
	// commit or roll back with it: the feed and the dispatcher deliver
	// them. It must be the outbox of Store (memory.Store.Events,
	// sqlstore.Store.Events).
	Events events.Outbox
	// AuditReads also audits GET and list requests.
	AuditReads bool
	// DeactivationGracePeriod is how long a deactivated user is kept
	// before Handler.ExpireDeactivated deletes it (running the UserDeleted
	// hook). Zero keeps deactivated users until the IdP deletes them.
	DeactivationGracePeriod time.Duration
	// Now is the clock ExpireDeactivated measures the grace period with;
	// default time.Now.
	Now func() time.Time

	// Logger receives request failures the client is not told the cause of.
	// Default: slog.Default().
	Logger *slog.Logger
	// LogRequests logs every request to Logger when it ends (info level,
	// error for a 5xx): tenant, directory, credential, method,
	// operation, resource type, status and duration.
	LogRequests bool
	// Observe, when set, is called with every request when it ends, for
	// metrics: count requests and record latency by Operation and Status
	// with Prometheus, OpenTelemetry or anything else; the library imports
	// none of them. It runs on the request's goroutine, so it must be
	// quick.
	Observe func(ctx context.Context, info RequestInfo)
}

// AuthenticationScheme describes one way clients authenticate, as listed in
// /ServiceProviderConfig (RFC 7643 §5).
type AuthenticationScheme struct {
	Type             string `json:"type"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	SpecURI          string `json:"specUri,omitempty"`
	DocumentationURI string `json:"documentationUri,omitempty"`
	Primary          bool   `json:"primary,omitempty"`
}

// Handler is a SCIM 2.0 service provider. It is safe for concurrent use;
// several Handlers in one process share nothing.
type Handler struct {
	cfg    Config
	store  store.Store
	log    *slog.Logger
	users  *document.Type
	groups *document.Type
	types  []*document.Type
	bufs   bufferPool
	views  store.ViewReader // the store's views, or nil (viewsOf)
	// limits is the filter option that bounds every filter and path a
	// client sends (filter.WithMaxLength(MaxFilterLen)); the resource
	// types' filterOpts include it.
	limits filter.Option
	// lastErrors batches directories' last errors (nil without
	// Config.Directories).
	lastErrors *batch.Batcher[store.Scope, lastError]
}

// NewHandler validates cfg and returns a Handler serving it.
func NewHandler(cfg Config) (*Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("scim: Config.Store is required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxResults <= 0 {
		cfg.MaxResults = DefaultMaxResults
	}
	if cfg.BulkMaxOperations <= 0 {
		cfg.BulkMaxOperations = DefaultBulkMaxOperations
	}
	if cfg.BulkMaxPayloadBytes <= 0 {
		cfg.BulkMaxPayloadBytes = DefaultBulkMaxPayloadBytes
	}
	if cfg.MaxPatchOperations <= 0 {
		cfg.MaxPatchOperations = DefaultMaxPatchOperations
	}
	if cfg.MaxFilterLen <= 0 {
		cfg.MaxFilterLen = DefaultMaxFilterLen
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.Scope == nil {
		cfg.Scope = scopeFromPrincipal
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.AuthenticationSchemes) == 0 {
		cfg.AuthenticationSchemes = []AuthenticationScheme{{
			Type:        "oauthbearertoken",
			Name:        "OAuth Bearer Token",
			Description: "Authentication with a bearer token in the Authorization header.",
			SpecURI:     "https://www.rfc-editor.org/rfc/rfc6750",
			Primary:     true,
		}}
	}
	userExts := append([]schema.Schema{schema.EnterpriseUser()}, cfg.UserExtensions...)
	seen := map[string]bool{strings.ToLower(UserSchema): true, strings.ToLower(GroupSchema): true}
	for _, s := range append(append([]schema.Schema(nil), userExts...), cfg.GroupExtensions...) {
		id := strings.ToLower(s.ID)
		if seen[id] {
			return nil, fmt.Errorf("scim: schema %q registered twice", s.ID)
		}
		seen[id] = true
	}
	h := &Handler{cfg: cfg, store: cfg.Store, log: cfg.Logger, views: viewsOf(cfg.Store), limits: filter.WithMaxLength(cfg.MaxFilterLen)}
	if cfg.Directories != nil {
		h.lastErrors = h.newLastErrors()
	}
	var err error
	if h.users, err = document.New(store.User, "/Users", schema.User(), userExts, h.limits); err != nil {
		return nil, err
	}
	if h.groups, err = document.New(store.Group, "/Groups", schema.Group(), cfg.GroupExtensions, h.limits); err != nil {
		return nil, err
	}
	h.types = []*document.Type{h.users, h.groups}
	return h, nil
}

func scopeFromPrincipal(r *http.Request) (store.Scope, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return store.Scope{}, nil
	}
	return store.Scope{Tenant: p.Tenant, Directory: p.Directory}, nil
}

// ServeHTTP routes a SCIM request. Paths are relative to the mount point:
// mount with http.StripPrefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = withRequestID(w, r)
	if h.cfg.Observe != nil || h.cfg.LogRequests {
		h.observe(w, r)
		return
	}
	h.serve(w, r)
}

// serve answers the request (ServeHTTP).
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	// A client that includes the version segment in the resource path
	// ("/v2/Users") is served as well.
	if len(path) >= 3 && strings.EqualFold(path[:3], "/v2") && (len(path) == 3 || path[3] == '/') {
		path = path[3:]
	}
	first, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !h.cfg.HostAuthenticates {
		if _, ok := auth.FromContext(r.Context()); !ok {
			auth.Reject(w, r, h.log, "Bearer", "no auth.Principal in the request context: the handler is mounted without authentication middleware (or set scim.Config.HostAuthenticates)", "")
			return
		}
	}
	if !validText(path) {
		// No resource has such an id; some stores cannot even look it up.
		h.writeError(w, r, errorf(http.StatusNotFound, "", "no such resource"))
		return
	}
	query := r.URL.Query()
	for name, vs := range query {
		for _, v := range vs {
			if !validText(v) {
				scimType := typeInvalidValue
				if strings.EqualFold(name, "filter") {
					scimType = typeInvalidFilter
				}
				h.writeError(w, r, badRequest(scimType, "query parameter %q must be valid UTF-8 without NUL", filter.Excerpt(name)))
				return
			}
		}
	}
	// Checked here, before anything is written: a POST, PUT or PATCH
	// renders its answer with them after the write.
	if err := document.CheckProjection(query.Get("attributes"), query.Get("excludedAttributes"), h.limits); err != nil {
		h.writeError(w, r, err)
		return
	}

	if r.Body != nil {
		limit := h.cfg.MaxBodyBytes
		if strings.EqualFold(first, "bulk") {
			limit = h.cfg.BulkMaxPayloadBytes
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}

	switch strings.ToLower(first) {
	case "":
		if h.allow(w, r, http.MethodGet) {
			h.serveRootList(w, r, false)
		}
		return
	case ".search":
		if rest != "" {
			break
		}
		if h.allow(w, r, http.MethodPost) {
			h.serveRootList(w, r, true)
		}
		return
	case "serviceproviderconfig":
		if rest != "" {
			break
		}
		if h.allow(w, r, http.MethodGet) {
			h.serveServiceProviderConfig(w, r)
		}
		return
	case "schemas":
		if h.allow(w, r, http.MethodGet) {
			h.serveSchemas(w, r, rest)
		}
		return
	case "resourcetypes":
		if h.allow(w, r, http.MethodGet) {
			h.serveResourceTypes(w, r, rest)
		}
		return
	case "bulk":
		if rest != "" {
			break
		}
		h.serveBulk(w, r)
		return
	case "me":
		h.writeError(w, r, errorf(http.StatusNotImplemented, "", "the /Me alias is not supported"))
		return
	}
	for _, rt := range h.types {
		if !strings.EqualFold(first, rt.Endpoint[1:]) {
			continue
		}
		// Path segments are matched case-insensitively, ".search" too.
		search := strings.EqualFold(rest, ".search")
		write := r.Method != http.MethodGet && r.Method != http.MethodHead && !search
		if !h.permitted(w, r, rt, write) {
			return
		}
		switch {
		case rest == "":
			switch r.Method {
			case http.MethodGet, http.MethodHead:
				h.serveList(w, r, rt, false)
			case http.MethodPost:
				h.serveWrite(w, r, rt, opCreate, "", h.fromBody(rt))
			default:
				h.methodNotAllowed(w, r, http.MethodGet, http.MethodHead, http.MethodPost)
			}
		case search:
			if h.allow(w, r, http.MethodPost) {
				h.serveList(w, r, rt, true)
			}
		case strings.Contains(rest, "/"):
			h.writeError(w, r, errorf(http.StatusNotFound, "", "no such endpoint"))
		default:
			switch r.Method {
			case http.MethodGet, http.MethodHead:
				h.serveGet(w, r, rt, rest)
			case http.MethodPut:
				h.serveWrite(w, r, rt, opReplace, rest, h.fromBody(rt))
			case http.MethodPatch:
				h.serveWrite(w, r, rt, opPatch, rest, h.fromPatch(rt))
			case http.MethodDelete:
				h.serveWrite(w, r, rt, opDelete, rest, nil)
			default:
				h.methodNotAllowed(w, r, http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete)
			}
		}
		return
	}
	h.writeError(w, r, errorf(http.StatusNotFound, "", "no such endpoint"))
}

func (h *Handler) allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	h.methodNotAllowed(w, r, method)
	return false
}

func (h *Handler) methodNotAllowed(w http.ResponseWriter, r *http.Request, methods ...string) {
	w.Header().Set("Allow", strings.Join(methods, ", "))
	h.writeError(w, r, errorf(http.StatusMethodNotAllowed, "", "method %s not allowed", r.Method))
}

// permitted enforces the scopes of the request's auth.Principal (when
// there is one): reading needs users:read or groups:read, changing needs
// users:write or groups:write. A refusal is a 403.
func (h *Handler) permitted(w http.ResponseWriter, r *http.Request, rt *document.Type, write bool) bool {
	p, ok := auth.FromContext(r.Context())
	if !ok || p.Allows(rt.Name, write) {
		return true
	}
	auth.Forbid(w, r, h.log, auth.RequiredScope(rt.Name, write), p.Tenant)
	return false
}
