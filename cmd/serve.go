package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/record"
)

type serveOptions struct {
	g   *Globals
	ctx context.Context

	Addr         string
	request      requestOptions
	Respond      string
	RespondFiles []string
	Delay        time.Duration
	FailRate     float64
	Record       string
	MaxBody      string
	MaxInFlight  string
	Grace        time.Duration
	Strict       bool
	KeepSecrets  bool
	failOn       failOn

	front serveFront // --forward-to, --ui, TLS (serve_ui.go)
}

func newServeCmd(g *Globals, runF func(*serveOptions) error) *cobra.Command {
	o := &serveOptions{g: g}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Receive callbacks: check them, answer as told and record every exchange",
		Long: `Run a receiver that a real IM platform (or imhook simulate) can call: each request is
recognised, checked (query, signature with --token, body against the catalogue), answered in
the vendor's reply shape as --respond says, and recorded before the reply goes out (--record;
one that cannot be written, a full disk, is answered 500). On start it says how to point each
platform here; SIGINT, SIGTERM or SIGHUP finishes the requests in flight, prints the summary, exits 0
(1 with --fail-on when exchanges fell short). More: 'imhook help checks' (what a careful
backend refuses), 'imhook help outcomes' (--respond), 'imhook help requests' (the platforms').`,
		Example: `  imhook serve
  imhook serve --addr 127.0.0.1:9000 --sdkappid 1400000000 --record calls.jsonl   # token in IMHOOK_TOKEN
  imhook serve --respond reject                                # refuse before-callbacks
  imhook serve --respond stop                                  # OpenIM: actionCode 0, nextCode 1
  imhook serve --addr 10.0.0.5:9000 --openim-webhooks-yml > webhooks.yml
  imhook serve --respond modify -o json | jq .outcome          # modify what before-callbacks allow
  imhook serve --respond-file C2C.CallbackBeforeSendMsg=modified.json --respond-file ok.json
  imhook serve --delay 2500ms                                  # answer too late for Tencent
  imhook serve --fail-rate 0.1 -o json | jq .verdict
  imhook serve --record calls.jsonl --fail-on error            # CI: exit 1 when a callback broke the contract`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o.ctx = c.Context()
			for flag, env := range map[string]string{"sdkappid": "IMHOOK_SDKAPPID"} {
				if !c.Flags().Changed(flag) {
					if v := g.getenv(env); v != "" {
						_ = c.Flags().Set(flag, v)
					}
				}
			}
			if err := resolveToken(c, g.getenv, &o.request.Token); err != nil {
				return err
			}
			if err := o.failOn.check(); err != nil {
				return err
			}
			if err := o.front.resolve(c, g, o); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return serveRun(o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Addr, "addr", "127.0.0.1:9000", "address to listen on (a non-loopback address gets a warning)")
	o.request.registerReceiver(c)
	f.StringVar(&o.Respond, "respond", platform.ReplyOK, "how to answer good callbacks: "+strings.Join(platform.ReplyModes, ", ")+", or a vendor's outcome ("+outcomeModes()+"; 'imhook help outcomes')")
	f.StringArrayVar(&o.RespondFiles, "respond-file", nil, "send this file's JSON as the reply: [COMMAND=]FILE (per command, or for all); repeatable")
	f.DurationVar(&o.Delay, "delay", 0, "wait this long before answering")
	f.Float64Var(&o.FailRate, "fail-rate", 0, "answer fail to this fraction of good callbacks (0..1)")
	f.StringVar(&o.Record, "record", "", "append a record of every exchange to this file (JSON Lines); deleted, moved or replaced (rotated) while serving, it is reopened at its path within a second, said on stderr, no record lost")
	f.StringVar(&o.MaxBody, "max-body", "1MiB", "largest request body (bytes, or with KiB/MiB); larger gets 413, as does a body whose record would pass the 64 MiB line that replay and validate read")
	f.StringVar(&o.MaxInFlight, "max-inflight", "64MiB", "most bytes of request bodies held at once (bytes, or with KiB/MiB/GiB); past it, requests wait their turn before their body is read, none dropped. Memory follows it (soft limit 4x it + 128 MiB; 64MiB kept 200 clients sending 1 MiB bodies under 512 MiB RSS). Raise it to take more large bodies at once")
	f.DurationVar(&o.Grace, "grace", 10*time.Second, "on SIGINT/SIGTERM/SIGHUP, how long to wait for requests in flight")
	f.BoolVar(&o.KeepSecrets, "record-secrets", false, "keep the Authorization, Proxy-Authorization and cookie headers in records, -o json and the inspector as received (default: their values are redacted, xxxxx); a warning says so")
	registerStrict(c, &o.Strict, "mark exchanges whose request has a warning or an unknown field failed, in records and the summary (the answer is the same)")
	_ = c.RegisterFlagCompletionFunc("respond", fixedCompletion(respondNames()...))
	o.failOn.register(c, failOnNever, "default never: what a platform sends is its business, the summary and records say it")
	o.front.register(c)
	return c
}

// serveRun runs the receiver as the producer of a run: every exchange that
// comes in goes through the chain (printed, summed up), and the run ends
// when the context does (SIGINT, SIGTERM, SIGHUP). The handler writes each record
// itself, before it answers.
func serveRun(o *serveOptions) error {
	g := o.g
	if text, ok := o.request.configFile(o.Addr); ok {
		_, err := io.WriteString(g.Streams.Out, text)
		return err
	}
	cfg, err := o.handlerConfig()
	if err != nil {
		return err
	}
	var rw *record.Writer
	if o.Record != "" {
		if rw, err = record.OpenFile(o.Record); err != nil {
			return &run.OutputError{Flag: "--record", Err: err}
		}
	}
	spec := chainSpec{Name: "imhook serve", Mode: "serve", Print: true, Received: true, Strict: o.Strict}
	chain, err := g.newChain(o.ctx, &outputOptions{}, spec)
	if err != nil {
		return err
	}
	cfg.Show = func(r *record.Record) { chain.Emit(run.Event{Record: r}) }
	if rw != nil {
		rw.OnStreak(serveRecordStreak(g, o.Record))
		rw.Watch(recordReopened(g))
		cfg.Record = rw.Write
	}
	cfg.KeepSecrets = o.KeepSecrets
	if o.KeepSecrets {
		g.warn("warning: --record-secrets: records, -o json and the inspector keep the Authorization, Proxy-Authorization and cookie headers as received; keep them out of CI artifacts and shared files")
	}
	o.front.configure(&cfg, o.Record, o.request.Token)
	// The receiver's live heap is small and every request allocates a
	// record; a less eager collector is worth a few percent.
	g.lessEagerGC(400)
	// With large bodies in flight the live heap is not small: a soft limit
	// derived from --max-inflight keeps that collector from letting the
	// heap grow to five times it (GOMEMLIMIT wins).
	if g.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serve.MemoryLimit(cfg.MaxInFlight))
	}
	err = run.Run(context.Background(), chain, func(context.Context, run.Sink) error { return o.listen(cfg) })
	if rerr := closeRecord(rw, o.Record); rerr != nil {
		return rerr
	}
	var contract *run.ContractError
	var unreachable *run.UnreachableError
	if errors.As(err, &contract) || errors.As(err, &unreachable) {
		// What the platform sent is the platform's business: serve reports
		// it in the summary and its records, and exits 0 unless --fail-on
		// says otherwise.
		err = nil
	}
	if err == nil {
		if ferr := o.failOn.err(chain.Summary()); ferr != nil {
			g.Notef("%v", ferr)
			return ferr
		}
	}
	return err
}

// handlerConfig checks serve's flags that shape its answers and limits and
// returns the handler's configuration from them (no Show or Record yet).
func (o *serveOptions) handlerConfig() (serve.Config, error) {
	if !slices.Contains(respondNames(), o.Respond) {
		return serve.Config{}, usageErrorf("--respond must be one of %s, or a vendor's outcome (%s), not %q", strings.Join(platform.ReplyModes, ", "), outcomeModes(), o.Respond)
	}
	respond := platform.ReplyModeFor(record.Outcome(o.Respond))
	if o.FailRate < 0 || o.FailRate > 1 {
		return serve.Config{}, usageErrorf("--fail-rate must be between 0 and 1, not %g", o.FailRate)
	}
	maxBody, err := parseSize(o.MaxBody)
	if err != nil {
		return serve.Config{}, usageErrorf("--max-body %q: %v", o.MaxBody, err)
	}
	maxInFlight, err := parseSize(o.MaxInFlight)
	if err != nil {
		return serve.Config{}, usageErrorf("--max-inflight %q: %v", o.MaxInFlight, err)
	}
	if o.request.RejectReplays && o.request.Token == "" {
		return serve.Config{}, usageErrorf("--reject-replays remembers signatures checked with the token: give it (--token-file, IMHOOK_TOKEN or --token)")
	}
	files, err := readReplyFiles(o.RespondFiles)
	if err != nil {
		return serve.Config{}, err
	}
	return serve.Config{
		Expect:        o.request.expect(),
		Respond:       respond,
		Strict:        o.Strict,
		ReplyFiles:    files,
		Delay:         o.Delay,
		FailRate:      o.FailRate,
		MaxBody:       maxBody,
		MaxInFlight:   maxInFlight,
		RejectReplays: o.request.RejectReplays,
	}, nil
}

// listen is serve's producer: it serves cfg's handler on --addr (and the
// front's inspector) until o.ctx ends, then drains for --grace.
func (o *serveOptions) listen(cfg serve.Config) error {
	g, ctx := o.g, o.ctx
	srv, err := serve.StartWith(o.Addr, serve.NewHandler(cfg), o.front.options)
	if err != nil {
		return usageErrorf("cannot listen on %s: %v", o.Addr, err)
	}
	if !serve.IsLoopback(o.Addr) {
		g.Notef("warning: %s is not a loopback address: anyone who can reach it can post callbacks to this receiver", o.Addr)
	}
	g.Notef("listening on %s; point the platforms here:\n%s", srv.URL, configureAll(srv.URL))
	if err := o.front.start(g, srv.URL); err != nil {
		_ = srv.Shutdown(context.Background())
		return err
	}
	defer o.front.stop()
	<-ctx.Done()
	g.Notef("stopping: finishing the requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), o.Grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return &run.InterruptedError{}
	}
	return nil
}

// respondNames are the values --respond takes: the reply modes, and each
// vendor's outcomes (an OpenIM continue is ok, a stop is reject).
func respondNames() []string {
	out := slices.Clone(platform.ReplyModes)
	for _, v := range platform.All() {
		for _, oc := range v.Outcomes() {
			if !slices.Contains(out, string(oc)) {
				out = append(out, string(oc))
			}
		}
	}
	return out
}

// outcomeModes lists the vendors' outcomes that are not reply modes, by
// vendor, for help texts.
func outcomeModes() string {
	var parts []string
	for _, v := range platform.All() {
		var names []string
		for _, oc := range v.Outcomes() {
			if !slices.Contains(platform.ReplyModes, string(oc)) {
				names = append(names, string(oc)+" = "+platform.ReplyModeFor(oc))
			}
		}
		if len(names) > 0 {
			parts = append(parts, v.Title()+" "+strings.Join(names, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// closeRecord closes --record's writer (nil: nothing to close).
func closeRecord(rw *record.Writer, path string) error {
	if rw == nil {
		return nil
	}
	if err := rw.Close(); err != nil {
		return &run.OutputError{Flag: "--record", Path: path, Err: err}
	}
	return nil
}

// configureAll says how to point each platform at a receiver URL.
func configureAll(u string) string {
	var out []string
	for _, v := range platform.All() {
		out = append(out, v.Configure(u))
	}
	return strings.Join(out, "\n")
}

// readReplyFiles reads --respond-file [COMMAND=]FILE values.
func readReplyFiles(specs []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, s := range specs {
		cmd, file, ok := strings.Cut(s, "=")
		if !ok {
			cmd, file = "", s
		}
		if cmd != "" {
			e, _, found := fixtures.Default().Lookup(cmd)
			if !found {
				return nil, usageErrorf("--respond-file %q: unknown callback %q (see imhook fixtures list)", s, cmd)
			}
			cmd = strings.ToLower(e.Command)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usageErrorf("--respond-file: %v", err)
		}
		if why := jsonx.NotText(b); why != "" {
			return nil, usageErrorf("--respond-file %s: not JSON text: %s", file, why)
		}
		if se := jsonx.Check(b); se != nil {
			return nil, usageErrorf("--respond-file %s: not valid JSON: %v", file, se)
		}
		out[cmd] = b
	}
	return out, nil
}

// parseSize reads 1048576, 512KiB, 1MiB, 2MB.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000_000}, {"GB", 1000_000_000}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.n
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("expected a positive size such as 1048576, 512KiB or 1MiB")
	}
	return n * mult, nil
}

// serveRecordStreak reports serve's failed record writes on stderr as they
// happen (even with -q: exchanges are being refused): once when a streak of
// failures begins, once when writing works again, with the count.
func serveRecordStreak(g *Globals, path string) func(record.Streak) {
	return func(s record.Streak) {
		if s.Over {
			fmt.Fprintf(g.Streams.ErrOut, "imhook: --record %s: writing again; %d exchange(s) were answered 500 and not recorded while writing failed (last error: %v)\n", path, s.Failed, s.Err)
			return
		}
		fmt.Fprintf(g.Streams.ErrOut, "imhook: error: --record %s: %v: %d exchange(s) answered 500 and not acknowledged; serve goes on, answers 500 to what it cannot record, and writes again as soon as it can (free space, or fix the file)\n", path, s.Err, s.Failed)
	}
}
