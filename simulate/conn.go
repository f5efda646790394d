package simulate

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// connClient is the load engine's HTTP/1.1 client: one keep-alive
// connection owned by one worker, one request at a time. The request goes
// out in a single write; the usual reply (a whole head in the buffer, a
// Content-Length body) is parsed by leanHead, which gives what net/http's
// ReadResponse gives, and every other reply by ReadResponse itself, so
// status lines, chunked bodies and Connection: close are handled exactly as
// net/http handles them. It skips the Transport's
// per-connection goroutines and channels, which cost more than the rest of
// an exchange under load.
type connClient struct {
	conn net.Conn
	br   *bufio.Reader
	wbuf []byte
	// reuse lets the lean parser reuse one response for every reply: set
	// it when no reply outlives its exchange.
	reuse   bool
	scratch leanScratch
	keys    []string
	reused  bool
	dialer  net.Dialer
}

func newConnClient() *connClient {
	return &connClient{dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
}

func (c *connClient) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn, c.br = nil, nil
	}
}

func (c *connClient) dial(ctx context.Context, req *http.Request) error {
	host := req.URL.Host
	if req.URL.Port() == "" {
		if req.URL.Scheme == "https" {
			host = net.JoinHostPort(req.URL.Hostname(), "443")
		} else {
			host = net.JoinHostPort(req.URL.Hostname(), "80")
		}
	}
	conn, err := c.dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return err
	}
	if req.URL.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: req.URL.Hostname(), NextProtos: []string{"http/1.1"}})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c.conn, c.br, c.reused = conn, bufio.NewReaderSize(conn, 16<<10), false
	return nil
}

// encode writes the request as net/http's client does: request line, Host,
// User-Agent, Content-Length, then the other headers in sorted order.
func (c *connClient) encode(req *http.Request, body []byte) []byte {
	b := c.wbuf[:0]
	b = append(b, req.Method...)
	b = append(b, ' ')
	b = appendRequestURI(b, req.URL)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, req.URL.Host...)
	b = append(b, "\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n"...)
	keys := c.keys[:0]
	for k := range req.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	c.keys = keys
	for _, k := range keys {
		for _, v := range req.Header[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	c.wbuf = b
	return b
}

// appendRequestURI appends u.RequestURI() without building the string.
func appendRequestURI(b []byte, u *url.URL) []byte {
	if u.Opaque != "" {
		return append(b, u.RequestURI()...)
	}
	if p := u.EscapedPath(); p != "" {
		b = append(b, p...)
	} else {
		b = append(b, '/')
	}
	if u.ForceQuery || u.RawQuery != "" {
		b = append(b, '?')
		b = append(b, u.RawQuery...)
	}
	return b
}

// do sends req with body and reads the reply into buf (at most limit+1
// bytes), all before deadline.
func (c *connClient) do(ctx context.Context, req *http.Request, body []byte, deadline time.Time, buf *bytes.Buffer, limit int64) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if c.conn == nil {
			if err := c.dial(ctx, req); err != nil {
				return nil, err
			}
		}
		reused := c.reused
		_ = c.conn.SetDeadline(deadline)
		resp, err := c.roundTrip(req, body, buf, limit)
		if err == nil {
			c.reused = true
			return resp, nil
		}
		c.close()
		// A kept-alive connection the server closed while idle fails before
		// any reply byte: send again once on a new connection, as net/http
		// does for a request the server never read.
		if reused && attempt == 0 && errors.Is(err, errIdleClosed) {
			continue
		}
		return nil, err
	}
}

var errIdleClosed = errors.New("the server closed the kept-alive connection")

func (c *connClient) roundTrip(req *http.Request, body []byte, buf *bytes.Buffer, limit int64) (*http.Response, error) {
	if _, err := c.conn.Write(c.encode(req, body)); err != nil {
		if isReset(err) {
			return nil, errIdleClosed
		}
		return nil, err
	}
	if _, err := c.br.Peek(1); err != nil {
		if err == io.EOF || errors.Is(err, net.ErrClosed) || isReset(err) {
			return nil, errIdleClosed
		}
		return nil, err
	}
	var sc *leanScratch
	if c.reuse {
		sc = &c.scratch
	}
	if resp, n, ok := leanHead(c.br, req, sc); ok {
		_, _ = c.br.Discard(n)
		if err := readBody(c.br, buf, resp.ContentLength, limit); err != nil {
			return nil, err
		}
		if int64(buf.Len()) > limit || resp.Close {
			c.close()
		}
		return resp, nil
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return nil, err
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit || resp.Close {
		// An unread rest or a server that asked to close: start afresh.
		_ = resp.Body.Close()
		c.close()
		return resp, nil
	}
	_ = resp.Body.Close()
	return resp, nil
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
