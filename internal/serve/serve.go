// Package serve is imhook's receiver: an http.Handler that recognises a
// callback (platform.Identify), checks its transport (the vendor's
// CheckRequest: query, signature, command) and its body against the catalogue
// (validate.Payload), answers in the vendor's reply shape as configured, and
// records every exchange before it acknowledges it; and the server around it.
// `simulate` with no target runs against it, and `imhook serve` runs it for a
// real platform.
package serve

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/validate"
)

// DefaultMaxBody is the largest request body the receiver reads.
const DefaultMaxBody = 1 << 20

// Config configures a Handler.
type Config struct {
	Catalogue *fixtures.Catalogue
	// Expect is what requests must carry (SdkAppid, token).
	Expect platform.Expect
	// Respond is the reply mode for a good callback (platform.ReplyModes).
	Respond string
	// Strict fails an exchange whose request has a warning or an unknown
	// field too (--strict); the answer is the same.
	Strict bool
	// ReplyFiles are reply bodies sent verbatim instead of Respond: by
	// command (lower-case), or for every command under the key "".
	ReplyFiles map[string][]byte
	// Delay is how long to wait before answering.
	Delay time.Duration
	// FailRate is the fraction of good callbacks answered "fail" (0..1).
	FailRate float64
	// MaxBody limits request bodies (0 means DefaultMaxBody).
	MaxBody int64
	// RejectReplays refuses a signed request (Tencent: Sign and RequestTime,
	// checked with Expect.Token) whose signature came before within the
	// window; at most MaxRemembered signatures are remembered.
	RejectReplays bool
	// MaxInFlight bounds the bytes of request bodies held at once (0 means
	// DefaultMaxInFlight): past it, requests wait before their body is
	// read, and go on in order as earlier ones are recorded and answered.
	MaxInFlight int64
	// Record receives the record of every exchange before the reply is
	// written; when it fails the request is answered 500 and not
	// acknowledged. It must be safe for concurrent use. Record and Show
	// must not change the record's bodies, which may be shared.
	Record func(*record.Record) error
	// Show receives the record after the reply is written (for display).
	Show func(*record.Record)
	// Forward, when set, passes every callback on to a backend once it is
	// checked and relays the backend's reply (serve --forward-to); Respond,
	// ReplyFiles, Delay, FailRate and RejectReplays then do not apply.
	Forward *Forwarder
	// KeepSecrets keeps the values of the credential headers
	// (record.SecretHeaders: Authorization, Proxy-Authorization, cookies)
	// in records as they came; by default they are redacted there (the
	// backend of Forward still gets them as received).
	KeepSecrets bool
}

// accepted is when a connection was accepted, in its context (acceptedAt),
// and whether its first request took that time as its arrival.
type accepted struct {
	at   time.Time
	used atomic.Bool
}

type acceptedKey struct{}

// acceptedAt is the server's ConnContext: it notes when the connection
// was accepted.
func acceptedAt(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, acceptedKey{}, &accepted{at: time.Now()})
}

// arrival is when r's caller started waiting, as near as serve can tell:
// now, or for the first request of a connection its accept (the caller's
// budget counted the connection's setup too).
func arrival(r *http.Request) time.Time {
	if a, ok := r.Context().Value(acceptedKey{}).(*accepted); ok && !a.used.Swap(true) {
		return a.at
	}
	return time.Now()
}

// Handler receives callbacks.
type Handler struct {
	cfg Config
	// answers and failAnswers hold, per entry, the reply to a good callback
	// (Respond) and the --fail-rate reply when neither depends on the
	// request (platform.RequestIndependent), with their outcome.
	answers, failAnswers sync.Map // *fixtures.Entry -> *fixedAnswer
	// budget bounds the bodies in flight (MaxInFlight); a request that
	// waited for it gets the server's timeouts afresh (set by StartWith).
	budget                    budget
	readTimeout, writeTimeout time.Duration
	// replays remembers signatures (RejectReplays), else nil.
	replays *replays
}

// NewHandler returns a receiver for cfg.
func NewHandler(cfg Config) *Handler {
	if cfg.Catalogue == nil {
		cfg.Catalogue = fixtures.Default()
	}
	if cfg.Respond == "" {
		cfg.Respond = platform.ReplyOK
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	h := &Handler{cfg: cfg, budget: budget{max: cfg.MaxInFlight}}
	if cfg.RejectReplays {
		h.replays = newReplays(cfg.Expect.Window, cfg.Expect.Now)
	}
	return h
}

// secrets is the header map a record keeps of hdr: hdr itself, or (unless
// KeepSecrets) a copy with the credentials redacted when it has any.
func (h *Handler) secrets(hdr http.Header) http.Header {
	if h.cfg.KeepSecrets {
		return hdr
	}
	return record.RedactHeaders(hdr)
}

// Rule names of the receiver's own findings.
const (
	RuleMethod     = "request.method"
	RuleUnknown    = "request.unknown_command"
	RuleNotCommand = "request.not_a_callback"
	RuleTooLarge   = "request.too_large"
	RuleBody       = "request.body"
	RuleAnswer     = "serve.answer"
)

// answer is what the receiver decided to reply.
type answer struct {
	status int
	ctype  string
	body   []byte
	header http.Header
	// fromVendor marks a reply imhook built (valid JSON by construction).
	fromVendor bool
	// judged marks an answer whose outcome is known already.
	judged  bool
	outcome record.Outcome
	// claimed is the signature this request claimed (RejectReplays).
	claimed replayKey
	// noReply marks the answer to a forwarded callback whose backend gave
	// none (502, 504): the platform would have seen no reply.
	noReply bool
	// callerGone marks the answer to a forwarded callback whose caller
	// went away before the backend's reply could be relayed: nothing is
	// written, and the record says the caller got no reply.
	callerGone bool
}

// fixedAnswer is a reply that does not depend on the request, and the
// outcome the platform gives it.
type fixedAnswer struct {
	body    []byte
	json    bool // body is valid JSON
	outcome record.Outcome
}

// fixed returns the answer cached for e in cache, building and judging it the
// first time. Only for entries whose answers and judging do not depend on the
// request (platform.RequestIndependent). The body is shared by every request
// that gets it: nothing may change it.
func (h *Handler) fixed(cache *sync.Map, vendor platform.Vendor, e *fixtures.Entry, build func() []byte) answer {
	v, ok := cache.Load(e)
	if !ok {
		body := build()
		// As handle's deferred judging does, with no request to judge
		// against: RequestIndependent says the judge does not read it.
		_, outcome := vendor.JudgeReply(platform.Reply{Status: http.StatusOK, Body: body}, platform.JudgingFor(e, nil, true, 0, ""))
		v, _ = cache.LoadOrStore(e, &fixedAnswer{body: body, json: json.Valid(body), outcome: outcome})
	}
	f := v.(*fixedAnswer)
	return answer{status: http.StatusOK, ctype: ctypeJSON, body: f.body, fromVendor: f.json, judged: true, outcome: f.outcome}
}

const ctypeJSON = "application/json"

// The Content-Type values of the answers; shared, so that setting one costs
// no allocation (nothing changes a header value in place, and a full slice
// makes an append copy it).
var (
	ctypeJSONValue = []string{ctypeJSON}[:1:1]
	ctypeTextValue = []string{ctypeText}[:1:1]
)

const ctypeText = "text/plain; charset=utf-8"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The caller's budget began before this (its request was sent, then
	// perhaps waited for the budget of bodies): a forward waits no longer
	// than from here.
	arrived := arrival(r)
	share, ok := h.admit(w, r)
	if !ok {
		return // the client went away while waiting for the budget
	}
	if share > 0 {
		defer h.budget.release(share)
	}
	h.serve(w, r, arrived)
}

// serve is ServeHTTP once r has its share of the budget: the core that
// net/http's server and the lean one (lean.go) both call.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, arrived time.Time) {
	start := time.Now()
	// The record and its two messages in one allocation.
	x := &exchange{}
	// The request's header map is the request's own and is not touched
	// after the handler returns, so the record can hold it as it is.
	x.req = record.Message{Method: r.Method, URL: requestURL(r), Headers: r.Header}
	rec := &x.rec
	rec.Time, rec.Request = start, &x.req
	a := h.handle(r, w, rec, arrived)
	x.req.Headers = h.secrets(x.req.Headers)
	if a.callerGone {
		// The record says what the caller got: nothing.
		rec.Verdict = record.NoReply
		if h.cfg.Record != nil {
			_ = h.cfg.Record(rec)
		}
		if h.cfg.Show != nil {
			h.cfg.Show(rec)
		}
		return
	}
	if h.cfg.Delay > 0 && a.status == http.StatusOK && h.cfg.Forward == nil {
		t := time.NewTimer(h.cfg.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	hdr := w.Header()
	a.setHeader(hdr)
	// net/http snapshots the header map at WriteHeader and does not change
	// it afterwards, so no copy is needed either.
	x.resp = record.Message{Status: a.status, Headers: h.secrets(hdr), Body: a.body,
		LatencyMS: float64(time.Since(start).Microseconds()) / 1000, BodyIsJSON: a.ctype == ctypeJSON && a.fromVendor}
	rec.Response = &x.resp
	rec.Verdict = record.Judge(!a.noReply, rec.Findings, h.cfg.Strict)
	// Record first, then acknowledge: a reply that was sent is always in the
	// record file.
	if h.cfg.Record != nil {
		err := h.cfg.Record(rec)
		var tooLong *record.LineTooLongError
		if errors.As(err, &tooLong) {
			claimed := a.claimed
			a = unrecordable(rec, tooLong)
			a.claimed = claimed
			hdr["Content-Type"] = ctypeTextValue
			x.resp = record.Message{Status: a.status, Headers: h.secrets(hdr), Body: a.body, LatencyMS: x.resp.LatencyMS}
			err = h.cfg.Record(rec)
		}
		if err != nil {
			if a.claimed.ok {
				h.replays.forget(a.claimed) // not acknowledged: the platform may send it again
			}
			http.Error(w, "imhook: the exchange could not be recorded ("+err.Error()+"); not acknowledged", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
	if h.cfg.Show != nil {
		h.cfg.Show(rec)
	}
}

// setHeader puts the answer's header and content type into the reply's.
func (a *answer) setHeader(hdr http.Header) {
	for k, v := range a.header {
		hdr[k] = v
	}
	switch a.ctype {
	case ctypeJSON:
		hdr["Content-Type"] = ctypeJSONValue
	case ctypeText:
		hdr["Content-Type"] = ctypeTextValue
	case "": // a relayed reply: its header has the backend's, if any
	default:
		hdr.Set("Content-Type", a.ctype)
	}
}

// unrecordable turns rec, whose line would be longer than the record
// readers read, into the record of a 413 refusal without the request body
// (the caller puts the answer in its response), and returns that answer:
// imhook does not acknowledge what it cannot record readably.
func unrecordable(rec *record.Record, e *record.LineTooLongError) answer {
	msg := fmt.Sprintf("the body (%d bytes) is refused and not recorded: its record would be a line of %d bytes, longer than the %d bytes (%d MiB) that imhook replay and validate read. Send a smaller body, or lower --max-body",
		len(rec.Request.Body), e.Len, record.MaxLine, record.MaxLine>>20)
	a := answer{status: http.StatusRequestEntityTooLarge, ctype: ctypeText, body: []byte("imhook: " + msg + "\n")}
	rec.Request.Body, rec.Request.BodyIsJSON = nil, false
	rec.Findings = []record.Finding{{Severity: record.Error, Rule: RuleTooLarge, Message: msg}}
	rec.Outcome = ""
	rec.Verdict = record.VerdictOf(true, rec.Findings)
	return a
}

// exchange is a record with its request and response.
type exchange struct {
	rec       record.Record
	req, resp record.Message
}

// requestURL is scheme://host followed by r.URL.RequestURI(), built with one
// allocation.
func requestURL(r *http.Request) string {
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	u := r.URL
	if u.Opaque != "" {
		return scheme + host + u.RequestURI()
	}
	// RequestURI without an opaque part.
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.ForceQuery || u.RawQuery != "" {
		return scheme + host + p + "?" + u.RawQuery
	}
	return scheme + host + p
}

func (h *Handler) handle(r *http.Request, w http.ResponseWriter, rec *record.Record, arrived time.Time) (a answer) {
	add := func(sev record.Severity, rule, path, msg string) {
		rec.Findings = append(rec.Findings, record.Finding{Severity: sev, Rule: rule, Path: path, Message: msg})
	}
	text := func(status int, rule, msg string) answer {
		add(record.Error, rule, "", msg)
		return answer{status: status, ctype: ctypeText, body: []byte("imhook: " + msg + "\n")}
	}
	if r.Method != http.MethodPost {
		a := text(http.StatusMethodNotAllowed, RuleMethod, fmt.Sprintf("callbacks are POST requests, this was %s. Point the platform's callback URL here and let it POST, or try: imhook simulate --all --target http://%s%s", r.Method, r.Host, r.URL.Path))
		a.header = http.Header{"Allow": {http.MethodPost}}
		return a
	}
	body, err := readBody(w, r, h.cfg.MaxBody)
	rec.Request.Body = body
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return text(http.StatusRequestEntityTooLarge, RuleTooLarge, fmt.Sprintf("the body is larger than %d bytes (--max-body)", h.cfg.MaxBody))
		}
		return text(http.StatusBadRequest, RuleBody, "the body could not be read: "+err.Error())
	}
	vendor, command := platform.Identify(r)
	if vendor == nil {
		return text(http.StatusNotFound, RuleNotCommand, "this is not a callback: Tencent callbacks carry a CallbackCommand query parameter (?SdkAppid=..&CallbackCommand=..), OpenIM callbacks end their path with /{command} (callback...Command)")
	}
	rec.Vendor, rec.Command = vendor.Name(), command
	reply := func(mode, info string) answer {
		return answer{status: http.StatusOK, ctype: ctypeJSON, body: vendor.ReplyBody(mode, info), fromVendor: true}
	}
	e, alias, ok := h.cfg.Catalogue.Lookup(command)
	if !ok || e.Vendor != vendor.Name() {
		return h.unknown(r, arrived, body, vendor, command, rec)
	}
	if alias != nil {
		add(record.Warning, "quirk.legacy_command", "", fmt.Sprintf("%s is the name that %s used for %s", alias.Command, alias.Versions, e.Command))
	}
	rec.Command = e.Command
	// The record says what the platform would do with the answer.
	defer func() {
		switch {
		case a.judged:
			rec.Outcome = a.outcome
		case a.status == http.StatusOK && a.ctype == ctypeJSON:
			_, rec.Outcome = vendor.JudgeReply(platform.Reply{Status: a.status, Body: a.body},
				platform.JudgingFor(e, body, true, 0, ""))
		}
	}()
	transport := vendor.CheckRequest(r, body, e, h.cfg.Expect)
	rec.Findings = append(rec.Findings, transport...)
	payload := validate.Payload(e, body)
	rec.Findings = append(rec.Findings, payload...)
	rec.Request.BodyIsJSON = !hasJSONError(payload)
	if h.cfg.Forward != nil {
		// The backend answers, whatever the checks found: they are in the
		// record, and a careful backend makes them too.
		return h.cfg.Forward.forward(r, arrived, body, vendor, command, e, !record.HasErrors(rec.Findings), rec)
	}
	// A careful backend refuses what cannot be trusted or read: another
	// app's SdkAppid, a missing, bad or stale signature, a mismatched
	// command, a body that is not a JSON object.
	if refusal := firstError(transport); refusal != "" {
		return reply(platform.ReplyFail, refusal)
	}
	if h.replays != nil && h.cfg.Expect.Token != "" {
		if k := signatureOf(r.URL.RawQuery); k.ok {
			if refusal := h.replays.claim(k); refusal != "" {
				add(record.Error, RuleReplay, "", refusal)
				return reply(platform.ReplyFail, refusal)
			}
			defer func() { a.claimed = k }()
		}
	}
	for _, f := range payload {
		if f.Rule == validate.RuleJSON || f.Rule == validate.RuleEmpty || f.Rule == validate.RuleObject {
			return reply(platform.ReplyFail, "the body is not a JSON object")
		}
	}
	return h.respond(vendor, e, body, rec)
}

// unknown answers a callback of a vendor's that the catalogue does not
// know: a finding with the close matches, and the backend's answer
// (--forward-to) or the vendor's failure reply.
func (h *Handler) unknown(r *http.Request, arrived time.Time, body []byte, vendor platform.Vendor, command string, rec *record.Record) answer {
	msg := fmt.Sprintf("%s is not a %s callback imhook knows", command, vendor.Title())
	if s := h.cfg.Catalogue.Suggest(command); len(s) > 0 {
		msg += "; close matches: " + strings.Join(s, ", ")
	}
	rec.Findings = append(rec.Findings, record.Finding{Severity: record.Error, Rule: RuleUnknown, Message: msg})
	if h.cfg.Forward != nil {
		return h.cfg.Forward.forward(r, arrived, body, vendor, command, nil, false, rec)
	}
	return answer{status: http.StatusOK, ctype: ctypeJSON, body: vendor.ReplyBody(platform.ReplyFail, msg), fromVendor: true}
}

// respond is serve's own answer to a callback it takes: a reply file, a
// failure at random (--fail-rate), or the reply mode's answer (--respond).
func (h *Handler) respond(vendor platform.Vendor, e *fixtures.Entry, body []byte, rec *record.Record) answer {
	add := func(sev record.Severity, rule, path, msg string) {
		rec.Findings = append(rec.Findings, record.Finding{Severity: sev, Rule: rule, Path: path, Message: msg})
	}
	if len(h.cfg.ReplyFiles) > 0 {
		if b, ok := h.cfg.ReplyFiles[strings.ToLower(e.Command)]; ok {
			return answer{status: http.StatusOK, ctype: ctypeJSON, body: b}
		}
		if b, ok := h.cfg.ReplyFiles[""]; ok {
			return answer{status: http.StatusOK, ctype: ctypeJSON, body: b}
		}
	}
	fixed := platform.RequestIndependent(e)
	if h.cfg.FailRate > 0 && rand.Float64() < h.cfg.FailRate {
		add(record.Info, RuleAnswer, "", fmt.Sprintf("answered fail at random (--fail-rate %g)", h.cfg.FailRate))
		if fixed {
			return h.fixed(&h.failAnswers, vendor, e, func() []byte { return vendor.ReplyBody(platform.ReplyFail, "imhook --fail-rate") })
		}
		return answer{status: http.StatusOK, ctype: ctypeJSON, body: vendor.ReplyBody(platform.ReplyFail, "imhook --fail-rate"), fromVendor: true}
	}
	if h.cfg.Respond == platform.ReplyModify && (e.Kind != fixtures.Before || e.Reply == nil || len(e.Reply.Fields) == 0) {
		add(record.Info, RuleAnswer, "", fmt.Sprintf("--respond modify: %s applies no reply field, so imhook allows it", e.Command))
	}
	if fixed {
		return h.fixed(&h.answers, vendor, e, func() []byte { return platform.AnswerBody(vendor, h.cfg.Respond, e, nil, "") })
	}
	return answer{status: http.StatusOK, ctype: ctypeJSON, body: platform.AnswerBody(vendor, h.cfg.Respond, e, body, "")}
}

// readBody reads the request body up to max bytes, in one allocation when
// the client sent a Content-Length.
//
// A body of a known length within max is read as it is: it cannot pass the
// limit, so http.MaxBytesReader would only pass the reads through.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= max {
		b := make([]byte, n)
		if _, err := io.ReadFull(r.Body, b); err != nil {
			return b, err
		}
		return b, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, max))
}

// hasJSONError reports a body that is not valid JSON.
func hasJSONError(fs []record.Finding) bool {
	for _, f := range fs {
		if f.Rule == validate.RuleJSON || f.Rule == validate.RuleEmpty {
			return true
		}
	}
	return false
}

func firstError(fs []record.Finding) string {
	for _, f := range fs {
		if f.Severity == record.Error {
			return f.Message
		}
	}
	return ""
}

// Server is a running receiver.
type Server struct {
	// URL is the base URL to point a platform (or simulate) at.
	URL string
	srv *http.Server
	err chan error
	// lean is the lean path's server (lean.go), nil when net/http serves
	// every connection (TLS, --forward-to, --delay, another handler).
	lean *leanServer
}

// Options tune the server around the handler.
type Options struct {
	ReadHeaderTimeout time.Duration // default 5 s
	ReadTimeout       time.Duration // default 30 s
	WriteTimeout      time.Duration // default 30 s plus the handler's delay
	// TLS, when set, serves HTTPS (HTTP/1.1, as the platforms speak) with
	// this configuration (TLSOptions.Config makes one).
	TLS *tls.Config
	// ErrorLog receives the server's own errors, such as a refused TLS
	// handshake (nil: the log package's standard logger).
	ErrorLog *log.Logger
	// plain serves every connection with net/http (tests compare the
	// lean path with it).
	plain bool
}

// Start listens on addr and serves h until Shutdown.
func Start(addr string, h http.Handler) (*Server, error) {
	return StartWith(addr, h, Options{})
}

// StartWith is Start with server options.
func StartWith(addr string, h http.Handler, o Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if o.ReadHeaderTimeout == 0 {
		o.ReadHeaderTimeout = 5 * time.Second
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 30 * time.Second
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 30 * time.Second
		if hh, ok := h.(*Handler); ok {
			o.WriteTimeout += hh.cfg.Delay
		}
	}
	if hh, ok := h.(*Handler); ok {
		hh.readTimeout, hh.writeTimeout = o.ReadTimeout, o.WriteTimeout
	}
	scheme := "http://"
	if o.TLS != nil {
		c := o.TLS.Clone()
		c.NextProtos = []string{"http/1.1"}
		ln, scheme = tls.NewListener(ln, c), "https://"
	}
	s := &Server{
		URL: scheme + ln.Addr().String(),
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: o.ReadHeaderTimeout,
			ReadTimeout:       o.ReadTimeout,
			WriteTimeout:      o.WriteTimeout,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          o.ErrorLog,
			ConnContext:       acceptedAt,
		},
		err: make(chan error, 1),
	}
	if hh, ok := h.(*Handler); ok && o.TLS == nil && !o.plain && hh.cfg.Forward == nil && hh.cfg.Delay == 0 {
		// The lean path (lean.go); what it does not take, net/http serves.
		l := &leanServer{h: hh, ln: ln, handOff: newHandOff(ln.Addr()), headerTimeout: o.ReadHeaderTimeout,
			readTO: o.ReadTimeout, writeTO: o.WriteTimeout, idleTO: s.srv.IdleTimeout,
			conns: map[*leanConn]struct{}{}, acceptDone: make(chan struct{})}
		s.lean = l
		go l.accept()
		go func() { s.err <- s.srv.Serve(l.handOff) }()
		return s, nil
	}
	go func() { s.err <- s.srv.Serve(ln) }()
	return s, nil
}

// Shutdown stops accepting, waits for the requests in flight (until ctx
// ends) and closes the listener.
func (s *Server) Shutdown(ctx context.Context) error {
	var lerr error
	if s.lean != nil {
		// First the lean path, whose connections may still hand a request
		// to net/http's server, then that server.
		lerr = s.lean.shutdown(ctx)
	}
	err := s.srv.Shutdown(ctx)
	if err == nil {
		err = lerr
	}
	if serr := <-s.err; err == nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr
	}
	return err
}

// IsLoopback reports whether a listen address stays on this machine.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
