// Package wire holds what the vendors' wire rules share: the request
// settings (Params), a reply and what judging it needs (Reply, Judging), the
// Vendor interface the registry (internal/platform) lists, the rule names of
// findings, the judging machinery both judges use (Findings, the outcome and
// reply-field checks of outcome.go) and the query reader (query.go). Each
// vendor's rules are a package above it (internal/platform/tencent,
// internal/platform/openim).
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
)

// Params are the request settings a user controls.
type Params struct {
	SdkAppID    string // Tencent: SdkAppid query value
	ClientIP    string // Tencent: ClientIP query value
	OptPlatform string // Tencent: OptPlatform query value
	Token       string // Tencent: callback authentication token (Sign, RequestTime)
	// Now is the clock for RequestTime; nil means time.Now.
	Now func() time.Time
	// OperationID is OpenIM's operationID header; empty means generated.
	OperationID string
	// OpenIMVersion is the OpenIM Server release whose requests to
	// reproduce ("" or "docs": the documents' form); see openim.Form.
	OpenIMVersion string
}

// Release is the platform release whose requests (and, in Judging.Version,
// whose treatment of replies) Params reproduce: the --openim-version value.
func (p Params) Release() string { return p.OpenIMVersion }

// Reply is what came back from a backend.
type Reply struct {
	Status  int
	Header  http.Header
	Body    []byte
	Latency time.Duration
	// Truncated is set when the body was longer than the reader's limit.
	Truncated bool
}

// Judging is what the judge needs to know besides the reply.
type Judging struct {
	Kind         string        // fixtures.Before or fixtures.After
	PayloadValid bool          // the callback sent had no payload errors
	Budget       time.Duration // the timeout the reply had to meet
	// Reply is the callback's reply section (before-callbacks): the meaning
	// of the codes and the fields the platform applies. Nil judges the
	// vendor's general before-callback rules.
	Reply *fixtures.ReplySpec
	// Request is the callback's body; a reply field equal to the request's
	// field of the same name is an echo, not a change.
	Request []byte
	// Expect is the outcome the reply must have; "" means a valid callback
	// must be accepted (a refusal is an error, response.refused).
	Expect record.Outcome
	// Command is the callback's command ("" when unknown).
	Command string
	// Version is the platform release whose treatment of replies, failures
	// and timeouts applies (OpenIM: an --openim-version value; "" the
	// current one).
	Version string
	// BudgetFrom says where Budget came from, for messages ("--timeout",
	// "webhooks.yml beforeSendSingleMsg: timeout 3"); "" the vendor's
	// default.
	BudgetFrom string
	// FailedContinue is the callback's failedContinue setting (OpenIM
	// before-callbacks; nil: as the shipped configuration sets it).
	FailedContinue *bool
}

// JudgingFor is the Judging of a catalogue entry's callback.
func JudgingFor(e *fixtures.Entry, request []byte, payloadValid bool, budget time.Duration, expect record.Outcome) Judging {
	return Judging{Kind: e.Kind, PayloadValid: payloadValid, Budget: budget, Reply: e.Reply, Request: request, Expect: expect, Command: e.Command}
}

// Reply outcomes a receiver can answer with.
const (
	ReplyOK      = "ok"      // accept
	ReplyFail    = "fail"    // the backend failed (Tencent FAIL)
	ReplyReject  = "reject"  // refuse a before-callback's operation
	ReplyDiscard = "discard" // Tencent: silently drop (ErrorCode 2)
	ReplyModify  = "modify"  // allow, with the reply fields the platform applies (ModifyBody)
)

// ReplyModes lists the modes a receiver answers with (ReplyBody, and
// ModifyBody for modify).
var ReplyModes = []string{ReplyOK, ReplyFail, ReplyReject, ReplyDiscard, ReplyModify}

// Vendor is one platform's wire rules.
type Vendor interface {
	// Name is the catalogue's vendor name ("tencent", "openim").
	Name() string
	// Title is the platform's name for people.
	Title() string
	// Timeout is how long the platform waits for a reply.
	Timeout() time.Duration
	// NewRequest builds the request the platform sends for a callback.
	NewRequest(target, command string, body []byte, p Params) (*http.Request, error)
	// JudgeReply checks a reply against the platform's reply contract and
	// returns the outcome the platform would act on (record.Outcome*),
	// or "" when the reply breaks the contract.
	JudgeReply(r Reply, j Judging) (fs []record.Finding, outcome record.Outcome)
	// ReplyBody is a reply in the platform's shape for a mode of ReplyModes
	// (modify answers as ok; AnswerBody adds the reply fields).
	ReplyBody(mode, info string) []byte
	// Configure says how to point the platform at a receiver URL.
	Configure(url string) string
	// Identify returns the command a received request names, or "" when the
	// request does not look like this vendor's.
	Identify(r *http.Request) string
	// CheckRequest checks a received request's transport: query parameters,
	// headers, signature, and the command named in the body. Error findings
	// mean a careful backend refuses the callback.
	CheckRequest(r *http.Request, body []byte, e *fixtures.Entry, exp Expect) []record.Finding

	// Outcomes lists the outcomes of the vendor's replies.
	Outcomes() []record.Outcome
	// ReplyFields are the body fields of the reply contract, in the
	// document's order (replay --compare compares them; they tell a reply
	// of this vendor from other JSON).
	ReplyFields() []string
	// ReplySchema is the JSON Schema of the reply the vendor expects of a
	// callback (nil: of any callback): the contract's fields, plus the
	// fields of the callback's reply section that the platform applies.
	ReplySchema(e *fixtures.Entry) map[string]any
	// ProbeCommand is the callback the probes use when none is named.
	ProbeCommand() string
	// BusiestCommands are the callbacks a backend gets most, the message
	// callbacks before and after a message is sent (imhook check sends
	// each in a burst of concurrent callbacks).
	BusiestCommands() []string
	// UnknownCommand is a command in the vendor's spelling that no callback
	// has (a robustness probe sends it).
	UnknownCommand() string
	// Forgeries are the otherwise valid callbacks a careful backend of this
	// vendor must refuse (security probes), made from the request settings
	// p at time now; none when the vendor's requests carry nothing to forge.
	Forgeries(target string, p Params, now time.Time) []Forgery
	// Retry says when the platform resends a callback of e whose reply
	// missed the budget, with the same body; "" when it never does.
	Retry(e *fixtures.Entry) string
	// Missed says, in the vendor's words, what the platform does with a
	// callback that got no reply within the budget: "no reply within 2s
	// (--timeout): ..." (Judging's Budget, BudgetFrom, Kind, Version and
	// FailedContinue).
	Missed(j Judging) string
	// ProbeWords are the vendor's words for probe messages.
	ProbeWords() ProbeWords
	// Replay returns the target and parameters to resend a recorded
	// request with: p with what the recording keeps applied (keep says
	// which of the user's settings a recorded value may replace), and notes
	// about it (a recorded signature that is sent again).
	Replay(rec *record.Record, target string, p Params, keep Keep, now time.Time) (string, Params, []record.Finding)
}

// BodyFreeRequests is a Vendor whose NewRequest reads nothing of the body
// but its length, and of the clock (Params.Now) at most its Unix second:
// requests built with the same target, command and Params in the same
// RequestEpoch have the same method, URL and header, and carry the body as
// given (without Rewrites). The load engine builds such a vendor's request
// once per callback kind and epoch (simulate/prepared.go), held to
// NewRequest by simulate's TestPreparedMatchesBuild.
type BodyFreeRequests interface {
	// RequestEpoch is what of the clock a request built now with p reads:
	// the Unix second of p's clock, clocked false when it reads none (no
	// signature).
	RequestEpoch(p Params) (sec int64, clocked bool)
}

// ProbeWords are a vendor's words for probe messages.
type ProbeWords struct {
	// Refusals are the replies that refuse a callback: "ActionStatus FAIL
	// or a non-zero ErrorCode".
	Refusals string
	// ErrorField is the reply field in which a backend puts an error code
	// of its own ("ErrorCode", "errCode"). A forged callback answered with
	// a non-zero one was turned away by the backend, even where the
	// platform would go on after such a reply to a real callback (the
	// probes, internal/probe/probe.go).
	ErrorField string
	// BadInput is what a backend must do with bad or unusual input, and
	// what the platform does when it does not.
	BadInput string
	// Baseline says what to check when a valid callback is not accepted.
	Baseline string
	// Authentication says what the vendor's callbacks carry to
	// authenticate them and what a backend relies on (security probes).
	Authentication string
	// Identity names the body fields, at any depth, that identify a message
	// or an event, in the order a finding names them: the probes send each
	// callback with fresh ones, and only a duplicate repeats them
	// (internal/probe/build.go).
	Identity []string
}

// Forgery is one forged variant of a valid callback.
type Forgery struct {
	Name   string // "wrong_sdkappid"
	Risk   string // what it means when a backend accepts it
	Params Params // the settings the request is built with
	// Edit changes the built request (nil: none).
	Edit func(*http.Request)
}

// Keep says which settings a recording's own values replace when it is
// replayed: true where the user did not set the flag. Resign drops a
// recorded signature and signs afresh.
type Keep struct {
	SdkAppID, ClientIP, OptPlatform bool
	Resign                          bool
}

// ScenarioOptions shape a generated scenario.
type ScenarioOptions struct {
	Seed  uint64
	Now   time.Time // the last callback's time is at most Now
	Count int       // callbacks in all (0: DefaultScenarioCount)
}

// DefaultScenarioCount is the number of callbacks of a scenario when no
// count is given; MinScenarioCount the fewest it makes.
const (
	DefaultScenarioCount = 24
	MinScenarioCount     = 4
)

// Consistency checks, item by item in input order, that records and
// payloads tell one consistent story; items of other vendors or commands
// take no part. Its memory is bounded whatever the length of the input.
type Consistency interface {
	// Record checks a record (JSON, as record.Writer writes it).
	Record(raw []byte) []record.Finding
	// Payload checks a callback's body.
	Payload(raw []byte) []record.Finding
}

// Expect is what a receiver expects of the requests it gets.
type Expect struct {
	SdkAppID string // Tencent: the app's SDKAppID ("" accepts any)
	Token    string // Tencent: the callback token ("" checks no signature)
	// Now is the receiver's clock (nil means time.Now).
	Now func() time.Time
	// Window is how far RequestTime may be from now (0 means 60 s).
	Window time.Duration
}

// Rule names of request findings.
const (
	RuleSdkAppID    = "request.sdkappid"
	RuleContentType = "request.contenttype"
	RuleOptPlatform = "request.opt_platform"
	RuleClientIP    = "request.client_ip"
	RuleSign        = "request.sign"
	RuleRequestTime = "request.request_time"
	RuleCommand     = "request.command_mismatch"
	RuleHeader      = "request.header"
	// RuleOpenIMVersion says which OpenIM Server release a request looks like.
	RuleOpenIMVersion = "request.openim_version"
)

// Rule names of reply findings, shared by both vendors' judges.
const (
	RuleStatus      = "response.status"
	RuleTimeout     = "response.timeout"
	RuleEmpty       = "response.empty"
	RuleJSON        = "response.json"
	RuleObject      = "response.object"
	RuleRequired    = "response.required"
	RuleType        = "response.type"
	RuleRange       = "response.range"
	RuleTooLarge    = "response.too_large"
	RuleRefused     = "response.refused"
	RuleActionState = "response.action_status"
	RuleErrorCode   = "response.error_code"
	RuleActionCode  = "response.action_code"
	RuleNextCode    = "response.next_code"
	RuleEmptyObject = "response.empty_object"
	RuleMissing     = "response.missing"
	RuleKeyCase     = "response.key_case"
)

// Findings collects a judge's findings.
type Findings []record.Finding

// Add appends a finding.
func (f *Findings) Add(sev record.Severity, rule, path, msg string) {
	*f = append(*f, record.Finding{Severity: sev, Rule: rule, Path: path, Message: msg})
}

// Common adds the checks shared by the judges: latency (v.Missed says what the
// platform does then) and truncation.
func (f *Findings) Common(r Reply, j Judging, v Vendor) {
	if j.Budget > 0 && r.Latency > j.Budget {
		f.Add(record.Error, RuleTimeout, "", fmt.Sprintf("the reply took %s, too late: %s", roundDur(r.Latency), v.Missed(j)))
	}
	f.truncated(r)
}

// truncated reports a reply longer than imhook reads.
func (f *Findings) truncated(r Reply) {
	if r.Truncated {
		f.Add(record.Error, RuleTooLarge, "", fmt.Sprintf("the reply is larger than %d bytes; imhook read only that much", MaxReplyBytes))
	}
}

// MaxReplyBytes is how much of a reply body imhook reads.
const MaxReplyBytes = 1 << 20

func roundDur(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d
}

// targets caches parsed target URLs: a load run builds every request for
// the same target, and parsing it each time was a tenth of the client's work.
var targets sync.Map // string -> *url.URL

// ParseTarget returns a copy of the parsed target URL.
func ParseTarget(target string) (*url.URL, error) {
	if u, ok := targets.Load(target); ok {
		c := *u.(*url.URL)
		return &c, nil
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	targets.Store(target, u)
	c := *u
	return &c, nil
}

// NewPost is http.NewRequest for a parsed URL and an in-memory body,
// without parsing the URL again; the request and its body's reader are one
// allocation (this runs for every request of a load run).
func NewPost(u *url.URL, body []byte) *http.Request {
	p := &post{}
	p.req = http.Request{
		Method: http.MethodPost, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header, 4), Host: u.Host, ContentLength: int64(len(body)),
		Body:    http.NoBody,
		GetBody: func() (io.ReadCloser, error) { return http.NoBody, nil },
	}
	if len(body) > 0 {
		p.body.Reset(body)
		p.req.Body = &p.body
		p.req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return &p.req
}

// post is a request with the reader of its body.
type post struct {
	req  http.Request
	body memBody
}

// memBody is an in-memory request body (io.NopCloser of a bytes.Reader).
type memBody struct{ bytes.Reader }

func (*memBody) Close() error { return nil }

// JSONType is the Content-Type value application/json, for requests'
// header maps: shared, so that setting it costs no allocation (nothing
// changes a header value in place, and a full slice makes an append copy
// it).
var JSONType = []string{"application/json"}[:1:1]

// LooksHTML reports a body that is an HTML page (a proxy's or framework's
// error page, typically).
func LooksHTML(b []byte) bool {
	s := strings.ToLower(strings.TrimSpace(string(b[:min(len(b), 256)])))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html") || strings.HasPrefix(s, "<head") || strings.HasPrefix(s, "<body")
}

// StatusText is an HTTP status for messages: "404 Not Found".
func StatusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

// WithApplied adds an entry's applied reply fields to a vendor's reply
// schema; wrap, when not nil, changes each field's schema.
func WithApplied(s map[string]any, e *fixtures.Entry, wrap func(map[string]any) map[string]any) map[string]any {
	if e == nil || e.Reply == nil {
		return s
	}
	s["$id"] = "urn:imhook:schema:" + e.Vendor + ":" + e.Command + ":reply"
	s["title"] = e.Command + " reply"
	s["description"] = e.Reply.Doc
	props := s["properties"].(map[string]any)
	for _, f := range e.Reply.Fields {
		fs := fixtures.FieldSchema(f)
		if wrap != nil {
			fs = wrap(fs)
		}
		props[f.Name] = fs
	}
	return s
}

// Rewrites reports whether NewRequest with p may send another body than
// the one it is given (an OpenIM release's older command name).
func Rewrites(p Params) bool { return p.OpenIMVersion != "" }

// SentBody is the body a request carries (body when it cannot be read).
func SentBody(req *http.Request, body []byte) []byte {
	if req.GetBody == nil {
		return body
	}
	rc, err := req.GetBody()
	if err != nil {
		return body
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return body
	}
	return b
}

// BudgetWords names the budget and where it came from.
func BudgetWords(j Judging, def string) string {
	from := j.BudgetFrom
	if from == "" {
		from = def
	}
	return fmt.Sprintf("%s (%s)", j.Budget, from)
}

// JSONString is s as a JSON string.
func JSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
