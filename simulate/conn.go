package simulate

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// connClient is the load engine's HTTP/1.1 client: one keep-alive
// connection owned by one worker, one request at a time. The request goes
// out in a single write; the usual reply (a whole head in the buffer, a
// Content-Length body) is parsed by leanHead, which gives what net/http's
// ReadResponse gives, and every other reply by ReadResponse itself, so
// status lines, chunked bodies and Connection: close are handled exactly as
// net/http handles them. As net/http's Transport does, it skips interim 1xx
// replies (100 Continue, 103 Early Hints) and reads at most
// MaxReplyHeaderBytes of reply heads. It skips the Transport's
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
	// lc is the connection as the reader sees it; maxHead is its limit
	// for the heads of one reply (MaxReplyHeaderBytes).
	lc      limitedConn
	maxHead int64
	// tls is the Sender's client's TLS configuration (nil: the system's
	// roots, no client certificate).
	tls *tls.Config
	// pool is the run's budget for the bytes of replies in flight on all
	// its connections together (nil: none).
	pool *replyPool
	// preps are the worker's prepared requests (prepared.go).
	preps []*prepared
}

func newConnClient(tc *tls.Config, pool *replyPool) *connClient {
	return &connClient{dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}, maxHead: MaxReplyHeaderBytes, tls: tc, pool: pool}
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
		tc := tls.Client(conn, leanTLS(c.tls, req.URL.Hostname()))
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c.lc = limitedConn{Conn: conn, n: c.maxHead, pool: c.pool}
	c.conn, c.br, c.reused = conn, bufio.NewReaderSize(&c.lc, 16<<10), false
	return nil
}

// encode writes the request as net/http's client does: request line, Host,
// User-Agent, Content-Length, then the other headers in sorted order.
func (c *connClient) encode(req *http.Request, body []byte) []byte {
	b := appendHeadStart(c.wbuf[:0], req)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b, c.keys = appendHeadEnd(b, req, c.keys)
	b = append(b, body...)
	c.wbuf = b
	return b
}

// encodePrepared is encode of a prepared request: its head's two parts
// around the body's length.
func (c *connClient) encodePrepared(p *prepared, body []byte) []byte {
	b := append(c.wbuf[:0], p.head...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, p.tail...)
	b = append(b, body...)
	c.wbuf = b
	return b
}

// appendHeadStart appends a request's head up to Content-Length's value.
func appendHeadStart(b []byte, req *http.Request) []byte {
	b = append(b, req.Method...)
	b = append(b, ' ')
	b = appendRequestURI(b, req.URL)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, req.URL.Host...)
	return append(b, "\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: "...)
}

// appendHeadEnd appends the rest of a request's head after
// Content-Length's value: the other headers in sorted order (keys is a
// scratch for their names) and the blank line.
func appendHeadEnd(b []byte, req *http.Request, keys []string) ([]byte, []string) {
	b = append(b, "\r\n"...)
	keys = keys[:0]
	for k := range req.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	return append(b, "\r\n"...), keys
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
	return c.doPrepared(ctx, req, nil, body, deadline, buf, limit)
}

// doPrepared is do with the request's head from pre (nil: encoded from
// req); pre, when not nil, is req's.
func (c *connClient) doPrepared(ctx context.Context, req *http.Request, pre *prepared, body []byte, deadline time.Time, buf *bytes.Buffer, limit int64) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if c.conn == nil {
			if err := c.dial(ctx, req); err != nil {
				return nil, err
			}
		}
		reused := c.reused
		_ = c.conn.SetDeadline(deadline)
		resp, err := c.roundTrip(req, pre, body, buf, limit)
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

func (c *connClient) roundTrip(req *http.Request, pre *prepared, body []byte, buf *bytes.Buffer, limit int64) (*http.Response, error) {
	// What this reply took of the run's budget goes back when it ends.
	defer c.lc.endReply()
	var out []byte
	if pre != nil {
		out = c.encodePrepared(pre, body)
	} else {
		out = c.encode(req, body)
	}
	if _, err := c.conn.Write(out); err != nil {
		if isReset(err) {
			return nil, errIdleClosed
		}
		return nil, err
	}
	// The heads of this reply (1xx ones included) may take maxHead bytes
	// from here; bytes already buffered are not counted, as net/http does
	// not count them.
	c.lc.n = c.maxHead
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
	for {
		if resp, n, ok := leanHead(c.br, req, sc); ok {
			c.lc.n = math.MaxInt64
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
			if c.lc.n <= 0 {
				return nil, ErrReplyHeaderTooLarge
			}
			return nil, err
		}
		// 1xx replies other than 101 are interim (100 Continue, 103 Early
		// Hints): the final reply follows on the same connection, and
		// net/http's Transport skips them so.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		c.lc.n = math.MaxInt64
		_, err = buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
		if err != nil {
			return nil, err
		}
		if int64(buf.Len()) > limit || resp.Close || resp.StatusCode == http.StatusSwitchingProtocols {
			// An unread rest, a server that asked to close, or one that
			// switched to another protocol: start afresh. The connection
			// goes first: closing the body of a reply not read to its end
			// would read the rest (an endless chunked body: until the
			// deadline).
			c.close()
		}
		_ = resp.Body.Close()
		return resp, nil
	}
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// MaxReplyHeaderBytes is the most bytes of reply head every client path of
// imhook reads before it gives a reply up: the status lines and header
// lines of the final reply and of any 1xx replies before it, together.
// It is net/http's default for a Transport (MaxResponseHeaderBytes), which
// NewClient sets explicitly; connClient applies it the same way.
const MaxReplyHeaderBytes = 10 << 20

// ErrReplyHeaderTooLarge is a reply whose head did not end within
// MaxReplyHeaderBytes.
var ErrReplyHeaderTooLarge = fmt.Errorf("the reply's header is larger than %d bytes (10 MiB); imhook stopped reading it", MaxReplyHeaderBytes)

// limitedConn reads from a connection at most n bytes before it fails with
// ErrReplyHeaderTooLarge, as net/http's persistConn.Read does with its
// readLimit: the client sets n before a reply's head and lifts it for the
// body. With a pool, a reply's bytes past the first replyFree (head and
// body together) are taken from the run's budget, and a read that cannot
// have them fails with the pool's *budgetError.
type limitedConn struct {
	net.Conn
	n int64
	// used is how many bytes this reply read, held how many of them the
	// pool lent.
	used, held int64
	pool       *replyPool
}

func (l *limitedConn) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, ErrReplyHeaderTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	if over := l.used + int64(len(p)) - replyFree - l.held; over > 0 && l.pool != nil {
		// Borrowed in steps, so that a large reply does not touch the
		// shared counter at every read.
		step := max(over, replyStep)
		if !l.pool.take(step) {
			if step = over; !l.pool.take(step) {
				return 0, l.pool.err
			}
		}
		l.held += step
	}
	n, err := l.Conn.Read(p)
	l.n -= int64(n)
	l.used += int64(n)
	return n, err
}

// endReply gives back what the reply borrowed.
func (l *limitedConn) endReply() {
	if l.held > 0 {
		l.pool.give(l.held)
	}
	l.used, l.held = 0, 0
}

// MaxLoadReplyBytes is a load run's budget for the bytes of the replies in
// flight on all its connections together, past the first replyFree of
// each (a usual reply needs none of it): 64 replies of the largest body
// imhook reads, or 6 heads of the largest it reads. A reply that would
// pass it is given up and its connection closed.
const MaxLoadReplyBytes = 64 << 20

// LoadMemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit)
// that a load run's command line sets: twice MaxLoadReplyBytes and room
// for the rest. 64 connections sending endless heads for 20 s peaked at
// 227 MiB with it, 347 MiB with 256 MiB, 1,064 MiB with none (the collector
// let the heap grow to five times what was live); a usual run's heap stays
// well below it.
const LoadMemoryLimit = 2*MaxLoadReplyBytes + 64<<20

const (
	replyFree = 64 << 10  // the bytes of each reply not counted
	replyStep = 256 << 10 // borrowed at a time
)

// budgetError is a reply given up because the replies in flight on all of
// a load run's connections together held its budget (n bytes).
type budgetError struct{ n int64 }

func (e *budgetError) Error() string {
	return fmt.Sprintf("the replies in flight on all the run's connections together reached the load run's budget of %d MiB; imhook stopped reading this one and closed its connection", e.n>>20)
}

// replyPool is a load run's budget of reply bytes, shared by its workers.
type replyPool struct {
	left atomic.Int64
	err  error // what a reply that does not fit fails with
}

func newReplyPool(n int64) *replyPool {
	p := &replyPool{err: &budgetError{n: n}}
	p.left.Store(n)
	return p
}

func (p *replyPool) take(n int64) bool {
	if p.left.Add(-n) < 0 {
		p.left.Add(n)
		return false
	}
	return true
}

func (p *replyPool) give(n int64) { p.left.Add(n) }
