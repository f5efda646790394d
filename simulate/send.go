package simulate

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/validate"
)

// Callback is one callback to send: its entry and its body.
type Callback struct {
	Entry *fixtures.Entry
	Body  []byte
	// Findings are the payload's own findings (from validate.Payload).
	Findings []record.Finding
	// Route, when not nil, is where and how this callback is sent in place
	// of the Sender's Target and Params (replay: a recording's own query
	// values, signature and operationID). It is read, never changed.
	Route *Route
}

// Route is a target URL and the request parameters to build a callback with.
type Route struct {
	Target string
	Params platform.Params
}

// route is the target and parameters c is built with.
func (s *Sender) route(c *Callback) (string, *platform.Params) {
	if c.Route != nil {
		return c.Route.Target, &c.Route.Params
	}
	return s.TargetFor(c.Entry.Vendor), &s.Params
}

// TargetFor is where a vendor's callbacks go: its own target when Targets
// has one, else Target.
func (s *Sender) TargetFor(vendor string) string {
	if t, ok := s.Targets[vendor]; ok {
		return t
	}
	return s.Target
}

// NewCallback checks body against e and returns the callback to send.
func NewCallback(e *fixtures.Entry, body []byte) Callback {
	return Callback{Entry: e, Body: body, Findings: validate.Payload(e, body)}
}

// Sender sends callbacks to one target and judges the replies.
type Sender struct {
	// Target is the callback URL; Targets, by vendor name, wins over it
	// for that vendor's callbacks.
	Target  string
	Targets map[string]string
	Params  platform.Params
	// Timeout overrides each vendor's budget when non-zero.
	Timeout time.Duration
	Client  *http.Client
	// Expect is the outcome each reply must have (record.Outcome*); ""
	// means a valid callback must be accepted.
	Expect record.Outcome
	// RetryOnTimeout resends, with the same body, a Tencent after-callback
	// whose reply missed the budget (no reply in time, or a late one), as
	// Tencent does when retry on timeout is switched on in its console
	// (Deliver). Tencent never retries a before-callback; OpenIM Server
	// never retries.
	RetryOnTimeout bool
	// Settings are per-callback settings from a platform's configuration
	// file (budget, failure policy), by command; Timeout wins over their
	// budgets.
	Settings map[string]platform.CallbackSettings
	// Strict fails an exchange on a warning or an unknown field too.
	Strict bool
	// Words name the settings that findings' advice points to (nil: the
	// library's, LibraryWords).
	Words *Words
	// viaTransport makes the load engine send through Client (net/http's
	// Transport) rather than its workers' own connections: the reference
	// that BenchmarkLoadTransport measures the lean client against.
	viaTransport bool
	// replyBudget replaces MaxLoadReplyBytes for a load run (tests).
	replyBudget int64
}

// NewClient is the HTTP client imhook sends with: redirects are not
// followed (platforms do not follow them), connections are kept alive, and
// no proxy from the environment is used (the platforms' clients use none).
// tc configures TLS (TLSOptions.Config; nil: the system's roots, no client
// certificate); the load engine's own connections take it from the client
// too, so a Sender's TLS settings are its Client's.
func NewClient(tc *tls.Config) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 5 * time.Second,
		TLSClientConfig:     tc,
		ForceAttemptHTTP2:   false,
		// The platforms send no Accept-Encoding; nor does imhook.
		DisableCompression: true,
		// net/http's default, set here so that every client path of
		// imhook's has the one limit (the load engine's connClient too).
		MaxResponseHeaderBytes: MaxReplyHeaderBytes,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// defaultClient is the client of a Sender without one: made once, so that
// its connections are kept alive from one send to the next.
var defaultClient = sync.OnceValue(func() *http.Client { return NewClient(nil) })

// Budget is the timeout that applies to a vendor's callbacks.
func (s *Sender) Budget(v platform.Vendor) time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return v.Timeout()
}

// judging is the Judging of a callback sent with params: its budget and
// where the budget came from (Timeout, the configuration's setting, or
// the vendor's default), the release and the failure policy.
func (s *Sender) judging(c *Callback, v platform.Vendor, params *platform.Params) platform.Judging {
	j := platform.JudgingFor(c.Entry, c.Body, !record.HasErrors(c.Findings), s.Budget(v), s.Expect)
	j.Version = params.Release()
	cs, ok := s.Settings[c.Entry.Command]
	switch {
	case s.Timeout > 0:
		j.BudgetFrom = s.Words.Use().Timeout
	case ok && cs.Budget > 0:
		j.Budget, j.BudgetFrom = cs.Budget, cs.BudgetFrom
	}
	if ok {
		j.FailedContinue = cs.FailedContinue
	}
	return j
}

// Build returns the request the platform would send.
func (s *Sender) Build(c Callback) (*http.Request, error) {
	x, err := s.build(&c)
	return x.req, err
}

// outgoing is a callback built for sending: its vendor and route,
// resolved once, the request and the body it carries, and how its reply
// is judged.
type outgoing struct {
	c       Callback
	v       platform.Vendor
	target  string
	params  *platform.Params
	req     *http.Request
	body    []byte
	judging platform.Judging
	// prep, when not nil, is the worker's prepared request req is
	// (buildPrepared).
	prep *prepared
}

// build is the first step of an exchange: the vendor and the route are
// resolved and the request built as the platform builds it. The error is
// a *TargetError (x.target says which).
func (s *Sender) build(c *Callback) (x outgoing, err error) {
	x.c, x.v = *c, platform.For(c.Entry.Vendor)
	x.target, x.params = s.route(c)
	if x.req, err = x.v.NewRequest(x.target, c.Entry.Command, c.Body, *x.params); err != nil {
		return x, &TargetError{Target: x.target, Err: err}
	}
	x.body = sentBody(*c, x.req, x.params)
	x.judging = s.judging(c, x.v, x.params)
	return x, nil
}

// RequestRecord describes a built request without sending it (--dry-run).
func RequestRecord(c Callback, req *http.Request) *record.Record {
	return requestRecord(c, req, platform.SentBody(req, c.Body))
}

// sentBody is the body req carries: c.Body, unless the vendor's rules for
// p may have rewritten it (read only then).
func sentBody(c Callback, req *http.Request, p *platform.Params) []byte {
	if !platform.Rewrites(*p) {
		return c.Body
	}
	return platform.SentBody(req, c.Body)
}

func requestRecord(c Callback, req *http.Request, body []byte) *record.Record {
	return &record.Record{
		Time:     time.Now(),
		Vendor:   c.Entry.Vendor,
		Command:  c.Entry.Command,
		Request:  &record.Message{Method: req.Method, URL: record.RedactURL(req.URL.String()), Headers: record.RedactHeaders(req.Header.Clone()), Body: body},
		Findings: c.Findings,
	}
}

// Send sends one callback and returns its record. The record says how the
// exchange went (its findings, outcome and verdict): a reply that breaks the
// contract is a record with a failing verdict and no error. The error is
// non-nil only when the target could not be reached at all (refused, DNS,
// TLS, a URL that cannot be used): an *UnreachableError, and the record is
// returned too, with the same reason in its findings.
func (s *Sender) Send(ctx context.Context, c Callback) (*record.Record, error) {
	r := s.exchange(ctx, c, true, nil)
	return r.rec, r.unreached()
}

// UnreachableError is a target that could not be reached at all: nothing
// listens there, its name does not resolve, TLS failed, or its URL cannot
// be used. The exchange's record holds the same reason as a finding.
type UnreachableError struct {
	Vendor, Command string
	// Target is the URL the callback was sent to.
	Target string
	// Reason says why, in the words of the record's finding.
	Reason string
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s %s: cannot reach %s: %s", e.Vendor, e.Command, e.Target, e.Reason)
}

// unreached is the error of an exchange whose target could not be reached,
// nil otherwise.
func (r *result) unreached() error {
	if !r.unreachable {
		return nil
	}
	e := &UnreachableError{Reason: r.err}
	if r.rec != nil {
		e.Vendor, e.Command = r.rec.Vendor, r.rec.Command
		if r.rec.Request != nil {
			e.Target = r.rec.Request.URL
		}
	}
	return e
}

// RuleRetry marks the record of a resent callback.
const RuleRetry = "request.retry"

// Deliver sends a callback as the platform delivers it: once, and with
// RetryOnTimeout once more, with the same body, when the platform would
// retry it (a Tencent after-callback whose reply missed the budget). It
// returns a record per request; the retry's record says it is one. The
// error is Send's: an *UnreachableError when the last request's target
// could not be reached.
func (s *Sender) Deliver(ctx context.Context, c Callback) (recs []*record.Record, err error) {
	r := s.exchange(ctx, c, true, nil)
	recs = append(recs, r.rec)
	if !s.RetryOnTimeout || !r.budgetMiss || r.unreachable || ctx.Err() != nil {
		return recs, r.unreached()
	}
	why := platform.For(c.Entry.Vendor).Retry(c.Entry)
	if why == "" {
		return recs, r.unreached()
	}
	retry := c
	retry.Findings = append(append([]record.Finding{}, c.Findings...), record.Finding{Severity: record.Info, Rule: RuleRetry,
		Message: "the same callback again: " + why + "; a backend must take the copy as it took the first (it is the same message)"})
	r = s.exchange(ctx, retry, true, nil)
	return append(recs, r.rec), r.unreached()
}

// result is one exchange as the load engine counts it; rec is built only
// when a record is wanted.
type result struct {
	rec         *record.Record
	status      int
	latency     time.Duration
	findings    []record.Finding
	verdict     record.Verdict
	outcome     record.Outcome
	unreachable bool
	budgetMiss  bool
	err         string
}

// exchange sends one callback in four steps: build (the vendor and the
// route resolved once), send, judge and, when keep, record. cc, when not
// nil, is the worker's own connection (load mode), else the Sender's
// http.Client is used.
func (s *Sender) exchange(ctx context.Context, c Callback, keep bool, cc *connClient) result {
	var x outgoing
	var err error
	if cc != nil && !keep {
		x, err = s.buildPrepared(&c, cc)
	} else {
		x, err = s.build(&c)
	}
	if err != nil {
		return unbuilt(&c, x.target, err, keep)
	}
	if cc == nil {
		// The worker's connection carries its own deadline; net/http needs
		// a context for it.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, x.judging.Budget)
		defer cancel()
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bodyPool.Put(buf)
	rep := s.send(ctx, &x, buf, keep, cc)
	res := s.judge(ctx, &x, &rep)
	if keep {
		res.rec = x.record(&res, &rep)
	}
	return res
}

// unbuilt is the exchange of a callback whose request could not be built
// (a target that is no usable URL): unreachable, nothing sent.
func unbuilt(c *Callback, target string, err error, keep bool) result {
	msg := record.RedactText(err.Error()) // a URL that cannot be parsed is quoted whole
	res := result{verdict: record.NoReply, unreachable: true, err: msg,
		findings: append(append([]record.Finding{}, c.Findings...), record.Finding{Severity: record.Error, Rule: "request.target", Message: msg})}
	if keep {
		res.rec = &record.Record{Time: time.Now(), Vendor: c.Entry.Vendor, Command: c.Entry.Command,
			Request: &record.Message{Method: http.MethodPost, URL: record.RedactURL(target), Headers: http.Header{}, Body: c.Body},
			Error:   res.err, Findings: res.findings, Verdict: res.verdict}
	}
	return res
}

// reply is what came back for a request: the response and its body (in
// buf, cut at platform.MaxReplyBytes), or the error that ended it.
type reply struct {
	start     time.Time
	latency   time.Duration
	resp      *http.Response
	body      []byte
	truncated bool
	err       error
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// send sends x on cc (load mode; reused for the next request unless keep)
// or with the Sender's client, and reads the reply into buf.
func (s *Sender) send(ctx context.Context, x *outgoing, buf *bytes.Buffer, keep bool, cc *connClient) (r reply) {
	r.start = time.Now()
	if cc != nil {
		cc.reuse = !keep
		r.resp, r.err = cc.doPrepared(ctx, x.req, x.prep, x.body, r.start.Add(x.judging.Budget), buf, platform.MaxReplyBytes)
	} else {
		client := s.Client
		if client == nil {
			client = defaultClient()
		}
		r.resp, r.err = client.Do(x.req.WithContext(ctx))
		if r.err == nil {
			_, r.err = buf.ReadFrom(io.LimitReader(r.resp.Body, platform.MaxReplyBytes+1))
			r.resp.Body.Close()
		}
	}
	if r.err == nil && buf.Len() > platform.MaxReplyBytes {
		buf.Truncate(platform.MaxReplyBytes)
		r.truncated = true
	}
	r.latency = time.Since(r.start)
	r.body = buf.Bytes()
	return r
}

// judge judges a reply as x's vendor does (or explains why none came):
// the findings, the outcome and the verdict.
func (s *Sender) judge(ctx context.Context, x *outgoing, r *reply) (res result) {
	c := &x.c
	res.latency = r.latency
	res.findings = c.Findings
	if r.err != nil {
		nr := s.Words.Explain(ctx, r.err, x.judging, x.v)
		res.budgetMiss = nr.Finding.Rule == platform.RuleTimeout
		res.findings = append(append([]record.Finding{}, c.Findings...), nr.Finding)
		res.verdict, res.unreachable, res.err = record.NoReply, nr.Unreachable, nr.Finding.Message
		return res
	}
	res.status = r.resp.StatusCode
	res.budgetMiss = res.latency > x.judging.Budget
	reply := platform.Reply{Status: r.resp.StatusCode, Header: r.resp.Header, Body: r.body, Latency: r.latency, Truncated: r.truncated}
	var judged []record.Finding
	var outcome record.Outcome
	if x.prep != nil {
		judged, outcome = x.prep.judgeReply(reply, x.judging)
	} else {
		judged, outcome = x.v.JudgeReply(reply, x.judging)
	}
	res.outcome = outcome
	if len(judged) > 0 {
		res.findings = append(append([]record.Finding{}, c.Findings...), judged...)
	}
	res.verdict = record.Judge(true, res.findings, s.Strict)
	return res
}

// record is the exchange's record: the request as sent, the reply as it
// came (its body copied out of the pooled buffer) and the judgement.
func (x *outgoing) record(res *result, r *reply) *record.Record {
	rec := requestRecord(x.c, x.req, x.body)
	rec.Time = r.start
	rec.Findings = res.findings
	rec.Verdict = res.verdict
	rec.Outcome = res.outcome
	rec.Error = res.err
	if res.status == 0 && !res.unreachable {
		rec.WaitedMS = float64(res.latency.Microseconds()) / 1000
	}
	if res.status != 0 {
		rec.Response = &record.Message{Status: res.status, Headers: record.RedactHeaders(r.resp.Header), Body: bytes.Clone(r.body),
			LatencyMS: float64(res.latency.Microseconds()) / 1000}
	}
	return rec
}

// RuleNoReply is the finding of an exchange that got no reply and did not
// run out of time (refused, reset, TLS).
const RuleNoReply = "response.none"

// NoReply is why an exchange got no reply.
type NoReply struct {
	// Finding is the error finding: platform.RuleTimeout when the budget
	// ran out, RuleNoReply otherwise; its message says why.
	Finding record.Finding
	// Unreachable is set when the target could not be reached at all
	// (refused, DNS, TLS): exit 3 rather than a contract failure.
	Unreachable bool
}

// Explain says why a request sent under ctx (whose deadline is the budget)
// got no reply: the explanation simulate records, and serve --forward-to
// too. j is the exchange's Judging: its budget, where the budget came from and
// what the platform does then (Vendor.Missed). Its advice speaks of the
// library's settings (LibraryWords); Words.Explain speaks the caller's.
func Explain(ctx context.Context, err error, j platform.Judging, v platform.Vendor) NoReply {
	return (*Words)(nil).Explain(ctx, err, j, v)
}

// Explain is Explain with advice in w's words.
func (w *Words) Explain(ctx context.Context, err error, j platform.Judging, v platform.Vendor) NoReply {
	reason, unreach := classify(err, ctx, j, v, w.Use())
	rule := RuleNoReply
	if !unreach && (ctx.Err() == context.DeadlineExceeded || isTimeout(err)) {
		rule = platform.RuleTimeout
	}
	return NoReply{Finding: record.Finding{Severity: record.Error, Rule: rule, Message: reason}, Unreachable: unreach}
}

// classify explains a failed exchange and tells whether the target could not
// be reached at all (exit 3) or was reached and failed to answer (exit 1).
func classify(err error, ctx context.Context, j platform.Judging, v platform.Vendor, w *Words) (string, bool) {
	if ctx.Err() == context.DeadlineExceeded || isTimeout(err) && !isDial(err) {
		return v.Missed(j), false
	}
	if errors.Is(err, context.Canceled) {
		return "interrupted", false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Sprintf("cannot resolve %s: %v", dnsErr.Name, dnsErr.Err), true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Sprintf("connection refused by %s: nothing listens there", opErr.Addr), true
		}
		return "cannot connect: " + opErr.Err.Error(), true
	}
	if reason := tlsReason(err, w); reason != "" {
		return reason, true
	}
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	if errors.As(err, &certErr) {
		return "TLS: the certificate was not accepted: " + rootMsg(err), true
	}
	// net/http replaces the RecordHeaderError of an HTTP reply to a TLS
	// handshake with ErrSchemeMismatch.
	if errors.As(err, &recErr) || errors.Is(err, http.ErrSchemeMismatch) {
		return "TLS: the target does not speak TLS (is the URL http:// rather than https://?)", true
	}
	// The load engine's client and net/http's say it in their own words.
	if errors.Is(err, ErrReplyHeaderTooLarge) || strings.Contains(err.Error(), "server response headers exceeded") {
		return ErrReplyHeaderTooLarge.Error(), false
	}
	var be *budgetError
	if errors.As(err, &be) {
		return be.Error(), false
	}
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection was reset before a reply came", false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed before a complete reply came", false
	case errors.Is(err, os.ErrDeadlineExceeded):
		return v.Missed(j), false
	}
	return rootMsg(err), false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isDial(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func rootMsg(err error) string {
	msg := err.Error()
	// url.Error repeats the method and URL; keep what follows.
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		msg = msg[i+3:]
	}
	return msg
}

// TargetError is a target URL that cannot be used.
type TargetError struct {
	Target string
	Err    error
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("the target %q is not a usable URL: %v", e.Target, e.Err)
}
func (e *TargetError) Unwrap() error { return e.Err }

// Sequence is the producer of a list of callbacks (the named callbacks,
// --all, a scenario): each is sent in turn and its exchange emitted.
func (s *Sender) Sequence(cbs []Callback) run.Producer {
	return func(ctx context.Context, sink run.Sink) error {
		for _, c := range cbs {
			if ctx.Err() != nil {
				return nil
			}
			recs, err := s.Deliver(ctx, c)
			for i, rec := range recs {
				if !sink.Emit(run.Event{Record: rec, Unreachable: err != nil && i == len(recs)-1}) {
					return nil
				}
			}
		}
		return nil
	}
}
