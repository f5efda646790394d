package cmd

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/check"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/internal/suite"
	"github.com/imhook/imhook/simulate"
)

// checkOptions are check's flags.
type checkOptions struct {
	g   *Globals
	ctx context.Context

	targets targetOptions
	request requestOptions
	payload payloadOptions
	out     outputOptions
	tls     tlsClientFlags

	Timeout     time.Duration
	Strict      bool
	Suites      []string
	Only, Skip  []string
	Enabled     []string
	EnabledFile string

	BurstCommands    []string
	BurstCount       int
	BurstConcurrency int
}

func newCheckCmd(g *Globals, runF func(*checkOptions) error) *cobra.Command {
	o := &checkOptions{g: g}
	c := &cobra.Command{
		Use:   "check",
		Short: "Run the whole contract check a careful CI runs: callbacks, probes, conversation, burst, suites",
		Long: `Check a backend in one run: for each vendor the targets name, every callback (or those you
enabled: --webhooks-yml, --enabled), the security and robustness probes, the conversation
scenario, and a burst of concurrent callbacks: those a backend gets most (the message
callbacks before and after a send), 200 of each with 100 in flight (OpenIM's webhook client
opens up to 100 connections to a host; Tencent documents no limit; pools starve past 10-20).
Then each --suite. One summary with a section per part and its time, a JUnit test suite per
part, one exit code. The seed goes to stderr and into records; --seed repeats the run.`,
		Example: `  # both vendors of a backend, with the token and app ID it checks; a JUnit report for CI
  imhook check --target tencent=http://127.0.0.1:8080/im --target openim=http://127.0.0.1:10006/cb \
    --sdkappid 1400000001 --token-file im.token --junit reports/imhook.xml

  # the callbacks your consoles enable, and your own suites
  imhook check --target openim=http://127.0.0.1:10006/cb --webhooks-yml config/webhooks.yml
  imhook check --target tencent=http://127.0.0.1:8080/im --enabled-file enabled.txt --suite contract.json

  # again with the seed a failed run printed; only some parts; a larger burst
  imhook check --target tencent=http://127.0.0.1:8080/im --seed 1234567 --only burst,robustness
  imhook check --target tencent=http://127.0.0.1:8080/im --burst-concurrency 200 --burst-count 1000

  # every exchange as JSON Lines and in a record file; stop after 10 failures
  imhook check -o json --record check.jsonl --max-failures 10`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o.ctx = c.Context()
			if err := o.resolve(c); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return checkRun(o)
		},
	}
	f := c.Flags()
	o.targets.register(c)
	o.request.register(c, false)
	o.request.registerConfig(c)
	f.StringSliceVar(&o.Enabled, "enabled", nil, "check only these callbacks of their vendor (the callbacks a console switches on; comma-separated, repeatable); a vendor none of them names is checked whole")
	f.StringVar(&o.EnabledFile, "enabled-file", "", "as --enabled, from a file: one callback a line, # comments")
	f.DurationVar(&o.Timeout, "timeout", 0, "reply budget (default: the platform's, 'imhook help requests')")
	f.StringArrayVar(&o.Suites, "suite", nil, "also run the steps of this suite file, a part of its own ('imhook help suites'); repeatable")
	f.StringSliceVar(&o.Only, "only", nil, "run only these parts: "+strings.Join(check.Kinds, ", "))
	f.StringSliceVar(&o.Skip, "skip", nil, "leave out these parts: "+strings.Join(check.Kinds, ", "))
	f.StringSliceVar(&o.BurstCommands, "burst-commands", nil, "burst these callbacks instead of each vendor's busiest (the message callbacks before and after a send)")
	f.IntVar(&o.BurstCount, "burst-count", check.DefaultBurstCount, "burst: callbacks of each command, each with a fresh payload")
	f.IntVar(&o.BurstConcurrency, "burst-concurrency", check.DefaultBurstConcurrency, "burst: callbacks in flight at once, each on its own keep-alive connection")
	o.payload.registerSeed(c)
	o.out.register(c, true, true)
	f.Lookup("junit").Usage = "write a JUnit XML report to this file: a test suite per part, a test case per exchange (per command of a burst)"
	registerStrict(c, &o.Strict, "warnings and unknown fields fail too (exit 1)")
	o.tls.register(c)
	_ = c.MarkFlagFilename("suite", "json")
	_ = c.RegisterFlagCompletionFunc("only", fixedCompletion(check.Kinds...))
	_ = c.RegisterFlagCompletionFunc("skip", fixedCompletion(check.Kinds...))
	return c
}

func (o *checkOptions) resolve(c *cobra.Command) error {
	if err := o.payload.resolve(c); err != nil {
		return err
	}
	if err := o.targets.resolve(o.g, c); err != nil {
		return err
	}
	if err := o.request.resolve(o.g, c); err != nil {
		return err
	}
	o.payload.release = o.request.release()
	if err := o.tls.resolve(); err != nil {
		return err
	}
	switch {
	case o.Timeout < 0:
		return usageErrorf("--timeout must not be negative")
	case o.BurstCount < 1 || o.BurstConcurrency < 1:
		return usageErrorf("--burst-count and --burst-concurrency must be at least 1")
	case o.BurstCount > 1_000_000 || o.BurstConcurrency > 10_000:
		return usageErrorf("--burst-count is at most 1000000 and --burst-concurrency at most 10000")
	}
	return nil
}

// vendors are the vendors a check runs: those the targets (or --vendor)
// name, or every one against the built-in receiver.
func (o *checkOptions) vendors() []string {
	var out []string
	for _, n := range platform.Names() {
		if o.targets.allows(n) {
			out = append(out, n)
		}
	}
	return out
}

// enabled reads --enabled, --enabled-file and --webhooks-yml into the
// filter of the callbacks checked: per vendor, the callbacks named, or
// every one when none of that vendor's is.
func (o *checkOptions) enabled() (func(*fixtures.Entry) bool, error) {
	names := append([]string(nil), o.Enabled...)
	if o.EnabledFile != "" {
		f, err := os.Open(o.EnabledFile)
		if err != nil {
			return nil, usageErrorf("--enabled-file: %v", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line, _, _ := strings.Cut(sc.Text(), "#")
			if line = strings.TrimSpace(line); line != "" {
				names = append(names, line)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, usageErrorf("--enabled-file %s: %v", o.EnabledFile, err)
		}
	}
	on := map[*fixtures.Entry]bool{}
	named := map[string]bool{}
	es, err := lookupEntries(o.g, names)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		on[e], named[e.Vendor] = true, true
	}
	if o.request.configured() {
		for _, e := range fixtures.Default().Entries() {
			if o.request.enabled(e.Command) {
				on[e], named[e.Vendor] = true, true
			}
		}
	}
	if len(named) == 0 {
		return nil, nil
	}
	return func(e *fixtures.Entry) bool { return !named[e.Vendor] || on[e] }, nil
}

func checkRun(o *checkOptions) error {
	g := o.g
	vendors := o.vendors()
	if err := o.targets.check(vendors); err != nil {
		return err
	}
	enabled, err := o.enabled()
	if err != nil {
		return err
	}
	var suites []*suite.Suite
	for _, p := range o.Suites {
		s, err := suite.Load(p, g.getenv)
		if err != nil {
			return err
		}
		suites = append(suites, s)
	}
	burst := map[string][]string{}
	bes, err := lookupEntries(g, o.BurstCommands)
	if err != nil {
		return err
	}
	for _, e := range bes {
		burst[e.Vendor] = append(burst[e.Vendor], e.Command)
	}
	sender := &simulate.Sender{Timeout: o.Timeout, Client: o.tls.client(), Params: o.request.params(), Settings: o.request.callbackSettings(), Strict: o.Strict, Words: flagWords}
	opts := check.Options{Vendors: vendors, Sender: sender, Enabled: enabled, Seed: o.payload.Seed, Now: o.payload.now, Release: o.payload.release,
		BurstCommands: burst, BurstCount: o.BurstCount, BurstConcurrency: o.BurstConcurrency, TLS: o.tls.config,
		Suites: suites, Getenv: g.getenv, Warn: func(msg string) { g.warn("warning: " + msg) }, Only: o.Only, Skip: o.Skip}
	seed := o.payload.Seed
	spec := chainSpec{Name: "imhook check", Mode: "check", Print: true, Progress: true, Strict: o.Strict, Seed: &seed}
	chain, err := g.newChain(o.ctx, &o.out, spec)
	if err != nil {
		return err
	}
	// The built-in receiver (no target) is as careful as the flags allow.
	stop, err := o.targets.apply(g, sender, serve.Config{Expect: o.request.expect()})
	if err != nil {
		return chain.Close(o.ctx, err)
	}
	defer stop()
	parts, err := check.Plan(opts)
	if err != nil {
		return chain.Close(o.ctx, usageErrorf("%v", err))
	}
	o.payload.noteSeed(g, true)
	for _, p := range parts {
		g.Notef("part %s: %s", p.Name, p.What)
	}
	err = g.runPipeline(o.ctx, chain, spec, check.Producer(parts))
	// Last, even with -q: what a failure seen once needs to be seen again.
	fmt.Fprintf(g.Streams.ErrOut, "imhook: %s\n", o.payload.seedLine())
	return err
}
