package scim

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/store"
)

// RequestInfo describes one request the handler answered, for logs and
// metrics (Config.Observe, Config.LogRequests).
type RequestInfo struct {
	// Scope is the tenant and directory the request acted on; the zero
	// scope when it was refused before one was known.
	Scope store.Scope
	// CredentialID is the authenticated credential's id, "" for none.
	CredentialID string
	// Method is the HTTP method.
	Method string
	// Operation is what was asked: create, replace, patch, delete, get,
	// list, search, bulk or discovery; "" for a path the handler does
	// not serve.
	Operation string
	// ResourceType is User or Group for requests about one type, "" for
	// others.
	ResourceType store.ResourceType
	// Status is the HTTP status answered.
	Status int
	// Duration is how long the handler took, from receiving the request
	// to the end of its answer.
	Duration time.Duration
}

// observe wraps serve when Config.Observe or Config.LogRequests asks for
// it: it times the request and captures its status.
func (h *Handler) observe(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	h.serve(sw, r)
	info := RequestInfo{Method: r.Method, Status: sw.status, Duration: time.Since(start)}
	if info.Status == 0 {
		info.Status = http.StatusOK
	}
	if p, ok := auth.FromContext(r.Context()); ok {
		info.CredentialID = p.CredentialID
	}
	if scope, err := h.scope(r); err == nil {
		info.Scope = scope
	}
	info.Operation, info.ResourceType = h.classify(r)
	if h.cfg.Observe != nil {
		h.cfg.Observe(r.Context(), info)
	}
	if h.cfg.LogRequests {
		h.logRequest(r.Context(), info)
	}
}

func (h *Handler) logRequest(ctx context.Context, info RequestInfo) {
	level := slog.LevelInfo
	if info.Status >= 500 {
		level = slog.LevelError
	}
	h.log.LogAttrs(ctx, level, "scim: request",
		slog.String("tenant", info.Scope.Tenant), slog.String("directory", info.Scope.Directory),
		slog.String("credential", info.CredentialID), slog.String("method", info.Method),
		slog.String("operation", info.Operation), slog.String("resourceType", string(info.ResourceType)),
		slog.Int("status", info.Status), slog.Duration("duration", info.Duration))
}

// classify names the operation and resource type of a request, by the
// routes serve takes.
func (h *Handler) classify(r *http.Request) (string, store.ResourceType) {
	path := strings.TrimPrefix(strings.TrimSuffix(r.URL.Path, "/"), "/")
	if len(path) >= 2 && strings.EqualFold(path[:2], "v2") && (len(path) == 2 || path[2] == '/') {
		path = strings.TrimPrefix(path[2:], "/")
	}
	first, rest, _ := strings.Cut(path, "/")
	switch strings.ToLower(first) {
	case "":
		return "list", ""
	case ".search":
		return "search", ""
	case "serviceproviderconfig", "schemas", "resourcetypes":
		return "discovery", ""
	case "bulk":
		return "bulk", ""
	}
	for _, rt := range h.types {
		if !strings.EqualFold(first, rt.Endpoint[1:]) {
			continue
		}
		switch {
		case strings.EqualFold(rest, ".search"):
			return "search", rt.Kind
		case rest == "" && r.Method == http.MethodPost:
			return "create", rt.Kind
		case rest == "":
			return "list", rt.Kind
		}
		switch r.Method {
		case http.MethodPut:
			return "replace", rt.Kind
		case http.MethodPatch:
			return "patch", rt.Kind
		case http.MethodDelete:
			return "delete", rt.Kind
		}
		return "get", rt.Kind
	}
	return "", ""
}

// statusWriter records the status a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
