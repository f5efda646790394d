package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/junit"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// Runner runs a suite's steps as the producer of a run.
type Runner struct {
	Suite  *Suite
	Sender *simulate.Sender
	// Lookup resolves a step's command.
	Lookup func(name string) (*fixtures.Entry, error)
	// Generate makes the i-th payload of a callback (--seed, --set).
	Generate func(e *fixtures.Entry, i int) ([]byte, error)
	// Sets applies the command line's --set to a step's data.
	Sets func(e *fixtures.Entry, body []byte) ([]byte, error)
	// Warn says what is wrong with a step's set path (a field the callback
	// does not have); with Strict it fails the step's file instead.
	Warn   func(msg string)
	Strict bool
	// Getenv reads the environment for ${env:...}.
	Getenv func(string) string
	// Vendors, when not empty, narrows the run: steps of other vendors
	// are skipped with a note.
	Vendors []string
}

// Rule of a step's info finding (it names the step).
const RuleStep = "suite.step"

// Producer runs each step in order: its references resolved from the
// environment and the records of earlier steps, its exchange checked
// against its expectation (by default: the contract holds). A step that
// cannot be built ends the run with an *Error (exit 2).
func (r *Runner) Producer() run.Producer {
	return func(ctx context.Context, sink run.Sink) error {
		s := r.Suite
		records := map[string][]byte{}
		for _, rs := range s.Steps {
			if ctx.Err() != nil {
				return nil
			}
			st, err := s.Resolve(rs, r.Getenv, records)
			if err != nil {
				return err
			}
			cb, err := r.callback(st)
			if err != nil {
				e := &Error{File: s.File, Step: fmt.Sprintf("%q (#%d)", st.Name, st.Index), Msg: err.Error()}
				if se := (*generate.SetError)(nil); errors.As(err, &se) {
					e.Key, e.Msg = "set", se.Msg
					if se.Path != "" {
						e.Key = "set." + se.Path
					}
				}
				return e
			}
			if len(r.Vendors) > 0 && !slices.Contains(r.Vendors, cb.Entry.Vendor) {
				sink.Note("step %q (#%d) skipped: %s is a %s callback (--vendor %s)", st.Name, st.Index, cb.Entry.Command, cb.Entry.Vendor, strings.Join(r.Vendors, ","))
				continue
			}
			v := platform.For(cb.Entry.Vendor)
			if st.Expect.Outcome != "" && !slices.Contains(v.Outcomes(), st.Expect.Outcome) {
				return &Error{File: s.File, Step: fmt.Sprintf("%q (#%d)", st.Name, st.Index), Key: "expect.outcome",
					Msg: fmt.Sprintf("%q is not an outcome of %s callbacks; use one of %s", st.Expect.Outcome, v.Title(), outcomes(v))}
			}
			// The judge checks the outcome the step expects (none: the
			// callback must be accepted), as simulate --expect does.
			sender := *r.Sender
			sender.Expect = st.Expect.Outcome
			rec, err := sender.Send(ctx, cb)
			unreachable := err != nil
			misses := st.Check(rec)
			rec.Findings = append(rec.Findings, misses...)
			if len(misses) > 0 && rec.Verdict == record.Pass {
				rec.Verdict = record.Fail
			}
			ok := len(misses) == 0 && !unreachable
			if ok {
				rec.Findings = append(rec.Findings, record.Finding{Severity: record.Info, Rule: RuleStep, Path: st.Name,
					Message: "step " + st.Name + ": as expected (verdict " + string(st.Expect.Verdict) + ")"})
			}
			c := st.Case(rec, ok)
			b, _ := json.Marshal(rec)
			records[st.Name] = b
			if !sink.Emit(run.Event{Record: rec, Unreachable: unreachable, Check: &run.Check{Passed: ok}, Case: &c}) {
				return nil
			}
		}
		return nil
	}
}

func outcomes(v platform.Vendor) string {
	var s []string
	for _, o := range v.Outcomes() {
		s = append(s, string(o))
	}
	return strings.Join(s, ", ")
}

// callback makes the step's callback: its data or a generated body, then
// --set and the step's set overrides.
func (r *Runner) callback(st *Step) (simulate.Callback, error) {
	body := st.Data
	var name string
	switch {
	case st.Command != "":
		name = st.Command
	default:
		if name, _ = fixtures.BodyCommand(body); name == "" {
			return simulate.Callback{}, errors.New("command: missing, and the data names no callback")
		}
	}
	e, err := r.Lookup(name)
	if err != nil {
		return simulate.Callback{}, fmt.Errorf("command: %w", err)
	}
	generated := body == nil
	if generated {
		if body, err = r.Generate(e, st.Index-1); err != nil {
			return simulate.Callback{}, err
		}
	} else if r.Sets != nil {
		if body, err = r.Sets(e, body); err != nil {
			return simulate.Callback{}, err
		}
	}
	if err := setBounds(e, st.Set); err != nil {
		return simulate.Callback{}, err
	}
	sets := make([]generate.Set, 0, len(st.Set))
	for _, s := range st.Set {
		if m := e.Path(s.Path).Message(); m != "" {
			if r.Strict {
				return simulate.Callback{}, fmt.Errorf("set.%s: %s (--strict: a set path must name a field of %s)", s.Path, m, e.Command)
			}
			if r.Warn != nil {
				r.Warn(fmt.Sprintf("step %s: set.%s (%s): %s (set all the same)", st.Name, s.Path, e.Command, m))
			}
		}
		sets = append(sets, generate.Set{Path: s.Path, Value: s.Value})
	}
	// A field of a message element of a generated body makes the element
	// of a type that has it, as --set does; a body the step gives takes
	// its sets as they are.
	if generated {
		body, err = generate.Apply(e, body, sets, generate.GenOptions{Seed: uint64(st.Index)})
	} else {
		body, err = generate.ApplyAsGiven(e, body, sets)
	}
	if err != nil {
		return simulate.Callback{}, err
	}
	return simulate.NewCallback(e, body), nil
}

// Case is the step's JUnit test case: named after the step, failed when an
// expectation was missed.
func (st *Step) Case(rec *record.Record, ok bool) junit.Case {
	var exp []string
	exp = append(exp, "verdict "+string(st.Expect.Verdict))
	if st.Expect.MaxLatency > 0 {
		exp = append(exp, "a reply within "+st.Expect.MaxLatency.String())
	}
	for _, f := range st.Expect.Reply {
		exp = append(exp, "reply "+f.Path+" = "+string(f.Value))
	}
	expected := strings.Join(exp, ", ")
	c := junit.FromRecordExpect(st.Name, rec, expected)
	c.Name = fmt.Sprintf("%s (%s)", st.Name, rec.Command)
	if ok {
		c.Failure, c.Error = nil, nil
		return c
	}
	if c.Failure == nil && c.Error == nil {
		detail := junit.FromRecordExpect("", &record.Record{Verdict: record.Fail, Response: rec.Response, Error: rec.Error, Findings: rec.Findings}, expected)
		c.Failure = &junit.Problem{Type: "suite.expect", Text: detail.Failure.Text}
	}
	for _, f := range rec.Findings {
		if f.Rule == "suite.expect" {
			p := c.Failure
			if p == nil {
				p = c.Error
			}
			p.Message, p.Type = f.Message, f.Rule
			break
		}
	}
	return c
}
