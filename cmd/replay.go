package cmd

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/replay"
	"github.com/imhook/imhook/simulate"
)

// replayOptions are replay's flags and arguments.
type replayOptions struct {
	g   *Globals
	ctx context.Context

	Inputs      []string
	targets     targetOptions
	request     requestOptions
	outcome     outcomeFlags
	out         outputOptions
	Resign      bool
	Command     string
	Filter      []string
	Compare     bool
	Concurrency int
	Rate        float64
	Count       int64
	Duration    time.Duration
	Timeout     time.Duration
	Strict      bool

	concurrencySet bool

	tls tlsClientFlags // --cacert, --insecure, --cert, --key (tls.go)
}

func newReplayCmd(g *Globals, runF func(*replayOptions) error) *cobra.Command {
	o := &replayOptions{g: g}
	c := &cobra.Command{
		Use:   "replay FILE...|-",
		Short: "Resend recorded callbacks or payload files to a backend",
		Long: `Resend recorded callbacks (records of simulate, serve or replay) or payload files to a
backend, each request rebuilt with the vendor's rules and what the recording carries (its
query values, signature and operation ID), and judge each reply; with --compare, also compare
it with the recorded one. Inputs are streams: a recording of any length replays in bounded
memory, in input order.

More: 'imhook help inputs' (what replay reads; bad lines), 'imhook help requests' (what a
replay keeps), 'imhook help checks' (--compare, --strict), 'imhook help load' (--count).`,
		Example: `  imhook simulate --all --vendor tencent --record run.jsonl && imhook replay run.jsonl --target http://localhost:8080/im
  imhook replay recordings/ --vendor tencent --target http://localhost:8080/im --compare
  imhook replay payloads.json --command C2C.CallbackAfterSendMsg --target http://localhost:8080/im
  imhook replay traffic.jsonl --resign --concurrency 8 --rate 200 --target https://api.example.com/im
  cat payload.json | imhook replay - -o json
  imhook replay run.jsonl --count 100000 --concurrency 64 --rate 2000 --target http://localhost:8080/im`,
		Args: needArgs("FILE... or - (stdin)"),
		RunE: func(c *cobra.Command, args []string) error {
			o.Inputs, o.ctx = args, c.Context()
			if err := o.resolve(c); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return replayRun(o)
		},
	}
	f := c.Flags()
	o.targets.register(c)
	o.request.register(c, true)
	f.BoolVar(&o.Resign, "resign", false, "replace recorded signatures with fresh ones made with the token (--token-file, IMHOOK_TOKEN or --token)")
	f.StringVar(&o.Command, "command", "", "the callback of payloads that name none")
	f.StringArrayVar(&o.Filter, "filter", nil, "replay only this callback (repeatable)")
	f.BoolVar(&o.Compare, "compare", false, "compare each reply with the recorded one (status, contract fields, applied and copied-back fields, outcome), beside its judgement")
	f.IntVar(&o.Concurrency, "concurrency", 0, "callbacks in flight at once; 1 sends strictly in input order (default: 1, or 64 with --count/--duration)")
	f.Float64Var(&o.Rate, "rate", 0, "at most this many callbacks a second (0: as fast as replies come)")
	f.Int64Var(&o.Count, "count", 0, "load: send this many callbacks in all, round-robin over the input's, and print a summary")
	f.DurationVar(&o.Duration, "duration", 0, "load: keep sending the input's callbacks round-robin for this long")
	f.DurationVar(&o.Timeout, "timeout", 0, "reply budget (default: the platform's, 'imhook help requests')")
	o.out.register(c, true, true)
	registerStrict(c, &o.Strict, "warnings and unknown fields fail too (exit 1)")
	o.outcome.register(c)
	_ = c.RegisterFlagCompletionFunc("command", completeCommands(nil))
	_ = c.RegisterFlagCompletionFunc("filter", completeCommands(nil))
	o.tls.register(c)
	return c
}

// loadMode reports whether the replay is a load run (--count or --duration).
func (o *replayOptions) loadMode() bool { return o.Count > 0 || o.Duration > 0 }

func (o *replayOptions) resolve(c *cobra.Command) error {
	o.concurrencySet = c.Flags().Changed("concurrency")
	if !o.concurrencySet {
		o.Concurrency = 1 // a load run takes 64 (replayRun)
	}
	if err := o.targets.resolve(o.g, c); err != nil {
		return err
	}
	if err := o.request.resolve(o.g, c); err != nil {
		return err
	}
	if err := o.tls.resolve(); err != nil {
		return err
	}
	if err := o.outcome.check(); err != nil {
		return err
	}
	switch {
	case o.outcome.Expect != "" && o.Compare:
		return usageErrorf("--expect judges each reply; --compare compares it with the recorded one instead: give one of them")
	case o.Resign && o.request.Token == "":
		return usageErrorf("--resign signs afresh and needs the token: --token-file FILE, IMHOOK_TOKEN or --token")
	case o.Concurrency < 1:
		return usageErrorf("--concurrency must be at least 1, not %d", o.Concurrency)
	case o.Rate < 0:
		return usageErrorf("--rate must not be negative")
	case o.Timeout < 0:
		return usageErrorf("--timeout must not be negative")
	case o.Count < 0 || o.Duration < 0:
		return usageErrorf("--count and --duration must not be negative")
	case o.loadMode() && o.Compare:
		return usageErrorf("--compare compares each reply with its recording one by one; a load run (--count/--duration) judges every reply by the contract and sums them up: give one of them")
	case o.loadMode() && o.out.JUnit != "":
		return usageErrorf("--junit writes one test case per exchange; it does not go with --count/--duration")
	}
	return nil
}

// replayLoadLimits bound a load run's input (zero: replay's defaults).
var replayLoadLimits replay.LoadLimits

// replayRun reads the inputs as a stream and resends them through the
// pipeline: one after another (or C at a time, in input order), or, with
// --count/--duration, as a load run.
func replayRun(o *replayOptions) error {
	g := o.g
	sources, err := stream.Expand(o.Inputs)
	if err != nil {
		return usageErrorf("%v", err)
	}
	sender := &simulate.Sender{Timeout: o.Timeout, Client: o.tls.client(), Expect: o.outcome.Expect, Params: o.request.params(), Strict: o.Strict, Words: flagWords}
	ro := replay.Options{Compare: o.Compare, Concurrency: o.Concurrency, Rate: o.Rate, Resign: o.Resign, Sender: sender,
		Vendors: o.targets.vendors(), Read: stream.Options{Stdin: g.Streams.In}, Words: replayWords}
	keep := o.request.keep(o.Resign)
	ro.KeepSdkAppID, ro.KeepClientIP, ro.KeepOptPlatform = keep.SdkAppID, keep.ClientIP, keep.OptPlatform
	if o.Command != "" {
		es, err := lookupEntries(g, []string{o.Command})
		if err != nil {
			return err
		}
		ro.Command = es[0]
	}
	if len(o.Filter) > 0 {
		if ro.Filter, err = lookupEntries(g, o.Filter); err != nil {
			return err
		}
	}
	spec := chainSpec{Name: "imhook replay", Mode: "replay", Print: true, Progress: true, Strict: o.Strict}
	var p run.Producer
	if o.loadMode() {
		conc := o.Concurrency
		if !o.concurrencySet {
			conc = 64
		}
		conc = g.loadLimits(conc)
		sender.Client = simulate.NewClientFor(conc, o.tls.config)
		spec.Print, spec.Total = false, o.Count
		p = replay.LoadProducer(sources, ro, replayLoadLimits, simulate.LoadOptions{Count: o.Count, Duration: o.Duration, Concurrency: conc, Rate: o.Rate})
	} else {
		p = replay.Producer(sources, ro)
	}
	chain, err := g.newChain(o.ctx, &o.out, spec)
	if err != nil {
		return err
	}
	stop, err := o.targets.apply(g, sender, serve.Config{Respond: platform.ReplyModeFor(o.outcome.Expect)})
	if err != nil {
		return chain.Close(o.ctx, err)
	}
	defer stop()
	return g.runPipeline(o.ctx, chain, spec, p)
}
