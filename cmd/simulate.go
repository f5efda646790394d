package cmd

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/ui"
	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/serve"
	"github.com/imhook/imhook/simulate"
)

type simulateOptions struct {
	All      bool
	Vendor   string
	Target   string
	SdkAppID string
	ClientIP string
	Platform string
	Token    string
	Data     string
	Timeout  time.Duration
	DryRun   bool
	Record   string
	payload  payloadOptions
	outcome  outcomeFlags

	Count       int64
	Duration    time.Duration
	Concurrency int
	Rate        float64

	ci ciOptions // --junit, --suite, --probe, --max-failures (ci.go)

	Scenario string // --scenario NAME (scenario.go); --count is then its length
}

// params are the request settings the flags give.
func (o *simulateOptions) params() platform.Params {
	return platform.Params{SdkAppID: o.SdkAppID, ClientIP: o.ClientIP, OptPlatform: o.Platform, Token: o.Token, OpenIMVersion: o.outcome.OpenIMVersion}
}

// loadMode reports whether the run is a load run (--count or --duration;
// with --scenario, --count is the scenario's length).
func (o *simulateOptions) loadMode() bool {
	return o.Scenario == "" && (o.Count > 0 || o.Duration > 0)
}

func newSimulateCmd(g *Globals) *cobra.Command {
	o := &simulateOptions{}
	c := &cobra.Command{
		Use:   "simulate COMMAND... | --all",
		Short: "Generate callbacks, send them to a backend and judge each reply",
		Long: `Generate spec-conformant callbacks, build each request exactly as the platform does, send it
and judge the reply against the platform's contract.

Tencent: POST {target}?SdkAppid=..&CallbackCommand=..&contenttype=json&ClientIP=..&OptPlatform=..
(with --token also &Sign=hex(sha256(token+RequestTime))&RequestTime=<Unix seconds>). The reply
must be HTTP 200 with {"ActionStatus":"OK"|"FAIL","ErrorCode":<integer>,"ErrorInfo":<string>}
within 2 s; redirects are not followed. The documents show no Content-Type on the request;
imhook sends application/json.

OpenIM: POST {target}/{command}?contenttype=json (the documents' form; the v3 server itself
sends no query) with Content-Type: application/json; charset=utf-8 and an operationID header.
--openim-version sends what a server release sends instead: v3.7 and later {target}/{command}
with no query; v3.4.2 to v3.6.x the same with the older command names in URL and body
(callbackGroupMsgReadCommand, ...); v3.0 to v3.4.0 {target}?command={command}.
The server ignores the HTTP status and decodes the body into
{actionCode, errCode, errMsg, errDlt, nextCode} with int32 numbers and strings: anything it
cannot decode (an empty body, HTML, "nextCode": "" as in the document's own sample, a float,
an out-of-range integer) fails the call with error 90007. Budget: 5 s (webhooks.yml default).

With no --target (and no IMHOOK_TARGET) imhook starts its built-in receiver on a free
loopback port and runs against it.

Outcomes. Each record carries the outcome the platform would act on, read from the
catalogue's reply section of the callback (imhook fixtures show COMMAND --doc):
  Tencent  ok       ActionStatus OK, ErrorCode 0 (after-callbacks: any OK reply)
           fail     ActionStatus FAIL
           reject   ErrorCode 1, or a code of the callback's custom range (C2C 120001-130000,
                    groups 10100-10200) that is passed to the client
           discard  ErrorCode 2 (dropped silently; the sender sees success)
           modify   ErrorCode 0 with a reply field the platform applies that changes something:
                    MsgBody, CloudCustomData, RefusedMembers_Account, a refusing ResultItem, RspData
  OpenIM   continue the operation goes on (after-callbacks: always)
           stop     actionCode 0 with nextCode 1 (errCode and errMsg reach the caller)
           modify   continue, with a reply field the server applies (nickName, userIDList, ...)
Applied reply fields are checked for type: a wrong type is an error (OpenIM: error 90007).
A reply that breaks the contract has no outcome.

By default a valid callback must be accepted: a FAIL, reject, discard or stop reply to it
fails the check (response.refused). --expect OUTCOME asks for that outcome instead: any other
outcome fails (expect.outcome, with expected and found), and the refusal is not an error.
Without --target, the built-in receiver answers with the expected outcome.`,
		Example: `  imhook simulate --all
  imhook simulate C2C.CallbackAfterSendMsg --target http://localhost:8080/im/callback
  imhook simulate --all --vendor tencent --target https://api.example.com/im --token "$TOKEN"
  imhook simulate callbackAfterGroupMsgReadCommand --target http://localhost:10006/callbackExample
  imhook simulate C2C.CallbackAfterSendMsg --set UnreadMsgNum=3 --set From_Account=alice --dry-run
  imhook simulate --data payload.json --target http://localhost:8080/cb     # command from the body
  imhook simulate --all -o json --record run.jsonl
  imhook simulate C2C.CallbackBeforeSendMsg --expect reject --target http://localhost:8080/cb
  imhook simulate callbackBeforeUpdateUserInfoCommand --expect modify --target http://localhost:10006/callbackExample
  imhook simulate --all --vendor openim --openim-version v3.6 --target http://localhost:10006/callbackExample
  imhook simulate C2C.CallbackAfterSendMsg --count 10000 --concurrency 64 --target http://localhost:8080/cb
  imhook simulate --all --duration 30s --rate 500 --target http://localhost:8080/cb -o json   # summary as JSON`,
		ValidArgsFunction: completeCommands(&o.Vendor),
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.payload.resolve(c); err != nil {
				return err
			}
			fromEnv := func(flag, env string, dst *string) {
				if !c.Flags().Changed(flag) {
					if v := g.getenv(env); v != "" {
						*dst = v
					}
				}
			}
			fromEnv("target", "IMHOOK_TARGET", &o.Target)
			fromEnv("sdkappid", "IMHOOK_SDKAPPID", &o.SdkAppID)
			fromEnv("token", "IMHOOK_TOKEN", &o.Token)
			return runSimulateCI(c.Context(), g, o, args)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.All, "all", false, "send every callback of the catalogue (with --vendor, that vendor's)")
	f.StringVar(&o.Vendor, "vendor", "", "with --all: only tencent or openim")
	f.StringVar(&o.Target, "target", "", "the backend's callback URL (env IMHOOK_TARGET); default: the built-in receiver")
	f.StringVar(&o.SdkAppID, "sdkappid", platform.DefaultSdkAppID, "Tencent: the SdkAppid query value (env IMHOOK_SDKAPPID)")
	f.StringVar(&o.ClientIP, "client-ip", platform.DefaultClientIP, "Tencent: the ClientIP query value")
	f.StringVar(&o.Platform, "platform", platform.DefaultOptPlatform, "Tencent: the OptPlatform query value ("+strings.Join(platform.TencentPlatforms, ", ")+")")
	f.StringVar(&o.Token, "token", "", "Tencent: callback authentication token; adds RequestTime and Sign (env IMHOOK_TOKEN; never printed)")
	f.StringVar(&o.Data, "data", "", "send this body (a file, or - for stdin) instead of a generated one; it is checked first and sent anyway")
	f.DurationVar(&o.Timeout, "timeout", 0, "reply budget (default: the platform's, Tencent 2s, OpenIM 5s)")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the requests that would be sent and send nothing")
	f.StringVar(&o.Record, "record", "", "append a record of every exchange to this file (JSON Lines)")
	f.Int64Var(&o.Count, "count", 0, "load: send this many callbacks in all, each with a fresh payload (round-robin over the commands); with --scenario, the scenario's length")
	f.DurationVar(&o.Duration, "duration", 0, "load: keep sending for this long")
	f.IntVar(&o.Concurrency, "concurrency", 0, "load: workers sending at once, each on its own keep-alive connection (default 1, or 64 with --count/--duration)")
	f.Float64Var(&o.Rate, "rate", 0, "load: requests per second in all (default: as fast as the workers go)")
	o.payload.register(c)
	o.outcome.register(c)
	o.ci.registerCI(c, true)
	registerScenario(c, o)
	_ = c.RegisterFlagCompletionFunc("vendor", fixedCompletion(fixtures.Tencent, fixtures.OpenIM))
	_ = c.RegisterFlagCompletionFunc("platform", fixedCompletion(platform.TencentPlatforms...))
	return c
}

// tally counts the exchanges of a run.
type tally struct {
	total, pass, fail, noReply, unreachable int
	warnings                                int
	latencies                               []float64
	unreachableReason                       string
}

func (t *tally) add(r *record.Record, unreachable bool) {
	t.total++
	switch r.Verdict {
	case record.Pass:
		t.pass++
	case record.Fail:
		t.fail++
	default:
		t.noReply++
	}
	if unreachable {
		t.unreachable++
		if t.unreachableReason == "" {
			t.unreachableReason = r.Error
		}
	}
	for _, f := range r.Findings {
		if f.Severity == record.Warning {
			t.warnings++
		}
	}
	if r.Response != nil {
		t.latencies = append(t.latencies, r.Response.LatencyMS)
	}
}

func (t *tally) summary(pal *ui.Palette) string {
	s := fmt.Sprintf("%d callback(s): %s passed, %s failed, %s without reply",
		t.total, pal.Green(fmt.Sprint(t.pass)), redIf(pal, t.fail), redIf(pal, t.noReply))
	if t.warnings > 0 {
		s += fmt.Sprintf(", %s", pal.Yellow(fmt.Sprintf("%d warning(s)", t.warnings)))
	}
	if n := len(t.latencies); n > 0 {
		l := slices.Clone(t.latencies)
		sort.Float64s(l)
		s += fmt.Sprintf("; latency p50 %s, max %s", ui.FormatMS(l[n/2]), ui.FormatMS(l[n-1]))
	}
	return s
}

func redIf(pal *ui.Palette, n int) string {
	if n > 0 {
		return pal.Red(fmt.Sprint(n))
	}
	return fmt.Sprint(n)
}

// exitCode is the run's outcome: unreachable beats a contract failure.
func (t *tally) err() error {
	switch {
	case t.unreachable > 0:
		return &ExitError{Code: ExitUnreachable, Err: fmt.Errorf("the target could not be reached: %s", t.unreachableReason)}
	case t.fail+t.noReply > 0:
		return &ExitError{Code: ExitContract, Silent: true, Err: fmt.Errorf("%d exchange(s) broke the contract", t.fail+t.noReply)}
	}
	return nil
}

func runSimulate(ctx context.Context, g *Globals, o *simulateOptions, args []string) error {
	if err := checkVendor(o.Vendor); err != nil {
		return err
	}
	switch {
	case o.Count < 0 || o.Duration < 0 || o.Concurrency < 0 || o.Rate < 0:
		return usageErrorf("--count, --duration, --concurrency and --rate must not be negative")
	case !o.loadMode() && (o.Concurrency > 0 || o.Rate > 0):
		return usageErrorf("--concurrency and --rate shape a load run: give --count N or --duration D too")
	case o.loadMode() && o.DryRun:
		return usageErrorf("--dry-run shows single requests; drop --count/--duration")
	}
	if o.Platform != "" && !slices.Contains(platform.TencentPlatforms, o.Platform) {
		return usageErrorf("--platform %q is not a documented OptPlatform value; use one of %s", o.Platform, strings.Join(platform.TencentPlatforms, ", "))
	}
	callbacks, err := buildCallbacks(g, o, args)
	if err != nil {
		return err
	}
	var vendors []string
	for _, cb := range callbacks {
		if !slices.Contains(vendors, cb.Entry.Vendor) {
			vendors = append(vendors, cb.Entry.Vendor)
		}
	}
	if err := o.outcome.check(vendors...); err != nil {
		return err
	}
	if o.Target != "" {
		if err := checkTarget(o.Target); err != nil {
			return err
		}
	}
	sender := &simulate.Sender{Target: o.Target, Timeout: o.Timeout, Client: simulate.NewClient(), Expect: o.outcome.Expect, Params: o.params()}
	printer := g.Printer()
	if o.DryRun {
		if sender.Target == "" {
			sender.Target = "http://127.0.0.1:9000"
		}
		bad := false
		for _, cb := range callbacks {
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
	rw, cleanup, err := runResources(g, &sender.Target, platform.ReplyModeFor(o.outcome.Expect), o.Record)
	if err != nil {
		return err
	}
	defer cleanup()
	if o.loadMode() {
		return runLoad(ctx, g, o, sender, callbacks, rw)
	}
	t := &tally{}
	for _, cb := range callbacks {
		if ctx.Err() != nil {
			break
		}
		rec, unreachable := sender.Send(ctx, cb)
		printer.Record(rec)
		o.ci.observe("simulate", rec)
		if rw != nil {
			if err := rw.Write(rec); err != nil {
				return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--record %s: %w", o.Record, err)}
			}
		}
		t.add(rec, unreachable)
		if unreachable {
			break // the next callbacks would find the same closed door
		}
	}
	if err := closeRecord(rw, o.Record, nil); err != nil {
		return err
	}
	if !g.Quiet {
		fmt.Fprintln(g.Streams.ErrOut, t.summary(g.ErrPalette()))
	}
	if ctx.Err() != nil {
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted")}
	}
	return t.err()
}

// startReceiver starts the built-in receiver on a free loopback port for a
// run without --target, and says so on stderr.
// respond is its reply mode ("" answers ok): simulate --expect X without a
// target gets the answer whose outcome is X.
// runResources starts the built-in receiver when *target is empty (and
// points *target at it) and opens --record; cleanup undoes both. Closing
// the writer again after an explicit Close is harmless.
func runResources(g *Globals, target *string, respond, recordPath string) (*record.Writer, func(), error) {
	stop := func() {}
	if *target == "" {
		t, s, err := startReceiver(g, respond)
		if err != nil {
			return nil, nil, err
		}
		*target, stop = t, s
	}
	rw, err := openRecord(recordPath)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return rw, func() {
		if rw != nil {
			rw.Close()
		}
		stop()
	}, nil
}

func startReceiver(g *Globals, respond string) (target string, stop func(), err error) {
	srv, err := serve.Start("127.0.0.1:0", serve.NewHandler(serve.Config{Respond: respond}))
	if err != nil {
		return "", nil, &ExitError{Code: ExitUsage, Err: fmt.Errorf("cannot start the built-in receiver: %w", err)}
	}
	g.Notef("no --target given: sending to the built-in receiver at %s (set --target or IMHOOK_TARGET for your backend)", srv.URL)
	return srv.URL, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

// buildCallbacks resolves the commands and makes their bodies.
func buildCallbacks(g *Globals, o *simulateOptions, args []string) ([]simulate.Callback, error) {
	if o.Scenario != "" {
		return scenarioCallbacks(o)
	}
	var entries []*fixtures.Entry
	var err error
	switch {
	case o.All && len(args) > 0:
		return nil, usageErrorf("give COMMAND... or --all, not both")
	case o.All && o.Data != "":
		return nil, usageErrorf("--data sends one body; name its command instead of --all")
	case o.All:
		for _, e := range fixtures.Default().Entries() {
			if o.Vendor == "" || e.Vendor == o.Vendor {
				entries = append(entries, e)
			}
		}
	case len(args) > 0:
		if entries, err = lookupEntries(g, args); err != nil {
			return nil, err
		}
	case o.Data == "":
		return nil, usageErrorf("name the callbacks to send (see 'imhook fixtures list') or use --all")
	}
	if o.Data != "" {
		body, err := readData(g, o.Data)
		if err != nil {
			return nil, err
		}
		if body, err = applySets(body, o.payload.Sets); err != nil {
			return nil, err
		}
		if len(entries) == 0 {
			e, err := commandFromBody(g, body)
			if err != nil {
				return nil, err
			}
			entries = []*fixtures.Entry{e}
		}
		if len(entries) > 1 {
			return nil, usageErrorf("--data sends one body; name one command")
		}
		cb := simulate.NewCallback(entries[0], body)
		if len(cb.Findings) > 0 {
			g.Notef("%s: the body has %d finding(s); sending it anyway", o.Data, len(cb.Findings))
		}
		return []simulate.Callback{cb}, nil
	}
	var out []simulate.Callback
	for i, e := range entries {
		body, err := o.payload.generate(e, i)
		if err != nil {
			return nil, err
		}
		out = append(out, simulate.NewCallback(e, body))
	}
	return out, nil
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
	return b, nil
}

// commandFromBody finds the callback a --data body names.
func commandFromBody(g *Globals, body []byte) (*fixtures.Entry, error) {
	if cmd, _ := fixtures.BodyCommand(body); cmd != "" {
		es, err := lookupEntries(g, []string{cmd})
		if err != nil {
			return nil, err
		}
		return es[0], nil
	}
	return nil, usageErrorf("--data: the body names no callback (no CallbackCommand or callbackCommand field); name the COMMAND")
}

func checkTarget(t string) error {
	u, err := url.Parse(t)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--target %q is not an http:// or https:// URL", t)
	}
	return nil
}
