package replay

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
	"github.com/imhook/imhook/validate"
)

// Rule names of replay's own findings.
const (
	RuleDiff        = "replay.diff"           // the reply differs from the recorded one (--compare)
	RuleCommand     = "replay.command"        // the item names no callback imhook knows
	RuleNotCallback = "replay.not_replayable" // a reply, or an object that is not a callback
	RuleNothing     = "replay.no_recorded_reply"
)

// Options configure a replay.
type Options struct {
	// Sender sends; its Params are the flags' values.
	Sender *simulate.Sender
	// Keep* say which recorded query values win over Sender.Params: true
	// unless the user set the flag.
	KeepSdkAppID, KeepClientIP, KeepOptPlatform bool
	// Resign drops a recorded Sign and RequestTime and signs afresh with
	// Sender.Params.Token.
	Resign bool
	// Command is the callback of payloads that do not name their own.
	Command *fixtures.Entry
	// Filter, when not empty, replays only these callbacks; Vendors, when
	// not empty, only these vendors' callbacks.
	Filter  []*fixtures.Entry
	Vendors []string
	// Compare compares each reply with the recorded one instead of judging
	// it by the contract.
	Compare bool
	// Concurrency is how many callbacks are in flight (default 1: strictly
	// one after another in input order).
	Concurrency int
	// Rate limits sends per second (0: no limit).
	Rate      float64
	Catalogue *fixtures.Catalogue
	Read      stream.Options
	// Now is the clock for the signature's age (nil: time.Now).
	Now func() time.Time
	// Words name the settings that problems' advice points to (nil: the
	// library's, LibraryWords).
	Words *Words
}

// Words name, in the caller's words, what a problem's advice points to:
// the library's own settings by default (nil Words); imhook's command line
// gives its flags (cmd/).
type Words struct {
	// Command names the callback of bodies that name none.
	Command string
	// Replies checks replies, which replay does not send.
	Replies string
}

// LibraryWords are the words of a nil Words.
var LibraryWords = Words{Command: "Options.Command", Replies: "package validate (a response input)"}

// Use is w, or LibraryWords for a nil w.
func (w *Words) Use() *Words {
	if w == nil {
		return &LibraryWords
	}
	return w
}

// Result is one outcome, in input order: an exchange, or a problem with the
// input (Problem set, Record nil).
type Result struct {
	Record      *record.Record
	Unreachable bool
	Problem     *stream.Finding
	// Source is where the callback came from.
	File string
	Line int
}

// Stats count a replay.
type Stats struct {
	Items, Sent, Skipped int
	Problems             int // input findings (corrupt lines, unknown commands)
	Failed               int // problems of severity error (exit 1)
	Unreadable           int // files that could not be read
}

type job struct {
	it  stream.Item
	raw []byte
}

// Run replays every item of the sources and calls emit with each result in
// input order. It stops when emit returns false and when ctx ends.
func Run(ctx context.Context, sources []stream.Source, o Options, emit func(Result) bool) Stats {
	if o.Catalogue == nil {
		o.Catalogue = fixtures.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := o.Concurrency
	if c < 1 {
		c = 1
	}
	var limiter *rate.Limiter
	if o.Rate > 0 {
		limiter = simulate.NewLimiter(o.Rate)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan job)
	go func() {
		defer close(in)
		_ = stream.Walk(sources, o.Read, func(it *stream.Item) error {
			j := job{it: *it, raw: append([]byte(nil), it.Raw...)}
			j.it.Raw = j.raw
			select {
			case in <- j:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var st Stats
	var mu sync.Mutex
	stopped := false
	stream.Ordered(ctx, c, 4*c, in, func(j job) *Result {
		return o.one(ctx, limiter, &j.it)
	}, func(r *Result) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		st.Items++
		switch {
		case r == nil:
			st.Skipped++
			return
		case r.Problem != nil:
			st.Problems++
			if r.Problem.Severity == record.Error {
				st.Failed++
			}
			if stream.Unusable(&r.Problem.Finding) {
				st.Unreadable++
			}
		default:
			st.Sent++
		}
		if !emit(*r) {
			stopped = true
			cancel()
		}
	})
	return st
}

// one replays one item; nil means it was filtered out.
func (o *Options) one(ctx context.Context, limiter *rate.Limiter, it *stream.Item) *Result {
	p, res := o.prepare(it)
	if p == nil {
		return res
	}
	if limiter != nil {
		if err := limiter.Wait(ctx); err != nil {
			return nil
		}
	}
	e, rec := p.entry, p.rec
	cb := simulate.NewCallback(e, p.body)
	if o.Compare && rec != nil {
		// The recorded outcome is what the replayed reply must have: a
		// recorded refusal is no error, and a changed outcome is a
		// difference.
		p.sender.Expect = rec.Outcome
	}
	out, err := p.sender.Send(ctx, cb)
	if o.Compare && out.Response != nil {
		if rec == nil {
			out.Findings = append(out.Findings, record.Finding{Severity: record.Info, Rule: RuleNothing,
				Message: "a payload has no recorded reply to compare with"})
		} else {
			out.Findings = compared(e, rec, out)
		}
	}
	out.Findings = append(p.notes, out.Findings...)
	out.Verdict = record.Judge(out.Response != nil, out.Findings, o.Sender != nil && o.Sender.Strict)
	return &Result{Record: out, Unreachable: err != nil, File: it.File, Line: it.Line}
}

// compared are the findings of a replayed exchange under --compare: the
// differences from the recorded reply (contract fields, the fields the
// platform applies or copies back, the outcome), beside the full judgement
// of the replayed reply. An error of the judgement that the recording had
// too (same rule and path) is unchanged, so a warning that says so.
func compared(e *fixtures.Entry, rec, out *record.Record) []record.Finding {
	diffs := CompareReplies(e.Vendor, e, rec.Response, rec.Error, out.Response)
	diffs = append(diffs, CompareOutcome(rec.Outcome, out.Outcome)...)
	fs := make([]record.Finding, 0, len(out.Findings)+len(diffs))
	for _, f := range out.Findings {
		if f.Rule == platform.RuleExpect {
			continue // the outcome's difference, said by CompareOutcome
		}
		if f.Severity == record.Error && strings.HasPrefix(f.Rule, "response.") && hasFinding(rec.Findings, f.Rule, f.Path) {
			f.Severity, f.Message = record.Warning, "unchanged since the recording: "+f.Message
		}
		fs = append(fs, f)
	}
	return append(fs, diffs...)
}

func hasFinding(fs []record.Finding, rule, path string) bool {
	for _, f := range fs {
		if f.Rule == rule && f.Path == path {
			return true
		}
	}
	return false
}

// prepared is an item ready to send: its callback, the recording it came
// from (nil for a payload), the Sender with the recorded values applied, and
// notes about them.
type prepared struct {
	entry  *fixtures.Entry
	body   []byte // it.Raw for a payload: valid as long as the item is
	rec    *record.Record
	sender simulate.Sender
	notes  []record.Finding
}

// prepare reads an item: the callback to send, or a result that reports a
// problem with it, or neither when it is filtered out.
func (o *Options) prepare(it *stream.Item) (*prepared, *Result) {
	problem := func(sev record.Severity, rule, msg string) *Result {
		return &Result{File: it.File, Line: it.Line, Problem: &stream.Finding{File: it.File, Line: it.Line,
			Finding: record.Finding{Severity: sev, Rule: rule, Message: msg}}}
	}
	if f, line := it.Check(); f != nil {
		return nil, &Result{File: it.File, Line: line, Problem: &stream.Finding{File: it.File, Line: line, Finding: *f}}
	}
	kind, _ := stream.Classify(it.Raw)
	var (
		body    []byte
		command string
		rec     *record.Record
	)
	switch kind {
	case stream.KindRecord:
		rec = &record.Record{}
		if err := record.Unmarshal(it.Raw, rec); err != nil {
			return nil, problem(record.Error, RuleNotCallback, "not a record: "+err.Error())
		}
		if rec.Request == nil {
			return nil, problem(record.Error, RuleNotCallback, "the record has no request")
		}
		body, command = rec.Request.Body, rec.Command
		if command == "" {
			return nil, problem(record.Warning, RuleCommand, "the record names no callback (the receiver did not recognise the request); it is skipped")
		}
	case stream.KindSummary:
		return nil, nil // a run's summary line: nothing to send
	case stream.KindResponse:
		return nil, problem(record.Error, RuleNotCallback, "this is a reply, not a callback: replay sends payloads and records (check replies with "+o.Words.Use().Replies+")")
	case stream.KindPayload:
		body, command = it.Raw, stream.PayloadCommand(it.Raw)
	default:
		if o.Command == nil {
			return nil, problem(record.Error, RuleNotCallback, "this names no callback (no CallbackCommand or callbackCommand field, not a record); name it with "+o.Words.Use().Command)
		}
		body = it.Raw
	}
	var e *fixtures.Entry
	if command == "" {
		e = o.Command
	} else {
		var f *record.Finding
		if e, f = validate.Lookup(o.Catalogue, command, RuleCommand); f != nil {
			return nil, problem(f.Severity, f.Rule, f.Message+"; it is not replayed")
		}
	}
	if len(o.Filter) > 0 && !containsEntry(o.Filter, e) || len(o.Vendors) > 0 && !slices.Contains(o.Vendors, e.Vendor) {
		return nil, nil
	}
	p := &prepared{entry: e, body: body, rec: rec, sender: *o.Sender}
	if rec != nil {
		p.notes = o.recorded(&p.sender, e, rec)
	}
	return p, nil
}

func containsEntry(es []*fixtures.Entry, e *fixtures.Entry) bool {
	for _, x := range es {
		if x == e {
			return true
		}
	}
	return false
}

// recorded applies what a record keeps to s (the vendor's Replay) and
// returns notes about it.
func (o *Options) recorded(s *simulate.Sender, e *fixtures.Entry, rec *record.Record) []record.Finding {
	keep := platform.Keep{SdkAppID: o.KeepSdkAppID, ClientIP: o.KeepClientIP, OptPlatform: o.KeepOptPlatform, Resign: o.Resign}
	var notes []record.Finding
	s.Target, s.Params, notes = platform.For(e.Vendor).Replay(rec, s.TargetFor(e.Vendor), s.Params, keep, o.Now())
	s.Targets = nil
	return notes
}
