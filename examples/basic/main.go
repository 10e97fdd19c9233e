// Command basic runs a SCIM 2.0 endpoint backed by the in-memory store,
// protected by a bearer token it prints on start.
//
//	go run ./examples/basic
//	curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/scim/v2/Users
//
// Set SCIMKIT_TOKEN to choose the token; -addr to choose the address.
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

	"github.com/scimkit/scimkit/auth"
	"github.com/scimkit/scimkit/scim"
	"github.com/scimkit/scimkit/store/memory"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "basic:", err)
		os.Exit(1)
	}
}

// newMux serves SCIM under /scim/v2 for the token with the given hash.
func newMux(tokenHash string, logger *slog.Logger) (http.Handler, error) {
	requireToken, err := auth.Bearer([]auth.Token{{ID: "demo", Hash: tokenHash}}, logger)
	if err != nil {
		return nil, err
	}
	h, err := scim.NewHandler(scim.Config{Store: memory.New(), Logger: logger})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", requireToken(http.StripPrefix("/scim/v2", h)))
	return mux, nil
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
	mux, err := newMux(hash, logger)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String() + "/scim/v2"
	fmt.Printf("SCIM endpoint: %s\nBearer token:  %s\n\nTry:\n  curl -H 'Authorization: Bearer %s' %s/Users\n",
		base, token, token, base)

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
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
