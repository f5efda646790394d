package cmd

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// simulateOptions are simulate's flags and arguments.
type simulateOptions struct {
	g   *Globals
	ctx context.Context

	Commands []string
	All      bool
	Data     string
	Timeout  time.Duration
	DryRun   bool

	targets targetOptions
	request requestOptions
	payload payloadOptions
	outcome outcomeFlags
	out     outputOptions

	// Load mode.
	Count       int64
	Duration    time.Duration
	Concurrency int
	Rate        float64

	Strict bool

	// Modes that make their own callbacks.
	Suite    string
	Probe    string
	Scenario string

	RetryOnTimeout bool // --retry-on-timeout (retry.go)

	tls tlsClientFlags // --cacert, --insecure, --cert, --key (tls.go)
}

// loadMode reports whether the run is a load run (--count or --duration;
// with --scenario, --count is the scenario's length).
func (o *simulateOptions) loadMode() bool {
	return o.Scenario == "" && (o.Count > 0 || o.Duration > 0)
}

func newSimulateCmd(g *Globals, runF func(*simulateOptions) error) *cobra.Command {
	o := &simulateOptions{g: g}
	c := &cobra.Command{
		Use:   "simulate COMMAND... | --all",
		Short: "Generate callbacks, send them to a backend and judge each reply",
		Long: `Generate callbacks from the catalogue, build each request exactly as the platform does,
send it to your backend and judge the reply against the platform's contract. With no --target
(and no IMHOOK_TARGET) imhook starts its own receiver on a loopback port and runs against it.

More: 'imhook help requests' (targets, signatures), 'imhook help outcomes' (--expect),
'imhook help checks' (what is judged; --set, --strict), 'imhook help load', 'imhook help
suites', 'imhook help probes', 'imhook help scenarios', 'imhook help environment' (exit codes).`,
		Example: `  # every callback against the built-in receiver: the demo
  imhook simulate --all

  # your backend (it serves one vendor on a URL: --vendor, or a target per vendor)
  imhook simulate C2C.CallbackAfterSendMsg --target http://localhost:8080/im
  imhook simulate --all --vendor tencent --sdkappid 1400123456 --target http://localhost:8080/im
  imhook simulate --all --target tencent=http://localhost:8080/im --target openim=http://localhost:10006/cb

  # fields of your choosing; the request without sending it; a refusal expected
  imhook simulate C2C.CallbackAfterSendMsg --set UnreadMsgNum=3 --set From_Account=alice --dry-run
  imhook simulate C2C.CallbackBeforeSendMsg --text "a banned word" --expect reject --target http://localhost:8080/im

  # a body of your own, even a broken one: its findings and the backend's reply
  imhook simulate --data payload.json --target http://localhost:8080/im

  # records, suites, probes and load
  imhook simulate --all --vendor tencent -o json --record run.jsonl --target http://localhost:8080/im
  imhook simulate --suite contract.json --junit report.xml --target http://localhost:8080/im
  imhook simulate --probe security --token "$TOKEN" --target tencent=http://localhost:8080/im
  imhook simulate C2C.CallbackAfterSendMsg --count 10000 --rate 500 --target http://localhost:8080/im`,
		ValidArgsFunction: completeCommands(&o.targets.Vendor),
		RunE: func(c *cobra.Command, args []string) error {
			o.Commands, o.ctx = args, c.Context()
			if err := o.resolve(c); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return simulateRun(o)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.All, "all", false, "send every callback of the catalogue (with --vendor, that vendor's)")
	o.targets.register(c)
	o.request.register(c, false)
	o.request.registerConfig(c)
	f.StringVar(&o.Data, "data", "", "send this body (a file, or - for stdin) instead of a generated one; it is checked first and sent anyway")
	f.DurationVar(&o.Timeout, "timeout", 0, "reply budget (default: the platform's, 'imhook help requests')")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the requests that would be sent and send nothing")
	o.out.register(c, true, true)
	f.Int64Var(&o.Count, "count", 0, "load: send this many callbacks in all, each with a fresh payload (round-robin over the commands); with --scenario, the scenario's length")
	f.DurationVar(&o.Duration, "duration", 0, "load: keep sending for this long")
	f.IntVar(&o.Concurrency, "concurrency", 0, "load: workers sending at once, each on its own keep-alive connection (default 64)")
	f.Float64Var(&o.Rate, "rate", 0, "load: requests per second in all (default: as fast as the workers go)")
	f.StringVar(&o.Suite, "suite", "", "run the steps of a suite file ('imhook help suites')")
	f.StringVar(&o.Probe, "probe", "", "send probes a careful backend must survive: security or robustness ('imhook help probes')")
	f.StringVar(&o.Scenario, "scenario", "", "send a generated, consistent sequence of callbacks: "+strings.Join(scenarioNames(), ", ")+" ('imhook help scenarios'; --count N callbacks)")
	o.payload.register(c)
	registerStrict(c, &o.Strict, strictUsage)
	o.outcome.register(c)
	registerRetryFlag(c, &o.RetryOnTimeout)
	o.tls.register(c)
	_ = c.RegisterFlagCompletionFunc("probe", fixedCompletion(probeKinds...))
	_ = c.RegisterFlagCompletionFunc("scenario", fixedCompletion(scenarioNames()...))
	return c
}

// resolve reads the environment, parses what the flags do not, and checks
// the flags that go together.
func (o *simulateOptions) resolve(c *cobra.Command) error {
	if err := o.payload.resolve(c); err != nil {
		return err
	}
	o.payload.strict, o.payload.warn = o.Strict, o.g.warn
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
	return o.combinations()
}

// combinations checks the flags that go together: the modes, a load run's
// flags, --dry-run's. It has many branches because each case is one rule
// of the help's, read top to bottom; apart they would be harder to check
// against it.
func (o *simulateOptions) combinations() error {
	modes := 0
	for _, m := range []string{o.Suite, o.Probe, o.Scenario} {
		if m != "" {
			modes++
		}
	}
	switch {
	case modes > 1:
		return usageErrorf("give one of --suite, --probe and --scenario")
	case modes == 1 && (len(o.Commands) > 0 && o.Probe == "" || o.All || o.Data != ""):
		return usageErrorf("--suite, --probe and --scenario make their own callbacks; drop --all, --data and the COMMAND arguments (--probe takes COMMANDs)")
	case o.All && len(o.Commands) > 0:
		return usageErrorf("give COMMAND... or --all, not both")
	case o.All && o.Data != "":
		return usageErrorf("--data sends one body; name its command instead of --all")
	case o.Count < 0 || o.Duration < 0 || o.Concurrency < 0 || o.Rate < 0 || o.Timeout < 0:
		return usageErrorf("--count, --duration, --concurrency, --rate and --timeout must not be negative")
	case !o.loadMode() && (o.Concurrency > 0 || o.Rate > 0):
		return usageErrorf("--concurrency and --rate shape a load run: give --count N or --duration D too")
	case o.loadMode() && (o.Suite != "" || o.Probe != ""):
		return usageErrorf("--suite and --probe do not go with --count or --duration")
	case o.loadMode() && o.DryRun:
		return usageErrorf("--dry-run shows single requests; drop --count/--duration")
	case o.loadMode() && o.RetryOnTimeout:
		return usageErrorf("--retry-on-timeout resends single sends; drop --count/--duration")
	case o.loadMode() && o.out.JUnit != "":
		return usageErrorf("--junit writes one test case per exchange; it does not go with --count/--duration")
	case o.DryRun && (o.Suite != "" || o.Probe != ""):
		return usageErrorf("--dry-run shows the requests of callbacks; it does not go with --suite or --probe")
	case o.DryRun && o.out.JUnit != "":
		return usageErrorf("--junit reports on exchanges; --dry-run sends none")
	}
	return nil
}

// simulateRun picks the producer of the mode, checks it against the
// targets, opens the outputs, points the sender at the targets (or the
// built-in receiver) and runs the pipeline.
func simulateRun(o *simulateOptions) error {
	g := o.g
	if o.DryRun {
		return dryRun(o)
	}
	sender := &simulate.Sender{Timeout: o.Timeout, Client: o.tls.client(), Expect: o.outcome.Expect, Params: o.request.params(), RetryOnTimeout: o.RetryOnTimeout, Settings: o.request.callbackSettings(), Words: flagWords,
		Strict: o.Strict}
	m, err := o.mode(sender)
	if err != nil {
		return err
	}
	m.spec.Strict = o.Strict
	if o.Data == "" {
		// Generated payloads: the records carry the seed, and stderr says
		// it when it was drawn.
		seed := o.payload.Seed
		m.spec.Seed = &seed
		o.payload.noteSeed(g, false)
	}
	if err := o.targets.check(m.vendors); err != nil {
		return err
	}
	if err := o.outcome.check(m.vendors...); err != nil {
		return err
	}
	chain, err := g.newChain(o.ctx, &o.out, m.spec)
	if err != nil {
		return err
	}
	stop, err := o.targets.apply(g, sender, m.receiver)
	if err != nil {
		return chain.Close(o.ctx, err)
	}
	defer stop()
	p := m.producer
	if m.build != nil {
		if p, err = m.build(); err != nil {
			return chain.Close(o.ctx, err)
		}
	}
	return g.runPipeline(o.ctx, chain, m.spec, p)
}

// mode is what a simulate mode runs: its producer (or how to build it once
// the targets are known), the vendors it sends, its chain and how the
// built-in receiver answers.
type mode struct {
	producer run.Producer
	build    func() (run.Producer, error)
	vendors  []string
	spec     chainSpec
	receiver serve.Config
}

func (o *simulateOptions) mode(sender *simulate.Sender) (*mode, error) {
	respond := platform.ReplyModeFor(o.outcome.Expect)
	switch {
	case o.Suite != "":
		return o.suiteMode(sender)
	case o.Probe != "":
		return o.probeMode(sender)
	}
	var cbs []simulate.Callback
	var err error
	name := "imhook simulate"
	if o.Scenario != "" {
		name += " --scenario " + o.Scenario
		cbs, err = o.scenarioCallbacks()
	} else {
		cbs, err = o.callbacks()
	}
	if err != nil {
		return nil, err
	}
	m := &mode{vendors: vendorsOf(cbs), receiver: serve.Config{Respond: respond},
		spec: chainSpec{Name: name, Mode: "simulate", Print: true, Progress: true, Total: int64(len(cbs))}}
	if o.loadMode() {
		m.spec.Print, m.spec.Total = false, o.Count
		m.producer = o.loadProducer(sender, cbs)
		return m, nil
	}
	// A --data body with findings of its own is sent to see how the
	// backend takes it: its reply shows.
	m.spec.ShowReply = o.Data != "" && len(cbs) == 1 && len(cbs[0].Findings) > 0
	m.producer = sender.Sequence(cbs)
	return m, nil
}

// callbacks resolves the named commands (or --all) and makes their bodies:
// generated, or --data's.
func (o *simulateOptions) callbacks() ([]simulate.Callback, error) {
	g := o.g
	var entries []*fixtures.Entry
	var err error
	switch {
	case o.All:
		for _, e := range fixtures.Default().Entries() {
			if o.targets.allows(e.Vendor) {
				entries = append(entries, e)
			}
		}
	case len(o.Commands) == 0 && o.Data == "" && o.request.configured():
		// The callbacks the configuration file enables.
		for _, e := range fixtures.Default().Entries() {
			if o.request.enabled(e.Command) && o.targets.allows(e.Vendor) {
				entries = append(entries, e)
			}
		}
		if len(entries) == 0 {
			return nil, usageErrorf("%s enables no callback of this run's vendors", o.request.configName())
		}
	case len(o.Commands) > 0:
		if entries, err = lookupEntries(g, o.Commands); err != nil {
			return nil, err
		}
	case o.Data == "":
		return nil, usageErrorf("name the callbacks to send (see 'imhook fixtures list') or use --all")
	}
	if o.Data != "" {
		return o.dataCallback(entries)
	}
	if err := o.payload.checkAll(entries); err != nil {
		return nil, err
	}
	out := make([]simulate.Callback, 0, len(entries))
	for i, e := range entries {
		body, err := o.payload.generate(e, i)
		if err != nil {
			return nil, err
		}
		out = append(out, simulate.NewCallback(e, body))
	}
	return out, nil
}

// dataCallback is --data's body, as the named command's or the one the
// body names.
func (o *simulateOptions) dataCallback(entries []*fixtures.Entry) ([]simulate.Callback, error) {
	g := o.g
	body, err := readData(g, o.Data)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		e, err := commandFromBody(g, o.Data, body)
		if err != nil {
			return nil, err
		}
		entries = []*fixtures.Entry{e}
	}
	if len(entries) > 1 {
		return nil, usageErrorf("--data sends one body; name one command")
	}
	if body, err = o.payload.edit(entries[0], body); err != nil {
		return nil, err
	}
	cb := simulate.NewCallback(entries[0], body)
	if len(cb.Findings) > 0 {
		g.Notef("%s: the body has %d finding(s); sending it anyway", o.Data, len(cb.Findings))
	}
	return []simulate.Callback{cb}, nil
}

// loadProducer is the load engine over the callbacks: a fresh payload per
// request (round-robin over the commands), or --data's body each time.
func (o *simulateOptions) loadProducer(sender *simulate.Sender, cbs []simulate.Callback) run.Producer {
	fixed := o.Data != ""
	src := func(dst []byte, i int64) (simulate.Callback, error) {
		cb := cbs[int(i%int64(len(cbs)))]
		if fixed {
			return cb, nil
		}
		body, err := o.payload.appendGenerate(dst, cb.Entry, int(i))
		if err != nil {
			return cb, err
		}
		// Generated payloads pass the catalogue by construction (proven by
		// generate's tests), so the hot path does not check them again.
		return simulate.Callback{Entry: cb.Entry, Body: body}, nil
	}
	conc := o.Concurrency
	if conc == 0 {
		conc = 64
	}
	conc = o.g.loadLimits(conc)
	sender.Client = simulate.NewClientFor(conc, o.tls.config)
	return sender.LoadAppend(simulate.LoadOptions{Count: o.Count, Duration: o.Duration, Concurrency: conc, Rate: o.Rate}, src)
}

// dryRun prints the requests that would be sent.
func dryRun(o *simulateOptions) error {
	g := o.g
	cbs, err := o.callbacks()
	if o.Scenario != "" {
		cbs, err = o.scenarioCallbacks()
	}
	if err != nil {
		return err
	}
	sender := &simulate.Sender{Target: "http://127.0.0.1:9000", Params: o.request.params()}
	if !o.targets.builtIn() {
		if err := o.targets.check(vendorsOf(cbs)); err != nil {
			return err
		}
		sender.Target, sender.Targets = o.targets.bare, o.targets.per
	}
	printer := g.Printer()
	bad := false
	for _, cb := range cbs {
		req, err := sender.Build(cb)
		if err != nil {
			return usageErrorf("%v", err)
		}
		printer.Request(simulate.RequestRecord(cb, req))
		bad = bad || record.HasErrors(cb.Findings)
	}
	if bad {
		return &ExitError{Code: ExitContract, Silent: true}
	}
	return nil
}

func readData(g *Globals, name string) ([]byte, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(g.Streams.In)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, usageErrorf("--data: %v", err)
	}
	// A broken body is fine (how the backend takes it is the point); no
	// body at all, or bytes that are not text, is a mistake.
	switch why := jsonx.NotText(b); {
	case why != "":
		return nil, usageErrorf("--data %s: not JSON text: %s; --data sends a JSON body (broken ones too; --probe robustness sends malformed ones)", name, why)
	case len(bytes.TrimSpace(b)) == 0:
		return nil, usageErrorf("--data %s: the body is empty; give a JSON body (imhook fixtures show COMMAND > body.json makes one to edit)", name)
	}
	return b, nil
}

// commandFromBody finds the callback a --data body names. A JSON array
// names none: it is explained (replay sends each of its payloads; a named
// COMMAND sends the array itself).
func commandFromBody(g *Globals, name string, body []byte) (*fixtures.Entry, error) {
	if cmd, _ := fixtures.BodyCommand(body); cmd != "" {
		es, err := lookupEntries(g, []string{cmd})
		if err != nil {
			return nil, err
		}
		return es[0], nil
	}
	if root := gjson.ParseBytes(body); root.IsArray() {
		n, cmd := 0, "COMMAND"
		root.ForEach(func(_, v gjson.Result) bool {
			if c, _ := fixtures.BodyCommand([]byte(v.Raw)); c != "" && n == 0 {
				cmd = c
			}
			n++
			return true
		})
		return nil, usageErrorf("--data %s holds a JSON array of %d value(s), not one callback body.\n"+
			"To send each as a callback of its own: imhook replay %s --target URL\n"+
			"To send the array itself as one body (to see how the backend takes it): imhook simulate %s --data %s",
			name, n, name, cmd, name)
	}
	return nil, usageErrorf("--data %s: the body names no callback (no CallbackCommand or callbackCommand field); name the COMMAND: imhook simulate COMMAND --data %s", name, name)
}
