package cmd

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// outputOptions are the flags of where a run's records and report go and
// when it stops, shared by every sending command.
type outputOptions struct {
	Record      string
	JUnit       string
	MaxFailures int
}

// register adds --record, and --junit and --max-failures where the command
// takes them.
func (o *outputOptions) register(c *cobra.Command, junit, maxFailures bool) {
	f := c.Flags()
	f.StringVar(&o.Record, "record", "", "append a record of every exchange to this file (JSON Lines)")
	if junit {
		f.StringVar(&o.JUnit, "junit", "", "write a JUnit XML report to this file: one test case per exchange (CI systems read it)")
	}
	if maxFailures {
		f.IntVar(&o.MaxFailures, "max-failures", 0, "stop after this many failed exchanges, steps or probes (0: run them all)")
	}
}

// chainSpec is what a mode asks of its chain.
type chainSpec struct {
	Name string // "imhook simulate --suite contract.json"
	Mode string // JUnit case names: "<mode> #n <command>"
	// Print shows one line per exchange (not in a load run); Received says
	// the exchanges came in (serve); ShowInfo shows info findings too.
	Print, Received, ShowInfo bool
	// ShowReply shows each reply's status and body beneath its line.
	ShowReply bool
	// Strict: warnings and unknown fields fail (--strict); the printer
	// shows the unknown fields, and the summary says why they failed.
	Strict bool
	// Progress draws the live progress line on a terminal; Total is how
	// many exchanges to expect (0: not known).
	Progress bool
	Total    int64
	// Seed is the seed the run's payloads came from, stamped on its
	// records (nil: not generated).
	Seed *uint64
}

// newChain opens the run's outputs (--record, --junit), so that one that
// cannot be written is an error before anything is sent, and builds the
// run's consumer chain on the globals' streams.
func (g *Globals) newChain(ctx context.Context, out *outputOptions, spec chainSpec) (*run.Chain, error) {
	if out.MaxFailures < 0 {
		return nil, usageErrorf("--max-failures must not be negative")
	}
	o := run.Options{Name: spec.Name, Mode: spec.Mode, MaxFailures: int64(out.MaxFailures), Palette: g.ErrPalette(),
		SummaryText: g.Streams.ErrOut, QuietSummary: g.Quiet, Seed: spec.Seed, PrintBulk: g.JSON()}
	if !g.Quiet {
		o.Notes = g.Streams.ErrOut
	}
	if g.JSON() {
		o.SummaryJSON = g.Streams.Out
	}
	if out.JUnit != "" {
		f, err := os.Create(out.JUnit)
		if err != nil {
			return nil, &run.OutputError{Flag: "--junit", Err: err}
		}
		o.JUnit, o.JUnitPath = f, out.JUnit
	}
	if out.Record != "" {
		w, err := record.OpenFile(out.Record)
		if err != nil {
			if o.JUnit != nil {
				o.JUnit.Close()
			}
			return nil, &run.OutputError{Flag: "--record", Err: err}
		}
		w.Watch(recordReopened(g))
		o.Record, o.RecordPath = w, out.Record
	}
	if spec.Print {
		printer := g.Printer()
		printer.ShowInfo, printer.ShowReply, printer.Strict = spec.ShowInfo, spec.ShowReply, spec.Strict
		o.Print = printer.Record
		if spec.Received {
			o.Print = printer.Received
		}
		o.NotJudged = func(nj *run.NotJudged) { printer.NotJudged(nj.Vendor, nj.Command, nj.Name) }
	}
	errPal := g.ErrPalette()
	o.Problem = func(p *stream.Finding) {
		if g.Quiet && p.Severity != record.Error {
			return
		}
		g.Notef("%s:%d: %s %s: %s", p.File, p.Line, errPal.Severity(p.Severity), p.Rule, p.Message)
	}
	c := run.NewChain(ctx, o)
	c.Progress().Total = spec.Total
	c.Summary().Strict = spec.Strict
	return c, nil
}

// runPipeline runs a producer through its chain and returns the run's
// result. A live progress line shows on stderr when it is a terminal,
// unless -q, or the records print one line per exchange on the same
// terminal (they show the progress themselves).
func (g *Globals) runPipeline(ctx context.Context, c *run.Chain, spec chainSpec, p run.Producer) error {
	if spec.Progress && g.Streams.ErrTTY && !g.Quiet && !(spec.Print && g.Streams.OutTTY) {
		stop := run.ShowProgress(g.Streams.ErrOut, c.Progress())
		defer stop()
	}
	return run.Run(ctx, c, p)
}

// lessEagerGC makes the collector less eager for the rest of a command that
// allocates short-lived bodies at a high rate (a load run, serve): about 5%
// more throughput. GOGC, when set, wins. The command line decides this,
// never a library.
func (g *Globals) lessEagerGC(percent int) {
	if g.getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
}

// loadLimits is what a load run needs of the process, set by the command
// line: a less eager collector, and a soft memory limit
// (simulate.LoadMemoryLimit; GOMEMLIMIT wins) that keeps replies that are
// garbage at a high rate (hostile heads given up on the budget) from
// growing the heap to five times what is live; and a number of workers
// the file limit allows, each holding a connection (clampWorkers).
func (g *Globals) loadLimits(workers int) int {
	g.lessEagerGC(400)
	if g.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(simulate.LoadMemoryLimit)
	}
	return clampWorkers(g, workers)
}

// clampWorkers is workers, or fewer when the process may not open a
// connection for each (ulimit -n, less what it keeps for its files), with
// a warning on stderr.
func clampWorkers(g *Globals, workers int) int {
	limit, ok := fileLimit()
	if !ok || int64(workers)+reservedFiles <= limit {
		return workers
	}
	n := int(max(1, limit-reservedFiles))
	g.warn(fmt.Sprintf("warning: --concurrency %d needs a connection for each worker, and this process may open only %d files (ulimit -n); running %d workers (raise ulimit -n for more)", workers, limit, n))
	return n
}

// reservedFiles are the files a load run keeps for itself beyond its
// workers' connections: stdio, --record, --junit, the inspector, DNS.
const reservedFiles = 64

// registerStrict adds --strict: what a finding must be to fail an exchange.
func registerStrict(c *cobra.Command, v *bool, usage string) {
	c.Flags().BoolVar(v, "strict", false, usage+" ('imhook help checks')")
}

const strictUsage = "warnings and unknown fields fail too (exit 1); a --set path that is no field of the callback is a usage error"

// recordReopened reports on stderr, even with -q, that --record's file was
// deleted, moved or replaced and its path reopened (record.Writer.Watch).
func recordReopened(g *Globals) func(record.Reopen) {
	return func(r record.Reopen) {
		level := "warning"
		if r.Err != nil {
			level = "error"
		}
		fmt.Fprintf(g.Streams.ErrOut, "imhook: %s: --record %s\n", level, r)
	}
}
