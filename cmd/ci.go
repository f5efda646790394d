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
	cmd.Long += "\n\n" + ciHelp
	cmd.Example += "\n" + ciExamples
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

// finish writes the report. A report that cannot be written is an output
// error (2) whatever the run's outcome, which the message adds: a CI job
// must not pass on a report it never got.
func (c *ciOptions) finish(runErr error) error {
	if c.report == nil {
		return runErr
	}
	if ExitCode(runErr) == ExitUsage && c.report.Len() == 0 {
		return runErr // nothing ran: no report
	}
	if err := c.report.WriteFile(c.JUnit); err != nil {
		werr := fmt.Errorf("--junit: %w", err)
		if runErr != nil && runErr.Error() != "" {
			werr = fmt.Errorf("%w (and the run: %v, exit %d)", werr, runErr, ExitCode(runErr))
		}
		return &ExitError{Code: ExitUsage, Err: werr}
	}
	return runErr
}

// runSimulateCI is simulate with its CI modes: --suite and --probe run
// instead of the named callbacks, and --junit reports on any of them.
func runSimulateCI(ctx context.Context, g *Globals, o *simulateOptions, args []string) error {
	ci := &o.ci
	if err := checkScenario(o, args); err != nil {
		return err
	}
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
	name := "imhook simulate"
	if o.Scenario != "" {
		name += " --scenario " + o.Scenario
	}
	ci.start(name)
	return ci.finish(runSimulate(ctx, g, o, args))
}

// observeAs adds an exchange to the report under its own name, with what
// it was expected to show.
func (c *ciOptions) observeAs(name, expected string, rec *record.Record) {
	if c.report == nil {
		return
	}
	c.n++
	c.report.Add(junit.FromRecordExpect(name, rec, expected))
}

const ciHelp = `CI: --junit FILE writes a JUnit XML report, one test case per exchange (classname the
vendor, a failure with expected, found and the findings). Exit codes and environment
variables: 'imhook help environment'.

--probe security sends a valid, signed Tencent callback (baseline.valid: it must be accepted)
and then otherwise valid forgeries a careful backend must refuse: a wrong SdkAppid and, with
--token, no Sign, a bad Sign and a RequestTime ten minutes old. A probe fails (probe.accepted:
forged callbacks accepted) when the backend answers OK; HTTP 4xx, FAIL or a non-zero
ErrorCode pass. Default callback: C2C.CallbackAfterSendMsg, or the COMMAND given.

--probe robustness sends malformed JSON, missing required fields, wrong types, an unknown
command, a body over 1 MiB, unicode, emoji and control characters in strings, the same message
twice and messages out of order (Tencent C2C.CallbackAfterSendMsg and OpenIM
callbackAfterSendSingleMsgCommand, or the COMMANDs given). Each must get an answer within the
budget in the vendor's reply shape (FAIL is fine, so is a 4xx); a 5xx, HTML, a reset or a hang
fails the probe (probe.robustness). Each record's probe.* finding names the probe in its path.

--suite FILE runs the steps of a suite file in order:

  {"version": 1,
   "steps": [
     {"name": "send", "command": "C2C.CallbackAfterSendMsg",
      "set": {"From_Account": "${env:SENDER|alice}"},
      "expect": {"max_latency": "500ms", "reply": {"ActionStatus": "OK"}, "verdict": "pass"}},
     {"name": "answer", "command": "C2C.CallbackAfterSendMsg",
      "set": {"To_Account": "${step:send.request.body.From_Account}"}},
     {"name": "raw", "data": "payload.json", "expect": {"verdict": "fail"}}]}

A step sends one callback: a generated body (or "data": a file, relative to the suite file,
or an inline object) with "set" overrides (gjson/sjson path: JSON value). "expect" holds
max_latency (a duration), reply (gjson path into the reply body: the JSON value it must
equal), verdict (pass, the default, fail or error: the exchange's verdict) and outcome (the
platform's outcome, as with --expect: Tencent ok, fail, reject, discard, modify; OpenIM
continue, stop, modify). Strings may use
${env:VAR|default} and ${step:NAME.PATH}, a gjson path into an earlier step's record (its
request, response and findings, as -o json prints them); a string that is just one reference
takes the value with its JSON type (${env:IMHOOK_TOKEN} is refused: the token is never
written, and bodies are). Errors in the file name the step and the key (exit 2).
--max-failures N stops after N failed steps or probes.`

const ciExamples = `  imhook simulate --suite contract.json --target http://localhost:8080/im --junit report.xml
  imhook simulate --probe security --target http://localhost:8080/im --sdkappid 1400000001 --token "$TOKEN"
  imhook simulate --probe robustness --target http://localhost:8080/im --junit robustness.xml`
