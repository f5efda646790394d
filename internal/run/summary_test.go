package run

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/internal/located"
	"github.com/imhook/imhook/record"
)

func obs(verdict record.Verdict, status int, lat time.Duration, fs ...record.Finding) *Observation {
	return &Observation{Vendor: "v", Command: "C", Verdict: verdict, Status: status, Latency: lat, Findings: fs}
}

func TestSummaryCounts(t *testing.T) {
	s := NewSummary("t")
	s.Observe(obs(record.Pass, 200, time.Millisecond, record.Finding{Severity: record.Info, Rule: "i"}, record.Finding{Severity: record.Warning, Rule: "w"}))
	s.Observe(obs(record.Fail, 500, 2*time.Millisecond, record.Finding{Severity: record.Error, Rule: "e"}))
	s.Observe(&Observation{Vendor: "v", Command: "C", Verdict: record.NoReply, Latency: 100 * time.Millisecond, BudgetMiss: true, Err: "late",
		Findings: []record.Finding{{Severity: record.Error, Rule: RuleTimeout}}})
	s.Observe(&Observation{Vendor: "v", Command: "D", Verdict: record.NoReply, Latency: time.Microsecond, Unreachable: true, Err: "refused"})
	cb := s.Callbacks["C"]
	switch {
	case s.Exchanges != 4 || s.Verdicts[record.Pass] != 1 || s.Verdicts[record.Fail] != 1 || s.Verdicts[record.NoReply] != 2:
		t.Errorf("verdicts %v", s.Verdicts)
	case s.Warnings != 1 || cb.Findings["info i"] != 0 || cb.Findings["warning w"] != 1 || cb.Findings["error e"] != 1:
		t.Errorf("findings %v, warnings %d (info findings are not counted)", cb.Findings, s.Warnings)
	case cb.Exchanges != 3 || cb.Failed != 2 || cb.BudgetMisses != 1 || s.BudgetMisses != 1:
		t.Errorf("callback %+v", cb)
	case s.Unreachable != 1 || s.FirstUnreachable != "refused" || s.FirstError != "late":
		t.Errorf("unreachable %d %q, first error %q", s.Unreachable, s.FirstUnreachable, s.FirstError)
	// The unreachable one is not in the latencies; the late one is, at
	// the time waited.
	case s.Latencies() != 3 || s.NoReplyWaited != 1 || s.Max() < 100*time.Millisecond:
		t.Errorf("latencies %d, waited %d, max %s", s.Latencies(), s.NoReplyWaited, s.Max())
	}
}

// Every count survives a merge, and JSON: a merge of decoded summaries is
// the summary of all the exchanges.
func TestSummaryMergeAndJSON(t *testing.T) {
	a, b, all := NewSummary("a"), NewSummary("b"), NewSummary("all")
	for i := 0; i < 50; i++ {
		o := obs(record.Pass, 200, time.Duration(i+1)*time.Millisecond, record.Finding{Severity: record.Warning, Rule: "w"})
		o.Outcome = record.OutcomeOK
		if i%10 == 0 {
			o = &Observation{Vendor: "v", Command: "X", Verdict: record.NoReply, Latency: time.Second, Unreachable: i == 0, BudgetMiss: true, Err: "e", Check: &Check{Passed: false}}
		}
		dst := a
		if i%2 == 1 {
			dst = b
		}
		dst.Observe(o)
		all.Observe(o)
	}
	a.Input = InputSummary{Items: 3, Problems: 2, Errors: 1, Unreadable: 1, Skipped: 1}
	all.Input = a.Input
	a.Start, a.End = time.Unix(100, 0), time.Unix(110, 0)
	b.Start, b.End = time.Unix(105, 0), time.Unix(120, 0)
	all.Start, all.End = time.Unix(100, 0), time.Unix(120, 0)
	decode := func(s *Summary) *Summary {
		j, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var d Summary
		if err := json.Unmarshal(j, &d); err != nil {
			t.Fatal(err)
		}
		return &d
	}
	merged := NewSummary("merged")
	merged.Merge(decode(a))
	merged.Merge(decode(b))
	want, got := decode(all), decode(merged)
	want.Name, got.Name = "", ""
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if string(wj) != string(gj) {
		t.Errorf("merged\n%s\nwant\n%s", gj, wj)
	}
	if got.Unreachable != 1 || got.Checks.Failed != 5 || got.Input.Unreadable != 1 || got.Elapsed() != 20*time.Second ||
		got.Percentile(50) != all.Percentile(50) || got.Latencies() != all.Latencies() {
		t.Errorf("merged: unreachable %d, checks %+v, input %+v, elapsed %s, p50 %s (want %s)", got.Unreachable, got.Checks, got.Input,
			got.Elapsed(), got.Percentile(50), all.Percentile(50))
	}
	var bad Summary
	if err := json.Unmarshal([]byte(`{"summary":{"histogram":"bm90"}}`), &bad); err == nil {
		t.Error("a summary with a broken histogram decoded")
	}
	if err := json.Unmarshal([]byte(`{"time":"x"}`), &bad); err == nil {
		t.Error("a record decoded as a summary")
	}
}

func TestSummaryErr(t *testing.T) {
	var ue *UnreachableError
	var ie *InputError
	var ce *ContractError
	s := NewSummary("")
	if s.Err() != nil {
		t.Error("an empty run failed")
	}
	s.Observe(&Observation{Verdict: record.NoReply, Unreachable: true, Err: "refused"})
	if !errors.As(s.Err(), &ue) || ue.Reason != "refused" {
		t.Errorf("all unreachable: %v", s.Err())
	}
	s.Observe(obs(record.Pass, 200, time.Millisecond))
	if !errors.As(s.Err(), &ce) {
		t.Errorf("one unreachable after one reached: %v", s.Err())
	}
	s.Input.Unreadable = 1
	if !errors.As(s.Err(), &ie) {
		t.Errorf("an unreadable input: %v", s.Err())
	}
	c := NewSummary("")
	c.Observe(&Observation{Verdict: record.Fail, Check: &Check{Passed: true}})
	if c.Err() != nil {
		t.Errorf("a failed verdict that its check expected: %v", c.Err())
	}
}

// The chain stops at the first exchange that cannot reach the target when
// none has, goes on after one has, and stops after --max-failures.
func TestChainStopPolicy(t *testing.T) {
	rec := func(v record.Verdict) *record.Record { return &record.Record{Vendor: "v", Command: "C", Verdict: v} }
	c := NewChain(context.Background(), Options{})
	if c.Emit(Event{Record: rec(record.NoReply), Unreachable: true}) {
		t.Error("the run went on after the first exchange found the door closed")
	}
	c = NewChain(context.Background(), Options{})
	c.Emit(Event{Record: rec(record.Pass)})
	if !c.Emit(Event{Record: rec(record.NoReply), Unreachable: true}) {
		t.Error("the run stopped at an unreachable exchange after one reached the target")
	}
	c = NewChain(context.Background(), Options{MaxFailures: 2})
	if !c.Emit(Event{Record: rec(record.Fail)}) || c.Emit(Event{Record: rec(record.Fail)}) || c.Context().Err() == nil {
		t.Error("--max-failures 2 did not stop at the second failure")
	}
	// Input problems are counted, shown and do not stop the run.
	var shown []string
	c = NewChain(context.Background(), Options{Problem: func(f *located.Finding) { shown = append(shown, f.Rule) }})
	if !c.Emit(Event{Problem: &located.Finding{File: "f", Line: 2, Finding: record.Finding{Severity: record.Error, Rule: "input.json"}}}) ||
		len(shown) != 1 || c.Summary().Input.Errors != 1 {
		t.Errorf("problem: shown %v, input %+v", shown, c.Summary().Input)
	}
}

// A record file that cannot be written stops the run with an output
// error; the JUnit report is written at the end.
func TestChainOutputs(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	full.Close()
	w, err := record.OpenFile("/dev/full")
	if err != nil {
		t.Fatal(err)
	}
	c := NewChain(context.Background(), Options{Record: w, RecordPath: "/dev/full"})
	err = Run(context.Background(), c, func(ctx context.Context, sink Sink) error {
		for i := 0; i < 3; i++ {
			if !sink.Emit(Event{Record: &record.Record{Command: "C", Verdict: record.Pass}}) {
				return nil
			}
		}
		t.Error("the run went on after a record could not be written")
		return nil
	})
	var oe *OutputError
	if !errors.As(err, &oe) || oe.Flag != "--record" || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("%v", err)
	}
	j, err := os.CreateTemp(t.TempDir(), "j*.xml")
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	c = NewChain(context.Background(), Options{Name: "t", Mode: "simulate", JUnit: j, JUnitPath: j.Name(), SummaryText: &text})
	err = Run(context.Background(), c, func(ctx context.Context, sink Sink) error {
		sink.Emit(Event{Record: &record.Record{Vendor: "v", Command: "C", Verdict: record.Fail}})
		return nil
	})
	b, _ := os.ReadFile(j.Name())
	var ce *ContractError
	if !errors.As(err, &ce) || !strings.Contains(string(b), `name="simulate #1 C"`) || !strings.Contains(text.String(), "1 callback(s): 0 passed, 1 failed") {
		t.Errorf("%v\n%s\n%s", err, b, text.String())
	}
}

// Checks a producer did not make are counted, said first after the counts,
// kept through JSON and a merge, and fail the run with their reason; the
// chain hands them to its display and the JUnit report.
func TestSummaryNotJudged(t *testing.T) {
	var shown []string
	f, err := os.CreateTemp(t.TempDir(), "j*.xml")
	if err != nil {
		t.Fatal(err)
	}
	c := NewChain(context.Background(), Options{Name: "t", JUnit: f, NotJudged: func(nj *NotJudged) { shown = append(shown, nj.Name) }})
	why := "the baseline of X failed: refused"
	for _, n := range []string{"a", "b"} {
		c.Emit(Event{NotJudged: &NotJudged{Vendor: "v", Command: "C", Name: n, Reason: why, Case: nil}})
	}
	s := c.Summary()
	if s.NotJudged != 2 || s.FirstNotJudged != why || s.Exchanges != 0 || strings.Join(shown, ",") != "a,b" {
		t.Fatalf("%+v %v", s, shown)
	}
	if lines := strings.Split(s.Text(nil), "\n"); lines[1] != "not judged 2 check(s): "+why {
		t.Errorf("text:\n%s", s.Text(nil))
	}
	var ce *ContractError
	if err := s.Err(); !errors.As(err, &ce) || !strings.Contains(err.Error(), why) {
		t.Errorf("Err: %v", err)
	}
	b, _ := s.MarshalJSON()
	var back Summary
	if err := back.UnmarshalJSON(b); err != nil || back.NotJudged != 2 || back.FirstNotJudged != why {
		t.Fatalf("round trip: %+v %v\n%s", back, err, b)
	}
	m := NewSummary("m")
	m.Merge(&back)
	m.Merge(&back)
	if m.NotJudged != 4 || m.FirstNotJudged != why {
		t.Errorf("merge: %d %q", m.NotJudged, m.FirstNotJudged)
	}
	c.Close(context.Background(), nil)
}

func BenchmarkSummaryObserve(b *testing.B) {
	s := NewSummary("")
	o := &Observation{Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg", Status: 200, Latency: 300 * time.Microsecond,
		Verdict: record.Pass, Outcome: record.OutcomeOK}
	b.ReportAllocs()
	for b.Loop() {
		s.Observe(o)
	}
}

// A Tally, flushed, leaves the summary that Observe of each exchange
// leaves: over runs of like exchanges broken by unlike ones (another
// status, verdict, outcome or callback, a finding, a late reply, no reply,
// an unreachable target, a check).
func TestTallyMatchesObserve(t *testing.T) {
	warn := record.Finding{Severity: record.Warning, Rule: "w"}
	kinds := []Observation{
		{Vendor: "tencent", Command: "A", Status: 200, Verdict: record.Pass, Outcome: record.OutcomeOK},
		{Vendor: "tencent", Command: "B", Status: 200, Verdict: record.Pass, Outcome: record.OutcomeOK},
		{Vendor: "tencent", Command: "A", Status: 500, Verdict: record.Fail},
		{Vendor: "openim", Command: "A", Status: 200, Verdict: record.Pass, Outcome: record.OutcomeContinue},
		{Vendor: "tencent", Command: "A", Status: 200, Verdict: record.Fail, Outcome: record.OutcomeFail},
		{Vendor: "tencent", Command: "A", Status: 200, Verdict: record.Pass, Outcome: record.OutcomeOK, Findings: []record.Finding{warn}},
		{Vendor: "tencent", Command: "A", Status: 200, Verdict: record.Fail, Outcome: record.OutcomeOK, BudgetMiss: true},
		{Vendor: "tencent", Command: "A", Verdict: record.NoReply, Err: "no reply", BudgetMiss: true},
		{Vendor: "tencent", Command: "A", Verdict: record.NoReply, Err: "refused", Unreachable: true},
		{Vendor: "tencent", Command: "A", Status: 200, Verdict: record.Pass, Check: &Check{Passed: true}},
	}
	plainSum, tallied := NewSummary(""), NewSummary("")
	ta := NewTally(tallied)
	seed := uint64(7)
	for i := 0; i < 5000; i++ {
		seed = seed*6364136223846793005 + 1442695040888963407
		k := kinds[0]
		if seed>>60 < 6 { // mostly runs of the first kind
			k = kinds[(seed>>32)%uint64(len(kinds))]
		}
		k.Latency = time.Duration(seed>>40%5000) * time.Microsecond
		plainSum.Observe(&k)
		ta.Observe(&k)
	}
	ta.Flush()
	ta.Flush()
	want, _ := plainSum.MarshalJSON()
	got, _ := tallied.MarshalJSON()
	if string(got) != string(want) {
		t.Fatalf("tallied:\n%s\nobserved:\n%s", got, want)
	}
}

// BenchmarkTallyObserve is BenchmarkSummaryObserve through a Tally (the
// load engine's workers).
func BenchmarkTallyObserve(b *testing.B) {
	ta := NewTally(NewSummary(""))
	o := &Observation{Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg", Status: 200, Latency: 300 * time.Microsecond,
		Verdict: record.Pass, Outcome: record.OutcomeOK}
	b.ReportAllocs()
	for b.Loop() {
		ta.Observe(o)
	}
	ta.Flush()
}
