package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/imhook/imhook/record"
)

// Observation is what the summary counts of one exchange. Producers that
// keep no record (a load run without --record) give it straight to a
// Summary; everything else is made from an Event (Summary.Add).
type Observation struct {
	Vendor, Command string
	// Status is the reply's HTTP status; 0 when no reply came.
	Status int
	// Latency is the time to the reply, or the time waited for one that
	// did not come (0 when the target could not be reached at all).
	Latency  time.Duration
	Verdict  record.Verdict
	Outcome  record.Outcome
	Findings []record.Finding
	// Unreachable: the target could not be reached (refused, DNS, TLS).
	Unreachable bool
	// BudgetMiss: the reply came late, or not within the budget.
	BudgetMiss bool
	// Err is why no reply came.
	Err string
	// Check is the producer's own judgement of the exchange (a suite
	// step's expectations); nil when the verdict is the judgement.
	Check *Check
}

// CallbackSummary is what the summary knows of one callback.
type CallbackSummary struct {
	Vendor       string           `json:"vendor"`
	Exchanges    int64            `json:"exchanges"`
	Failed       int64            `json:"failed"` // verdict fail or no reply
	BudgetMisses int64            `json:"budget_misses,omitempty"`
	Findings     map[string]int64 `json:"findings,omitempty"` // by "severity rule"
}

// InputSummary counts the items of a producer that reads an input (replay).
type InputSummary struct {
	Items      int64 `json:"items"`
	Problems   int64 `json:"problems"`   // corrupt lines, unknown callbacks
	Errors     int64 `json:"errors"`     // problems of severity error (exit 1)
	Unreadable int64 `json:"unreadable"` // files that could not be read (exit 2)
	Skipped    int64 `json:"skipped"`    // filtered out
}

// Summary sums up a run, or recordings of runs (imhook report): counts by
// verdict, outcome, status, vendor and callback, findings by callback and
// rule, budget misses, and the latencies in an HDR histogram (1 µs to 10
// min, 3 significant digits). An exchange that got no reply is counted in
// the latencies at the time waited for it, so a slow target cannot hide in
// the percentiles. Memory does not grow with the number of exchanges, only
// with the number of distinct callbacks, rules and statuses. A Summary is
// not safe for concurrent use: give each goroutine its own and Merge them.
type Summary struct {
	// Name says what was summed up ("imhook simulate", "imhook report").
	Name string
	// Start and End bound the run (its first exchange to its last reply).
	Start, End time.Time
	// TargetRate is the rate a load run aimed at (0: none).
	TargetRate float64

	Exchanges    int64
	Verdicts     map[record.Verdict]int64
	Outcomes     map[record.Outcome]int64
	Status       map[int]int64
	Callbacks    map[string]*CallbackSummary
	Warnings     int64
	BudgetMisses int64
	Unreachable  int64
	// NoReplyWaited counts the exchanges without a reply that are in the
	// latencies at the time waited.
	NoReplyWaited int64
	// Checks counts exchanges that a producer judged itself (suite steps).
	Checks struct{ Passed, Failed int64 }
	// NotJudged counts the checks a producer did not make (probes whose
	// baseline failed), and FirstNotJudged says why the first was not.
	NotJudged      int64
	FirstNotJudged string
	// Strict: warnings and unknown fields failed exchanges (--strict); the
	// text says so.
	Strict bool
	Input  InputSummary
	// FirstError is the first reason a reply did not come.
	FirstError string
	// FirstUnreachable is the first reason the target could not be reached.
	FirstUnreachable string

	// Parts are the run's parts (imhook check), in the order they began,
	// each with its own summary; empty for a run of one part.
	Parts []*Part

	hist *hdrhistogram.Histogram // microseconds
}

// Part is a part of a run (imhook check: "callbacks tencent", "burst
// openim"): its own summary and the wall time it took.
type Part struct {
	Name    string
	Elapsed time.Duration
	Summary *Summary
}

// Part returns the part of that name, adding it at the end when new.
func (s *Summary) Part(name string) *Part {
	for _, p := range s.Parts {
		if p.Name == name {
			return p
		}
	}
	p := &Part{Name: name, Summary: NewSummary(name)}
	p.Summary.Strict = s.Strict
	s.Parts = append(s.Parts, p)
	return p
}

// histogram bounds: 1 µs to 10 minutes, 3 significant digits.
const (
	histMin = 1
	histMax = int64(10 * time.Minute / time.Microsecond)
)

// NewSummary returns an empty summary.
func NewSummary(name string) *Summary {
	return &Summary{Name: name, Verdicts: map[record.Verdict]int64{}, Outcomes: map[record.Outcome]int64{},
		Status: map[int]int64{}, Callbacks: map[string]*CallbackSummary{},
		hist: hdrhistogram.New(histMin, histMax, 3)}
}

// Observe counts one exchange.
func (s *Summary) Observe(o *Observation) {
	s.Exchanges++
	s.Verdicts[o.Verdict]++
	if o.Outcome != "" {
		s.Outcomes[o.Outcome]++
	}
	if o.Status != 0 {
		s.Status[o.Status]++
	}
	cb := s.callback(o.Vendor, o.Command)
	cb.Exchanges++
	if o.Verdict == record.Fail || o.Verdict == record.NoReply {
		cb.Failed++
	}
	if !o.Unreachable && (o.Status != 0 || o.Latency > 0) {
		_ = s.hist.RecordValue(min(max(histMin, o.Latency.Microseconds()), histMax))
		if o.Status == 0 {
			s.NoReplyWaited++
		}
	}
	if o.BudgetMiss {
		s.BudgetMisses++
		cb.BudgetMisses++
	}
	if o.Unreachable {
		s.Unreachable++
		if s.FirstUnreachable == "" {
			s.FirstUnreachable = o.Err
		}
	}
	if o.Err != "" && s.FirstError == "" {
		s.FirstError = o.Err
	}
	for i := range o.Findings {
		f := &o.Findings[i]
		if f.Severity == record.Info {
			continue
		}
		if f.Severity == record.Warning {
			s.Warnings++
		}
		if cb.Findings == nil {
			cb.Findings = map[string]int64{}
		}
		cb.Findings[string(f.Severity)+" "+f.Rule]++
	}
	if o.Check != nil {
		if o.Check.Passed {
			s.Checks.Passed++
		} else {
			s.Checks.Failed++
		}
	}
}

func (s *Summary) callback(vendor, command string) *CallbackSummary {
	cb := s.Callbacks[command]
	if cb == nil {
		cb = &CallbackSummary{Vendor: vendor}
		s.Callbacks[command] = cb
	}
	return cb
}

// Add counts one event: an exchange or a problem with the input; an event
// of a part counts in the part's summary too.
func (s *Summary) Add(ev *Event) {
	if ev.Part != "" {
		in := *ev
		in.Part = ""
		s.Part(ev.Part).Summary.Add(&in)
	}
	if nj := ev.NotJudged; nj != nil {
		s.NotJudged++
		if s.FirstNotJudged == "" {
			s.FirstNotJudged = nj.Reason
		}
		return
	}
	if ev.Problem != nil {
		s.Input.Items++
		s.Input.Problems++
		if ev.Problem.Severity == record.Error {
			s.Input.Errors++
		}
		if ev.Unreadable {
			s.Input.Unreadable++
		}
		return
	}
	o := ObservationOf(ev.Record)
	o.Unreachable = ev.Unreachable
	o.Check = ev.Check
	if ev.Input {
		s.Input.Items++
	}
	s.Observe(&o)
	s.span(ev.Record)
}

// span widens [Start, End] to hold a record's exchange.
func (s *Summary) span(r *record.Record) {
	if r == nil || r.Time.IsZero() {
		return
	}
	end := r.Time
	if r.Response != nil {
		end = end.Add(time.Duration(r.Response.LatencyMS * float64(time.Millisecond)))
	} else {
		end = end.Add(time.Duration(r.WaitedMS * float64(time.Millisecond)))
	}
	if s.Start.IsZero() || r.Time.Before(s.Start) {
		s.Start = r.Time
	}
	if end.After(s.End) {
		s.End = end
	}
}

// ObservationOf is what a record tells the summary. Whether the target was
// unreachable is not in a record; a budget miss is its response.timeout
// finding.
func ObservationOf(r *record.Record) Observation {
	o := Observation{Vendor: r.Vendor, Command: r.Command, Verdict: r.Verdict, Outcome: r.Outcome, Findings: r.Findings, Err: r.Error}
	if r.Response != nil {
		o.Status = r.Response.Status
		o.Latency = time.Duration(r.Response.LatencyMS * float64(time.Millisecond))
	} else {
		o.Latency = time.Duration(r.WaitedMS * float64(time.Millisecond))
	}
	for _, f := range r.Findings {
		if f.Rule == RuleTimeout {
			o.BudgetMiss = true
			break
		}
	}
	if o.Verdict == "" {
		o.Verdict = record.VerdictOf(r.Response != nil, r.Findings)
	}
	return o
}

// RuleTimeout is the rule of a reply that missed its budget (the same
// string as platform.RuleTimeout; run does not import platform).
const RuleTimeout = "response.timeout"

// Merge adds o's counts to s; o is left as it was. Summaries of runs that
// ran side by side merge into the summary of one run over the union of
// their time spans.
func (s *Summary) Merge(o *Summary) {
	s.Exchanges += o.Exchanges
	addCounts(s.Verdicts, o.Verdicts)
	addCounts(s.Outcomes, o.Outcomes)
	addCounts(s.Status, o.Status)
	for cmd, c := range o.Callbacks {
		cb := s.callback(c.Vendor, cmd)
		cb.Exchanges += c.Exchanges
		cb.Failed += c.Failed
		cb.BudgetMisses += c.BudgetMisses
		if len(c.Findings) > 0 && cb.Findings == nil {
			cb.Findings = map[string]int64{}
		}
		addCounts(cb.Findings, c.Findings)
	}
	s.Warnings += o.Warnings
	s.BudgetMisses += o.BudgetMisses
	s.Unreachable += o.Unreachable
	s.NoReplyWaited += o.NoReplyWaited
	s.Checks.Passed += o.Checks.Passed
	s.Checks.Failed += o.Checks.Failed
	s.NotJudged += o.NotJudged
	if s.FirstNotJudged == "" {
		s.FirstNotJudged = o.FirstNotJudged
	}
	s.Input.Items += o.Input.Items
	s.Input.Problems += o.Input.Problems
	s.Input.Errors += o.Input.Errors
	s.Input.Unreadable += o.Input.Unreadable
	s.Input.Skipped += o.Input.Skipped
	if s.FirstError == "" {
		s.FirstError = o.FirstError
	}
	if s.FirstUnreachable == "" {
		s.FirstUnreachable = o.FirstUnreachable
	}
	if !o.Start.IsZero() && (s.Start.IsZero() || o.Start.Before(s.Start)) {
		s.Start = o.Start
	}
	if o.End.After(s.End) {
		s.End = o.End
	}
	s.TargetRate += o.TargetRate
	s.hist.Merge(o.hist)
}

func addCounts[K comparable](dst, src map[K]int64) {
	for k, v := range src {
		dst[k] += v
	}
}

// Failed counts exchanges that broke the contract or got no reply.
func (s *Summary) Failed() int64 { return s.Verdicts[record.Fail] + s.Verdicts[record.NoReply] }

// Elapsed is the run's span.
func (s *Summary) Elapsed() time.Duration {
	if s.Start.IsZero() || s.End.Before(s.Start) {
		return 0
	}
	return s.End.Sub(s.Start)
}

// Rate is exchanges per second over the run's span.
func (s *Summary) Rate() float64 {
	if e := s.Elapsed(); e > 0 {
		return float64(s.Exchanges) / e.Seconds()
	}
	return 0
}

// Percentile returns a latency percentile (0 to 100).
func (s *Summary) Percentile(p float64) time.Duration {
	return time.Duration(s.hist.ValueAtQuantile(p)) * time.Microsecond
}

// Max is the largest latency.
func (s *Summary) Max() time.Duration { return time.Duration(s.hist.Max()) * time.Microsecond }

// Latencies is how many exchanges are in the latencies.
func (s *Summary) Latencies() int64 { return s.hist.TotalCount() }

// Err is the run's result by the summary alone, in imhook's order: a target
// that could not be reached at all (UnreachableError, exit 3) before an
// input that could not be read (InputError, 2) before a broken contract or
// a failed check (ContractError, 1). Exchanges that reached nothing after
// others had reached the target count as failures, not as unreachable. A
// run of parts fails when a part does, each by its own rule (a suite by its
// steps, callbacks by their verdicts).
func (s *Summary) Err() error {
	if len(s.Parts) == 0 || s.Exchanges > 0 && s.Unreachable == s.Exchanges {
		return s.err()
	}
	var failed int64
	var names []string
	var input error
	for _, p := range s.Parts {
		var ce *ContractError
		var ie *InputError
		switch err := p.Summary.err(); {
		case err == nil:
			continue
		case errors.As(err, &ce):
			failed += ce.Failed
		case errors.As(err, &ie):
			if input == nil {
				input = err
			}
		default: // unreachable in this part, after other parts reached it
			failed += p.Summary.Unreachable
		}
		names = append(names, p.Name)
	}
	switch {
	case input != nil:
		return input
	case len(names) > 0:
		return &ContractError{Failed: failed, What: "failure(s) in " + strings.Join(names, ", ")}
	}
	return nil
}

// Failing reports whether a part failed by its own rule.
func (p *Part) Failing() bool { return p.Summary.err() != nil }

func (s *Summary) err() error {
	switch {
	case s.Exchanges > 0 && s.Unreachable == s.Exchanges:
		return &UnreachableError{Reason: s.FirstUnreachable}
	case s.Input.Unreadable > 0:
		return &InputError{Err: fmt.Errorf("%d input(s) could not be used (unreadable, empty or not JSON text)", s.Input.Unreadable)}
	case s.Checks.Passed+s.Checks.Failed > 0 && s.Checks.Failed > 0:
		return &ContractError{Failed: s.Checks.Failed, What: "step(s) failed"}
	case s.Checks.Passed+s.Checks.Failed == 0 && s.Failed() > 0:
		return &ContractError{Failed: s.Failed(), What: "exchange(s) broke the contract"}
	case s.Input.Errors > 0:
		return &ContractError{Failed: s.Input.Errors, What: "problem(s) in the input"}
	case s.NotJudged > 0:
		return &ContractError{Failed: s.NotJudged, What: "check(s) not judged: " + s.FirstNotJudged}
	}
	return nil
}

// wire is the JSON form of a summary.
type wire struct {
	Name          string                      `json:"name"`
	Start         *time.Time                  `json:"start,omitempty"`
	End           *time.Time                  `json:"end,omitempty"`
	ElapsedMS     float64                     `json:"elapsed_ms"`
	Exchanges     int64                       `json:"exchanges"`
	Rate          float64                     `json:"rate"`
	TargetRate    float64                     `json:"target_rate,omitempty"`
	Verdicts      map[record.Verdict]int64    `json:"verdicts"`
	Outcomes      map[record.Outcome]int64    `json:"outcomes"`
	Status        map[string]int64            `json:"status"`
	Vendors       map[string]int64            `json:"vendors"`
	Callbacks     map[string]*CallbackSummary `json:"callbacks"`
	Findings      map[string]int64            `json:"findings"`
	Warnings      int64                       `json:"warnings"`
	BudgetMisses  int64                       `json:"budget_misses"`
	Unreachable   int64                       `json:"unreachable"`
	NoReplyWaited int64                       `json:"no_reply_waited"`
	Checks        *checks                     `json:"checks,omitempty"`
	NotJudged     int64                       `json:"not_judged,omitempty"`
	NotJudgedWhy  string                      `json:"first_not_judged,omitempty"`
	Input         *InputSummary               `json:"input,omitempty"`
	Latency       latency                     `json:"latency_ms"`
	FirstError    string                      `json:"first_error,omitempty"`
	Unreached     string                      `json:"first_unreachable,omitempty"`
	// Histogram is the latencies (µs) in HdrHistogram's compressed, base64
	// encoding, so that summaries merge exactly.
	Histogram string `json:"histogram"`
	// Parts are the run's parts (imhook check); readers merge the run's
	// counts above and need not read them.
	Parts []partWire `json:"parts,omitempty"`
}

type partWire struct {
	Name      string          `json:"name"`
	ElapsedMS float64         `json:"elapsed_ms"`
	Passed    bool            `json:"passed"`
	Summary   json.RawMessage `json:"summary"`
}

type checks struct {
	Passed int64 `json:"passed"`
	Failed int64 `json:"failed"`
}

type latency struct {
	P50, P90, P99, P999, Max float64
}

func (l latency) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]float64{"p50": l.P50, "p90": l.P90, "p99": l.P99, "p99_9": l.P999, "max": l.Max})
}

func (l *latency) UnmarshalJSON(b []byte) error { return nil } // derived from the histogram

// MarshalJSON writes the summary as {"summary": {...}}: one JSON object, on
// one line, that imhook report reads back and merges.
func (s *Summary) MarshalJSON() ([]byte, error) {
	w := wire{Name: s.Name, ElapsedMS: ms(s.Elapsed()), Exchanges: s.Exchanges, Rate: s.Rate(), TargetRate: s.TargetRate,
		Verdicts: s.Verdicts, Outcomes: s.Outcomes, Status: map[string]int64{}, Vendors: s.Vendors(), Callbacks: s.Callbacks,
		Findings: s.findings(), Warnings: s.Warnings, BudgetMisses: s.BudgetMisses, Unreachable: s.Unreachable,
		NoReplyWaited: s.NoReplyWaited, FirstError: s.FirstError, Unreached: s.FirstUnreachable,
		NotJudged: s.NotJudged, NotJudgedWhy: s.FirstNotJudged,
		Latency: latency{ms(s.Percentile(50)), ms(s.Percentile(90)), ms(s.Percentile(99)), ms(s.Percentile(99.9)), ms(s.Max())}}
	if !s.Start.IsZero() {
		start, end := s.Start.UTC(), s.End.UTC()
		w.Start, w.End = &start, &end
	}
	for k, v := range s.Status {
		w.Status[fmt.Sprint(k)] = v
	}
	if s.Checks.Passed+s.Checks.Failed > 0 {
		w.Checks = &checks{s.Checks.Passed, s.Checks.Failed}
	}
	if s.Input != (InputSummary{}) {
		in := s.Input
		w.Input = &in
	}
	h, err := s.hist.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, err
	}
	w.Histogram = string(h)
	for _, p := range s.Parts {
		b, err := p.Summary.MarshalJSON()
		if err != nil {
			return nil, err
		}
		// The part's own object, without its {"summary": ...} wrapper.
		inner := b[len(`{"summary":`) : len(b)-1]
		w.Parts = append(w.Parts, partWire{Name: p.Name, ElapsedMS: ms(p.Elapsed), Passed: !p.Failing(), Summary: inner})
	}
	return json.Marshal(map[string]any{"summary": w})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *Summary) UnmarshalJSON(b []byte) error {
	var doc struct {
		Summary *wire `json:"summary"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	w := doc.Summary
	if w == nil {
		return errors.New(`not a summary: no "summary" object`)
	}
	n := NewSummary(w.Name)
	h, err := hdrhistogram.Decode([]byte(w.Histogram))
	if err != nil {
		return fmt.Errorf("summary histogram: %w", err)
	}
	n.hist.Merge(h)
	if w.Start != nil && w.End != nil {
		n.Start, n.End = *w.Start, *w.End
	}
	n.TargetRate, n.Exchanges = w.TargetRate, w.Exchanges
	addCounts(n.Verdicts, w.Verdicts)
	addCounts(n.Outcomes, w.Outcomes)
	for k, v := range w.Status {
		var code int
		if _, err := fmt.Sscan(k, &code); err != nil {
			return fmt.Errorf("summary status %q: not a number", k)
		}
		n.Status[code] += v
	}
	for cmd, c := range w.Callbacks {
		if c != nil {
			cp := *c
			cp.Findings = maps.Clone(c.Findings)
			n.Callbacks[cmd] = &cp
		}
	}
	n.Warnings, n.BudgetMisses, n.Unreachable, n.NoReplyWaited = w.Warnings, w.BudgetMisses, w.Unreachable, w.NoReplyWaited
	if w.Checks != nil {
		n.Checks.Passed, n.Checks.Failed = w.Checks.Passed, w.Checks.Failed
	}
	if w.Input != nil {
		n.Input = *w.Input
	}
	n.FirstError, n.FirstUnreachable = w.FirstError, w.Unreached
	n.NotJudged, n.FirstNotJudged = w.NotJudged, w.NotJudgedWhy
	*s = *n
	return nil
}

// Vendors counts the exchanges by vendor (from the callbacks' counts).
func (s *Summary) Vendors() map[string]int64 {
	out := map[string]int64{}
	for _, c := range s.Callbacks {
		if c.Vendor != "" {
			out[c.Vendor] += c.Exchanges
		}
	}
	return out
}

// findings totals the findings of every callback by "severity rule".
func (s *Summary) findings() map[string]int64 {
	out := map[string]int64{}
	for _, c := range s.Callbacks {
		addCounts(out, c.Findings)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Palette colours the text summary; nil prints plain text.
type Palette interface {
	Green(string) string
	Red(string) string
	Yellow(string) string
}

type plain struct{}

func (plain) Green(s string) string  { return s }
func (plain) Red(s string) string    { return s }
func (plain) Yellow(s string) string { return s }

// Text is the summary for people: a first line that counts the exchanges
// and their verdicts, then the lines that have something to say (latency,
// outcomes, status, budget misses by callback, findings by callback and
// rule, the input, the first error).
func (s *Summary) Text(pal Palette) string {
	if pal == nil {
		pal = plain{}
	}
	if len(s.Parts) > 0 {
		return s.partsText(pal)
	}
	return s.text(pal)
}

// partsText is the summary of a run of parts: a section per part (its
// result, its time and its own summary, indented), then the run's.
func (s *Summary) partsText(pal Palette) string {
	var b strings.Builder
	var failed []string
	for _, p := range s.Parts {
		verdict := pal.Green("PASS")
		if p.Failing() {
			verdict = pal.Red("FAIL")
			failed = append(failed, p.Name)
		}
		fmt.Fprintf(&b, "== %s: %s in %s\n", p.Name, verdict, round(p.Elapsed))
		for _, line := range strings.Split(strings.TrimRight(p.Summary.text(pal), "\n"), "\n") {
			fmt.Fprintf(&b, "   %s\n", line)
		}
	}
	fmt.Fprintf(&b, "== %d part(s): %s", len(s.Parts), pal.Green(fmt.Sprintf("%d passed", len(s.Parts)-len(failed))))
	if len(failed) > 0 {
		fmt.Fprintf(&b, ", %s (%s)", pal.Red(fmt.Sprintf("%d failed", len(failed))), strings.Join(failed, ", "))
	}
	b.WriteString("\n")
	b.WriteString(s.text(pal))
	return b.String()
}

func (s *Summary) text(pal Palette) string {
	red := func(n int64, word string) string {
		t := fmt.Sprintf("%d %s", n, word)
		if n > 0 {
			return pal.Red(t)
		}
		return t
	}
	var b strings.Builder
	if c := s.Checks; c.Passed+c.Failed > 0 {
		fmt.Fprintf(&b, "%d check(s): %s, %s\n", c.Passed+c.Failed, pal.Green(fmt.Sprintf("%d passed", c.Passed)), red(c.Failed, "failed"))
	}
	fmt.Fprintf(&b, "%d callback(s): %s, %s, %s", s.Exchanges, pal.Green(fmt.Sprintf("%d passed", s.Verdicts[record.Pass])),
		red(s.Verdicts[record.Fail], "failed"), red(s.Verdicts[record.NoReply], "without reply"))
	if s.Warnings > 0 {
		fmt.Fprintf(&b, ", %s", pal.Yellow(fmt.Sprintf("%d warning(s)", s.Warnings)))
	}
	if s.Strict && s.Failed() > 0 {
		b.WriteString(" (--strict: warnings and unknown fields fail)")
	}
	if e := s.Elapsed(); e > 0 && s.Exchanges > 1 {
		fmt.Fprintf(&b, "; %s, %.0f/s", e.Round(time.Millisecond), s.Rate())
		if s.TargetRate > 0 {
			fmt.Fprintf(&b, " (target %.0f/s)", s.TargetRate)
		}
	}
	b.WriteByte('\n')
	if s.NotJudged > 0 {
		// First after the counts: the other lines describe exchanges that
		// could not tell what they were meant to.
		fmt.Fprintf(&b, "not judged %s: %s\n", pal.Red(fmt.Sprintf("%d check(s)", s.NotJudged)), s.FirstNotJudged)
	}
	if s.Latencies() > 0 {
		fmt.Fprintf(&b, "latency    p50 %s  p90 %s  p99 %s  p99.9 %s  max %s", round(s.Percentile(50)), round(s.Percentile(90)),
			round(s.Percentile(99)), round(s.Percentile(99.9)), round(s.Max()))
		if s.NoReplyWaited > 0 {
			fmt.Fprintf(&b, "  (%d without reply counted at the time waited)", s.NoReplyWaited)
		}
		b.WriteByte('\n')
	}
	if len(s.Outcomes) > 0 {
		fmt.Fprintf(&b, "outcomes   %s\n", joinCounts(s.Outcomes))
	}
	if len(s.Status) > 1 || len(s.Status) == 1 && s.Status[200] != s.Exchanges {
		fmt.Fprintf(&b, "status     %s\n", joinCounts(s.Status))
	}
	if s.Unreachable > 0 {
		fmt.Fprintf(&b, "unreached  %d exchange(s) could not reach the target: %s\n", s.Unreachable, s.FirstUnreachable)
	}
	if s.BudgetMisses > 0 {
		var per []string
		for _, cmd := range s.sortedCallbacks(func(c *CallbackSummary) int64 { return c.BudgetMisses }) {
			per = append(per, fmt.Sprintf("%s %d", cmd, s.Callbacks[cmd].BudgetMisses))
		}
		fmt.Fprintf(&b, "budget     %s missed the budget: %s\n", red(s.BudgetMisses, "exchange(s)"), strings.Join(per, ", "))
	}
	s.writeFindings(&b)
	if in := s.Input; in.Problems > 0 || in.Skipped > 0 {
		fmt.Fprintf(&b, "input      %s in the input (%d item(s)), %d filtered out\n", red(in.Problems, "problem(s)"), in.Items, in.Skipped)
	}
	if s.FirstError != "" && s.FirstError != s.FirstUnreachable {
		fmt.Fprintf(&b, "first error: %s\n", s.FirstError)
	}
	return b.String()
}

// writeFindings lists the findings by callback, the most found first.
func (s *Summary) writeFindings(b *strings.Builder) {
	first := true
	for _, cmd := range s.sortedCallbacks(func(c *CallbackSummary) int64 { return int64(len(c.Findings)) }) {
		cb := s.Callbacks[cmd]
		keys := slices.Collect(maps.Keys(cb.Findings))
		sort.Slice(keys, func(i, j int) bool {
			return cb.Findings[keys[i]] > cb.Findings[keys[j]] || (cb.Findings[keys[i]] == cb.Findings[keys[j]] && keys[i] < keys[j])
		})
		for _, k := range keys {
			label := "findings  "
			if !first {
				label = "          "
			}
			first = false
			fmt.Fprintf(b, "%s %s  %s: %d\n", label, cmd, k, cb.Findings[k])
		}
	}
}

// sortedCallbacks lists the callbacks with a non-zero key, largest first.
func (s *Summary) sortedCallbacks(key func(*CallbackSummary) int64) []string {
	var out []string
	for cmd, c := range s.Callbacks {
		if key(c) > 0 {
			out = append(out, cmd)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := key(s.Callbacks[out[i]]), key(s.Callbacks[out[j]])
		return a > b || (a == b && out[i] < out[j])
	})
	return out
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.String()
}

func joinCounts[K comparable](m map[K]int64) string {
	if len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%v: %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
