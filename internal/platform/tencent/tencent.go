// Package tencent is Tencent Cloud Chat / IM's wire rules: how the platform
// builds and signs a third-party callback (URL, query, Sign and RequestTime),
// how a receiver recognises and checks one, the reply contract and its judge,
// the replies a receiver sends, the security probes' forgeries and the
// platform's timeout. The registry (internal/platform) lists it.
package tencent

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// Vendor is Tencent Cloud Chat / IM's wire rules. Sources: the Third-Party
// Callback Overview (https://www.tencentcloud.com/document/product/1047/34354,
// mainland https://cloud.tencent.com/document/product/269/1522) and the
// callback configuration page (https://cloud.tencent.com/document/product/269/32431).
var Vendor wire.Vendor = tencent{}

var _ wire.BodyFreeRequests = tencent{}

type tencent struct{}

// Platforms are the documented OptPlatform values (the Chinese page
// says Mac, the English one macOS; State.StateChange uses IOS).
var Platforms = []string{"RESTAPI", "Web", "Android", "iOS", "Windows", "Mac", "macOS", "iPad", "Unknown", "IOS"}

// Tencent's defaults for the query parameters imhook controls.
const (
	DefaultSdkAppID    = "1400000000"
	DefaultClientIP    = "127.0.0.1"
	DefaultOptPlatform = "iOS"
)

// tencentReplyFields are the fields of Tencent's reply contract.
var tencentReplyFields = []string{"ActionStatus", "ErrorCode", "ErrorInfo"}

// Query reads the query values a recorded Tencent callback URL
// carries: the settings a replay keeps (SdkAppid, ClientIP, OptPlatform) and
// the recorded signature (Sign, RequestTime), which is stale 60 seconds after
// RequestTime. The URL may be absolute or a request URI.
func Query(rawURL string) (p wire.Params, sign, requestTime string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return wire.Params{}, "", ""
	}
	q := u.Query()
	p = wire.Params{SdkAppID: q.Get("SdkAppid"), ClientIP: q.Get("ClientIP"), OptPlatform: q.Get("OptPlatform")}
	return p, q.Get("Sign"), q.Get("RequestTime")
}

// SignWindow is how old a RequestTime may be before a receiver that checks
// the signature refuses it (serve --token applies the same window).
const SignWindow = 60 * time.Second

func (tencent) Name() string           { return fixtures.Tencent }
func (tencent) Title() string          { return "Tencent Cloud Chat" }
func (tencent) Timeout() time.Duration { return 2 * time.Second }

// Sign is Tencent's callback signature: hex(sha256(token + requestTime)), a
// plain SHA-256 (not an HMAC) over the token followed by the decimal Unix
// time in seconds; lower-case hex as in the document's sample.
func Sign(token, requestTime string) string {
	sum := sha256.Sum256([]byte(token + requestTime))
	return hex.EncodeToString(sum[:])
}

// NewRequest builds POST {target}?SdkAppid=..&CallbackCommand=..&contenttype=json
// &ClientIP=..&OptPlatform=..[&Sign=..&RequestTime=..] in the documents' order,
// or the fewer parameters the callback's page shows (the catalogue's query).
// Query parameters already in target are kept before them.
func (tencent) NewRequest(target, command string, body []byte, p wire.Params) (*http.Request, error) {
	u, err := wire.ParseTarget(target)
	if err != nil {
		return nil, err
	}
	// One buffer for the query: this runs for every request of a load run.
	q := make([]byte, 0, 256)
	if u.RawQuery != "" {
		q = append(append(q, u.RawQuery...), '&')
	}
	// The parameters the callback's URL carries, in the document's order:
	// the overview's five, or fewer for some callbacks (Push.OfflinePush
	// carries SdkAppid, CallbackCommand and contenttype only).
	params := fixtures.TencentQuery
	if e, _, ok := fixtures.Default().Lookup(command); ok && e.Vendor == fixtures.Tencent {
		params = e.QueryParams()
	}
	for i, name := range params {
		if i > 0 {
			q = append(q, '&')
		}
		q = append(append(q, name...), '=')
		switch name {
		case "SdkAppid":
			q = append(q, url.QueryEscape(or(p.SdkAppID, DefaultSdkAppID))...)
		case "CallbackCommand":
			q = append(q, url.QueryEscape(command)...)
		case "contenttype":
			q = append(q, "json"...)
		case "ClientIP":
			q = append(q, url.QueryEscape(or(p.ClientIP, DefaultClientIP))...)
		case "OptPlatform":
			q = append(q, url.QueryEscape(or(p.OptPlatform, DefaultOptPlatform))...)
		}
	}
	if p.Token != "" {
		now := time.Now
		if p.Now != nil {
			now = p.Now
		}
		rt := strconv.FormatInt(now().Unix(), 10)
		q = append(append(q, "&Sign="...), Sign(p.Token, rt)...)
		q = append(append(q, "&RequestTime="...), rt...)
	}
	u.RawQuery = string(q)
	req := wire.NewPost(u, body)
	// The documents show no Content-Type (their sample request has only Host
	// and Content-Length); imhook sends application/json so that frameworks
	// that dispatch on it parse the body. Say so in help.
	req.Header["Content-Type"] = wire.JSONType
	return req, nil
}

// RequestEpoch is wire.BodyFreeRequests: NewRequest reads the body's
// length only (wire.NewPost), and the clock only for RequestTime and Sign,
// in Unix seconds.
func (tencent) RequestEpoch(p wire.Params) (int64, bool) {
	if p.Token == "" {
		return 0, false
	}
	if p.Now != nil {
		return p.Now().Unix(), true
	}
	return time.Now().Unix(), true
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Identify reads the CallbackCommand query parameter (without parsing the
// whole query: this runs for every request a receiver gets).
func (tencent) Identify(r *http.Request) string {
	return queryValue(r.URL.RawQuery, "CallbackCommand")
}

// queryValue returns the first value of key in a raw query, unescaped.
func queryValue(raw, key string) string {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k != key {
			continue
		}
		if u, err := url.QueryUnescape(v); err == nil {
			return u
		}
		return v
	}
	return ""
}

// CheckRequest checks the query a Tencent callback carries: SdkAppid (against
// the expected app when given), contenttype=json, a documented OptPlatform, a
// ClientIP, and with a token the signature: Sign must be
// hex(sha256(token + RequestTime)) in either case, compared in constant time,
// and RequestTime within the window (60 s) of now.
func (tencent) CheckRequest(r *http.Request, _ []byte, e *fixtures.Entry, exp wire.Expect) []record.Finding {
	var f wire.Findings
	var q wire.QueryParams
	q.Parse(r.URL.RawQuery, tencentParams)
	get := q.Get
	key, app, ok := get(qSdkAppID)
	switch {
	case !ok:
		f.Add(record.Error, wire.RuleSdkAppID, "", "the query has no SdkAppid: every Tencent callback names its app, and a backend must check it")
	case exp.SdkAppID != "" && app != exp.SdkAppID:
		f.Add(record.Error, wire.RuleSdkAppID, "", fmt.Sprintf("SdkAppid is %q, expected %q: a careful backend refuses callbacks for another app", app, exp.SdkAppID))
	case key != "SdkAppid":
		f.Add(record.Info, wire.RuleSdkAppID, "", fmt.Sprintf("the parameter is spelled %s; the documents' URLs spell it SdkAppid (some newer pages write SDKAppID): match it case-insensitively", key))
	}
	if _, ct, ok := get(qContentType); !ok {
		f.Add(record.Warning, wire.RuleContentType, "", "the query has no contenttype; the documents send contenttype=json")
	} else if !strings.EqualFold(ct, "json") {
		f.Add(record.Warning, wire.RuleContentType, "", fmt.Sprintf("contenttype is %q; the documents send json", ct))
	}
	// Some callbacks' URLs carry fewer parameters (the catalogue's query):
	// only a parameter the callback carries is missed.
	optPlatform, clientIP := true, true
	if e != nil && len(e.Query) > 0 {
		optPlatform, clientIP = slices.Contains(e.Query, "OptPlatform"), slices.Contains(e.Query, "ClientIP")
	}
	if _, p, ok := get(qOptPlatform); !ok {
		if optPlatform {
			f.Add(record.Warning, wire.RuleOptPlatform, "", "the query has no OptPlatform")
		}
	} else if !containsFold(Platforms, p) {
		f.Add(record.Warning, wire.RuleOptPlatform, "", fmt.Sprintf("OptPlatform %q is not a documented value (%s)", p, strings.Join(Platforms, ", ")))
	}
	if _, ip, ok := get(qClientIP); (!ok || ip == "") && clientIP {
		f.Add(record.Warning, wire.RuleClientIP, "", "the query has no ClientIP")
	}
	if exp.Token == "" {
		return f
	}
	_, sign, hasSign := get(qSign)
	_, rt, hasTime := get(qRequestTime)
	if !hasSign || !hasTime {
		f.Add(record.Error, wire.RuleSign, "", "callback authentication is on (a token is set) but the query has no Sign and RequestTime: the request may be forged")
		return f
	}
	secs, err := strconv.ParseInt(rt, 10, 64)
	if err != nil {
		f.Add(record.Error, wire.RuleRequestTime, "", fmt.Sprintf("RequestTime %q is not Unix seconds", rt))
		return f
	}
	if !signMatches(exp.Token, rt, sign) {
		f.Add(record.Error, wire.RuleSign, "", "Sign does not match sha256(token + RequestTime): the request is forged or the token differs")
		return f
	}
	now := time.Now
	if exp.Now != nil {
		now = exp.Now
	}
	window := exp.Window
	if window == 0 {
		window = time.Minute
	}
	if d := now().Sub(time.Unix(secs, 0)); d > window || d < -window {
		f.Add(record.Error, wire.RuleRequestTime, "", requestTimeMessage(d, window))
	}
	return f
}

// requestTimeMessage says how far outside the window a RequestTime is (d:
// how long before now it is, negative for the future), and no more: a
// stale time may be a delayed or a repeated request, or a clock that
// differs, and the check cannot tell which.
func requestTimeMessage(d, window time.Duration) string {
	if d < 0 {
		return fmt.Sprintf("RequestTime is %s in the future, outside the %s window: the sender's clock is ahead of this one, or the time was set ahead", (-d).Round(time.Second), window)
	}
	return fmt.Sprintf("RequestTime is %s old, outside the %s window: the request is stale (signed longer ago than the window allows, or the clocks differ)", d.Round(time.Second), window)
}

// The query parameters CheckRequest reads, as indexes of tencentParams.
const (
	qSdkAppID = iota
	qContentType
	qOptPlatform
	qClientIP
	qSign
	qRequestTime
)

var tencentParams = []string{"SdkAppid", "contenttype", "OptPlatform", "ClientIP", "Sign", "RequestTime"}

// signMatches reports whether sign, lower-cased, is Sign(token, requestTime),
// comparing in constant time.
func signMatches(token, requestTime, sign string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(sign)), []byte(Sign(token, requestTime))) == 1
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Configure says where to enter the receiver's URL.
func (tencent) Configure(u string) string {
	return "Tencent: set the callback URL to " + strings.TrimRight(u, "/") + "/ (Chat console > Callback Configuration)"
}

// ReplyBody is {"ActionStatus","ErrorInfo","ErrorCode"}: ok is OK/0, fail is
// FAIL/1, reject is OK/1 and discard OK/2 (before-callbacks' codes).
func (t tencent) ReplyBody(mode, info string) []byte {
	if mode == wire.ReplyOK && info == "" {
		return bytes.Clone(tencentOKReply) // precomputed; a copy, so that callers may change it
	}
	return t.replyBody(mode, info)
}

var tencentOKReply = tencent{}.replyBody(wire.ReplyOK, "")

func (tencent) replyBody(mode, info string) []byte {
	status, code := "OK", 0
	switch mode {
	case wire.ReplyFail:
		status, code = "FAIL", 1
	case wire.ReplyReject:
		code = 1
	case wire.ReplyDiscard:
		code = 2
	}
	return fmt.Appendf(nil, `{"ActionStatus":%q,"ErrorInfo":%s,"ErrorCode":%d}`, status, wire.JSONString(info), code)
}

// JudgeReply checks Tencent's reply contract: HTTP 200 within 2 s, a JSON
// object with ActionStatus ("OK" or "FAIL"), ErrorCode (integer) and
// ErrorInfo (string). Redirects are not followed, so a 3xx is a failure.
// The outcome: fail (FAIL); for a before-callback the meaning of ErrorCode
// in its reply section (ok, reject, discard), and modify when an allowed
// reply carries a field the platform applies that changes something; for an
// after-callback ok. A reply that breaks the contract has no outcome.
func (tencent) JudgeReply(r wire.Reply, j wire.Judging) ([]record.Finding, record.Outcome) {
	return wire.Judge(&contract, r, j)
}

// contract is Tencent's part of the judging pipeline.
var contract = wire.Contract[tencentReply]{
	Vendor: tencent{},
	Status: func(f wire.Findings, r wire.Reply) wire.Findings {
		if r.Status != http.StatusOK {
			msg := fmt.Sprintf("expected HTTP 200, found %s; Tencent counts any other status as a failed callback", wire.StatusText(r.Status))
			if r.Status >= 300 && r.Status < 400 {
				msg += fmt.Sprintf("; redirects are not followed (Location: %q)", r.Header.Get("Location"))
			}
			f.Add(record.Error, wire.RuleStatus, "", msg)
		}
		return f
	},
	Empty: func(wire.Judging) string {
		return `the reply body is empty; expected a JSON object such as {"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`
	},
	NotJSON: func(wire.Judging) string { return ". Tencent counts a reply it cannot parse as a failed callback" },
	NotObject: func(_ wire.Judging, found string) string {
		return "expected a JSON object with ActionStatus, ErrorCode and ErrorInfo, found " + found
	},
	Broken:   func(wire.Judging) record.Outcome { return "" },
	Fields:   tencentFields,
	Shapes:   true,
	Unshaped: tencentUnshaped,
	Decide:   tencentDecide,
}

// tencentUnshaped says what Tencent does with an applied reply field that is
// not of its documented shape: its pages do not say.
const tencentUnshaped = "; Tencent's pages give the field this shape (message elements: Message Formats, https://www.tencentcloud.com/document/product/1047/33527) and do not say what Tencent does with another, so the modification cannot be relied on"

// tencentReply is what the judge reads of a reply's three fields for its
// decision: ActionStatus when it is a string, and ErrorCode when it is an
// integer whose meaning can be judged. It is kept small: the pipeline
// passes it by value.
type tencentReply struct {
	status, statusRaw string
	statusSet         bool // ActionStatus is a string
	code              int64
	codeRaw           string
	intCode           bool
	info              string
}

// tencentFields reads and checks ActionStatus, ErrorCode and ErrorInfo.
func tencentFields(f wire.Findings, root gjson.Result, _ []byte, j wire.Judging) (wire.Findings, tencentReply) {
	// One pass over the reply for the three fields (the first occurrence of
	// each, as gjson.Get finds it).
	var status, code, info gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Str == "ActionStatus" && !status.Exists():
			status = v
		case k.Str == "ErrorCode" && !code.Exists():
			code = v
		case k.Str == "ErrorInfo" && !info.Exists():
			info = v
		case k.Str != "ActionStatus" && k.Str != "ErrorCode" && k.Str != "ErrorInfo":
			f.UnreadKey(k.Str, tencentReplyFields, j, "Tencent Cloud Chat")
		}
		return true
	})
	tencentField(&f, root, "ActionStatus", status, gjson.String)
	tencentField(&f, root, "ErrorCode", code, gjson.Number)
	tencentField(&f, root, "ErrorInfo", info, gjson.String)
	t := tencentReply{status: status.Str, statusRaw: status.Raw, statusSet: status.Type == gjson.String, codeRaw: code.Raw, info: info.String()}
	// The meaning of ErrorCode is judged only when it is an integer.
	t.intCode = code.Type == gjson.Number
	if t.intCode && strings.ContainsAny(code.Raw, ".eE") {
		t.intCode = false
		f.Add(record.Error, wire.RuleType, "ErrorCode", "expected an integer, found the number "+code.Raw)
	}
	if _, err := strconv.ParseInt(code.Raw, 10, 64); t.intCode && err != nil {
		t.intCode = false
		f.Add(record.Error, wire.RuleRange, "ErrorCode", "expected an integer, found "+code.Raw+", which does not fit in 64 bits")
	}
	if t.intCode {
		t.code = code.Int()
	}
	return f, t
}

// tencentDecide is the outcome of ActionStatus and ErrorCode: fail (FAIL);
// for a before-callback the meaning of ErrorCode in its reply section, and
// modify when an allowed reply applies a field; for an after-callback ok.
// A wrongly typed applied field leaves no outcome.
func tencentDecide(f wire.Findings, t tencentReply, a wire.Applied, j wire.Judging) (wire.Findings, record.Outcome) {
	if !t.statusSet {
		return f, ""
	}
	var outcome record.Outcome
	switch t.status {
	case "OK":
		if !t.intCode {
			return f, ""
		}
		f, outcome = tencentOK(f, t.code, a, j)
	case "FAIL":
		outcome = record.OutcomeFail
		if j.Expect != "" {
			break
		}
		if j.PayloadValid {
			f.Add(record.Error, wire.RuleRefused, "ActionStatus", fmt.Sprintf("the backend answered FAIL (ErrorCode %s, ErrorInfo %q) to a valid callback; a backend should accept a valid callback", t.codeRaw, t.info))
		} else {
			f.Add(record.Info, wire.RuleRefused, "ActionStatus", "the backend answered FAIL to an invalid callback, as a careful backend does")
		}
	default:
		msg := fmt.Sprintf(`expected "OK" or "FAIL", found %s`, t.statusRaw)
		if strings.EqualFold(t.status, "ok") || strings.EqualFold(t.status, "fail") {
			msg += " (the value is case-sensitive)"
		}
		f.Add(record.Error, wire.RuleActionState, "ActionStatus", msg)
	}
	if a.TypeErrors > 0 {
		outcome = ""
	}
	return f, outcome
}

// tencentOK is the outcome of ActionStatus OK with ErrorCode n.
func tencentOK(f wire.Findings, n int64, a wire.Applied, j wire.Judging) (wire.Findings, record.Outcome) {
	if j.Kind != fixtures.Before {
		if n != 0 {
			f.Add(record.Warning, wire.RuleErrorCode, "ErrorCode", fmt.Sprintf("ErrorCode %d with ActionStatus OK: 0 means success; Tencent ignores an after-callback's result, so this is only suspicious", n))
		}
		return f, record.OutcomeOK
	}
	outcome, documented := tencentDefaultCode(n)
	if j.Reply != nil {
		outcome, documented = j.Reply.CodeOutcome(n)
	}
	if !documented {
		f.Add(record.Warning, wire.RuleErrorCode, "ErrorCode", fmt.Sprintf("ErrorCode %d with ActionStatus OK: this before-callback documents %s; imhook takes it as %s", n, tencentCodesLabel(j.Reply), outcome))
	}
	if outcome == record.OutcomeOK && a.Takes {
		outcome = record.OutcomeModify
	}
	if j.Expect == "" && documented && (outcome == record.OutcomeReject || outcome == record.OutcomeDiscard) {
		verb := map[record.Outcome]string{record.OutcomeReject: "rejects", record.OutcomeDiscard: "silently discards"}[outcome]
		if j.PayloadValid {
			f.Add(record.Error, wire.RuleRefused, "ErrorCode", fmt.Sprintf("ErrorCode %d %s the operation of a valid callback; a backend should allow a valid callback (ErrorCode 0), or use --expect %s", n, verb, outcome))
		} else {
			f.Add(record.Info, wire.RuleRefused, "ErrorCode", fmt.Sprintf("ErrorCode %d %s the operation of an invalid callback, as a careful backend does", n, verb))
		}
	}
	return f, outcome
}

// tencentDefaultCode is the general before-callback rule, for a callback
// without a reply section: 0 allow, 1 reject, 2 discard.
func tencentDefaultCode(n int64) (record.Outcome, bool) {
	switch n {
	case 0:
		return record.OutcomeOK, true
	case 1:
		return record.OutcomeReject, true
	case 2:
		return record.OutcomeDiscard, true
	}
	return record.OutcomeReject, false
}

// tencentCodesLabel lists a reply section's documented codes for messages.
func tencentCodesLabel(spec *fixtures.ReplySpec) string {
	if spec == nil {
		return "0 (allow), 1 (reject), 2 (discard)"
	}
	codes := make([]string, 0, len(spec.Codes)+1)
	for _, k := range []string{"0", "1", "2"} {
		if o, ok := spec.Codes[k]; ok {
			codes = append(codes, k+" ("+string(o)+")")
		}
	}
	if c := spec.Custom; c != nil {
		codes = append(codes, fmt.Sprintf("its own codes %d..%d (%s)", c.Min, c.Max, c.Outcome))
	}
	return strings.Join(codes, ", ")
}

// tencentField checks that a reply field is present with the JSON type want.
func tencentField(f *wire.Findings, root gjson.Result, name string, v gjson.Result, want gjson.Type) {
	label := "a string"
	if want == gjson.Number {
		label = "an integer"
	}
	if !v.Exists() {
		msg := fmt.Sprintf("the required field %s (%s) is missing", name, strings.TrimPrefix(strings.TrimPrefix(label, "a "), "an "))
		root.ForEach(func(k, _ gjson.Result) bool {
			if strings.EqualFold(k.Str, name) && k.Str != name {
				msg += fmt.Sprintf("; found %q, but keys are case-sensitive", k.Str)
			}
			return true
		})
		f.Add(record.Error, wire.RuleRequired, name, msg)
		return
	}
	if v.Type != want {
		f.Add(record.Error, wire.RuleType, name, fmt.Sprintf("expected %s, found %s", label, jsonx.Describe(v.Raw)))
	}
}

func (tencent) Outcomes() []record.Outcome { return fixtures.VendorOutcomes(fixtures.Tencent) }
func (tencent) ReplyFields() []string      { return append([]string{}, tencentReplyFields...) }
func (tencent) ProbeCommand() string       { return "C2C.CallbackAfterSendMsg" }
func (tencent) UnknownCommand() string     { return "C2C.CallbackAfterImhookProbe" }

// BusiestCommands: every one-to-one and group message passes the
// before-send and after-send callbacks.
func (tencent) BusiestCommands() []string {
	return []string{"C2C.CallbackAfterSendMsg", "C2C.CallbackBeforeSendMsg", "Group.CallbackAfterSendMsg", "Group.CallbackBeforeSendMsg"}
}

// ReplySchema is the reply Tencent expects: ActionStatus, ErrorCode and
// ErrorInfo, all required; before-callbacks may add the fields they apply.
func (tencent) ReplySchema(e *fixtures.Entry) map[string]any {
	return wire.WithApplied(map[string]any{
		"$schema":     fixtures.SchemaDialect,
		"$id":         "urn:imhook:schema:tencent:reply",
		"title":       "Tencent Cloud Chat callback reply",
		"description": "The app backend's reply to a third-party callback: HTTP 200 with this JSON body. Before-callbacks may carry extra fields (MsgBody, CloudCustomData, RefusedMembers_Account, ResultItem).",
		"type":        "object",
		"required":    []string{"ActionStatus", "ErrorCode", "ErrorInfo"},
		"properties": map[string]any{
			"ActionStatus": map[string]any{"type": "string", "enum": []string{"OK", "FAIL"}, "description": "Result of the request: OK or FAIL"},
			"ErrorCode":    map[string]any{"type": "integer", "description": "0 allow/success; for before-callbacks 1 reject, 2 discard, or a custom code"},
			"ErrorInfo":    map[string]any{"type": "string", "description": "Error information"},
		},
	}, e, nil)
}

// Forgeries of a Tencent callback: a wrong SdkAppid, and with a token no
// Sign, a bad Sign and a RequestTime ten minutes old.
func (tencent) Forgeries(_ string, p wire.Params, now time.Time) []wire.Forgery {
	app := p.SdkAppID
	if app == "" {
		app = DefaultSdkAppID
	}
	wrong := p
	wrong.SdkAppID = wrongSdkAppID(app)
	out := []wire.Forgery{{Name: "wrong_sdkappid", Params: wrong,
		Risk: fmt.Sprintf("a callback for another app (SdkAppid %s, not %s) must be refused, or another app's traffic (or anyone's) is taken as yours", wrong.SdkAppID, app)}}
	if p.Token == "" {
		return out
	}
	stale := p
	then := now.Add(-10 * time.Minute)
	stale.Now = func() time.Time { return then }
	return append(out,
		wire.Forgery{Name: "no_sign", Params: p, Edit: func(r *http.Request) { editQuery(r, "Sign", "", true) },
			Risk: "a callback without Sign must be refused when callback authentication is on, or anyone who knows the URL can forge callbacks"},
		wire.Forgery{Name: "bad_sign", Params: p, Edit: func(r *http.Request) {
			editQuery(r, "Sign", Sign("not-the-token", queryValue(r.URL.RawQuery, "RequestTime")), false)
		}, Risk: "a callback whose Sign does not match sha256(token + RequestTime) must be refused, or anyone can forge callbacks"},
		wire.Forgery{Name: "stale_request_time", Params: stale,
			Risk: "a correctly signed callback with a RequestTime ten minutes old must be refused (Tencent's window is 60 s), or a captured callback can be replayed"})
}

// wrongSdkAppID is an app ID that is not the one given.
func wrongSdkAppID(id string) string {
	if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		return strconv.FormatUint(n+1, 10)
	}
	return "1400000001"
}

// editQuery replaces (or, with drop, removes) a query parameter in place,
// keeping the order the platform sends.
func editQuery(req *http.Request, name string, value string, drop bool) {
	parts := strings.Split(req.URL.RawQuery, "&")
	out := parts[:0]
	for _, kv := range parts {
		k, _, _ := strings.Cut(kv, "=")
		if k == name {
			if drop {
				continue
			}
			kv = name + "=" + value
		}
		out = append(out, kv)
	}
	req.URL.RawQuery = strings.Join(out, "&")
}

// RuleStaleSign: a recorded Sign is sent again.
const RuleStaleSign = "replay.stale_sign"

// Replay keeps a recording's SdkAppid, ClientIP and OptPlatform (where
// keep says so) and sends its Sign and RequestTime again as recorded (in
// the target's query, with a warning that says how old they are), unless
// keep.Resign asks for a fresh signature.
func (tencent) Replay(rec *record.Record, target string, p wire.Params, keep wire.Keep, now time.Time) (string, wire.Params, []record.Finding) {
	q, sign, rt := Query(rec.Request.URL)
	if keep.SdkAppID && q.SdkAppID != "" {
		p.SdkAppID = q.SdkAppID
	}
	if keep.ClientIP && q.ClientIP != "" {
		p.ClientIP = q.ClientIP
	}
	if keep.OptPlatform && q.OptPlatform != "" {
		p.OptPlatform = q.OptPlatform
	}
	if sign == "" || keep.Resign {
		return target, p, nil
	}
	// Send the recorded signature as it was: the platform's query carries
	// it, and a receiver that checks it will judge its age.
	p.Token = ""
	u, err := url.Parse(target)
	if err != nil {
		return target, p, nil
	}
	sq := "Sign=" + url.QueryEscape(sign) + "&RequestTime=" + url.QueryEscape(rt)
	if u.RawQuery != "" {
		sq = u.RawQuery + "&" + sq
	}
	u.RawQuery = sq
	age := "of unknown age"
	if n, err := strconv.ParseInt(rt, 10, 64); err == nil {
		d := now.Sub(time.Unix(n, 0)).Round(time.Second)
		switch {
		case d > SignWindow:
			age = d.String() + " old, so stale"
		case d < -SignWindow:
			age = "from " + (-d).String() + " in the future, so not yet valid"
		default:
			age = fmt.Sprintf("%s old, so stale in %s", d, SignWindow-d)
		}
	}
	return u.String(), p, []record.Finding{{Severity: record.Warning, Rule: RuleStaleSign, Path: "Sign",
		Message: fmt.Sprintf("the recorded Sign and RequestTime are sent again, %s: a receiver that checks them refuses a RequestTime more than %s away. Replay with --resign --token TOKEN for a fresh signature",
			age, SignWindow)}}
}

// Retry: Tencent resends an after-callback whose reply missed the budget
// when retry on timeout is switched on in its console; never a
// before-callback (the overview page, 1047/34354).
func (tencent) Retry(e *fixtures.Entry) string {
	if e.Kind != fixtures.After {
		return ""
	}
	return "its reply missed the budget, and Tencent resends an after-callback then when retry on timeout is switched on in its console"
}
