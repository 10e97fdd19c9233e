package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"time"
)

// client sends SCIM requests to one endpoint over a pool of kept-alive
// connections, one per worker.
type client struct {
	hc    *http.Client
	base  string // no trailing slash
	authz string // Authorization header value
}

// newClient returns a client for base authenticating with token, tuned for
// concurrency simultaneous requests: that many idle connections are kept
// per host, so no request waits for a new connection once all are open.
func newClient(base, token string, concurrency int) *client {
	tr := &http.Transport{
		Proxy: nil, // loopback and load tests never go through a proxy
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return &client{
		hc:    &http.Client{Transport: tr, Timeout: 60 * time.Second},
		base:  base,
		authz: "Bearer " + token,
	}
}

// send sends one request with body (nil for none) to path, relative to the
// base URL, and returns the response status. When out is not nil and the
// status is 2xx the body is decoded into it; the body is always read to
// the end and closed so that the connection is reused. A transport
// failure returns statusTransport and the error.
func (c *client) send(ctx context.Context, method, path string, body []byte, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return statusTransport, err
	}
	req.Header.Set("Authorization", c.authz)
	req.Header.Set("Accept", "application/scim+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return statusTransport, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.StatusCode, err
		}
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return statusTransport, err
	}
	return resp.StatusCode, nil
}

// closeIdle closes the client's idle connections.
func (c *client) closeIdle() { c.hc.CloseIdleConnections() }
