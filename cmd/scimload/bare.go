package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// bareServer is the ceiling the in-process targets are measured against: a
// plain net/http handler that answers the load generator's requests from
// maps, with an index on userName, and does nothing else a SCIM server
// must (no validation, schemas, versions, membership integrity,
// transactions, projection or error format). It encodes responses with
// encoding/json from map[string]any documents, as a naive handler would.
// Only the requests scimload sends are understood.
type bareServer struct {
	mu         sync.RWMutex
	docs       map[string]map[string]any // id → document (users and groups)
	byUserName map[string]string
}

func newBareServer() *bareServer {
	return &bareServer{docs: map[string]map[string]any{}, byUserName: map[string]string{}}
}

func (s *bareServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind, id, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	var body map[string]any
	if r.Body != nil && r.Method != http.MethodGet {
		raw, err := io.ReadAll(r.Body)
		if err != nil || json.Unmarshal(raw, &body) != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
	}
	switch {
	case r.Method == http.MethodPost && id == "":
		var b [16]byte
		_, _ = rand.Read(b[:])
		body["id"] = hex.EncodeToString(b[:])
		s.mu.Lock()
		s.docs[body["id"].(string)] = body
		if kind == "Users" {
			name, _ := body["userName"].(string)
			s.byUserName[strings.ToLower(name)] = body["id"].(string)
		}
		s.mu.Unlock()
		s.write(w, http.StatusCreated, body)
	case r.Method == http.MethodGet && id == "":
		// Only `userName eq "…"` filters.
		f := r.URL.Query().Get("filter")
		name := strings.TrimSuffix(f[strings.IndexByte(f, '"')+1:], `"`)
		s.mu.RLock()
		var found []any
		if d, ok := s.docs[s.byUserName[strings.ToLower(name)]]; ok {
			found = append(found, d)
		}
		out := map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
			"totalResults": len(found), "itemsPerPage": len(found), "startIndex": 1, "Resources": found}
		s.write(w, http.StatusOK, out)
		s.mu.RUnlock()
	case r.Method == http.MethodGet:
		s.mu.RLock()
		d, ok := s.docs[id]
		if ok {
			s.write(w, http.StatusOK, d)
		}
		s.mu.RUnlock()
		if !ok {
			http.NotFound(w, r)
		}
	case r.Method == http.MethodPut:
		s.mu.Lock()
		body["id"] = id
		s.docs[id] = body
		s.write(w, http.StatusOK, body)
		s.mu.Unlock()
	case r.Method == http.MethodPatch:
		s.mu.Lock()
		defer s.mu.Unlock()
		d, ok := s.docs[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		ops, _ := body["Operations"].([]any)
		for _, o := range ops {
			op, _ := o.(map[string]any)
			path, _ := op["path"].(string)
			switch {
			case path == "members" || strings.HasPrefix(path, "members["):
				// Membership: scimload only counts statuses, so the
				// member list is left alone (as cheap as it gets).
			case path != "":
				d[path] = op["value"]
			default:
				if m, ok := op["value"].(map[string]any); ok {
					for k, v := range m {
						d[k] = v
					}
				}
			}
		}
		if kind == "Groups" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.write(w, http.StatusOK, d)
	default:
		http.Error(w, "not supported", http.StatusMethodNotAllowed)
	}
}

func (s *bareServer) write(w http.ResponseWriter, status int, v any) {
	raw, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}
