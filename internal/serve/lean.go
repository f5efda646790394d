package serve

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The lean server: serve's plain-HTTP path for the requests platforms send
// (HTTP/1.1 POST or GET, a Content-Length or no body, keep-alive), without
// net/http's per-request machinery: one buffered reader per connection, a
// request head parsed in place, the read deadline set only when a read has
// to wait and the write deadline once, and the reply written with one
// write(2). Whatever is outside that path (see leanHead) goes, with the bytes
// read so far in front, to the same http.Server that serves when the lean
// path is off, so its behaviour is net/http's exactly. lean_test.go holds
// the two paths to the same replies and the same records.

// leanBuf is the size of a connection's reader: a head that does not fit
// goes to net/http (whose limit, MaxHeaderBytes, is larger).
const leanBuf = 4096

// maxPostHandlerRead is what net/http reads of a body the handler left
// (server.go, maxPostHandlerReadBytes) before it closes the connection.
const maxPostHandlerRead = 256 << 10

// Connection states for Shutdown.
const (
	leanActive int32 = iota
	leanIdle
	leanClosed
)

// leanServer accepts the connections and serves them on the lean path,
// handing what is not for it to net/http through handOff.
type leanServer struct {
	h                     *Handler
	ln                    net.Listener
	handOff               *handOffListener
	headerTimeout, readTO time.Duration
	writeTO, idleTO       time.Duration
	closing               atomic.Bool
	mu                    sync.Mutex
	conns                 map[*leanConn]struct{}
	serving               sync.WaitGroup // connections in the lean loop
	acceptDone            chan struct{}
	// served and handedOff count requests answered on the lean path and
	// connections given to net/http (for tests and benchmarks).
	served, handedOff atomic.Int64
}

// accept accepts connections until the listener is closed.
func (s *leanServer) accept() {
	defer close(s.acceptDone)
	var delay time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// As http.Server.Serve does for temporary errors.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			s.handOff.fail(err)
			return
		}
		delay = 0
		c := &leanConn{s: s, nc: nc, accepted: time.Now()}
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.serving.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

// closeIdle closes the idle lean connections and returns how many are
// left (active ones, which close once their request is answered).
func (s *leanServer) closeIdle() (left int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(leanIdle, leanClosed) {
			c.nc.Close()
		}
	}
	return len(s.conns)
}

func (s *leanServer) forget(c *leanConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.serving.Done()
}

// leanConn is one connection on the lean path.
type leanConn struct {
	s        *leanServer
	nc       net.Conn
	accepted time.Time
	state    atomic.Int32
	rd       *bufio.Reader
	in       leanInput
	body     leanBody
	w        leanWriter
	remote   string
	// readErr is the read error that ended a head, for net/http to meet.
	readErr error
	// date caches the Date header's value for a second.
	dateSec int64
	date    []byte
	// lastHead is the head of the connection's last request on the lean
	// path and last what parseLeanHead made of it (see parseHead).
	lastHead []byte
	last     *http.Request
}

// leanInput is the reader under rd: it applies the read deadline the
// connection wants before a read that reaches the socket, so that a request
// that arrives whole sets none.
type leanInput struct {
	nc            net.Conn
	want, applied time.Time
}

func (in *leanInput) Read(p []byte) (int, error) {
	if !in.want.Equal(in.applied) {
		if err := in.nc.SetReadDeadline(in.want); err != nil {
			return 0, err
		}
		in.applied = in.want
	}
	return in.nc.Read(p)
}

// serve is the connection's request loop.
func (c *leanConn) serve() {
	s := c.s
	handed := false
	defer func() {
		if !handed {
			c.nc.Close()
		}
		s.forget(c)
	}()
	c.in.nc = c.nc
	c.rd = bufio.NewReaderSize(&c.in, leanBuf)
	c.remote = c.nc.RemoteAddr().String()
	first := true
	for {
		// Waiting for a request: the idle timeout, or for the first one
		// the header timeout from the accept (as net/http's conn.serve).
		var t0 time.Time
		if first {
			t0 = c.accepted
			c.in.want = deadline(t0, s.headerTO())
		} else if c.rd.Buffered() == 0 {
			c.in.want = deadline(time.Now(), s.idleTO)
		}
		c.state.Store(leanIdle)
		if s.closing.Load() {
			return
		}
		// net/http waits for 4 bytes of a request after the first one,
		// and closes without a word when the stream ends before them.
		peek := 4
		if first {
			peek = 1
		}
		if _, err := c.rd.Peek(peek); err != nil {
			return // closed, timed out or reset while idle: net/http says nothing either
		}
		if !c.state.CompareAndSwap(leanIdle, leanActive) {
			return // Shutdown closed it
		}
		if !first {
			t0 = time.Now()
		}
		first = false
		switch c.request(t0) {
		case leanNext:
		case leanClose:
			return
		case leanHandOff:
			handed = c.handOff()
			return
		}
	}
}

func (s *leanServer) headerTO() time.Duration {
	if s.headerTimeout > 0 {
		return s.headerTimeout
	}
	return s.readTO
}

// deadline is t+d, or no deadline for d <= 0.
func deadline(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return t.Add(d)
}

type leanNextStep int

const (
	leanNext leanNextStep = iota
	leanClose
	leanHandOff
)

// request reads, answers and records one request that started arriving at
// t0, or says it is not one for the lean path.
func (c *leanConn) request(t0 time.Time) leanNextStep {
	s := c.s
	var head []byte
	for {
		buf, _ := c.rd.Peek(c.rd.Buffered())
		if n := bytes.Index(buf, crlfcrlf); n >= 0 {
			head = buf[:n+4]
			break
		}
		if len(buf) >= leanBuf {
			return leanHandOff // over the lean limit: net/http applies its own
		}
		c.in.want = deadline(t0, s.headerTO())
		if _, err := c.rd.Peek(len(buf) + 1); err != nil {
			if !errors.Is(err, io.EOF) {
				// Timed out or reset: net/http meets the same error after
				// the bytes read, and answers as it does.
				c.readErr = err
			}
			return leanHandOff // a truncated head: net/http answers it
		}
	}
	r, ok := c.parseHead(head)
	if !ok {
		return leanHandOff
	}
	share := s.h.budget.share(r, s.h.cfg.MaxBody)
	if share > 0 && !s.h.budget.tryAcquire(share) {
		// net/http's path waits for the budget, ending the wait when the
		// client goes away.
		return leanHandOff
	}
	_, _ = c.rd.Discard(len(head))
	r.RemoteAddr = c.remote
	c.in.want = deadline(t0, s.readTO)
	c.body = leanBody{rd: c.rd, n: r.ContentLength}
	if r.ContentLength > 0 {
		r.Body = &c.body
	} else {
		r.Body = http.NoBody
	}
	c.w = leanWriter{hdr: make(http.Header, 2), status: 0, out: c.w.out[:0], bodyBuf: c.w.bodyBuf[:0]}
	wd := deadline(time.Now(), s.writeTO)
	s.h.serve(&c.w, r, t0)
	if share > 0 {
		s.h.budget.release(share)
	}
	closeAfter := false
	if c.body.n > 0 && c.body.err == nil {
		// The handler left part of the body: read it as net/http does,
		// up to a bound, or close after the reply.
		if c.body.n >= maxPostHandlerRead {
			closeAfter = true
		} else if _, err := io.Copy(io.Discard, &c.body); err != nil {
			closeAfter = true
		}
	}
	if c.body.err != nil && !errors.Is(c.body.err, io.ErrUnexpectedEOF) {
		// A read error that is not the end of the stream (a timeout, a
		// reset): what follows cannot be parsed as another request.
		closeAfter = true
	}
	out := c.w.finish(c, closeAfter)
	if err := c.nc.SetWriteDeadline(wd); err != nil {
		return leanClose
	}
	if _, err := c.nc.Write(out); err != nil || closeAfter {
		return leanClose
	}
	c.s.served.Add(1)
	return leanNext
}

var crlfcrlf = []byte("\r\n\r\n")

// parseHead is parseLeanHead, but a head that repeats the connection's last
// one byte for byte (a platform's requests on one connection differ in
// their bodies; Tencent's signed URLs once a second) is taken as that one
// was parsed: a new Request with the same fields, its URL and header map
// shared. They can be, because nothing on the lean path changes a request's
// URL or header map, and a record only reads them (Handler.serve).
func (c *leanConn) parseHead(head []byte) (*http.Request, bool) {
	if c.last != nil && bytes.Equal(head, c.lastHead) {
		r := new(http.Request)
		*r = *c.last
		return r, true
	}
	r, ok := parseLeanHead(head, c.s.h.cfg.MaxBody)
	if !ok {
		return nil, false
	}
	c.lastHead = append(c.lastHead[:0], head...)
	last := *r
	c.last = &last
	return r, true
}

// handOff gives the connection, with what was read of it, to net/http.
func (c *leanConn) handOff() bool {
	buf, _ := c.rd.Peek(c.rd.Buffered())
	pc := &prefixConn{Conn: c.nc, prefix: append([]byte(nil), buf...), err: c.readErr}
	// net/http sets its own deadlines; clear the lean path's.
	_ = c.nc.SetReadDeadline(time.Time{})
	c.s.handedOff.Add(1)
	return c.s.handOff.give(pc)
}

// leanBody is a request body of a known length on the connection's reader.
type leanBody struct {
	rd  *bufio.Reader
	n   int64
	err error
}

func (b *leanBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.rd.Read(p)
	b.n -= int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			// As net/http's body: the stream ended before the length.
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return n, err
	}
	return n, nil
}

func (b *leanBody) Close() error { return nil }

// parseLeanHead parses a request head (ending in CRLF CRLF) that is on the
// lean path, as net/http's readRequest would, and reports false for anything
// else: a method other than POST and GET, a version other than HTTP/1.1, a
// target that is not a path, a header line that is not a plain "Name:
// value" of visible ASCII (folded lines, bare LF, control bytes, non-ASCII),
// no Host or more than one, a Host of other characters than a name's and a
// port's, a Content-Length that is not one run of digits or is over maxBody,
// a body on a GET, and the headers that change how net/http reads or
// answers (Transfer-Encoding, Expect, Connection, Upgrade, Trailer, Pragma,
// Te, HTTP2-Settings).
//
// It is long because it is one pass over the head, line by line.
func parseLeanHead(headBytes []byte, maxBody int64) (*http.Request, bool) {
	// One string for the whole head: the target, the names and the values
	// are parts of it (the records hold them; a head is at most leanBuf).
	head := string(headBytes)
	line, rest, _ := strings.Cut(head, "\r\n")
	var method string
	switch {
	case strings.HasPrefix(line, "POST "):
		method, line = http.MethodPost, line[5:]
	case strings.HasPrefix(line, "GET "):
		method, line = http.MethodGet, line[4:]
	default:
		return nil, false
	}
	raw, ok := strings.CutSuffix(line, " HTTP/1.1")
	if !ok || len(raw) == 0 || raw[0] != '/' {
		return nil, false
	}
	for i := 0; i < len(raw); i++ {
		if b := raw[i]; b <= ' ' || b >= 0x7f {
			return nil, false
		}
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return nil, false
	}
	lines := strings.Count(rest, "\r\n") - 1
	hdr := make(http.Header, lines)
	// The values' slices share one array, as net/textproto's reader does.
	strs := make([]string, lines)
	host, hosts := "", 0
	var cl int64
	cls := 0
	for len(rest) > 2 {
		var l string
		l, rest, _ = strings.Cut(rest, "\r\n")
		colon := strings.IndexByte(l, ':')
		if colon <= 0 {
			return nil, false
		}
		k, v := l[:colon], l[colon+1:]
		for i := 0; i < len(k); i++ {
			if !isTokenByte(k[i]) {
				return nil, false
			}
		}
		for i := 0; i < len(v); i++ {
			if b := v[i]; (b < ' ' && b != '\t') || b >= 0x7f {
				return nil, false
			}
		}
		v = strings.Trim(v, " \t")
		key := commonKey(k)
		switch key {
		case "Host":
			hosts++
			if hosts > 1 || len(v) == 0 || !plainHost(v) {
				return nil, false
			}
			host = v
			continue // net/http takes Host out of the header map
		case "Content-Length":
			cls++
			if cls > 1 || len(v) == 0 || len(v) > 18 {
				return nil, false
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || v[0] == '+' || v[0] == '-' || n > maxBody {
				return nil, false
			}
			cl = n
		case "Transfer-Encoding", "Expect", "Connection", "Upgrade", "Trailer", "Pragma", "Te", "Http2-Settings":
			return nil, false
		}
		if vv, ok := hdr[key]; ok {
			hdr[key] = append(vv, v)
		} else if len(strs) > 0 {
			strs[0] = v
			hdr[key], strs = strs[:1:1], strs[1:]
		} else {
			hdr[key] = []string{v}
		}
	}
	if hosts != 1 || (method == http.MethodGet && cl != 0) {
		return nil, false
	}
	return &http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: hdr, ContentLength: cl, Host: host, RequestURI: raw}, true
}

// commonKey is the canonical form of a header name, without an allocation
// for the names platforms send.
func commonKey(k string) string {
	switch k {
	case "Host", "host":
		return "Host"
	case "Content-Length", "content-length":
		return "Content-Length"
	case "Content-Type", "content-type":
		return "Content-Type"
	case "User-Agent", "user-agent":
		return "User-Agent"
	case "Accept-Encoding", "accept-encoding":
		return "Accept-Encoding"
	case "Accept", "accept":
		return "Accept"
	}
	return textproto.CanonicalMIMEHeaderKey(k)
}

// isTokenByte reports a byte of an RFC 9110 token (a header name).
func isTokenByte(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}

// plainHost reports a Host of a name's or an address's characters and a
// port (a subset of what net/http accepts).
func plainHost(v string) bool {
	for i := 0; i < len(v); i++ {
		switch b := v[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9',
			b == '.', b == '-', b == ':', b == '[', b == ']', b == '_':
		default:
			return false
		}
	}
	return true
}

// leanWriter is the http.ResponseWriter of the lean path: it keeps the
// reply and writes it whole when the handler returns, in net/http's form.
type leanWriter struct {
	hdr     http.Header
	status  int
	out     []byte // the status line and the handler's header, then the reply
	bodyBuf []byte
	flags   uint8 // the header's keys that change what net/http adds
}

const (
	hasType uint8 = 1 << iota
	hasDate
	hasLength
	hasEncoding
)

func (w *leanWriter) Header() http.Header { return w.hdr }

// WriteHeader takes the status and, as net/http does, the header as it is
// now: later changes to the map are not sent.
func (w *leanWriter) WriteHeader(code int) {
	if w.status != 0 {
		return // net/http logs a superfluous call and ignores it
	}
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code)) // as net/http's checkWriteHeaderCode
	}
	w.status = code
	w.out = append(w.out, "HTTP/1.1 "...)
	w.out = strconv.AppendInt(w.out, int64(code), 10)
	w.out = append(w.out, ' ')
	if text := http.StatusText(code); text != "" {
		w.out = append(w.out, text...)
	} else {
		w.out = append(w.out, "status code "...)
		w.out = strconv.AppendInt(w.out, int64(code), 10)
	}
	w.out = append(w.out, "\r\n"...)
	if v, ok := w.hdr["Content-Type"]; ok && len(w.hdr) == 1 && len(v) == 1 && plainValue(v[0]) {
		w.out = append(w.out, "Content-Type: "...)
		w.out = append(w.out, v[0]...)
		w.out = append(w.out, "\r\n"...)
		w.haveType()
		return
	}
	b := bytes.NewBuffer(w.out)
	_ = w.hdr.Write(b) // sorted, as net/http's WriteSubset
	w.out = b.Bytes()
	w.haveType()
}

func (w *leanWriter) haveType() {
	_, t := w.hdr["Content-Type"]
	_, d := w.hdr["Date"]
	_, l := w.hdr["Content-Length"]
	_, e := w.hdr["Content-Encoding"]
	w.flags = 0
	if t {
		w.flags |= hasType
	}
	if d {
		w.flags |= hasDate
	}
	if l {
		w.flags |= hasLength
	}
	if e {
		w.flags |= hasEncoding
	}
}

func (w *leanWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.bodyBuf = append(w.bodyBuf, p...)
	return len(p), nil
}

// plainValue reports a header value net/http writes as it is.
func plainValue(v string) bool {
	if v == "" || v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] == '\r' || v[i] == '\n' {
			return false
		}
	}
	return true
}

// bufferBeforeChunking is net/http's (server.go, bufferBeforeChunkingSize):
// a reply longer than this, written by a handler that has not returned, is
// sent chunked.
const bufferBeforeChunking = 2048

// finish is the whole reply as net/http writes it for a handler that wrote
// its body in one Write: the status line and the handler's header, then
// Date, Content-Length (or Transfer-Encoding: chunked for a body over
// bufferBeforeChunking), a sniffed Content-Type when there was none, and
// Connection: close when the connection ends after it.
func (w *leanWriter) finish(c *leanConn, closeAfter bool) []byte {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	out, body := w.out, w.bodyBuf
	if w.flags&hasDate == 0 {
		out = append(out, "Date: "...)
		out = append(out, c.dateNow()...)
		out = append(out, "\r\n"...)
	}
	chunked := len(body) > bufferBeforeChunking
	if !chunked && w.flags&hasLength == 0 {
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, int64(len(body)), 10)
		out = append(out, "\r\n"...)
	}
	if w.flags&(hasType|hasEncoding) == 0 && len(body) > 0 {
		out = append(out, "Content-Type: "...)
		out = append(out, http.DetectContentType(body)...)
		out = append(out, "\r\n"...)
	}
	if closeAfter {
		out = append(out, "Connection: close\r\n"...)
	}
	if chunked {
		out = append(out, "Transfer-Encoding: chunked\r\n\r\n"...)
		out = strconv.AppendInt(out, int64(len(body)), 16)
		out = append(out, "\r\n"...)
		out = append(out, body...)
		out = append(out, "\r\n0\r\n\r\n"...)
	} else {
		out = append(out, "\r\n"...)
		out = append(out, body...)
	}
	w.out = out
	return out
}

// dateNow is the Date header's value, formatted once a second.
func (c *leanConn) dateNow() []byte {
	now := time.Now()
	if sec := now.Unix(); sec != c.dateSec || c.date == nil {
		c.dateSec = sec
		c.date = now.UTC().AppendFormat(c.date[:0], http.TimeFormat)
	}
	return c.date
}

// prefixConn is a connection whose first bytes were read already, and
// when err is set, whose next read after them failed with err.
type prefixConn struct {
	net.Conn
	prefix []byte
	err    error
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.Conn.Read(b)
}

// handOffListener is the listener net/http's server serves: the lean
// path's accept loop gives it the connections that are not for the lean
// path.
type handOffListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
	err  error
}

func newHandOff(addr net.Addr) *handOffListener {
	return &handOffListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handOffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, l.err
	}
}

// give passes c to net/http's server; false when that has stopped.
func (l *handOffListener) give(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

// fail ends Accept with err (the real listener's).
func (l *handOffListener) fail(err error) {
	l.once.Do(func() { l.err = err; close(l.done) })
}

func (l *handOffListener) Close() error {
	l.fail(net.ErrClosed)
	return nil
}

func (l *handOffListener) Addr() net.Addr { return l.addr }

// shutdown stops the lean path: no more accepts, idle connections closed,
// active ones waited for until ctx ends.
func (s *leanServer) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	s.mu.Unlock()
	_ = s.ln.Close()
	<-s.acceptDone
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for s.closeIdle() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
