package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/serve"
)

type serveOptions struct {
	Addr         string
	SdkAppID     string
	Token        string
	Respond      string
	RespondFiles []string
	Delay        time.Duration
	FailRate     float64
	Record       string
	MaxBody      string
	Grace        time.Duration
}

func newServeCmd(g *Globals) *cobra.Command {
	o := &serveOptions{}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Receive callbacks: check them, answer as told and record every exchange",
		Long: `Run a receiver that a real IM platform (or imhook simulate) can call. Each request is
recognised (Tencent by its CallbackCommand query parameter, OpenIM by the last path segment,
which must agree with the body's callbackCommand), checked (the query, the signature when
--token is given, the body against the catalogue) and answered in the vendor's reply shape.

A careful backend refuses what it cannot trust: another app's SdkAppid, a missing, bad or
stale signature (RequestTime more than 60 s from now), a body that is not JSON. Those get
FAIL (Tencent) or actionCode 1 (OpenIM). Everything else is answered by --respond:
  ok       accept (default)
  fail     Tencent ActionStatus FAIL / ErrorCode 1; OpenIM actionCode 1 (the server carries on)
  reject   Tencent OK / ErrorCode 1; OpenIM actionCode 0, nextCode 1 (stops a before-callback)
  discard  Tencent OK / ErrorCode 2 (silently drop); OpenIM as reject
  modify   a before-callback's allowing reply with the fields the platform applies, changed,
           built from the catalogue's reply section: Tencent ErrorCode 0 with MsgBody (one
           TIMTextElem "[modified by imhook]"), CloudCustomData, RefusedMembers_Account, ...;
           OpenIM actionCode 0, nextCode 0 with nickName, userIDList, ... A --respond-file for
           the command wins. Callbacks that apply no reply field are allowed.
ok answers carry what the platform needs besides: OpenIM's set-group-info callbacks echo the
fields the server always copies back; Sns.CallbackPrev* allow every target in ResultItem.
Each record carries the outcome of the answer (see imhook simulate --help); OpenIM records
say which server release a request looks like (info request.openim_version).

--record appends one record per exchange, written before the reply is sent: a reply that
was sent is always in the file. SIGINT or SIGTERM stops accepting, finishes the requests in
flight, flushes and closes the file, and exits 0.`,
		Example: `  imhook serve
  imhook serve --addr 127.0.0.1:9000 --sdkappid 1400000000 --token "$TOKEN" --record calls.jsonl
  imhook serve --respond reject                                # refuse before-callbacks
  imhook serve --respond modify -o json | jq .outcome          # modify what before-callbacks allow
  imhook serve --respond-file C2C.CallbackBeforeSendMsg=modified.json --respond-file ok.json
  imhook serve --delay 2500ms                                  # answer too late for Tencent
  imhook serve --fail-rate 0.1 -o json | jq .verdict`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			for flag, env := range map[string]string{"sdkappid": "IMHOOK_SDKAPPID", "token": "IMHOOK_TOKEN"} {
				if !c.Flags().Changed(flag) {
					if v := g.getenv(env); v != "" {
						_ = c.Flags().Set(flag, v)
					}
				}
			}
			return runServe(c.Context(), g, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.Addr, "addr", "127.0.0.1:9000", "address to listen on (a non-loopback address gets a warning)")
	f.StringVar(&o.SdkAppID, "sdkappid", "", "Tencent: refuse callbacks whose SdkAppid differs (env IMHOOK_SDKAPPID)")
	f.StringVar(&o.Token, "token", "", "Tencent: verify Sign and RequestTime with this callback token (env IMHOOK_TOKEN; never printed)")
	f.StringVar(&o.Respond, "respond", platform.ReplyOK, "how to answer good callbacks: "+strings.Join(platform.ReplyModes, ", "))
	f.StringArrayVar(&o.RespondFiles, "respond-file", nil, "send this file's JSON as the reply: [COMMAND=]FILE (per command, or for all); repeatable")
	f.DurationVar(&o.Delay, "delay", 0, "wait this long before answering")
	f.Float64Var(&o.FailRate, "fail-rate", 0, "answer fail to this fraction of good callbacks (0..1)")
	f.StringVar(&o.Record, "record", "", "append a record of every exchange to this file (JSON Lines)")
	f.StringVar(&o.MaxBody, "max-body", "1MiB", "largest request body (bytes, or with KiB/MiB); larger gets 413")
	f.DurationVar(&o.Grace, "grace", 10*time.Second, "on SIGINT/SIGTERM, how long to wait for requests in flight")
	_ = c.RegisterFlagCompletionFunc("respond", fixedCompletion(platform.ReplyModes...))
	return c
}

func runServe(ctx context.Context, g *Globals, o *serveOptions) error {
	if !slices.Contains(platform.ReplyModes, o.Respond) {
		return usageErrorf("--respond must be one of %s, not %q", strings.Join(platform.ReplyModes, ", "), o.Respond)
	}
	if o.FailRate < 0 || o.FailRate > 1 {
		return usageErrorf("--fail-rate must be between 0 and 1, not %g", o.FailRate)
	}
	maxBody, err := parseSize(o.MaxBody)
	if err != nil {
		return usageErrorf("--max-body %q: %v", o.MaxBody, err)
	}
	files, err := readReplyFiles(o.RespondFiles)
	if err != nil {
		return err
	}
	printer := g.Printer()
	rw, err := openRecord(o.Record)
	if err != nil {
		return err
	}
	var count, failed atomic.Int64
	cfg := serve.Config{
		Expect:     platform.Expect{SdkAppID: o.SdkAppID, Token: o.Token},
		Respond:    o.Respond,
		ReplyFiles: files,
		Delay:      o.Delay,
		FailRate:   o.FailRate,
		MaxBody:    maxBody,
		Show: func(r *record.Record) {
			count.Add(1)
			if r.Verdict != record.Pass {
				failed.Add(1)
			}
			printer.Received(r)
		},
	}
	if rw != nil {
		cfg.Record = rw.Write
	}
	// The receiver's live heap is small and every request allocates a
	// record; a less eager collector is worth a few percent (GOGC wins).
	if g.getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	srv, err := serve.Start(o.Addr, serve.NewHandler(cfg))
	if err != nil {
		if rw != nil {
			rw.Close()
		}
		return usageErrorf("cannot listen on %s: %v", o.Addr, err)
	}
	if !serve.IsLoopback(o.Addr) {
		g.Notef("warning: %s is not a loopback address: anyone who can reach it can post callbacks to this receiver", o.Addr)
	}
	g.Notef("listening on %s; %s; %s", srv.URL, platform.Tencent.Configure(srv.URL+"/"), platform.OpenIM.Configure(srv.URL))
	<-ctx.Done()
	g.Notef("stopping: finishing the requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), o.Grace)
	defer cancel()
	serr := srv.Shutdown(sctx)
	if err := closeRecord(rw, o.Record, nil); err != nil {
		return err
	}
	g.Notef("received %d callback(s), %d not passing", count.Load(), failed.Load())
	if serr != nil {
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("requests still in flight after %s: %w", o.Grace, serr)}
	}
	return nil
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
		if !json.Valid(b) {
			return nil, usageErrorf("--respond-file %s: not valid JSON", file)
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
