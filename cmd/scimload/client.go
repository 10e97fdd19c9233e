package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// requestTimeout bounds one send, retry included.
	requestTimeout = 60 * time.Second
	// dialTimeout bounds connecting to the target.
	dialTimeout = 5 * time.Second
	// readBufferSize is each connection's read buffer: every response
	// header line must fit in it, and a body that fits is decoded in place.
	readBufferSize = 16 << 10
	// maxHeaderBytes bounds a response's header section.
	maxHeaderBytes = 1 << 20
)

// client sends SCIM requests to one endpoint. It is safe for concurrent
// use: for an http:// endpoint each request borrows a persistent HTTP/1.1
// connection from a pool (dialled on first need, so there are as many as
// requests ever ran at once) and speaks the protocol itself, which costs
// a fraction of what net/http's Transport does (no per-connection
// goroutines, channels or header maps): the load generator shares the
// machine with the target, so what it spends the target cannot. For an
// https:// endpoint it uses net/http.
type client struct {
	base  string // no trailing slash
	authz string // Authorization header value

	// The lean HTTP/1.1 path, for http:// endpoints.
	addr   string // host:port to dial
	host   string // Host header value
	prefix string // the base URL's path, no trailing slash
	dialer net.Dialer

	mu      sync.Mutex
	idle    []*conn // LIFO, so the warmest connection is used first
	maxIdle int
	closed  bool

	// hc is set for https:// endpoints, which use net/http instead.
	hc *http.Client
}

// conn is one persistent connection of the lean path. It is used by one
// request at a time.
type conn struct {
	nc  net.Conn
	br  *bufio.Reader
	buf []byte // the request being written; reused
	// body holds a response body to decode that did not fit in br.
	body []byte
	// reused is set once the connection has carried a whole exchange, so
	// a failure to send the next request may mean the server closed it
	// while it was idle.
	reused bool
	// dead is set when the connection must not carry another request.
	dead bool
}

// errStaleConn marks a failure to write a request on, or to read the
// first byte of its response from, a reused connection: most likely the
// server closed it while idle, so the request is sent again on a new one.
var errStaleConn = errors.New("reused connection failed")

// newClient returns a client for base authenticating with token, tuned for
// concurrency simultaneous requests: that many idle connections are kept,
// so no request waits for a new connection once all are open.
func newClient(base, token string, concurrency int) *client {
	base = strings.TrimRight(base, "/")
	c := &client{
		base:    base,
		authz:   "Bearer " + token,
		maxIdle: max(concurrency, 1),
		dialer:  net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second},
	}
	u, err := url.Parse(base)
	if err == nil && u.Scheme == "http" && u.Host != "" && u.User == nil && u.RawQuery == "" && u.Fragment == "" {
		port := u.Port()
		if port == "" {
			port = "80"
		}
		c.addr = net.JoinHostPort(u.Hostname(), port)
		c.host = u.Host
		c.prefix = strings.TrimRight(u.EscapedPath(), "/")
		return c
	}
	// https:// (or anything the lean path does not speak): net/http, which
	// also reports a malformed URL on the first request.
	c.useNetHTTP()
	return c
}

// useNetHTTP makes c send through a net/http Client keeping maxIdle idle
// connections, rather than its own connections.
func (c *client) useNetHTTP() {
	c.hc = &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // load tests never go through a proxy
			DialContext:         c.dialer.DialContext,
			MaxIdleConns:        c.maxIdle * 2,
			MaxIdleConnsPerHost: c.maxIdle,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout: requestTimeout,
	}
}

// send sends one request with body (nil for none) to path, relative to the
// base URL and already escaped, and returns the response status. When out
// is not nil and the status is 2xx the body is decoded into it; the body
// is always read to the end so that the connection is reused. A failure
// to decode returns the status and the error; a transport failure returns
// statusTransport and the error.
//
// A request that fails on a reused connection before any byte of its
// response arrived is sent once more on a new connection (the server most
// likely closed the idle connection). Unlike net/http, this also resends
// POST and PATCH: a target that dies after acting on a request but before
// answering may see it twice.
func (c *client) send(ctx context.Context, method, path string, body []byte, out any) (int, error) {
	if c.hc != nil {
		return c.sendStd(ctx, method, path, body, out)
	}
	if err := ctx.Err(); err != nil {
		return statusTransport, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if err := checkTarget(path); err != nil {
		return statusTransport, fmt.Errorf("%s %s: %w", method, path, err)
	}
	deadline := time.Now().Add(requestTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for attempt := 0; ; attempt++ {
		cn, err := c.get(ctx, deadline)
		if err != nil {
			return statusTransport, c.wrap(ctx, method, path, err)
		}
		status, err := c.exchange(ctx, cn, deadline, method, path, body, out)
		c.put(cn)
		if err == nil {
			return status, nil
		}
		if errors.Is(err, errStaleConn) && attempt == 0 && ctx.Err() == nil {
			continue
		}
		return status, c.wrap(ctx, method, path, err)
	}
}

// wrap adds the request to err, and ctx's error when ctx is done: a
// canceled request shows up as a timeout on the connection, and ctx's
// deadline, which the connection's is set to, may expire there first.
func (c *client) wrap(ctx context.Context, method, path string, err error) error {
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && isTimeout(err) && !time.Now().Before(d) {
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s %s: %w: %w", method, path, cerr, err)
	}
	return fmt.Errorf("%s %s: %w", method, path, err)
}

// get returns an idle connection, or dials a new one.
func (c *client) get(ctx context.Context, deadline time.Time) (*conn, error) {
	c.mu.Lock()
	if n := len(c.idle); n > 0 {
		cn := c.idle[n-1]
		c.idle[n-1] = nil
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return cn, nil
	}
	c.mu.Unlock()
	d := c.dialer
	d.Deadline = deadline
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, br: bufio.NewReaderSize(nc, readBufferSize)}, nil
}

// put returns cn to the pool, or closes it when it is dead, the pool is
// full or the client is closed.
func (c *client) put(cn *conn) {
	if !cn.dead {
		c.mu.Lock()
		if !c.closed && len(c.idle) < c.maxIdle {
			c.idle = append(c.idle, cn)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
	_ = cn.nc.Close()
}

// closeIdle closes the client's idle connections. Connections in use are
// closed when their request is over, and from now on no connection is
// kept once its request is.
func (c *client) closeIdle() {
	if c.hc != nil {
		c.hc.CloseIdleConnections()
		return
	}
	c.mu.Lock()
	idle := c.idle
	c.idle = nil
	c.closed = true
	c.mu.Unlock()
	for _, cn := range idle {
		_ = cn.nc.Close()
	}
}

// exchange writes one request on cn and reads its response. On any error
// cn is marked dead; a failure other than a timeout that suggests the
// server closed a reused connection before seeing the request wraps
// errStaleConn.
func (c *client) exchange(ctx context.Context, cn *conn, deadline time.Time, method, path string, body []byte, out any) (int, error) {
	if err := cn.nc.SetDeadline(deadline); err != nil {
		cn.dead = true
		return statusTransport, err
	}
	if ctx.Done() != nil {
		// Cancellation unblocks a pending read or write by moving the
		// deadline to the past; the connection is then unusable.
		stop := context.AfterFunc(ctx, func() { _ = cn.nc.SetDeadline(time.Unix(1, 0)) })
		defer func() {
			if !stop() {
				cn.dead = true
			}
		}()
	}
	cn.buf = c.appendRequest(cn.buf[:0], method, path, body)
	if _, err := cn.nc.Write(cn.buf); err != nil {
		cn.dead = true
		if cn.reused && !isTimeout(err) {
			return statusTransport, fmt.Errorf("%w: writing request: %w", errStaleConn, err)
		}
		return statusTransport, fmt.Errorf("writing request: %w", err)
	}
	status, err := cn.readResponse(out)
	if err != nil && status == statusTransport {
		cn.dead = true
		return status, err
	}
	// The response was read whole, whether or not its body decoded.
	cn.reused = true
	if cn.br.Buffered() > 0 {
		// Bytes nobody asked for: the stream can no longer be trusted.
		cn.dead = true
	}
	return status, err
}

// appendRequest appends the request line, headers and body to buf.
func (c *client) appendRequest(buf []byte, method, path string, body []byte) []byte {
	buf = append(buf, method...)
	buf = append(buf, ' ')
	buf = append(buf, c.prefix...)
	buf = append(buf, path...)
	buf = append(buf, " HTTP/1.1\r\nHost: "...)
	buf = append(buf, c.host...)
	buf = append(buf, "\r\nUser-Agent: scimload\r\nAuthorization: "...)
	buf = append(buf, c.authz...)
	buf = append(buf, "\r\nAccept: application/scim+json\r\n"...)
	switch {
	case body != nil:
		buf = append(buf, "Content-Type: application/scim+json\r\nContent-Length: "...)
		buf = strconv.AppendInt(buf, int64(len(body)), 10)
		buf = append(buf, "\r\n"...)
	case method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch:
		buf = append(buf, "Content-Length: 0\r\n"...)
	}
	buf = append(buf, "\r\n"...)
	return append(buf, body...)
}

// checkTarget reports an error when path cannot go into a request line
// as is: it must start with a slash and hold no control characters or
// spaces (an id from a hostile server could otherwise inject headers).
func checkTarget(path string) error {
	if path == "" || path[0] != '/' {
		return fmt.Errorf("path %q does not start with /", path)
	}
	for i := 0; i < len(path); i++ {
		if b := path[i]; b <= ' ' || b == 0x7f {
			return fmt.Errorf("path %q contains byte %#x", path, b)
		}
	}
	return nil
}

// framing is what a response's head says about its body and connection.
type framing struct {
	status           int
	contentLength    int64 // -1 when not given
	transferEncoding bool  // a Transfer-Encoding field was given
	chunked          bool  // its last coding is chunked
	close            bool  // the server closes the connection after this response
}

// readResponse reads one response from cn: its head, skipping any 1xx
// interim responses, then its body, decoded into out when out is not nil
// and the status is 2xx, or else discarded. It returns statusTransport
// and an error when the response could not be read whole; the status and
// an error when only the decoding failed.
func (cn *conn) readResponse(out any) (int, error) {
	var f framing
	for first := true; ; first = false {
		var err error
		f, err = cn.readHead(first)
		if err != nil {
			return statusTransport, err
		}
		if f.status == http.StatusSwitchingProtocols {
			return statusTransport, errors.New("unexpected 101 Switching Protocols")
		}
		if f.status >= 200 {
			break
		}
	}
	if f.close {
		cn.dead = true
	}
	if f.status == http.StatusNoContent || f.status == http.StatusNotModified {
		return f.status, nil
	}
	decode := out != nil && f.status/100 == 2

	switch {
	case f.chunked:
		return cn.readBody(f.status, httputil.NewChunkedReader(cn.br), -1, true, decode, out)
	case f.contentLength < 0:
		// Neither length nor chunking: the body runs to the end of the
		// connection.
		cn.dead = true
		return cn.readBody(f.status, cn.br, -1, false, decode, out)
	}
	n := f.contentLength
	switch {
	case !decode:
		if _, err := cn.br.Discard(int(n)); err != nil {
			return statusTransport, fmt.Errorf("reading body: %w", noEOF(err))
		}
		return f.status, nil
	case n <= int64(cn.br.Size()):
		// Decode straight from the read buffer: no copy.
		b, err := cn.br.Peek(int(n))
		if err != nil {
			return statusTransport, fmt.Errorf("reading body: %w", noEOF(err))
		}
		err = json.Unmarshal(b, out)
		_, _ = cn.br.Discard(int(n)) // cannot fail: n bytes are buffered
		if err != nil {
			return f.status, fmt.Errorf("decoding body: %w", err)
		}
		return f.status, nil
	}
	// A larger body is read as it comes, not allocated up front from a
	// length the server claims.
	return cn.readBody(f.status, io.LimitReader(cn.br, n), n, false, decode, out)
}

// readBody reads the body r to its end, decoding it into out when decode
// is set (the bytes are kept in cn.body) and discarding it otherwise, then
// the trailer section when chunked. want is the body's length, or -1 when
// r ends where the body does. It returns status, or statusTransport and
// an error when the body could not be read whole.
func (cn *conn) readBody(status int, r io.Reader, want int64, chunked, decode bool, out any) (int, error) {
	var (
		n   int64
		err error
	)
	if decode {
		buf := bytes.NewBuffer(cn.body[:0])
		n, err = buf.ReadFrom(r)
		cn.body = buf.Bytes()
	} else {
		n, err = io.Copy(io.Discard, r)
	}
	if err == nil && want >= 0 && n < want {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && chunked {
		err = cn.readTrailer()
	}
	if err != nil {
		return statusTransport, fmt.Errorf("reading body: %w", noEOF(err))
	}
	if decode {
		if err := json.Unmarshal(cn.body, out); err != nil {
			return status, fmt.Errorf("decoding body: %w", err)
		}
	}
	return status, nil
}

// readHead reads a status line and header section. first is whether this
// is the first head of the response: failing to read its first byte from
// a reused connection wraps errStaleConn.
func (cn *conn) readHead(first bool) (framing, error) {
	f := framing{contentLength: -1}
	line, err := cn.br.ReadSlice('\n')
	if err != nil {
		if first && len(line) == 0 && cn.reused && !isTimeout(err) {
			return f, fmt.Errorf("%w: reading status line: %w", errStaleConn, err)
		}
		return f, fmt.Errorf("reading status line: %w", noEOF(err))
	}
	keepAlive, err := parseStatusLine(trimEOL(line), &f)
	if err != nil {
		return f, err
	}
	total := len(line)
	for {
		line, err := cn.br.ReadSlice('\n')
		if err != nil {
			return f, fmt.Errorf("reading header: %w", noEOF(err))
		}
		if total += len(line); total > maxHeaderBytes {
			return f, errors.New("response header too large")
		}
		line = trimEOL(line)
		if len(line) == 0 {
			break
		}
		if err := f.header(line, &keepAlive); err != nil {
			return f, err
		}
	}
	if f.transferEncoding {
		// Transfer-Encoding overrides Content-Length (RFC 9112 §6.3); the
		// two together hint at a confused peer, and a body not chunked
		// runs to the end of the connection: use it no further.
		if f.contentLength >= 0 || !f.chunked {
			f.close = true
		}
		f.contentLength = -1
	}
	if !keepAlive {
		f.close = true
	}
	return f, nil
}

// parseStatusLine parses "HTTP/1.x NNN reason" into f.status and returns
// whether the connection is kept alive by default (HTTP/1.1).
func parseStatusLine(line []byte, f *framing) (keepAlive bool, err error) {
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return false, fmt.Errorf("malformed status line %q", line)
	}
	switch line[7] {
	case '0':
	case '1':
		keepAlive = true
	default:
		return false, fmt.Errorf("unsupported protocol in status line %q", line)
	}
	for _, b := range line[9:12] {
		if b < '0' || b > '9' {
			return false, fmt.Errorf("malformed status code in %q", line)
		}
		f.status = f.status*10 + int(b-'0')
	}
	if f.status < 100 {
		return false, fmt.Errorf("malformed status code in %q", line)
	}
	return keepAlive, nil
}

// header applies one header field line to f; keepAlive is updated from
// a Connection field.
func (f *framing) header(line []byte, keepAlive *bool) error {
	if line[0] == ' ' || line[0] == '\t' {
		return fmt.Errorf("obsolete line folding in response header %q", line)
	}
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return fmt.Errorf("malformed response header %q", line)
	}
	value = bytes.Trim(value, " \t")
	switch {
	case bytes.EqualFold(name, []byte("Content-Length")):
		n, err := parseContentLength(value)
		if err != nil {
			return err
		}
		if f.contentLength >= 0 && f.contentLength != n {
			return fmt.Errorf("conflicting Content-Length %d and %d", f.contentLength, n)
		}
		f.contentLength = n
	case bytes.EqualFold(name, []byte("Transfer-Encoding")):
		// chunked must be the last coding; any other leaves the body
		// delimited by the end of the connection.
		f.transferEncoding = true
		codings := bytes.Split(value, []byte(","))
		f.chunked = bytes.EqualFold(bytes.Trim(codings[len(codings)-1], " \t"), []byte("chunked"))
	case bytes.EqualFold(name, []byte("Connection")):
		for tok := range bytes.SplitSeq(value, []byte(",")) {
			switch tok = bytes.Trim(tok, " \t"); {
			case bytes.EqualFold(tok, []byte("close")):
				f.close = true
			case bytes.EqualFold(tok, []byte("keep-alive")):
				*keepAlive = true
			}
		}
	}
	return nil
}

// parseContentLength parses a Content-Length value: decimal digits only.
func parseContentLength(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 18 {
		return 0, fmt.Errorf("bad Content-Length %q", v)
	}
	var n int64
	for _, b := range v {
		if b < '0' || b > '9' {
			return 0, fmt.Errorf("bad Content-Length %q", v)
		}
		n = n*10 + int64(b-'0')
	}
	return n, nil
}

// readTrailer reads the trailer section after a chunked body's last
// chunk, up to and including its empty line, and ignores its fields.
func (cn *conn) readTrailer() error {
	for total := 0; ; {
		line, err := cn.br.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("reading trailer: %w", err)
		}
		if total += len(line); total > maxHeaderBytes {
			return errors.New("response trailer too large")
		}
		if len(trimEOL(line)) == 0 {
			return nil
		}
	}
}

// trimEOL removes a trailing "\n" or "\r\n".
func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// noEOF turns io.EOF, which in the middle of a response means the server
// hung up, into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// isTimeout reports whether err is a deadline expiring, which a retry
// would not cure.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// sendStd is send over net/http, for https:// endpoints.
func (c *client) sendStd(ctx context.Context, method, path string, body []byte, out any) (int, error) {
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
			return resp.StatusCode, fmt.Errorf("decoding body: %w", err)
		}
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return statusTransport, fmt.Errorf("reading body: %w", err)
	}
	return resp.StatusCode, nil
}
