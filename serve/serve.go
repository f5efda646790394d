// Package serve is imhook's receiver: an http.Handler that recognises a
// callback (platform.Identify), checks it against the catalogue
// (validate.Payload), answers in the vendor's reply shape and reports a record
// of every exchange; and the server around it. `simulate` with no target runs
// against it, and `imhook serve` runs it for a real platform.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// Respond is the reply mode for a good callback (platform.ReplyModes).
	Respond string
	// MaxBody limits request bodies (0 means DefaultMaxBody).
	MaxBody int64
	// OnRecord receives the record of every exchange, after the reply is
	// written. It must be safe for concurrent use.
	OnRecord func(*record.Record)
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
)

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &record.Record{Time: start, Request: &record.Message{Method: r.Method, URL: r.URL.RequestURI(), Headers: r.Header.Clone()}}
	finish := func(status int, ctype string, body []byte) {
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		_, _ = w.Write(body)
		rec.Response = &record.Message{Status: status, Headers: w.Header().Clone(), Body: body,
			LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
		rec.Verdict = record.Verdict(true, rec.Findings)
		if h.cfg.OnRecord != nil {
			h.cfg.OnRecord(rec)
		}
	}
	text := func(status int, rule, msg string) {
		rec.Findings = append(rec.Findings, record.Finding{Severity: record.Error, Rule: rule, Message: msg})
		finish(status, "text/plain; charset=utf-8", []byte("imhook: "+msg+"\n"))
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		text(http.StatusMethodNotAllowed, RuleMethod, fmt.Sprintf("callbacks are POST requests; this was %s. Point the platform's callback URL here and let it POST, or try: imhook simulate --all --target http://%s", r.Method, r.Host))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	rec.Request.Body = body
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			text(http.StatusRequestEntityTooLarge, RuleTooLarge, fmt.Sprintf("the body is larger than %d bytes", h.cfg.MaxBody))
			return
		}
		text(http.StatusBadRequest, RuleBody, "the body could not be read: "+err.Error())
		return
	}
	vendor, command := platform.Identify(r)
	if vendor == nil {
		text(http.StatusNotFound, RuleNotCommand, "this is not a callback: Tencent callbacks carry a CallbackCommand query parameter, OpenIM callbacks end their path with /{command}")
		return
	}
	rec.Vendor, rec.Command = vendor.Name(), command
	reply := func(mode, info string) {
		finish(http.StatusOK, "application/json", vendor.ReplyBody(mode, info))
	}
	e, alias, ok := h.cfg.Catalogue.Lookup(command)
	if !ok || e.Vendor != vendor.Name() {
		msg := fmt.Sprintf("%s is not a %s callback imhook knows", command, vendor.Title())
		if s := h.cfg.Catalogue.Suggest(command); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, ", ") + "?"
		}
		rec.Findings = append(rec.Findings, record.Finding{Severity: record.Error, Rule: RuleUnknown, Message: msg})
		reply(platform.ReplyFail, msg)
		return
	}
	if alias != nil {
		rec.Findings = append(rec.Findings, record.Finding{Severity: record.Warning, Rule: "quirk.legacy_command",
			Message: fmt.Sprintf("%s is the name that %s used for %s", alias.Command, alias.Versions, e.Command)})
	}
	rec.Command = e.Command
	rec.Findings = append(rec.Findings, validate.Payload(e, body)...)
	if hasRule(rec.Findings, validate.RuleJSON, validate.RuleEmpty, validate.RuleObject) {
		reply(platform.ReplyFail, "the body is not a JSON object")
		return
	}
	reply(h.cfg.Respond, "")
}

func hasRule(fs []record.Finding, rules ...string) bool {
	for _, f := range fs {
		for _, r := range rules {
			if f.Rule == r {
				return true
			}
		}
	}
	return false
}

// Server is a running receiver.
type Server struct {
	// URL is the base URL to point a platform (or simulate) at.
	URL string
	srv *http.Server
	ln  net.Listener
	err chan error
}

// Start listens on addr and serves h until Shutdown.
func Start(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL: "http://" + ln.Addr().String(),
		ln:  ln,
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			IdleTimeout:       120 * time.Second,
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
