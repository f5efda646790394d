package run

import "github.com/imhook/imhook/record"

// Tally is Observe for a worker that sends the same callback again and
// again (the load engine): a run of exchanges like the last one (same
// callback, status, verdict and outcome, a reply in time, no finding, no
// error) counts in the summary's totals and latencies at once, and in its
// maps once per run of them, at the next unlike exchange or Flush. Read the
// summary only after Flush. TestTallyMatchesObserve holds it to Observe.
type Tally struct {
	s    *Summary
	last Observation
	cb   *CallbackSummary
	n    int64 // like exchanges not yet in the maps
}

// NewTally tallies into s.
func NewTally(s *Summary) *Tally { return &Tally{s: s} }

// tallied reports an exchange that touches nothing of the summary but its
// counts by verdict, outcome, status and callback, and the latencies.
func tallied(o *Observation) bool {
	return o.Status != 0 && len(o.Findings) == 0 && !o.Unreachable && !o.BudgetMiss && o.Err == "" && o.Check == nil
}

// Observe counts one exchange, as Summary.Observe does once Flush ran.
func (t *Tally) Observe(o *Observation) {
	if !tallied(o) {
		t.Flush()
		t.s.Observe(o)
		return
	}
	l := &t.last
	if t.n == 0 || o.Status != l.Status || o.Verdict != l.Verdict || o.Outcome != l.Outcome || o.Command != l.Command || o.Vendor != l.Vendor {
		t.Flush()
		t.last = Observation{Vendor: o.Vendor, Command: o.Command, Status: o.Status, Verdict: o.Verdict, Outcome: o.Outcome}
		t.cb = t.s.callback(o.Vendor, o.Command)
	}
	t.n++
	s := t.s
	s.Exchanges++
	t.cb.Exchanges++
	_ = s.hist.RecordValue(min(max(histMin, o.Latency.Microseconds()), histMax))
}

// Flush puts the run of like exchanges into the summary's maps.
func (t *Tally) Flush() {
	if t.n == 0 {
		return
	}
	s, l, n := t.s, &t.last, t.n
	s.Verdicts[l.Verdict] += n
	if l.Outcome != "" {
		s.Outcomes[l.Outcome] += n
	}
	s.Status[l.Status] += n
	if l.Verdict == record.Fail || l.Verdict == record.NoReply {
		t.cb.Failed += n
	}
	t.n = 0
}
