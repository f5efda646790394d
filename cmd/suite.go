package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/junit"
	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
	"github.com/imhook/imhook/suite"
)

// runSuite is simulate --suite FILE: each step in order, its references
// resolved from the environment and the records of earlier steps, its
// exchange checked against its expectation (by default: the contract holds).
func runSuite(ctx context.Context, g *Globals, o *simulateOptions, args []string) error {
	if len(args) > 0 || o.Data != "" {
		return usageErrorf("--suite names its callbacks in the file; drop the COMMAND arguments and --data")
	}
	s, err := suite.Load(o.ci.Suite, g.getenv)
	if err != nil {
		return usageErrorf("--suite %v", err)
	}
	if o.Target != "" {
		if err := checkTarget(o.Target); err != nil {
			return err
		}
	}
	sender := &simulate.Sender{Target: o.Target, Timeout: o.Timeout, Client: simulate.NewClient(), Params: o.params()}
	rw, cleanup, err := runResources(g, &sender.Target, platform.ReplyOK, o.Record)
	if err != nil {
		return err
	}
	defer cleanup()
	printer := g.Printer()
	printer.ShowInfo = true // each step's suite.step finding names it
	t := &tally{}
	records := map[string][]byte{}
	passed, failed := 0, 0
	for _, rs := range s.Steps {
		if ctx.Err() != nil {
			break
		}
		st, err := s.Resolve(rs, g.getenv, records)
		if err != nil {
			return usageErrorf("--suite %v", err)
		}
		cb, err := suiteCallback(g, o, st)
		if err != nil {
			return usageErrorf("--suite %s: step %q (#%d): %v", s.File, st.Name, st.Index, err)
		}
		if err := checkStepOutcome(s, st, cb.Entry.Vendor); err != nil {
			return err
		}
		// The judge checks the outcome the step expects (none: the callback
		// must be accepted), as simulate --expect does.
		sender.Expect = st.Expect.Outcome
		rec, unreachable := sender.Send(ctx, cb)
		misses := st.Check(rec)
		rec.Findings = append(rec.Findings, misses...)
		if len(misses) > 0 && rec.Verdict == record.Pass {
			rec.Verdict = record.Fail
		}
		ok := len(misses) == 0 && !unreachable
		if ok {
			passed++
			rec.Findings = append(rec.Findings, record.Finding{Severity: record.Info, Rule: "suite.step", Path: st.Name, Message: "step " + st.Name + ": as expected (verdict " + string(st.Expect.Verdict) + ")"})
		} else {
			failed++
		}
		printer.Record(rec)
		if o.ci.report != nil {
			o.ci.report.Add(stepCase(st, rec, ok))
		}
		if rw != nil {
			if err := rw.Write(rec); err != nil {
				return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--record %s: %w", o.Record, err)}
			}
		}
		t.add(rec, unreachable)
		b, _ := json.Marshal(rec)
		records[st.Name] = b
		if unreachable {
			break
		}
		if o.ci.MaxFailures > 0 && failed >= o.ci.MaxFailures {
			g.Notef("stopping after %d failed step(s) (--max-failures)", failed)
			break
		}
	}
	if err := closeRecord(rw, o.Record, nil); err != nil {
		return err
	}
	if !g.Quiet {
		pal := g.ErrPalette()
		fmt.Fprintf(g.Streams.ErrOut, "%d of %d step(s) run: %s passed, %s failed (%s)\n", passed+failed, len(s.Steps), pal.Green(fmt.Sprint(passed)), redIf(pal, failed), t.summary(pal))
	}
	switch {
	case ctx.Err() != nil:
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted")}
	case t.unreachable > 0:
		return t.err()
	case failed > 0:
		return &ExitError{Code: ExitContract, Silent: true, Err: fmt.Errorf("%d step(s) failed", failed)}
	}
	return nil
}

// checkStepOutcome refuses an expect.outcome that the step's vendor does
// not have.
func checkStepOutcome(s *suite.Suite, st *suite.Step, vendor string) error {
	if st.Expect.Outcome == "" || slices.Contains(fixtures.VendorOutcomes(vendor), st.Expect.Outcome) {
		return nil
	}
	return usageErrorf("--suite %s: step %q (#%d): expect.outcome: %q is not an outcome of %s callbacks; use one of %s", s.File, st.Name, st.Index,
		st.Expect.Outcome, platform.For(vendor).Title(), joinOutcomes(fixtures.VendorOutcomes(vendor)))
}

// suiteCallback makes the step's callback: its data or a generated body,
// then --set and the step's set overrides.
func suiteCallback(g *Globals, o *simulateOptions, st *suite.Step) (simulate.Callback, error) {
	var body []byte
	var err error
	if st.Data != nil {
		body = st.Data
	}
	var names []string
	if st.Command != "" {
		names = []string{st.Command}
	} else if cmd, _ := fixtures.BodyCommand(body); cmd != "" {
		names = []string{cmd}
	} else {
		return simulate.Callback{}, errors.New("command: missing, and the data names no callback")
	}
	es, err := lookupEntries(g, names)
	if err != nil {
		return simulate.Callback{}, fmt.Errorf("command: %w", err)
	}
	e := es[0]
	if body == nil {
		if body, err = o.payload.generate(e, st.Index-1); err != nil {
			return simulate.Callback{}, err
		}
	} else if body, err = applySets(body, o.payload.Sets); err != nil {
		return simulate.Callback{}, err
	}
	for _, s := range st.Set {
		if body, err = sjson.SetRawBytes(body, s.Path, s.Value); err != nil {
			return simulate.Callback{}, fmt.Errorf("set.%s: %v", s.Path, err)
		}
	}
	return simulate.NewCallback(e, body), nil
}

// stepCase is a step's JUnit test case: named after the step, failed when
// an expectation was missed.
func stepCase(st *suite.Step, rec *record.Record, ok bool) junit.Case {
	var exp []string
	exp = append(exp, "verdict "+string(st.Expect.Verdict))
	if st.Expect.MaxLatency > 0 {
		exp = append(exp, "a reply within "+st.Expect.MaxLatency.String())
	}
	for _, f := range st.Expect.Reply {
		exp = append(exp, "reply "+f.Path+" = "+string(f.Value))
	}
	c := junit.FromRecordExpect(st.Name, rec, strings.Join(exp, ", "))
	c.Name = fmt.Sprintf("%s (%s)", st.Name, rec.Command)
	if ok {
		c.Failure, c.Error = nil, nil
		return c
	}
	if c.Failure == nil && c.Error == nil {
		c.Failure = &junit.Problem{Type: "suite.expect", Text: junitDetail(strings.Join(exp, ", "), rec)}
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

func junitDetail(expected string, rec *record.Record) string {
	c := junit.FromRecordExpect("", &record.Record{Verdict: record.Fail, Response: rec.Response, Error: rec.Error, Findings: rec.Findings}, expected)
	return c.Failure.Text
}
