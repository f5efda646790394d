package cmd

import (
	"context"
	"fmt"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/probe"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/serve"
	"github.com/imhook/imhook/simulate"
)

var probeKinds = []string{probe.Security, probe.Robustness}

// Default callbacks of the probes.
var probeDefaults = map[string][]string{
	probe.Security:   {"C2C.CallbackAfterSendMsg"},
	probe.Robustness: {"C2C.CallbackAfterSendMsg", "callbackAfterSendSingleMsgCommand"},
}

// runProbes is simulate --probe KIND: a baseline (a valid callback must be
// accepted) and then each probe of the kind, for each callback.
func runProbes(ctx context.Context, g *Globals, o *simulateOptions, args []string) error {
	kind := o.ci.Probe
	if _, ok := probeDefaults[kind]; !ok {
		return usageErrorf("--probe must be security or robustness, not %q", kind)
	}
	if o.Data != "" {
		return usageErrorf("--probe builds its own bodies; drop --data")
	}
	if len(args) == 0 {
		args = probeDefaults[kind]
	}
	entries, err := lookupEntries(g, args)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if kind == probe.Security && e.Vendor != fixtures.Tencent {
			return usageErrorf("--probe security forges Tencent's SdkAppid and Sign; %s is an OpenIM callback (OpenIM callbacks carry no signature)", e.Command)
		}
	}
	if o.Target != "" {
		if err := checkTarget(o.Target); err != nil {
			return err
		}
	} else {
		// The built-in receiver, as careful as the flags allow.
		srv, err := serve.Start("127.0.0.1:0", serve.NewHandler(serve.Config{Expect: platform.Expect{SdkAppID: o.SdkAppID, Token: o.Token}}))
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("cannot start the built-in receiver: %w", err)}
		}
		defer func() { _ = srv.Shutdown(context.Background()) }()
		g.Notef("no --target given: probing the built-in receiver at %s (set --target or IMHOOK_TARGET for your backend)", srv.URL)
		o.Target = srv.URL
	}
	if kind == probe.Security && o.Token == "" {
		g.Notef("no --token: only the SdkAppid probe runs; give the callback token to probe Sign and RequestTime too")
	}
	b := &probe.Builder{Target: o.Target, Gen: o.payload.generate,
		Params: platform.Params{SdkAppID: o.SdkAppID, ClientIP: o.ClientIP, OptPlatform: o.Platform, Token: o.Token}}
	var probes []*probe.Probe
	for _, e := range entries {
		base, err := b.Baseline(e)
		if err != nil {
			return usageErrorf("%v", err)
		}
		var ps []*probe.Probe
		if kind == probe.Security {
			ps, err = b.Security(e)
		} else {
			ps, err = b.Robustness(e)
		}
		if err != nil {
			return usageErrorf("%v", err)
		}
		probes = append(append(probes, base), ps...)
	}
	rw, err := openRecord(o.Record)
	if err != nil {
		return err
	}
	if rw != nil {
		defer rw.Close()
	}
	runner := &probe.Runner{Client: simulate.NewClient(), Timeout: o.Timeout}
	printer := g.Printer()
	printer.ShowInfo = true // the probe's own finding says what it checked
	t := &tally{}
	failed, passed := 0, 0
	stopped := false
	for _, p := range probes {
		if ctx.Err() != nil {
			break
		}
		ok := true
		results := runner.Run(ctx, p)
		for i, res := range results {
			printer.Record(res.Record)
			name := p.Name + " " + p.Command
			if len(p.Exchanges) > 1 {
				name += fmt.Sprintf(" (%d/%d)", i+1, len(p.Exchanges))
			}
			o.ci.observeAs(name, p.Expected(), res.Record)
			if rw != nil {
				if err := rw.Write(res.Record); err != nil {
					return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--record %s: %w", o.Record, err)}
				}
			}
			t.add(res.Record, res.Unreachable)
			ok = ok && res.Record.Verdict == record.Pass
			if res.Unreachable {
				stopped = true
			}
		}
		if ok {
			passed++
		} else {
			failed++
		}
		if stopped || (o.ci.MaxFailures > 0 && failed >= o.ci.MaxFailures) {
			if !stopped {
				g.Notef("stopping after %d failed probe(s) (--max-failures)", failed)
			}
			break
		}
	}
	if err := closeRecord(rw, o.Record, nil); err != nil {
		return err
	}
	if !g.Quiet {
		pal := g.ErrPalette()
		fmt.Fprintf(g.Streams.ErrOut, "%d %s probe(s): %s passed, %s failed (%s)\n", passed+failed, kind, pal.Green(fmt.Sprint(passed)), redIf(pal, failed), t.summary(pal))
	}
	if ctx.Err() != nil {
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted")}
	}
	return t.err()
}
