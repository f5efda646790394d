package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/record"
)

// reportOptions are report's arguments.
type reportOptions struct {
	g   *Globals
	ctx context.Context

	Inputs []string
	failOn failOn
}

func newReportCmd(g *Globals, runF func(*reportOptions) error) *cobra.Command {
	o := &reportOptions{g: g}
	c := &cobra.Command{
		Use:   "report FILE...|-",
		Short: "Sum up recordings and run summaries: the same summary every run prints",
		Long: `Print the run summary of recordings (records, as --record writes them or -o json prints
them) and of run summaries (the {"summary": ...} line -o json ends with), merged into one:
exchanges by vendor, callback, verdict, outcome and status, findings, budget misses and the
latency percentiles. Summaries carry their histogram and merge exactly, so a load run split
over several machines sums up as one. Exit 2 when a line or an input cannot be used (torn,
NUL-filled, not a record or summary), else 1 when exchanges fell short (--fail-on, default
error, as validate), else 0.

More: 'imhook help load' (the summary; splitting a run), 'imhook help inputs'.`,
		Example: `  imhook report calls.jsonl
  imhook simulate --all -o json > run.jsonl && imhook report run.jsonl
  imhook report part-*.json -o json                    # the parts of a split load run
  cat a.jsonl b.jsonl | imhook report -
  imhook report calls.jsonl --fail-on warning          # a CI gate on recorded traffic`,
		Args: needArgs("FILE... or - (stdin)"),
		RunE: func(c *cobra.Command, args []string) error {
			o.Inputs, o.ctx = args, c.Context()
			if err := o.failOn.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return reportRun(o)
		},
	}
	o.failOn.register(c, failOnError, "default error, as validate")
	return c
}

// reportRun reads the inputs as streams into one Summary.
func reportRun(o *reportOptions) error {
	g := o.g
	sources, err := stream.Expand(o.Inputs)
	if err != nil {
		return usageErrorf("%v", err)
	}
	sum := run.NewSummary("imhook report")
	errPal := g.ErrPalette()
	problem := func(file string, line int, rule, msg string) {
		sum.Input.Problems++
		sum.Input.Errors++
		g.Notef("%s:%d: %s %s: %s", file, line, errPal.Severity(record.Error), rule, msg)
	}
	err = stream.Walk(sources, stream.Options{Stdin: g.Streams.In}, func(it *stream.Item) error {
		if err := o.ctx.Err(); err != nil {
			return err
		}
		if f, line := it.Check(); f != nil {
			if stream.Unusable(f) {
				sum.Input.Unreadable++
			}
			problem(it.File, line, f.Rule, f.Message)
			return nil
		}
		switch kind, _ := stream.Classify(it.Raw); kind {
		case stream.KindRecord:
			var rec record.Record
			if err := record.Unmarshal(it.Raw, &rec); err != nil {
				problem(it.File, it.Line, "report.input", "not a record: "+err.Error())
				return nil
			}
			sum.Add(&run.Event{Record: &rec})
		case stream.KindSummary:
			var s run.Summary
			if err := s.UnmarshalJSON(it.Raw); err != nil {
				problem(it.File, it.Line, "report.input", err.Error())
				return nil
			}
			sum.Merge(&s)
		default:
			problem(it.File, it.Line, "report.input", "neither a record nor a run summary (payloads and replies have no exchange to count: imhook validate checks them)")
		}
		return nil
	})
	if err != nil && o.ctx.Err() == nil {
		return &run.InputError{Err: err}
	}
	if g.JSON() {
		b, err := sum.MarshalJSON()
		if err != nil {
			return err
		}
		fmt.Fprintf(g.Streams.Out, "%s\n", b)
	} else {
		fmt.Fprint(g.Streams.Out, sum.Text(g.OutPalette()))
	}
	switch {
	case o.ctx.Err() != nil:
		return &run.InterruptedError{Exchanges: sum.Exchanges}
	case sum.Input.Unreadable > 0:
		return &run.InputError{Err: fmt.Errorf("%d input(s) could not be used (unreadable, empty or not JSON text)", sum.Input.Unreadable)}
	case sum.Input.Errors > 0:
		// A line that is no record nor summary (torn by a crash, NUL bytes
		// of a preallocated file) holds exchanges the summary cannot count:
		// the summary above is not the whole story.
		return &run.InputError{Err: fmt.Errorf("%d line(s) could not be read as records or summaries (see above); the summary leaves them out", sum.Input.Errors)}
	}
	if err := o.failOn.err(sum); err != nil {
		g.Notef("%v", err)
		return err
	}
	return nil
}
