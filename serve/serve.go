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
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/platform"
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
	// ReplyFiles are reply bodies sent verbatim instead of Respond: by
	// command (lower-case), or for every command under the key "".
	ReplyFiles map[string][]byte
	// Delay is how long to wait before answering.
	Delay time.Duration
	// FailRate is the fraction of good callbacks answered "fail" (0..1).
	FailRate float64
	// MaxBody limits request bodies (0 means DefaultMaxBody).
	MaxBody int64
	// Record receives the record of every exchange before the reply is
	// written; when it fails the request is answered 500 and not
	// acknowledged. It must be safe for concurrent use.
	Record func(*record.Record) error
	// Show receives the record after the reply is written (for display).
	Show func(*record.Record)
}

// Handler receives callbacks.
type Handler struct {
	cfg Config
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
	return &Handler{cfg: cfg}
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
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// The request's header map is the request's own and is not touched
	// after the handler returns, so the record can hold it as it is.
	rec := &record.Record{Time: start, Request: &record.Message{Method: r.Method, URL: requestURL(r), Headers: r.Header}}
	a := h.handle(r, w, rec)
	if h.cfg.Delay > 0 && a.status == http.StatusOK {
		t := time.NewTimer(h.cfg.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	hdr := w.Header()
	for k, v := range a.header {
		hdr[k] = v
	}
	hdr.Set("Content-Type", a.ctype)
	// net/http snapshots the header map at WriteHeader and does not change
	// it afterwards, so no copy is needed either.
	rec.Response = &record.Message{Status: a.status, Headers: hdr, Body: a.body,
		LatencyMS: float64(time.Since(start).Microseconds()) / 1000, BodyIsJSON: a.ctype == "application/json" && a.fromVendor}
	rec.Verdict = record.Verdict(true, rec.Findings)
	// Record first, then acknowledge: a reply that was sent is always in the
	// record file.
	if h.cfg.Record != nil {
		if err := h.cfg.Record(rec); err != nil {
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

func requestURL(r *http.Request) string {
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + host + r.URL.RequestURI()
}

func (h *Handler) handle(r *http.Request, w http.ResponseWriter, rec *record.Record) (a answer) {
	add := func(sev, rule, path, msg string) {
		rec.Findings = append(rec.Findings, record.Finding{Severity: sev, Rule: rule, Path: path, Message: msg})
	}
	text := func(status int, rule, msg string) answer {
		add(record.Error, rule, "", msg)
		return answer{status: status, ctype: "text/plain; charset=utf-8", body: []byte("imhook: " + msg + "\n")}
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
		return answer{status: http.StatusOK, ctype: "application/json", body: vendor.ReplyBody(mode, info), fromVendor: true}
	}
	e, alias, ok := h.cfg.Catalogue.Lookup(command)
	if !ok || e.Vendor != vendor.Name() {
		msg := fmt.Sprintf("%s is not a %s callback imhook knows", command, vendor.Title())
		if s := h.cfg.Catalogue.Suggest(command); len(s) > 0 {
			msg += "; close matches: " + strings.Join(s, ", ")
		}
		add(record.Error, RuleUnknown, "", msg)
		return reply(platform.ReplyFail, msg)
	}
	if alias != nil {
		add(record.Warning, "quirk.legacy_command", "", fmt.Sprintf("%s is the name that %s used for %s", alias.Command, alias.Versions, e.Command))
	}
	rec.Command = e.Command
	// The record says what the platform would do with the answer.
	defer func() {
		if a.status == http.StatusOK && a.ctype == "application/json" {
			_, rec.Outcome = vendor.JudgeReply(platform.Reply{Status: a.status, Body: a.body},
				platform.JudgingFor(e, body, true, 0, ""))
		}
	}()
	transport := vendor.CheckRequest(r, body, e, h.cfg.Expect)
	rec.Findings = append(rec.Findings, transport...)
	payload := validate.Payload(e, body)
	rec.Findings = append(rec.Findings, payload...)
	rec.Request.BodyIsJSON = !hasJSONError(payload)
	// A careful backend refuses what cannot be trusted or read: another
	// app's SdkAppid, a missing, bad or stale signature, a mismatched
	// command, a body that is not a JSON object.
	if refusal := firstError(transport); refusal != "" {
		return reply(platform.ReplyFail, refusal)
	}
	for _, f := range payload {
		if f.Rule == validate.RuleJSON || f.Rule == validate.RuleEmpty || f.Rule == validate.RuleObject {
			return reply(platform.ReplyFail, "the body is not a JSON object")
		}
	}
	if b, ok := h.cfg.ReplyFiles[strings.ToLower(e.Command)]; ok {
		return answer{status: http.StatusOK, ctype: "application/json", body: b}
	}
	if b, ok := h.cfg.ReplyFiles[""]; ok {
		return answer{status: http.StatusOK, ctype: "application/json", body: b}
	}
	if h.cfg.FailRate > 0 && rand.Float64() < h.cfg.FailRate {
		add(record.Info, RuleAnswer, "", fmt.Sprintf("answered fail at random (--fail-rate %g)", h.cfg.FailRate))
		return reply(platform.ReplyFail, "imhook --fail-rate")
	}
	if h.cfg.Respond == platform.ReplyModify && (e.Kind != fixtures.Before || e.Reply == nil || len(e.Reply.Fields) == 0) {
		add(record.Info, RuleAnswer, "", fmt.Sprintf("--respond modify: %s applies no reply field, so imhook allows it", e.Command))
	}
	return answer{status: http.StatusOK, ctype: "application/json", body: platform.AnswerBody(vendor, h.cfg.Respond, e, body, "")}
}

// readBody reads the request body up to max bytes, in one allocation when
// the client sent a Content-Length.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, max)
	if n := r.ContentLength; n > 0 && n <= max {
		b := make([]byte, n)
		if _, err := io.ReadFull(body, b); err != nil {
			return b, err
		}
		return b, nil
	}
	return io.ReadAll(body)
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
}

// Options tune the server around the handler.
type Options struct {
	ReadHeaderTimeout time.Duration // default 5 s
	ReadTimeout       time.Duration // default 30 s
	WriteTimeout      time.Duration // default 30 s plus the handler's delay
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
	s := &Server{
		URL: "http://" + ln.Addr().String(),
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: o.ReadHeaderTimeout,
			ReadTimeout:       o.ReadTimeout,
			WriteTimeout:      o.WriteTimeout,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
		},
		err: make(chan error, 1),
	}
	go func() { s.err <- s.srv.Serve(ln) }()
	return s, nil
}

// Shutdown stops accepting, waits for the requests in flight (until ctx
// ends) and closes the listener.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
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
