package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// Forwarder passes the callbacks a Handler receives on to a backend
// (serve --forward-to), as the platform sent them, and judges the backend's
// reply with the judge simulate uses.
//
// The request goes to Target with the method, the body's exact bytes and
// the received headers less the hop-by-hop ones, Host, Content-Length and
// Accept-Encoding (so that the reply comes as the backend writes it, and is
// judged and relayed as such). Tencent's query (SdkAppid, CallbackCommand,
// Sign, ...) is appended to Target's query; OpenIM's /{command} path
// suffix is appended to Target's path (and a v3.0-v3.4.0 server's
// ?command= is carried by the query).
//
// The backend has the platform's budget (Tencent 2 s, OpenIM 5 s, or
// Timeout). Its reply, status, headers and body, is relayed to the caller
// unchanged. A backend that cannot be reached gets the caller a 502, one
// that does not answer in time a 504; the record says why, and that the
// platform would have counted the callback as failed.
type Forwarder struct {
	// Target is the backend's callback URL.
	Target *url.URL
	// Client sends: simulate.NewClient, whose TLS settings apply to an
	// https:// Target. Nil means simulate.NewClient(nil).
	Client *http.Client
	// Timeout overrides the vendor's budget when not zero.
	Timeout time.Duration
	// Words name the settings that findings' advice points to (nil: the
	// library's, simulate.LibraryWords).
	Words *simulate.Words
}

// NewForwarder checks target (an http:// or https:// URL with a host).
func NewForwarder(target string, client *http.Client) (*Forwarder, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http:// or https:// URL", target)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("%q has a #fragment, which is never sent", target)
	}
	if client == nil {
		client = simulate.NewClient(nil)
	}
	return &Forwarder{Target: u, Client: capturing(client)}, nil
}

// URLFor is where a received callback goes: Target with the request's query
// appended, and the command's path segment when the request carried the
// command there (OpenIM's {url}/{command}) rather than in its query
// (Tencent's CallbackCommand, OpenIM v3.0-v3.4.0's command). command is
// the command the vendor identified in the request.
func (f *Forwarder) URLFor(r *http.Request, command string) *url.URL {
	u := *f.Target
	p := strings.TrimRight(r.URL.Path, "/")
	if seg := p[strings.LastIndexByte(p, '/')+1:]; seg == command && !queryNames(r.URL.RawQuery, command) {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/" + seg
		u.RawPath = ""
	}
	switch {
	case r.URL.RawQuery == "":
	case u.RawQuery == "":
		u.RawQuery = r.URL.RawQuery
	default:
		u.RawQuery += "&" + r.URL.RawQuery
	}
	return &u
}

// queryNames reports whether a query value is the command.
func queryNames(raw, command string) bool {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		_, v, _ := strings.Cut(pair, "=")
		if v == command {
			return true
		}
		if u, err := url.QueryUnescape(v); err == nil && u == command {
			return true
		}
	}
	return false
}

// hopHeaders are not passed on, either way: they concern one connection.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

func copyHeader(dst, src http.Header, drop ...string) {
	for k, v := range src {
		dst[k] = v
	}
	for _, c := range src.Values("Connection") {
		for _, name := range strings.Split(c, ",") {
			dst.Del(strings.TrimSpace(name))
		}
	}
	for _, k := range hopHeaders {
		dst.Del(k)
	}
	for _, k := range drop {
		dst.Del(k)
	}
}

// forward sends the received request on and turns the backend's reply into
// the handler's answer. e is nil for a command imhook does not know: the
// reply is then judged by the vendor's general rules. It sets rec.Forward,
// appends the reply's findings to rec.Findings and sets rec.Outcome.
//
// The wait for the backend ends with the budget counted from when the
// request arrived (a connection's first request: when it was accepted; the
// caller's began earlier still), less forwardMargin of it for the reply to
// reach the caller, or when the caller goes away: a reply that comes after
// the caller left is not relayed, and the record says the caller got none.
func (f *Forwarder) forward(r *http.Request, arrived time.Time, body []byte, vendor platform.Vendor, command string, e *fixtures.Entry, payloadValid bool, rec *record.Record) answer {
	budget := vendor.Timeout()
	if f.Timeout > 0 {
		budget = f.Timeout
	}
	u := f.URLFor(r, command)
	fw := &record.Forward{URL: record.RedactURL(u.String())}
	rec.Forward = fw
	ctx, cancel := context.WithDeadline(r.Context(), arrived.Add(budget-budget/forwardMargin))
	defer cancel()
	var hc *headConn
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { hc, _ = info.Conn.(*headConn) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return f.noReply(fw, rec, http.StatusBadGateway, record.Finding{Severity: record.Error, Rule: simulate.RuleNoReply, Message: err.Error()}, "could not be sent")
	}
	copyHeader(req.Header, r.Header, "Host", "Accept-Encoding")
	if _, ok := r.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""} // none was sent; net/http then adds none
	}
	start := time.Now()
	resp, err := f.Client.Do(req)
	var buf bytes.Buffer
	if err == nil {
		_, err = buf.ReadFrom(io.LimitReader(resp.Body, platform.MaxReplyBytes+1))
		resp.Body.Close()
	}
	latency := time.Since(start)
	fw.LatencyMS = float64(latency.Microseconds()) / 1000
	if r.Context().Err() != nil {
		return f.callerGone(fw, rec, resp, err, arrived)
	}
	if err != nil {
		j := platform.Judging{Budget: budget, Command: command}
		if e != nil {
			j = platform.JudgingFor(e, body, payloadValid, budget, "")
		}
		if f.Timeout > 0 {
			j.BudgetFrom = f.Words.Use().Timeout
		}
		nr := f.Words.Explain(ctx, err, j, vendor)
		if nr.Finding.Rule == platform.RuleTimeout {
			return f.noReply(fw, rec, http.StatusGatewayTimeout, nr.Finding, fmt.Sprintf("did not answer within %s", budget))
		}
		return f.noReply(fw, rec, http.StatusBadGateway, nr.Finding, "could not be reached")
	}
	fw.Status = resp.StatusCode
	truncated := buf.Len() > platform.MaxReplyBytes
	if truncated {
		buf.Truncate(platform.MaxReplyBytes)
	}
	j := platform.Judging{Budget: budget}
	if e != nil {
		j = platform.JudgingFor(e, body, payloadValid, budget, "")
	}
	judged, outcome := vendor.JudgeReply(platform.Reply{Status: resp.StatusCode, Header: resp.Header, Body: buf.Bytes(), Latency: latency, Truncated: truncated}, j)
	for i := range judged {
		if judged[i].Rule == platform.RuleRefused && judged[i].Severity == record.Error {
			// Real traffic: refusing a callback is the backend's right.
			judged[i].Severity = record.Info
			judged[i].Message = "forwarded traffic, the backend's decision: " + judged[i].Message
		}
	}
	fw.Findings = judged
	rec.Findings = append(rec.Findings, judged...)
	rec.Outcome = outcome
	if truncated {
		return answer{status: http.StatusBadGateway, ctype: ctypeText, judged: true, outcome: outcome,
			body: fmt.Appendf(nil, "imhook: the backend's reply at %s is larger than %d bytes; the platform reads no more than that\n", fw.URL, platform.MaxReplyBytes)}
	}
	hdr := http.Header{}
	var named []string
	if hc != nil {
		named = hc.connectionNames()
	}
	copyHeader(hdr, resp.Header, named...)
	return answer{status: resp.StatusCode, header: hdr, body: buf.Bytes(), judged: true, outcome: outcome}
}

// forwardMargin: a forward's wait ends 1/forwardMargin of the budget early
// (100 ms of Tencent's 2 s), the time left for the relayed reply to be
// recorded and reach the caller.
const forwardMargin = 20

// callerGone is the answer when the caller went away before the backend's
// reply (resp, or err when none came) could be relayed: nothing is
// relayed, and the record has no response.
func (f *Forwarder) callerGone(fw *record.Forward, rec *record.Record, resp *http.Response, err error, arrived time.Time) answer {
	why := fmt.Sprintf("the caller went away %s after its request arrived, before the backend's reply could be relayed; it got no reply", time.Since(arrived).Round(time.Millisecond))
	if resp != nil {
		fw.Status = resp.StatusCode
	} else if err != nil {
		fw.Error = "not waited for: the caller went away"
	}
	fw.Findings = []record.Finding{}
	rec.Findings = append(rec.Findings, record.Finding{Severity: record.Error, Rule: simulate.RuleNoReply, Message: why})
	rec.Error, rec.Outcome = why, ""
	return answer{callerGone: true, noReply: true, judged: true}
}

// noReply is the answer when the backend gave none: status (502 or 504)
// with a text that says what happened and what the platform would have
// seen.
func (f *Forwarder) noReply(fw *record.Forward, rec *record.Record, status int, finding record.Finding, what string) answer {
	fw.Error = finding.Message
	fw.Findings = []record.Finding{finding}
	rec.Findings = append(rec.Findings, finding)
	rec.Outcome = ""
	return answer{status: status, ctype: ctypeText, noReply: true, judged: true,
		body: fmt.Appendf(nil, "imhook: the backend at %s %s: %s. The platform would have counted the callback as failed.\n", fw.URL, what, finding.Message)}
}
