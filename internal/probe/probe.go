// Package probe sends callbacks that a careful backend must handle in a
// particular way and judges how it did: security probes (forged callbacks a
// backend must refuse) and robustness probes (bad or unusual input a backend
// must still answer, in the vendor's reply shape, within the budget).
//
// Requests are built with the vendor's own request builder (package
// platform) and then edited; each exchange becomes a record whose finding
// with a "probe." rule names the probe in its path.
package probe

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/junit"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
	"github.com/tidwall/gjson"
)

// Kinds of probe.
const (
	Security   = "security"
	Robustness = "robustness"
)

// Rule names of probe findings; the finding's path is the probe's name.
const (
	RuleAccepted   = "probe.accepted"   // a forged callback was accepted (error)
	RuleRobustness = "probe.robustness" // bad input got no proper answer (error)
	RuleBaseline   = "probe.baseline"   // a valid callback was not accepted (error)
	RuleRefused    = "probe.refused"    // a forged callback was refused (info)
	RuleAnswered   = "probe.answered"   // bad input got a proper answer (info)
	// RuleAuthentication notes what a vendor's callbacks carry to
	// authenticate them (info, on security probes' baselines).
	RuleAuthentication = "security.authentication"
)

// Exchange is one request of a probe.
type Exchange struct {
	Req  *http.Request
	Body []byte
	// AfterTimeout sends the request after a gap as long as the platform's
	// budget, as a platform resends a callback whose reply did not come in
	// time (Tencent's retry on timeout).
	AfterTimeout bool
	// Repeats says which earlier request of the probe this one repeats
	// ("a repeat of request 1"; "" for none): its findings say so.
	Repeats string
}

// Probe is one named check: one or more requests and how to judge the
// replies.
type Probe struct {
	Name    string // "security.bad_sign"
	Kind    string // Security, Robustness, or "" for a baseline
	Vendor  string
	Command string
	Entry   *fixtures.Entry // nil for an unknown command
	// Risk is what it means when the probe fails.
	Risk      string
	Exchanges []Exchange
	// Valid marks a probe whose callbacks are valid: the backend must
	// accept them, as the baseline.
	Valid bool
	// Notes are added to each exchange's record (what a vendor's callbacks
	// carry for authentication, for the baseline of security probes).
	Notes []record.Finding
}

// Runner sends probes.
type Runner struct {
	Client *http.Client
	// Timeout overrides each vendor's budget when non-zero.
	Timeout time.Duration
	// Version is the platform release whose treatment of replies applies
	// (an --openim-version value; "" the current one).
	Version string
	// Words name the settings that findings' advice points to (nil: the
	// library's, simulate.LibraryWords).
	Words *simulate.Words

	// baselines holds, by vendor and command, the error code a passing
	// baseline was answered with (the vendor's ErrorField), so that a
	// forgery answered with another one counts as turned away.
	baselines sync.Map
}

// Result is one exchange of a probe.
type Result struct {
	Probe       *Probe
	Record      *record.Record
	Unreachable bool
}

// Run sends each exchange of p in order and judges each reply.
func (r *Runner) Run(ctx context.Context, p *Probe) []Result {
	var out []Result
	for i, ex := range p.Exchanges {
		if ex.AfterTimeout {
			t := time.NewTimer(r.judging(p, platform.For(p.Vendor)).Budget)
			select {
			case <-ctx.Done():
				t.Stop()
				return out
			case <-t.C:
			}
		}
		res := r.exchange(ctx, p, ex)
		if len(p.Exchanges) > 1 {
			// The probe's own requests, numbered within it: each probe
			// sends a message of its own (build.go).
			which := fmt.Sprintf("request %d of %d", i+1, len(p.Exchanges))
			if ex.Repeats != "" {
				which += ", " + ex.Repeats
			}
			for j := range res.Record.Findings {
				if strings.HasPrefix(res.Record.Findings[j].Rule, "probe.") {
					res.Record.Findings[j].Message = which + ": " + res.Record.Findings[j].Message
				}
			}
		}
		out = append(out, res)
		if res.Unreachable || ctx.Err() != nil {
			break
		}
	}
	return out
}

// judging is how a probe's replies are judged: its kind, the budget and
// where it came from, the release.
func (r *Runner) judging(p *Probe, v platform.Vendor) platform.Judging {
	j := platform.Judging{Kind: fixtures.After, PayloadValid: p.Kind == "" || p.Valid, Budget: v.Timeout(), Command: p.Command, Version: r.Version}
	if p.Entry != nil {
		j.Kind = p.Entry.Kind
	}
	if r.Timeout > 0 {
		j.Budget, j.BudgetFrom = r.Timeout, r.Words.Use().Timeout
	}
	return j
}

// send sends ex's request under ctx and reads the reply (its body cut at
// platform.MaxReplyBytes, truncated says so) and how long it took.
func (r *Runner) send(ctx context.Context, ex Exchange) (resp *http.Response, body []byte, truncated bool, latency time.Duration, err error) {
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	req := ex.Req.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(ex.Body))
	req.ContentLength = int64(len(ex.Body))
	start := time.Now()
	resp, err = client.Do(req)
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, platform.MaxReplyBytes+1))
		resp.Body.Close()
		if len(body) > platform.MaxReplyBytes {
			body, truncated = body[:platform.MaxReplyBytes], true
		}
	}
	return resp, body, truncated, time.Since(start), err
}

// exchange sends one exchange of a probe and judges the reply as the
// probe asks: a baseline must be accepted, a forgery refused, a robustness
// input survived.
func (r *Runner) exchange(ctx context.Context, p *Probe, ex Exchange) Result {
	v := platform.For(p.Vendor)
	judging := r.judging(p, v)
	budget := judging.Budget
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	rec := &record.Record{Time: time.Now(), Vendor: p.Vendor, Command: p.Command,
		Request: &record.Message{Method: ex.Req.Method, URL: record.RedactURL(ex.Req.URL.String()), Headers: record.RedactHeaders(ex.Req.Header.Clone()), Body: ex.Body}}
	resp, body, truncated, latency, err := r.send(ctx, ex)
	rec.Findings = append(rec.Findings, p.Notes...)
	fail := func(rule, msg string) {
		rec.Findings = append(rec.Findings, record.Finding{Severity: record.Error, Rule: rule, Path: p.Name, Message: msg})
	}
	if err != nil {
		nr := r.Words.Explain(ctx, err, judging, v)
		reason := nr.Finding.Message
		rec.Error = reason
		if nr.Unreachable {
			rec.Findings = append(rec.Findings, nr.Finding)
			rec.Verdict = record.NoReply
			return Result{Probe: p, Record: rec, Unreachable: true}
		}
		fail(failRule(p), fmt.Sprintf("%s; %s", reason, p.Risk))
		rec.Verdict = record.Fail
		return Result{Probe: p, Record: rec}
	}
	rec.Response = &record.Message{Status: resp.StatusCode, Headers: record.RedactHeaders(resp.Header), Body: body, LatencyMS: float64(latency.Microseconds()) / 1000}
	reply := platform.Reply{Status: resp.StatusCode, Header: resp.Header, Body: body, Latency: latency, Truncated: truncated}
	r.judge(p, v, judging, rec, reply)
	rec.Verdict = record.VerdictOf(true, rec.Findings)
	return Result{Probe: p, Record: rec}
}

// judge adds to rec what the reply to one exchange of p says, as the probe
// asks: a baseline must be accepted, a forgery refused, a robustness input
// survived.
func (r *Runner) judge(p *Probe, v platform.Vendor, judging platform.Judging, rec *record.Record, reply platform.Reply) {
	budget := judging.Budget
	fail := func(rule, msg string) {
		rec.Findings = append(rec.Findings, record.Finding{Severity: record.Error, Rule: rule, Path: p.Name, Message: msg})
	}
	judged, _ := v.JudgeReply(reply, judging)
	// Accepting and refusing are what the vendor's judge reads in the
	// reply for the release in force (platform.AnswerOf), the same judge
	// as every other mode's.
	answer := platform.AnswerOf(v, reply, judging)
	accepted, what := answer.Accepts, answer.What
	pass := func(rule, msg string) {
		for _, f := range judged {
			if f.Severity != record.Error {
				rec.Findings = append(rec.Findings, f)
			}
		}
		rec.Findings = append(rec.Findings, record.Finding{Severity: record.Info, Rule: rule, Path: p.Name, Message: msg})
	}
	shapeErr := ""
	for _, f := range judged {
		if f.Severity == record.Error && f.Rule != platform.RuleStatus && f.Rule != platform.RuleRefused {
			shapeErr = f.Message
			break
		}
	}
	switch {
	case p.Kind == "": // baseline: a valid callback must be accepted
		r.judgeBaseline(p, v, rec, reply, judged, answer, shapeErr)
	case p.Valid && (!accepted || record.HasErrors(judged)) && reply.Status < 500:
		rec.Findings = append(rec.Findings, judged...)
		fail(RuleRobustness, fmt.Sprintf("the backend did not accept it (%s); %s", what, p.Risk))
	case reply.Status >= 500:
		rec.Findings = append(rec.Findings, judged...)
		fail(failRule(p), fmt.Sprintf("the backend answered HTTP %d; %s", reply.Status, p.Risk))
	case reply.Latency > budget:
		rec.Findings = append(rec.Findings, judged...)
		fail(failRule(p), fmt.Sprintf("the reply took %s, over the %s budget; %s", reply.Latency.Round(time.Millisecond), budget, p.Risk))
	case p.Kind == Security && accepted && r.turnedAway(p, v, reply) == "":
		rec.Findings = append(rec.Findings, judged...)
		fail(RuleAccepted, fmt.Sprintf("forged callbacks accepted: the backend answered %s; %s", what, p.Risk))
	case p.Kind == Security && accepted:
		// The backend said no in a way the platform would not act on
		// (an OpenIM errCode without a stop, an HTTP 4xx OpenIM ignores).
		// The platform never sends a forged callback, so its reading of
		// the reply does not matter here: the backend turned the request
		// away, and calling that accepting would be a false alarm. A note
		// says what a real callback answered so would do.
		pass(RuleRefused, fmt.Sprintf("refused with %s; a real callback answered so would go on (%s reads %s)", r.turnedAway(p, v, reply), v.Title(), what))
	case reply.Status >= 400 && reply.Status < 500:
		pass(refusedRule(p), fmt.Sprintf("refused with HTTP %d", reply.Status))
	case shapeErr != "":
		rec.Findings = append(rec.Findings, judged...)
		fail(failRule(p), fmt.Sprintf("the reply is not in %s's reply shape (%s); %s", v.Title(), shapeErr, p.Risk))
	default:
		pass(refusedRule(p), "answered in the reply shape: "+what)
	}
}

// turnedAway says how a reply that the vendor's judge reads as accepting
// still turned a forged request away in the backend's own terms ("" when it
// did not): an HTTP 4xx, or an error code (the vendor's ErrorField) other
// than the one the baseline's valid callback got (open-im-server's example
// receiver answers errCode 2000 to everything, its success). Only security
// probes ask it: a forged callback is the backend's to refuse, whatever the
// platform would make of the reply to a real one.
func (r *Runner) turnedAway(p *Probe, v platform.Vendor, reply platform.Reply) string {
	if reply.Status >= 400 && reply.Status < 500 {
		return "HTTP " + strconv.Itoa(reply.Status)
	}
	code := errorCode(v, reply)
	if code == "" {
		return ""
	}
	if base, ok := r.baselines.Load(p.Vendor + " " + p.Command); ok && base.(string) == code {
		return ""
	}
	return v.ProbeWords().ErrorField + " " + code
}

// errorCode is the non-zero number in the vendor's error field of a reply
// ("" when there is none).
func errorCode(v platform.Vendor, reply platform.Reply) string {
	field := v.ProbeWords().ErrorField
	if field == "" {
		return ""
	}
	code := gjson.GetBytes(reply.Body, field)
	if code.Type != gjson.Number || code.Num == 0 {
		return ""
	}
	return code.Raw
}

// failRule is the rule of a probe that got no proper answer (a 5xx, a
// hang, a reset, a reply out of shape): robustness, whatever the probe.
func failRule(p *Probe) string {
	if p.Kind == "" {
		return RuleBaseline
	}
	return RuleRobustness
}

func refusedRule(p *Probe) string {
	if p.Kind == Security {
		return RuleRefused
	}
	return RuleAnswered
}

// Expected says what the probe expects of the backend (for reports).
func (p *Probe) Expected() string {
	v := platform.For(p.Vendor)
	switch {
	case p.Kind == Security:
		return fmt.Sprintf("a refusal of the forged callback, as %s reads a reply (%s), or in the backend's own terms: an HTTP 4xx, or an error code (%s) other than the valid callback's", v.Title(), v.ProbeWords().Refusals, v.ProbeWords().ErrorField)
	case p.Valid:
		return fmt.Sprintf("the valid callback accepted within the budget, in %s's reply shape; no 5xx, HTML, reset or hang", v.Title())
	case p.Kind == Robustness:
		return fmt.Sprintf("an answer within the budget: a reply in %s's shape (a refusal is fine: %s) or an HTTP 4xx; no 5xx, HTML, reset or hang", v.Title(), v.ProbeWords().Refusals)
	}
	return "the valid callback accepted (the baseline for the other probes)"
}

// Producer sends the probes in order and emits each exchange, named in the
// JUnit report after its probe and held to what the probe expects. A
// baseline's probes are those of its vendor after it, up to the vendor's
// next baseline; when the baseline fails they are not sent (a refusal says
// nothing when a valid callback is refused too), and each is emitted as not
// judged, with the baseline's reason.
func (r *Runner) Producer(probes []*Probe) run.Producer {
	return func(ctx context.Context, sink run.Sink) error {
		failed := map[string]string{} // by vendor: why its last baseline failed
		for _, p := range probes {
			why := failed[p.Vendor]
			if p.Kind == "" {
				delete(failed, p.Vendor)
			} else if why != "" {
				c := junit.Case{Classname: p.Vendor, Name: p.Name + " " + p.Command, Skipped: &junit.Problem{Message: "not judged: " + why}}
				if !sink.Emit(run.Event{NotJudged: &run.NotJudged{Vendor: p.Vendor, Command: p.Command, Name: p.Name, Case: &c, Reason: why}}) {
					return nil
				}
				continue
			}
			results := r.Run(ctx, p)
			for i, res := range results {
				name := p.Name + " " + p.Command
				if len(p.Exchanges) > 1 {
					name += fmt.Sprintf(" (%d/%d)", i+1, len(p.Exchanges))
				}
				c := junit.FromRecordExpect(name, res.Record, p.Expected())
				if !sink.Emit(run.Event{Record: res.Record, Unreachable: res.Unreachable, Case: &c}) {
					return nil
				}
				if p.Kind == "" && res.Record.Verdict != record.Pass {
					failed[p.Vendor] = BaselineFailure(p, res.Record)
				}
			}
		}
		return nil
	}
}

// BaselineFailure says why a baseline failed, for the probes it leaves
// not judged.
func BaselineFailure(p *Probe, rec *record.Record) string {
	msg := rec.Error
	for _, f := range rec.Findings {
		if f.Rule == RuleBaseline {
			msg = f.Message
			break
		}
		if msg == "" && f.Severity == record.Error {
			msg = f.Message
		}
	}
	return fmt.Sprintf("the baseline of %s %s failed, so its probes were not sent: %s", platform.For(p.Vendor).Title(), p.Command, msg)
}

// firstError names the first error among fs by its rule and path (its
// message is printed beside it), "" if none.
func firstError(fs []record.Finding) string {
	for _, f := range fs {
		if f.Severity == record.Error {
			return strings.TrimSpace(f.Rule + " " + f.Path)
		}
	}
	return ""
}

// judgeBaseline adds to rec what the reply to p's baseline says: a valid
// callback must be accepted with a reply in the contract's shape. shapeErr
// is the first error of the reply's shape, "" if none.
func (r *Runner) judgeBaseline(p *Probe, v platform.Vendor, rec *record.Record, reply platform.Reply, judged []record.Finding, answer platform.Answer, shapeErr string) {
	accepted, what := answer.Accepts, answer.What
	fail := func(msg string) {
		rec.Findings = append(rec.Findings, record.Finding{Severity: record.Error, Rule: RuleBaseline, Path: p.Name, Message: msg})
	}
	rec.Findings = append(rec.Findings, judged...)
	switch {
	case shapeErr != "" || (accepted && record.HasErrors(judged)):
		// The reply breaks the contract (an ErrorCode as a string, a
		// missing field): the app ID and token were fine, and pointing
		// at them would send the user the wrong way. The reply's own
		// error says what to fix.
		fail(fmt.Sprintf("a valid callback got a reply that breaks the contract (its error %s): the other probes cannot tell a refusal from a broken reply; fix the reply first", firstError(judged)))
	case !accepted || record.HasErrors(judged):
		fail(fmt.Sprintf("a valid callback was not accepted (%s): the other probes cannot tell a refusal from a broken setup; %s", what, v.ProbeWords().Baseline))
	default:
		rec.Findings = append(rec.Findings, record.Finding{Severity: record.Info, Rule: RuleBaseline, Path: p.Name, Message: "a valid callback was accepted: " + what})
		r.baselines.Store(p.Vendor+" "+p.Command, errorCode(v, reply))
	}
}
