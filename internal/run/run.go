// Package run is the pipeline every sending mode of imhook goes through, in
// the manner of `attack | report`: a producer (the named callbacks, a
// scenario, a suite's steps, probes, a replayed input, the load engine)
// yields events, one per exchange or input problem, and one consumer chain
// does the rest for every mode: it prints each record, appends it to the
// record file, adds it to the JUnit report, sums it up in one Summary,
// applies the stop policy (a target that cannot be reached, --max-failures)
// and maps the summary to the run's result. A new mode is a producer and
// nothing more.
//
// The package is a library first: it holds no process-wide state, and a
// Chain writes only to the writers it is given.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imhook/imhook/internal/junit"
	"github.com/imhook/imhook/internal/located"
	"github.com/imhook/imhook/record"
)

// Event is one exchange of a run, or one problem with a producer's input.
type Event struct {
	// Record is the exchange; nil for an input problem.
	Record *record.Record
	// Unreachable: the target could not be reached (refused, DNS, TLS).
	Unreachable bool
	// Check is the producer's own judgement of the exchange (a suite step's
	// expectations), which then decides it instead of the verdict.
	Check *Check
	// Case is the exchange's JUnit test case when the producer names it
	// (probes, suite steps); nil gives "<mode> #n <command>".
	Case *junit.Case
	// Problem is a problem with the input (replay); Unreadable marks one
	// that stopped a whole file from being read.
	Problem    *located.Finding
	Unreadable bool
	// Input marks an exchange made from an item of the producer's input.
	Input bool
	// NotJudged is a check the producer did not make (a probe whose
	// baseline failed): no exchange, no record.
	NotJudged *NotJudged
	// Part names the part of the run the event belongs to (imhook check:
	// "burst tencent"): it counts in the part's summary and its JUnit test
	// suite as well as the run's. Set by the sink of Section.
	Part string
	// Bulk marks one of many exchanges that the producer reports as one
	// (a burst): its line is shown only when it failed (text), and it has
	// no JUnit case of its own; the producer emits the group's case, an
	// event with Case alone.
	Bulk bool
}

// NotJudged is a check a producer did not make, and why.
type NotJudged struct {
	Vendor, Command string
	// Name names the check ("security.bad_sign"), and Case its JUnit test
	// case (nil: none).
	Name string
	Case *junit.Case
	// Reason says why it was not made ("the baseline failed: ...").
	Reason string
}

// Check is a producer's judgement of one exchange.
type Check struct {
	Passed bool
}

// Sink receives a producer's events. Emit is safe for concurrent use.
type Sink interface {
	// Emit hands on one event; false means the run stops (the stop policy
	// or the context): the producer sends nothing more.
	Emit(Event) bool
	// Context ends when the run stops.
	Context() context.Context
	// Progress counts what was sent, for the progress line; Emit counts by
	// itself, so only a producer that does not emit every exchange (a load
	// run without --record) adds to it.
	Progress() *Progress
	// Merge adds a producer's own summary (a load run's per-worker tallies).
	Merge(*Summary)
	// WantsRecords reports whether any consumer needs each exchange's
	// record; a load run builds none otherwise.
	WantsRecords() bool
	// Note says something to people on stderr (nothing with -q).
	Note(format string, a ...any)
}

// Producer yields a run's events into a sink, in order, until it is done or
// the sink's context ends. A returned error ends the run with it.
type Producer func(ctx context.Context, sink Sink) error

// Progress counts a run's exchanges as they happen.
type Progress struct {
	Sent, Failed atomic.Int64
	// Total is how many exchanges the run will make, when known (0: not).
	Total int64
}

// Options configure a Chain. Every field is optional.
type Options struct {
	// Name names the run in the summary and the JUnit report.
	Name string
	// Mode prefixes the default JUnit case names ("simulate #3 C2C.X").
	Mode string
	// Print receives each record for display (nil: none).
	Print func(*record.Record)
	// Problem receives each input problem for display (nil: none).
	Problem func(*located.Finding)
	// NotJudged receives each check that was not made, for display (nil:
	// none).
	NotJudged func(*NotJudged)
	// Record is the record file's writer and RecordPath its name for
	// messages (nil: no --record). The chain closes it.
	Record     *record.Writer
	RecordPath string
	// JUnit is the open --junit file (nil: none); the chain writes the
	// report into it at the end and closes it.
	JUnit     *os.File
	JUnitPath string
	// MaxFailures stops the run after that many failed exchanges (checks,
	// when the producer judges) (0: never).
	MaxFailures int64
	// Notes receives the chain's notes for people (nil: none).
	Notes io.Writer
	// Summary is where the summary goes at the end: text on SummaryText,
	// JSON (one line) on SummaryJSON; nil writers skip it.
	SummaryText io.Writer
	SummaryJSON io.Writer
	// Palette colours the text summary.
	Palette Palette
	// QuietSummary prints the text summary only when the run failed (-q).
	QuietSummary bool
	// KeepRecords: a consumer outside the chain wants records too.
	KeepRecords bool
	// PrintBulk shows every bulk exchange (-o json: records are data), not
	// only the failed ones.
	PrintBulk bool
	// Seed is the run's seed, stamped on every record (nil: the payloads
	// were not generated).
	Seed *uint64
}

// Chain is the one consumer chain of a run.
type Chain struct {
	o        Options
	ctx      context.Context
	cancel   context.CancelFunc
	prog     Progress
	mu       sync.Mutex
	sum      *Summary
	report   *junit.Report
	n        int
	failures int64
	reached  bool
	stopped  error
	writeErr error
}

// NewChain starts a run's consumer chain under ctx.
func NewChain(ctx context.Context, o Options) *Chain {
	c := &Chain{o: o, sum: NewSummary(o.Name)}
	c.ctx, c.cancel = context.WithCancel(ctx)
	if o.JUnit != nil {
		c.report = junit.New(o.Name)
	}
	return c
}

func (c *Chain) Context() context.Context { return c.ctx }
func (c *Chain) Progress() *Progress      { return &c.prog }
func (c *Chain) WantsRecords() bool {
	return c.o.Print != nil || c.o.Record != nil || c.report != nil || c.o.KeepRecords
}

// Merge adds a producer's summary.
func (c *Chain) Merge(s *Summary) { c.mergeInto("", s) }

// mergeInto adds a producer's summary to the run's, and to a part's.
func (c *Chain) mergeInto(part string, s *Summary) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sum.Merge(s)
	if part != "" {
		c.sum.Part(part).Summary.Merge(s)
	}
	if s.Exchanges > s.Unreachable {
		c.reached = true
	}
}

// Section starts a part of a run (imhook check): what is emitted through
// the returned sink counts in the part's own summary and JUnit suite as
// well as in the run's, and End records the time the part took. The part
// shows in the summary even when nothing is emitted through it. sink must
// be the run's Chain (or a Section of it).
func Section(sink Sink, name string) *PartSink {
	p := &PartSink{Sink: sink, name: name, start: time.Now()}
	for s := sink; ; {
		switch x := s.(type) {
		case *Chain:
			p.chain = x
			x.mu.Lock()
			x.sum.Part(name)
			x.mu.Unlock()
			return p
		case *PartSink:
			s = x.Sink
			continue
		}
		return p
	}
}

// PartSink is the sink of a part of a run (Section).
type PartSink struct {
	Sink
	name  string
	chain *Chain
	start time.Time
}

// Name is the part's name.
func (p *PartSink) Name() string { return p.name }

// Emit tags the event with the part.
func (p *PartSink) Emit(ev Event) bool {
	ev.Part = p.name
	return p.Sink.Emit(ev)
}

// Merge adds a producer's summary to the part's and the run's.
func (p *PartSink) Merge(s *Summary) {
	if p.chain == nil {
		p.Sink.Merge(s)
		return
	}
	p.chain.mergeInto(p.name, s)
}

// End records the time the part took, from Section to now.
func (p *PartSink) End() {
	if p.chain == nil {
		return
	}
	p.chain.mu.Lock()
	defer p.chain.mu.Unlock()
	p.chain.sum.Part(p.name).Elapsed = time.Since(p.start)
}

// Note writes a note for people.
func (c *Chain) Note(format string, a ...any) {
	if c.o.Notes != nil {
		fmt.Fprintf(c.o.Notes, "imhook: "+format+"\n", a...)
	}
}

// Summary is the run's summary so far (the caller must not use it while
// producers run).
func (c *Chain) Summary() *Summary { return c.sum }

// Emit runs one event through the chain: the record file (outside the lock,
// so that concurrent records share a write), then the summary, the printer,
// the JUnit report and the stop policy.
//
// It is long because every consumer of the one chain is a step here, in
// the order the pipeline promises (ARCHITECTURE.md, "The pipeline"), with
// the record written outside the lock; each event passes it once.
func (c *Chain) Emit(ev Event) bool {
	if ev.Record != nil && c.o.Seed != nil && ev.Record.Seed == nil {
		ev.Record.Seed = c.o.Seed
	}
	if ev.Record != nil && c.o.Record != nil {
		if err := c.o.Record.Write(ev.Record); err != nil {
			c.mu.Lock()
			if c.writeErr == nil {
				c.writeErr = err
			}
			c.mu.Unlock()
			c.cancel()
			return false
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped != nil {
		return false
	}
	if ev.Record == nil && ev.Problem == nil && ev.NotJudged == nil {
		// A group's case (a burst): the report's alone.
		if c.report != nil && ev.Case != nil {
			c.report.AddTo(ev.Part, *ev.Case)
		}
		return c.ctx.Err() == nil
	}
	c.sum.Add(&ev)
	if nj := ev.NotJudged; nj != nil {
		if c.o.NotJudged != nil {
			c.o.NotJudged(nj)
		}
		if c.report != nil && nj.Case != nil {
			c.report.AddTo(ev.Part, *nj.Case)
		}
		return c.ctx.Err() == nil
	}
	if ev.Problem != nil {
		if c.o.Problem != nil {
			c.o.Problem(ev.Problem)
		}
		return c.ctx.Err() == nil
	}
	failed := ev.Record.Verdict != record.Pass
	if ev.Check != nil {
		failed = !ev.Check.Passed
	}
	c.prog.Sent.Add(1)
	if failed {
		c.prog.Failed.Add(1)
		c.failures++
	}
	if c.o.Print != nil && (!ev.Bulk || failed || c.o.PrintBulk) {
		c.o.Print(ev.Record)
	}
	if c.report != nil && !ev.Bulk {
		c.n++
		cs := ev.Case
		if cs == nil {
			cc := junit.FromRecord(fmt.Sprintf("%s #%d %s", c.o.Mode, c.n, ev.Record.Command), ev.Record)
			cs = &cc
		}
		c.report.AddTo(ev.Part, *cs)
	}
	if !ev.Unreachable {
		c.reached = true
	}
	switch {
	case ev.Unreachable && !c.reached:
		// The door is closed from the start: the next callbacks would
		// find it closed too.
		c.stopped = errUnreachable
	case c.o.MaxFailures > 0 && c.failures >= c.o.MaxFailures:
		c.stopped = errMaxFailures
		c.Note("stopping after %d failure(s) (--max-failures)", c.failures)
	}
	if c.stopped != nil {
		c.cancel()
		return false
	}
	return c.ctx.Err() == nil
}

var (
	errUnreachable = errors.New("unreachable")
	errMaxFailures = errors.New("max failures")
)

// Close ends the run after its producer returned perr (nil: it finished):
// it closes the record file, writes the JUnit report, prints the summary
// and returns the run's result: perr, an output that could not be written,
// an interruption (parent is the context the run was started under), or
// the summary's verdict (Summary.Err).
func (c *Chain) Close(parent context.Context, perr error) error {
	c.cancel()
	c.sum.End = maxTime(c.sum.End, time.Now())
	if c.sum.Start.IsZero() {
		c.sum.Start = c.sum.End
	}
	var outErr error
	if c.o.Record != nil {
		if err := c.o.Record.Close(); err != nil && c.writeErr == nil {
			c.writeErr = err
		}
		if c.writeErr != nil {
			outErr = &OutputError{Flag: "--record", Path: c.o.RecordPath, Err: c.writeErr}
		}
	}
	if c.o.JUnit != nil {
		for _, p := range c.sum.Parts {
			c.report.SetTime(p.Name, p.Elapsed)
		}
		err := c.report.Encode(c.o.JUnit)
		if cerr := c.o.JUnit.Close(); err == nil {
			err = cerr
		}
		if err != nil && outErr == nil {
			outErr = &OutputError{Flag: "--junit", Path: c.o.JUnitPath, Err: err}
		}
	}
	if perr == nil {
		if c.o.SummaryJSON != nil {
			b, err := c.sum.MarshalJSON()
			if err == nil {
				_, err = c.o.SummaryJSON.Write(append(b, '\n'))
			}
			if err != nil && outErr == nil {
				outErr = &OutputError{Flag: "--output", Path: "stdout", Err: err}
			}
		}
		if c.o.SummaryText != nil && (!c.o.QuietSummary || c.sum.Err() != nil) {
			io.WriteString(c.o.SummaryText, c.sum.Text(c.o.Palette))
		}
	}
	switch {
	case perr != nil:
		return perr
	case outErr != nil:
		return outErr
	case parent.Err() != nil:
		return &InterruptedError{Exchanges: c.sum.Exchanges}
	}
	return c.sum.Err()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Run runs a producer through a chain and returns the run's result.
func Run(ctx context.Context, c *Chain, p Producer) error {
	start := time.Now()
	err := p(c.ctx, c)
	if s := c.sum; s.Start.IsZero() || start.Before(s.Start) {
		s.Start = start
	}
	return c.Close(ctx, err)
}
