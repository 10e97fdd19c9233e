// Command chi adds a SCIM 2.0 endpoint to an app that already routes with
// github.com/go-chi/chi: the app keeps its own middleware (request id,
// structured request log, panic recovery) and routes, and the scimkit
// handler is mounted under /scim/v2 behind a bearer token.
//
//	cd examples/chi && go run .
//	curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/scim/v2/Users
//
// Set SCIMKIT_TOKEN to choose the token; -addr to choose the address.
//
// This directory is its own Go module, so that chi never becomes a
// dependency of the library itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/directory"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "chi:", err)
		os.Exit(1)
	}
}

// newRouter builds the app's router: its middleware and routes, plus SCIM
// under /scim/v2 for the bearer token whose SHA-256 is tokenHash.
func newRouter(tokenHash string, logger *slog.Logger) (http.Handler, error) {
	requireToken, err := auth.Bearer([]auth.Token{{ID: "idp", Hash: tokenHash}}, logger)
	if err != nil {
		return nil, err
	}
	// Entra ID needs its IdP profile (directory.Profile); Okta and others
	// follow the RFC, which Entra's profile does not change for them.
	h, err := scim.NewHandler(scim.Config{Store: memory.New(), Logger: logger, IdPProfile: directory.Entra.Profile()})
	if err != nil {
		return nil, err
	}

	r := chi.NewRouter()
	// The app's own middleware: it wraps every route, SCIM included.
	r.Use(middleware.RequestID)
	r.Use(echoRequestID)
	r.Use(middleware.RequestLogger(slogFormatter{logger}))
	r.Use(middleware.Recoverer)
	// Careful with middleware.AllowContentType("application/json"): IdPs
	// send application/scim+json, so list both or keep it off /scim/v2.

	// The app's own routes, without the SCIM token.
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	r.Get("/api/hello", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"hello":"world"}` + "\n"))
	})

	// SCIM: only this group requires the IdP's token. chi's Mount routes
	// /scim/v2 and everything below it to the handler but leaves
	// r.URL.Path whole, and the handler expects paths relative to its
	// mount point ("/Users/…"), hence http.StripPrefix. The handler does
	// its own routing (and its own SCIM-shaped 404/405), so one Mount is
	// all it needs.
	r.Group(func(r chi.Router) {
		r.Use(requireToken)
		r.Mount("/scim/v2", http.StripPrefix("/scim/v2", h))
	})
	return r, nil
}

// echoRequestID returns the request id that middleware.RequestID put in the
// context as a response header, so that an IdP's support team and the app's
// log can quote the same id.
func echoRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := middleware.GetReqID(r.Context()); id != "" {
			w.Header().Set(middleware.RequestIDHeader, id)
		}
		next.ServeHTTP(w, r)
	})
}

// slogFormatter makes chi's RequestLogger write one structured line per
// request to a *slog.Logger.
type slogFormatter struct{ log *slog.Logger }

func (f slogFormatter) NewLogEntry(r *http.Request) middleware.LogEntry {
	return slogEntry{log: f.log.With(
		slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
	)}
}

type slogEntry struct{ log *slog.Logger }

func (e slogEntry) Write(status, bytes int, _ http.Header, elapsed time.Duration, _ any) {
	e.log.Info("request", slog.Int("status", status), slog.Int("bytes", bytes), slog.Duration("elapsed", elapsed))
}

func (e slogEntry) Panic(v any, stack []byte) {
	e.log.Error("panic", slog.Any("panic", v), slog.String("stack", string(stack)))
}

func run(addr string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	token := os.Getenv("SCIMKIT_TOKEN")
	hash := auth.HashToken(token)
	if token == "" {
		var err error
		if token, hash, err = auth.NewToken(); err != nil {
			return err
		}
	}
	router, err := newRouter(hash, logger)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	origin := "http://" + ln.Addr().String()
	base := origin + "/scim/v2"
	fmt.Printf("App:           %s/api/hello\nSCIM endpoint: %s\nBearer token:  %s\n\nTry:\n  curl -H 'Authorization: Bearer %s' %s/Users\n",
		origin, base, token, token, base)

	srv := &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
