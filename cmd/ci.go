package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/junit"
	"github.com/imhook/imhook/record"
)

// ciOptions are simulate's and replay's CI flags: --junit, and simulate's
// --suite, --probe and --max-failures (suite.go, probe.go).
type ciOptions struct {
	JUnit       string
	Suite       string
	Probe       string
	MaxFailures int

	report *junit.Report
	n      int
}

// registerCI adds the CI flags; simulate gets all of them, replay --junit.
func (c *ciOptions) registerCI(cmd *cobra.Command, simulate bool) {
	f := cmd.Flags()
	f.StringVar(&c.JUnit, "junit", "", "write a JUnit XML report to this file: one test case per exchange (CI systems read it)")
	if !simulate {
		return
	}
	f.StringVar(&c.Suite, "suite", "", "run the steps of a suite file (JSON, see 'imhook simulate --help')")
	f.StringVar(&c.Probe, "probe", "", "send probes a careful backend must survive: security (forged callbacks must be refused) or robustness (bad input must get an answer)")
	f.IntVar(&c.MaxFailures, "max-failures", 0, "with --suite or --probe: stop after this many failed steps or probes (0: run them all)")
	_ = cmd.RegisterFlagCompletionFunc("probe", fixedCompletion(probeKinds...))
}

// start opens the report when --junit is given.
func (c *ciOptions) start(name string) {
	if c.JUnit != "" {
		c.report = junit.New(name)
	}
}

// observe adds an exchange to the report as "<what> #<n>".
func (c *ciOptions) observe(what string, rec *record.Record) {
	if c.report == nil {
		return
	}
	c.n++
	c.report.AddRecord(fmt.Sprintf("%s #%d %s", what, c.n, rec.Command), rec)
}

// finish writes the report; a report that cannot be written is an input
// error (2) unless the run already failed otherwise.
func (c *ciOptions) finish(runErr error) error {
	if c.report == nil {
		return runErr
	}
	if ExitCode(runErr) == ExitUsage && c.report.Len() == 0 {
		return runErr // nothing ran: no report
	}
	if err := c.report.WriteFile(c.JUnit); err != nil {
		werr := &ExitError{Code: ExitUsage, Err: fmt.Errorf("--junit: %w", err)}
		if runErr == nil {
			return werr
		}
	}
	return runErr
}

// runSimulateCI is simulate with its CI modes: --suite and --probe run
// instead of the named callbacks, and --junit reports on any of them.
func runSimulateCI(ctx context.Context, g *Globals, o *simulateOptions, args []string) error {
	ci := &o.ci
	switch {
	case ci.Suite != "" && ci.Probe != "":
		return usageErrorf("give --suite or --probe, not both")
	case ci.MaxFailures < 0:
		return usageErrorf("--max-failures must not be negative")
	case ci.MaxFailures > 0 && ci.Suite == "" && ci.Probe == "":
		return usageErrorf("--max-failures applies to --suite and --probe")
	case ci.JUnit != "" && o.loadMode():
		return usageErrorf("--junit writes one test case per exchange; it does not go with --count/--duration")
	case ci.JUnit != "" && o.DryRun:
		return usageErrorf("--junit reports on exchanges; --dry-run sends none")
	case (ci.Suite != "" || ci.Probe != "") && (o.loadMode() || o.DryRun || o.All):
		return usageErrorf("--suite and --probe do not go with --all, --count, --duration or --dry-run")
	}
	switch {
	case ci.Suite != "":
		ci.start("imhook simulate --suite " + ci.Suite)
		return ci.finish(runSuite(ctx, g, o, args))
	case ci.Probe != "":
		ci.start("imhook simulate --probe " + ci.Probe)
		return ci.finish(runProbes(ctx, g, o, args))
	}
	ci.start("imhook simulate")
	return ci.finish(runSimulate(ctx, g, o, args))
}

// observeAs adds an exchange to the report under its own name.
func (c *ciOptions) observeAs(name string, rec *record.Record) {
	if c.report == nil {
		return
	}
	c.n++
	c.report.AddRecord(name, rec)
}
