package probe

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/validate"
)

func builder(t *testing.T, token string) (*Builder, *fixtures.Entry) {
	t.Helper()
	e, _, ok := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	if !ok {
		t.Fatal("no entry")
	}
	now := time.Unix(1_800_000_000, 0)
	gen := func(e *fixtures.Entry, i int) ([]byte, error) {
		return generate.Generate(e, generate.GenOptions{Seed: uint64(i), Now: now})
	}
	return &Builder{Target: "http://127.0.0.1:9/cb?x=1", Gen: gen, Now: func() time.Time { return now },
		Params: platform.Params{SdkAppID: "1400000005", Token: token, Now: func() time.Time { return now }}}, e
}

// Each security probe is otherwise valid, and platform's own request check
// (what serve applies) refuses it with the expected rule.
func TestSecurityProbesAreRefusedByTheRequestCheck(t *testing.T) {
	b, e := builder(t, "tok")
	ps, err := b.Security(e)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"security.wrong_sdkappid":     platform.RuleSdkAppID,
		"security.no_sign":            platform.RuleSign,
		"security.bad_sign":           platform.RuleSign,
		"security.stale_request_time": platform.RuleRequestTime,
	}
	if len(ps) != len(want) {
		t.Fatalf("%d probes", len(ps))
	}
	exp := platform.Expect{SdkAppID: "1400000005", Token: "tok", Now: b.Now}
	for _, p := range ps {
		req := p.Exchanges[0].Req
		if !strings.HasPrefix(req.URL.RawQuery, "x=1&SdkAppid=") || !strings.Contains(req.URL.RawQuery, "&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&") {
			t.Errorf("%s: the query lost the platform's order: %s", p.Name, req.URL.RawQuery)
		}
		var errs []string
		for _, f := range platform.Tencent.CheckRequest(req, p.Exchanges[0].Body, e, exp) {
			if f.Severity == record.Error {
				errs = append(errs, f.Rule)
			}
		}
		if len(errs) != 1 || errs[0] != want[p.Name] {
			t.Errorf("%s: request check errors %v, want [%s]", p.Name, errs, want[p.Name])
		}
	}
	q := ps[3].Exchanges[0].Req.URL.Query()
	if rt, _ := strconv.ParseInt(q.Get("RequestTime"), 10, 64); rt != b.Now().Add(-10*time.Minute).Unix() {
		t.Errorf("stale RequestTime %d", rt)
	}
	if q := ps[1].Exchanges[0].Req.URL.Query(); q.Has("Sign") || !q.Has("RequestTime") {
		t.Errorf("no_sign: %v", q)
	}
	// The baseline passes the same check.
	base, _ := b.Baseline(e)
	if fs := platform.Tencent.CheckRequest(base.Exchanges[0].Req, nil, e, exp); record.HasErrors(fs) {
		t.Errorf("baseline: %v", fs)
	}
	// Without a token only the SdkAppid probe.
	b2, _ := builder(t, "")
	if ps, _ := b2.Security(e); len(ps) != 1 || ps[0].Name != "security.wrong_sdkappid" {
		t.Errorf("%v", ps)
	}
	oe, _, _ := fixtures.Default().Lookup("callbackAfterSendSingleMsgCommand")
	if ps, err := b.Security(oe); err != nil || len(ps) != 0 {
		t.Errorf("security probes of an OpenIM callback (its requests carry nothing to forge): %v %v", ps, err)
	}
}

func TestRobustnessBodies(t *testing.T) {
	b, e := builder(t, "")
	ps, err := b.Robustness(e)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*Probe{}
	for _, p := range ps {
		by[strings.TrimPrefix(p.Name, "robustness.")] = p
	}
	body := func(name string, i int) []byte { return by[name].Exchanges[i].Body }
	if gjson.ValidBytes(body("malformed_json", 0)) {
		t.Error("malformed_json is valid JSON")
	}
	if gjson.GetBytes(body("missing_required", 0), "MsgKey").Exists() || !gjson.GetBytes(body("missing_required", 0), "CallbackCommand").Exists() {
		t.Error("missing_required")
	}
	if gjson.GetBytes(body("wrong_types", 0), "From_Account").Type != gjson.Number {
		t.Error("wrong_types")
	}
	if len(body("oversized_body", 0)) <= 1<<20 {
		t.Error("oversized_body")
	}
	u := body("unicode_strings", 0)
	if !gjson.ValidBytes(u) || !strings.Contains(string(u), `\u0000`) || !strings.Contains(gjson.GetBytes(u, "From_Account").Str, "👍") {
		t.Errorf("unicode_strings: %s", u)
	}
	if q := by["unknown_command"].Exchanges[0].Req.URL.Query().Get("CallbackCommand"); q != "C2C.CallbackAfterImhookProbe" {
		t.Errorf("unknown_command: %s", q)
	}
	if d := by["duplicate_message"]; len(d.Exchanges) != 2 || string(d.Exchanges[0].Body) != string(d.Exchanges[1].Body) {
		t.Error("duplicate_message")
	}
	o := by["out_of_order"]
	if gjson.GetBytes(o.Exchanges[1].Body, "MsgTime").Int() >= gjson.GetBytes(o.Exchanges[0].Body, "MsgTime").Int() {
		t.Error("out_of_order")
	}
	// The retried delivery is the same body again, after a timeout-like gap.
	if r := by["retried_delivery"]; r == nil || len(r.Exchanges) != 2 || string(r.Exchanges[0].Body) != string(r.Exchanges[1].Body) ||
		r.Exchanges[0].AfterTimeout || !r.Exchanges[1].AfterTimeout {
		t.Errorf("retried_delivery: %+v", r)
	}
	// No retried delivery where the platform does not retry.
	for _, cmd := range []string{"C2C.CallbackBeforeSendMsg", "callbackAfterSendSingleMsgCommand"} {
		other, _, _ := fixtures.Default().Lookup(cmd)
		ps, err := b.Robustness(other)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.Name == "robustness.retried_delivery" {
				t.Errorf("%s has a retried delivery: its platform does not retry it", cmd)
			}
		}
	}
}

// A retried delivery waits the budget before its second request, and both
// requests are judged: a backend that refuses the copy fails the probe.
func TestRetriedDeliveryWaitsAndJudgesBoth(t *testing.T) {
	b, e := builder(t, "")
	ps, _ := b.Robustness(e)
	var p *Probe
	for _, x := range ps {
		if x.Name == "robustness.retried_delivery" {
			p = x
		}
	}
	var seen [][]byte
	var at []time.Time
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen, at = append(seen, body), append(at, time.Now())
		n := len(seen)
		mu.Unlock()
		if n > 1 {
			w.WriteHeader(http.StatusInternalServerError) // "already processed"
			return
		}
		_, _ = w.Write([]byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`))
	}))
	defer srv.Close()
	for i := range p.Exchanges {
		u := *p.Exchanges[i].Req.URL
		su, _ := url.Parse(srv.URL)
		u.Scheme, u.Host = su.Scheme, su.Host
		p.Exchanges[i].Req.URL = &u
	}
	const gap = 50 * time.Millisecond
	res := (&Runner{Timeout: gap}).Run(context.Background(), p)
	if len(res) != 2 || len(seen) != 2 || !bytes.Equal(seen[0], seen[1]) {
		t.Fatalf("%d results, %d requests", len(res), len(seen))
	}
	if d := at[1].Sub(at[0]); d < gap {
		t.Errorf("the retry came %s after the first request; the gap is %s", d, gap)
	}
	if res[0].Record.Verdict != record.Pass || res[1].Record.Verdict != record.Fail {
		t.Errorf("verdicts %s, %s: the refused copy must fail", res[0].Record.Verdict, res[1].Record.Verdict)
	}
}

func TestRunnerVerdicts(t *testing.T) {
	b, e := builder(t, "tok")
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		rule    string
		verdict record.Verdict
	}{
		{"ok", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`))
		}, RuleAccepted, record.Fail},
		{"fail", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`{"ActionStatus":"FAIL","ErrorInfo":"bad sign","ErrorCode":1}`))
		}, RuleRefused, record.Pass},
		{"403", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(403) }, RuleRefused, record.Pass},
		{"500", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }, RuleRobustness, record.Fail},
		{"html", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<html><body>hi</body></html>")) }, RuleRobustness, record.Fail},
		{"reset", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0) // RST, not FIN
				conn.Close()
			}
		}, RuleRobustness, record.Fail},
		{"hang", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // so that the server notices the client going away
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}, RuleRobustness, record.Fail},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			b.Target = srv.URL
			ps, _ := b.Security(e)
			res := (&Runner{Timeout: 150 * time.Millisecond}).Run(context.Background(), ps[2])
			rec := res[0].Record
			var rules []string
			for _, f := range rec.Findings {
				if strings.HasPrefix(f.Rule, "probe.") {
					rules = append(rules, f.Rule)
					if f.Path != "security.bad_sign" {
						t.Errorf("path %q", f.Path)
					}
				}
			}
			if len(rules) != 1 || rules[0] != c.rule || rec.Verdict != c.verdict {
				t.Errorf("rules %v verdict %s; want %s %s\n%+v", rules, rec.Verdict, c.rule, c.verdict, rec.Findings)
			}
		})
	}
}

// Every callback with nullable fields gets a null_fields probe whose body
// is valid (null passes where the catalogue says nullable) and holds each
// of them null; callbacks without nullable fields get none.
func TestNullFieldsProbeBodies(t *testing.T) {
	b, _ := builder(t, "")
	n := 0
	for _, e := range fixtures.Default().Entries() {
		b.Target = "http://127.0.0.1:9/cb"
		p, err := b.NullFields(e)
		if err != nil {
			t.Fatalf("%s: %v", e.Command, err)
		}
		if p == nil {
			continue
		}
		n++
		body := p.Exchanges[0].Body
		if fs := validate.Payload(e, body); record.HasErrors(fs) {
			t.Errorf("%s: the null_fields body has errors: %v\n%s", e.Command, fs, body)
		}
		if !p.Valid || p.Kind != Robustness || !strings.Contains(p.Risk, "null") {
			t.Errorf("%s: %+v", e.Command, p)
		}
		var paths []string
		nullPaths(e.Fields, gjson.ParseBytes(body), "", &paths)
		for _, path := range paths {
			if v := gjson.GetBytes(body, path); v.Type != gjson.Null {
				t.Errorf("%s: %s is %s", e.Command, path, v.Raw)
			}
		}
	}
	if n < 10 {
		t.Errorf("%d callbacks have a null_fields probe", n)
	}
	e, _, _ := fixtures.Default().Lookup("callbackBeforeOnlinePushCommand")
	p, _ := b.NullFields(e)
	if p == nil || gjson.GetBytes(p.Exchanges[0].Body, "atUserIDList").Type != gjson.Null {
		t.Fatalf("callbackBeforeOnlinePushCommand: %+v", p)
	}
}

// sink collects a producer's events.
type sink struct {
	mu     sync.Mutex
	events []run.Event
}

func (s *sink) Emit(ev run.Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	return true
}
func (s *sink) Context() context.Context { return context.Background() }
func (s *sink) Progress() *run.Progress  { return &run.Progress{} }
func (s *sink) Merge(*run.Summary)       {}
func (s *sink) WantsRecords() bool       { return true }
func (s *sink) Note(string, ...any)      {}

// A failed baseline leaves its vendor's probes after it not judged, up to
// that vendor's next baseline; another vendor's probes are judged.
func TestProducerNotJudgedAfterAFailedBaseline(t *testing.T) {
	b, e := builder(t, "tok")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }))
	defer srv.Close()
	b.Target = srv.URL
	base, err := b.Baseline(e)
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := b.Security(e)
	oe, _, _ := fixtures.Default().Lookup("callbackAfterSendSingleMsgCommand")
	rob, err := b.Robustness(oe) // another vendor's probe, after the failed baseline
	if err != nil {
		t.Fatal(err)
	}
	other, late := rob[0], sec[1] // late: the vendor's own, after the other's
	probes := []*Probe{base, sec[0], other, late, base, sec[2]}
	var s sink
	if err := (&Runner{Timeout: time.Second}).Producer(probes)(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range s.events {
		switch {
		case ev.NotJudged != nil:
			if !strings.Contains(ev.NotJudged.Reason, "failed, so its probes were not sent") || ev.NotJudged.Case == nil || ev.NotJudged.Case.Skipped == nil {
				t.Errorf("not judged: %+v", ev.NotJudged)
			}
			got = append(got, "not judged "+ev.NotJudged.Name)
		default:
			got = append(got, string(ev.Record.Verdict)+" "+ev.Case.Name)
		}
	}
	want := []string{
		"fail baseline.valid C2C.CallbackAfterSendMsg",
		"not judged " + sec[0].Name,
		"pass " + other.Name + " callbackAfterSendSingleMsgCommand",
		"not judged " + late.Name,
		"fail baseline.valid C2C.CallbackAfterSendMsg",
		"not judged " + sec[2].Name,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A baseline accepted with a reply that breaks the contract (ErrorCode as a
// string) fails with that reply's error, not with advice about the app ID
// and token: the setup was fine, and the user must fix the reply.
func TestBaselineWithABrokenReplySaysWhatToFix(t *testing.T) {
	b, e := builder(t, "tok")
	for _, c := range []struct {
		name, body, want, not string
	}{
		{"string code", `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":"0"}`,
			"a reply that breaks the contract (its error response.type ErrorCode)", "--sdkappid"},
		{"refused", `{"ActionStatus":"FAIL","ErrorInfo":"bad sign","ErrorCode":1}`,
			"a valid callback was not accepted", "breaks the contract"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(c.body)) }))
			defer srv.Close()
			b.Target = srv.URL
			p, err := b.Baseline(e)
			if err != nil {
				t.Fatal(err)
			}
			rec := (&Runner{Timeout: time.Second}).Run(context.Background(), p)[0].Record
			var msg string
			for _, f := range rec.Findings {
				if f.Rule == RuleBaseline {
					msg = f.Message
				}
			}
			if rec.Verdict != record.Fail || !strings.Contains(msg, c.want) || strings.Contains(msg, c.not) {
				t.Errorf("verdict %s, baseline finding %q; want %q without %q", rec.Verdict, msg, c.want, c.not)
			}
		})
	}
}

// allProbes are the security and the robustness probes of e (the baseline
// once), as one run of each builds them with one generator.
func allProbes(t *testing.T, b *Builder, e *fixtures.Entry) []*Probe {
	t.Helper()
	var out []*Probe
	for i, kind := range []string{Security, Robustness} {
		ps, err := List(kind, []*fixtures.Entry{e}, nil, func(*fixtures.Entry) *Builder { return b })
		if err != nil {
			t.Fatalf("%s: %v", e.Command, err)
		}
		if i > 0 {
			ps = ps[1:] // the same baseline
		}
		out = append(out, ps...)
	}
	return out
}

// Every probe of every callback sends a message of its own: no identity
// field's value (MsgKey, MsgSeq, clientMsgID, operationID: the vendor's
// ProbeWords.Identity) is in two probes, and within a probe only the
// second request of duplicate_message and retried_delivery repeats the
// first, which its Repeats says.
func TestProbesSendFreshMessages(t *testing.T) {
	b, _ := builder(t, "tok")
	b.Target = "http://imhook:s3cret@127.0.0.1:9/cb" // OpenIM's Basic-auth forgeries too
	withIDs := map[string]int{}
	for _, e := range fixtures.Default().Entries() {
		owner := map[string]string{} // "field value" -> the probe that sent it
		for _, p := range allProbes(t, b, e) {
			repeats := p.Name == "robustness.duplicate_message" || p.Name == "robustness.retried_delivery"
			for i, ex := range p.Exchanges {
				ids := Identities(e, ex.Body)
				if i == 1 && repeats {
					if !bytes.Equal(ex.Body, p.Exchanges[0].Body) || !strings.Contains(ex.Repeats, "request 1") {
						t.Errorf("%s %s: request 2 is not the first again, or does not say so (%q)", e.Command, p.Name, ex.Repeats)
					}
					continue
				}
				if ex.Repeats != "" {
					t.Errorf("%s %s: request %d says it repeats: %q", e.Command, p.Name, i+1, ex.Repeats)
				}
				if len(ids) > 0 {
					withIDs[e.Vendor]++
				}
				for _, id := range ids {
					key := id.Path[strings.LastIndex(id.Path, ".")+1:] + " " + id.Value
					if prev, ok := owner[key]; ok {
						t.Errorf("%s: %s is in %s and in %s request %d", e.Command, key, prev, p.Name, i+1)
					}
					owner[key] = fmt.Sprintf("%s request %d", p.Name, i+1)
				}
			}
		}
	}
	// The check is not empty: most callbacks carry an identity.
	if withIDs["tencent"] < 150 || withIDs["openim"] < 150 {
		t.Errorf("requests with an identity: %v", withIDs)
	}
}

// The probes meant as valid callbacks (the baseline, the duplicate, the
// retried delivery, the messages out of order) send bodies the catalogue
// finds no error in, for every callback; unicode_strings keeps a string
// the platform sends as JSON text (OpenIM's content) JSON text, with the
// strange text inside it.
func TestValidProbesSendWhatThePlatformCould(t *testing.T) {
	b, _ := builder(t, "")
	valid := map[string]bool{"baseline.valid": true, "robustness.duplicate_message": true, "robustness.retried_delivery": true, "robustness.out_of_order": true}
	jsonText := 0
	for _, e := range fixtures.Default().Entries() {
		for _, p := range allProbes(t, b, e) {
			for i, ex := range p.Exchanges {
				if valid[p.Name] {
					if fs := validate.Payload(e, ex.Body); record.HasErrors(fs) {
						t.Errorf("%s %s request %d: %v\n%s", e.Command, p.Name, i+1, fs, ex.Body)
					}
				}
				if p.Name != "robustness.unicode_strings" {
					continue
				}
				for _, f := range e.Fields {
					if f.Text == nil || f.Text.JSON == "" {
						continue
					}
					v := gjson.GetBytes(ex.Body, gjsonEscape(f.Name))
					if !gjson.Valid(v.Str) || !strings.Contains(v.Str, "中文") || !strings.Contains(v.Str, `\ud800`) {
						t.Errorf("%s: unicode_strings' %s is not JSON text with the strange text inside: %s", e.Command, f.Name, v.Raw)
					}
					jsonText++
				}
			}
		}
	}
	if jsonText < 9 {
		t.Errorf("%d JSON-text fields decorated", jsonText)
	}
	// The catalogue's mark of such a field (a text whose place is a path
	// inside the string's JSON) is true of the documents' samples too.
	for _, e := range fixtures.Default().Entries() {
		for _, f := range e.Fields {
			if v := gjson.GetBytes(e.Sample, gjsonEscape(f.Name)); f.Text != nil && f.Text.JSON != "" && v.Exists() && !gjson.Valid(v.Str) {
				t.Errorf("%s: the sample's %s is not JSON text: %s", e.Command, f.Name, v.Raw)
			}
		}
	}
}
