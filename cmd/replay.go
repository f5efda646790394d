package cmd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/replay"
	"github.com/imhook/imhook/simulate"
	"github.com/imhook/imhook/stream"
)

type replayOptions struct {
	outcome     outcomeFlags
	Target      string
	SdkAppID    string
	ClientIP    string
	Platform    string
	Token       string
	Resign      bool
	Command     string
	Filter      []string
	Compare     bool
	Concurrency int
	Rate        float64
	Count       int64
	Duration    time.Duration
	Timeout     time.Duration
	Record      string
	ci          ciOptions // --junit (ci.go)

	// set records which query flags the user gave (they win over recorded values).
	set map[string]bool
}

func newReplayCmd(g *Globals) *cobra.Command {
	o := &replayOptions{}
	c := &cobra.Command{
		Use:   "replay FILE...|-",
		Short: "Resend recorded callbacks or payload files to a backend",
		Long: `Resend callbacks to a backend: records (JSON Lines, as simulate --record and serve --record
write them), payload files (one JSON payload, a JSON array of payloads, or JSON Lines of
payloads), directories of them (*.json, *.jsonl, *.ndjson) and - for stdin. Inputs are read as
streams, so a recording of any length replays in bounded memory.

Each callback's command comes from the record, or from the payload's own CallbackCommand /
callbackCommand field, or else from --command. The request is rebuilt with the vendor's
wire rules for --target (Tencent: the query; OpenIM: {target}/{command}), keeping a
recording's SdkAppid, ClientIP and OptPlatform query values unless --sdkappid, --client-ip or
--platform say otherwise, and an OpenIM recording's operationID header.

Signatures: a recorded Sign and RequestTime are sent again as recorded, with a warning
(replay.stale_sign) that says how old they are: a receiver that checks them refuses a
RequestTime more than 60 s away. --resign --token TOKEN gives each callback a fresh
RequestTime and Sign instead. Payloads without a recorded
signature are signed with --token when it is given.

Order: strictly one after another in input order with --concurrency 1 (the default); with
--concurrency C up to C callbacks are in flight, and --rate R caps them at R a second; the
output stays in input order.

Load: --count N or --duration D turns replay into a load run over the input, with simulate's
load engine (see imhook simulate --help): the input is read once (at most 100000 callbacks
and 256 MiB of them; stdin too), then its callbacks are sent round-robin, each built as above,
by --concurrency workers (default 64) at --rate R, until N were sent or D passed; every reply is
judged and the run is summed up (requests, rate, status, verdicts, findings by rule, latency
percentiles, budget misses) on stderr, or as one JSON object on stdout with -o json; --record
keeps every exchange. A larger or unreadable input is a usage error before anything is sent;
--compare and --junit do not go with a load run. Exit 1 when a reply broke the contract or the input had an error.

Without --compare each reply is judged by the platform's contract, as simulate does. With
--compare each reply of a record is compared with the recorded one instead: the HTTP status
and the reply contract's fields (Tencent ActionStatus, ErrorCode, ErrorInfo; OpenIM
actionCode, errCode, errMsg, errDlt, nextCode); each difference is an error (replay.diff).

A corrupt line (not JSON, truncated, binary) is reported on stderr with its file and line and
the rest still replays; the exit code is then 1. A record of a request the receiver did not
recognise as a callback (no command) is skipped with a warning. With no --target (and no IMHOOK_TARGET) the
callbacks go to the built-in receiver. A progress bar shows on stderr when it is a terminal.`,
		Example: `  imhook simulate --all --record run.jsonl && imhook replay run.jsonl --target http://localhost:8080/im
  imhook replay recordings/ --target http://localhost:8080/im --compare
  imhook replay payloads.json --command C2C.CallbackAfterSendMsg --target http://localhost:8080/im
  imhook replay traffic.jsonl --resign --token "$TOKEN" --concurrency 8 --rate 200 --target https://api.example.com/im
  cat payload.json | imhook replay - -o json
  imhook replay run.jsonl --count 100000 --concurrency 64 --rate 2000 --target http://localhost:8080/im`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			fromEnv := func(flag, env string, dst *string) {
				if !c.Flags().Changed(flag) {
					if v := g.getenv(env); v != "" {
						*dst = v
						o.set[flag] = true
					}
				}
			}
			o.set = map[string]bool{}
			for _, f := range []string{"sdkappid", "client-ip", "platform", "concurrency"} {
				o.set[f] = c.Flags().Changed(f)
			}
			fromEnv("target", "IMHOOK_TARGET", &o.Target)
			fromEnv("sdkappid", "IMHOOK_SDKAPPID", &o.SdkAppID)
			fromEnv("token", "IMHOOK_TOKEN", &o.Token)
			o.ci.start("imhook replay")
			return o.ci.finish(runReplay(c.Context(), g, o, args))
		},
	}
	f := c.Flags()
	f.StringVar(&o.Target, "target", "", "the backend's callback URL (env IMHOOK_TARGET); default: the built-in receiver")
	f.StringVar(&o.SdkAppID, "sdkappid", platform.DefaultSdkAppID, "Tencent: the SdkAppid query value (env IMHOOK_SDKAPPID); default: the recorded one")
	f.StringVar(&o.ClientIP, "client-ip", platform.DefaultClientIP, "Tencent: the ClientIP query value; default: the recorded one")
	f.StringVar(&o.Platform, "platform", platform.DefaultOptPlatform, "Tencent: the OptPlatform query value; default: the recorded one")
	f.StringVar(&o.Token, "token", "", "Tencent: callback authentication token for fresh signatures (env IMHOOK_TOKEN; never printed)")
	f.BoolVar(&o.Resign, "resign", false, "Tencent: replace recorded Sign and RequestTime with fresh ones made with --token")
	f.StringVar(&o.Command, "command", "", "the callback of payloads that name none (no CallbackCommand / callbackCommand field)")
	f.StringArrayVar(&o.Filter, "filter", nil, "replay only this callback (repeatable)")
	f.BoolVar(&o.Compare, "compare", false, "compare each reply with the recorded one (status and reply contract fields) instead of judging it")
	f.IntVar(&o.Concurrency, "concurrency", 1, "callbacks in flight at once (1: strictly in input order; 64 by default with --count/--duration)")
	f.Float64Var(&o.Rate, "rate", 0, "at most this many callbacks a second (0: as fast as replies come)")
	f.Int64Var(&o.Count, "count", 0, "load: send this many callbacks in all, round-robin over the input's, and print a summary")
	f.DurationVar(&o.Duration, "duration", 0, "load: keep sending the input's callbacks round-robin for this long")
	f.DurationVar(&o.Timeout, "timeout", 0, "reply budget (default: the platform's, Tencent 2s, OpenIM 5s)")
	f.StringVar(&o.Record, "record", "", "append a record of every replayed exchange to this file (JSON Lines)")
	o.outcome.register(c)
	o.ci.registerCI(c, false)
	_ = c.RegisterFlagCompletionFunc("command", completeCommands(nil))
	_ = c.RegisterFlagCompletionFunc("filter", completeCommands(nil))
	_ = c.RegisterFlagCompletionFunc("platform", fixedCompletion(platform.TencentPlatforms...))
	return c
}

func runReplay(ctx context.Context, g *Globals, o *replayOptions, args []string) error {
	if err := o.outcome.check(); err != nil {
		return err
	}
	switch {
	case o.outcome.Expect != "" && o.Compare:
		return usageErrorf("--expect judges each reply; --compare compares it with the recorded one instead: give one of them")
	case o.Resign && o.Token == "":
		return usageErrorf("--resign signs afresh and needs --token (or IMHOOK_TOKEN)")
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
	case o.loadMode() && o.ci.JUnit != "":
		return usageErrorf("--junit writes one test case per exchange; it does not go with --count/--duration")
	}
	if o.Platform != "" && !slices.Contains(platform.TencentPlatforms, o.Platform) {
		return usageErrorf("--platform %q is not a documented OptPlatform value; use one of %s", o.Platform, strings.Join(platform.TencentPlatforms, ", "))
	}
	sources, err := stream.Expand(args)
	if err != nil {
		return usageErrorf("%v", err)
	}
	ro := replay.Options{Compare: o.Compare, Concurrency: o.Concurrency, Rate: o.Rate, Resign: o.Resign,
		KeepSdkAppID: !o.set["sdkappid"], KeepClientIP: !o.set["client-ip"], KeepOptPlatform: !o.set["platform"],
		Read: stream.Options{Stdin: g.Streams.In}}
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
	if o.Target != "" {
		if err := checkTarget(o.Target); err != nil {
			return err
		}
	}
	rw, cleanup, err := runResources(g, &o.Target, platform.ReplyModeFor(o.outcome.Expect), o.Record)
	if err != nil {
		return err
	}
	defer cleanup()
	ro.Sender = &simulate.Sender{Target: o.Target, Timeout: o.Timeout, Client: simulate.NewClient(), Expect: o.outcome.Expect,
		Params: platform.Params{SdkAppID: o.SdkAppID, ClientIP: o.ClientIP, OptPlatform: o.Platform, Token: o.Token, OpenIMVersion: o.outcome.OpenIMVersion}}
	if o.loadMode() {
		return runReplayLoad(ctx, g, o, ro, sources, rw)
	}
	bar := progressBar(g, sources, "replaying")
	if bar != nil {
		ro.Read.Progress = func(n int) { _ = bar.Add(n) }
	}
	printer := g.Printer()
	errPal := g.ErrPalette()
	t := &tally{}
	var writeErr error
	st := replay.Run(ctx, sources, ro, func(r replay.Result) {
		if r.Problem != nil {
			if bar != nil {
				_ = bar.Clear()
			}
			p := r.Problem
			if g.Quiet && p.Severity != record.Error {
				return
			}
			fmt.Fprintf(g.Streams.ErrOut, "imhook: %s:%d: %s %s: %s\n", p.File, p.Line, errPal.Severity(p.Severity), p.Rule, p.Message)
			return
		}
		printer.Record(r.Record)
		o.ci.observe("replay", r.Record)
		if rw != nil && writeErr == nil {
			writeErr = rw.Write(r.Record)
		}
		t.add(r.Record, r.Unreachable)
	})
	if bar != nil {
		_ = bar.Finish()
		_ = bar.Clear()
	}
	if err := closeRecord(rw, o.Record, writeErr); err != nil {
		return err
	}
	if !g.Quiet {
		s := t.summary(errPal)
		if st.Problems > 0 {
			s += fmt.Sprintf("; %s in the input", errPal.Red(fmt.Sprintf("%d problem(s)", st.Problems)))
		}
		if st.Skipped > 0 {
			s += fmt.Sprintf("; %d filtered out", st.Skipped)
		}
		fmt.Fprintln(g.Streams.ErrOut, s)
	}
	switch {
	case ctx.Err() != nil:
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted")}
	case t.unreachable > 0:
		return t.err()
	case st.Unreadable > 0:
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%d input(s) could not be read", st.Unreadable)}
	case st.Failed > 0 && t.err() == nil:
		return &ExitError{Code: ExitContract, Silent: true, Err: fmt.Errorf("%d problem(s) in the input", st.Failed)}
	}
	return t.err()
}

// replayLoadLimits bound a load run's input (zero: replay's defaults).
var replayLoadLimits replay.LoadLimits

// loadMode reports whether the replay is a load run (--count or --duration).
func (o *replayOptions) loadMode() bool { return o.Count > 0 || o.Duration > 0 }

// runReplayLoad is replay's load mode: the input is read once (at most
// replay.MaxLoadItems callbacks, replay.MaxLoadBytes of them), then its
// callbacks are sent round-robin by simulate's load engine, each request
// built as a plain replay builds it, and the run is summed up as simulate's
// load mode does.
func runReplayLoad(ctx context.Context, g *Globals, o *replayOptions, ro replay.Options, sources []stream.Source, rw *record.Writer) error {
	errPal := g.ErrPalette()
	cbs, st, err := replay.Callbacks(ctx, sources, ro, replayLoadLimits, func(r replay.Result) {
		p := r.Problem
		if g.Quiet && p.Severity != record.Error {
			return
		}
		fmt.Fprintf(g.Streams.ErrOut, "imhook: %s:%d: %s %s: %s\n", p.File, p.Line, errPal.Severity(p.Severity), p.Rule, p.Message)
	})
	switch {
	case ctx.Err() != nil:
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted")}
	case err != nil:
		return usageErrorf("%v", err)
	case st.Unreadable > 0:
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%d input(s) could not be read; nothing was sent", st.Unreadable)}
	case len(cbs) == 0:
		return usageErrorf("the input holds no callback to send (%d item(s), %d problem(s), %d filtered out)", st.Items, st.Problems, st.Skipped)
	}
	if !g.Quiet && (st.Problems > 0 || st.Skipped > 0) {
		fmt.Fprintf(g.Streams.ErrOut, "imhook: sending %d callback(s) of the input round-robin; %d problem(s) in the input, %d filtered out\n", len(cbs), st.Problems, st.Skipped)
	}
	src := func(i int64) (simulate.Callback, error) { return cbs[int(i%int64(len(cbs)))], nil }
	conc := o.Concurrency
	if !o.set["concurrency"] {
		conc = 0 // the load engine's default
	}
	lerr := runLoadRun(ctx, g, loadRun{Count: o.Count, Duration: o.Duration, Concurrency: conc, Rate: o.Rate, Timeout: o.Timeout, Record: o.Record},
		ro.Sender, src, &cbs[0], rw)
	if lerr == nil && st.Failed > 0 {
		return &ExitError{Code: ExitContract, Silent: true, Err: fmt.Errorf("%d problem(s) in the input", st.Failed)}
	}
	return lerr
}

// progressBar is a byte-counting bar on stderr when it is a terminal and
// not -q; nil otherwise. With stdin among the sources the total is unknown
// and the bar is a spinner.
func progressBar(g *Globals, sources []stream.Source, what string) *progressbar.ProgressBar {
	if !g.Streams.ErrTTY || g.Quiet {
		return nil
	}
	var total int64
	for _, s := range sources {
		if s.Size < 0 {
			total = -1
			break
		}
		total += s.Size
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(g.Streams.ErrOut),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetRenderBlankState(true),
	)
}
