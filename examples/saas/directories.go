package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/store"
)

// connectDirectory is the "Connect your IdP" button: it creates a
// directory of the organisation, {"id":"okta","kind":"okta","name":"Okta"},
// and its bearer token, shown in this answer only. The token works at once,
// with no restart: the Authenticator finds it in the database.
func (a *app) connectDirectory(w http.ResponseWriter, r *http.Request, _ *member) {
	var body struct {
		ID   string         `json:"id"`
		Kind directory.Kind `json:"kind"`
		Name string         `json:"name"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON")
		return
	}
	d := &directory.Directory{ID: body.ID, Kind: body.Kind, Name: body.Name,
		// Members the IdP provisions start as "member" (the provisioning
		// hook reads it); an admin raises them in the app. Deactivated
		// members are kept for -grace.
		Settings: directory.Settings{DefaultRole: "member", DeactivationGracePeriod: a.grace}}
	err := a.dirs.CreateDirectory(r.Context(), d)
	switch {
	case errors.Is(err, directory.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case errors.Is(err, directory.ErrExists):
		writeError(w, http.StatusConflict, "a directory with this id exists")
		return
	case err != nil:
		a.fail(w, r, err)
		return
	}
	token, cred, err := directory.NewBearerToken(d.Scope(), d.Name+" provisioning", nil)
	if err == nil {
		err = a.dirs.CreateCredential(r.Context(), cred)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // the token is shown once, and never cached
	writeJSON(w, http.StatusCreated, map[string]any{"id": d.ID, "kind": d.Kind, "state": d.State,
		"scimBaseURL": "http://" + r.Host + "/scim/v2", "token": token})
}

// listDirectories lists the organisation's directories with their
// credentials (never a secret) and when each was last used.
func (a *app) listDirectories(w http.ResponseWriter, r *http.Request, _ *member) {
	var dirs []*directory.Directory
	for q := (directory.ListQuery{}); ; {
		page, err := a.dirs.ListDirectories(r.Context(), q)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		dirs = append(dirs, page.Directories...)
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	type credential struct {
		ID       string    `json:"id"`
		Name     string    `json:"name"`
		Created  time.Time `json:"created"`
		LastUsed time.Time `json:"lastUsed,omitzero"`
	}
	out := []map[string]any{}
	for _, d := range dirs {
		creds, err := a.dirs.ListCredentials(r.Context(), store.Scope{Directory: d.ID})
		if err != nil {
			a.fail(w, r, err)
			return
		}
		list := []credential{}
		for _, c := range creds {
			list = append(list, credential{ID: c.ID, Name: c.Name, Created: c.Created, LastUsed: c.LastUsed})
		}
		entry := map[string]any{"id": d.ID, "kind": d.Kind, "name": d.Name, "state": d.State, "credentials": list}
		if !d.LastRequest.IsZero() {
			entry["lastRequest"] = d.LastRequest
		}
		out = append(out, entry)
	}
	writeJSON(w, http.StatusOK, map[string]any{"directories": out})
}
