package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store"
	"github.com/scimkit/scimkit/store/memory"
	"github.com/scimkit/scimkit/store/sqlstore/sqlite"
)

// Names of the in-process targets.
const (
	targetMemory  = "memory"
	targetSQLite  = "sqlite"
	targetElimity = "elimity"
	targetBare    = "bare"
	targetAll     = "all"
)

// allTargets is what -target all runs, in order.
func allTargets() []string { return []string{targetBare, targetMemory, targetElimity, targetSQLite} }

// target is a SCIM endpoint under load: its base URL (ending in /scim/v2 or
// whatever the operator gave), the bearer token it accepts, and how to
// stop it when it runs in this process.
type target struct {
	name  string
	url   string
	token string
	close func() error
}

// externalTarget is an endpoint someone else runs.
func externalTarget(url, token string) *target {
	return &target{name: "external", url: url, token: token, close: func() error { return nil }}
}

// startTarget starts the named server on a loopback listener, behind
// auth.Bearer with a fresh token, mounted at /scim/v2, and returns it.
func startTarget(ctx context.Context, name string) (*target, error) {
	var (
		h       http.Handler
		cleanup = func() error { return nil }
	)
	discard := slog.New(slog.DiscardHandler)
	switch name {
	case targetMemory:
		sh, err := scimkitHandler(memory.New(), discard)
		if err != nil {
			return nil, err
		}
		h = sh
	case targetSQLite:
		dir, err := os.MkdirTemp("", "scimload-*")
		if err != nil {
			return nil, err
		}
		st, err := sqlite.Open(ctx, filepath.Join(dir, "scim.db"))
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		cleanup = func() error { return errors.Join(st.Close(), os.RemoveAll(dir)) }
		sh, err := scimkitHandler(st, discard)
		if err != nil {
			return nil, errors.Join(err, cleanup())
		}
		h = sh
	case targetElimity:
		eh, err := newElimityServer()
		if err != nil {
			return nil, err
		}
		h = eh
	case targetBare:
		h = newBareServer()
	default:
		return nil, fmt.Errorf("unknown target %q (want memory, sqlite, elimity, bare or all)", name)
	}

	token, hash, err := auth.NewToken()
	if err != nil {
		return nil, errors.Join(err, cleanup())
	}
	// Every target sits behind the same middleware, so authentication
	// costs the same in each.
	bearer, err := auth.Bearer([]auth.Token{{ID: "scimload", Hash: hash}}, discard)
	if err != nil {
		return nil, errors.Join(err, cleanup())
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", bearer(http.StripPrefix("/scim/v2", h)))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Join(err, cleanup())
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	return &target{
		name:  name,
		url:   "http://" + ln.Addr().String() + "/scim/v2",
		token: token,
		close: func() error {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := srv.Shutdown(sctx)
			if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
				err = errors.Join(err, serr)
			}
			return errors.Join(err, cleanup())
		},
	}, nil
}

// scimkitHandler is scimkit's handler on st with default settings (no
// hooks, no audit), logging nowhere: failures show up as statuses.
func scimkitHandler(st store.Store, logger *slog.Logger) (http.Handler, error) {
	return scim.NewHandler(scim.Config{Store: st, Logger: logger})
}
