package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// loadRun is what shapes a load run: simulate's and replay's load flags.
type loadRun struct {
	Count       int64
	Duration    time.Duration
	Concurrency int // 0: 64
	Rate        float64
	Timeout     time.Duration
	Record      string // --record's file, for messages
}

// runLoad runs simulate's load mode: a fresh payload per request
// (round-robin over the commands), every reply judged, a summary at the end.
func runLoad(ctx context.Context, g *Globals, o *simulateOptions, sender *simulate.Sender, callbacks []simulate.Callback, rw *record.Writer) error {
	fixed := o.Data != ""
	src := func(i int64) (simulate.Callback, error) {
		cb := callbacks[int(i%int64(len(callbacks)))]
		if fixed {
			return cb, nil
		}
		body, err := o.payload.generate(cb.Entry, int(i))
		if err != nil {
			return cb, err
		}
		// Generated payloads pass the catalogue by construction (proven by
		// simulate's tests), so the hot path does not check them again.
		return simulate.Callback{Entry: cb.Entry, Body: body}, nil
	}
	var first *simulate.Callback
	if len(callbacks) > 0 {
		first = &callbacks[0]
	}
	return runLoadRun(ctx, g, loadRun{Count: o.Count, Duration: o.Duration, Concurrency: o.Concurrency, Rate: o.Rate, Timeout: o.Timeout, Record: o.Record},
		sender, src, first, rw)
}

// runLoadRun sends src's callbacks under lr with simulate's load engine and
// prints the summary; first, when not nil, names the budget in the text.
func runLoadRun(ctx context.Context, g *Globals, lr loadRun, sender *simulate.Sender, src simulate.Source, first *simulate.Callback, rw *record.Writer) error {
	conc := lr.Concurrency
	if conc == 0 {
		conc = 64
	}
	sender.Client = simulate.NewClientFor(conc)
	var each func(*record.Record, bool)
	var writeErr error
	if rw != nil {
		each = func(r *record.Record, _ bool) {
			if err := rw.Write(r); err != nil && writeErr == nil {
				writeErr = err
			}
		}
	}
	prog := &simulate.Progress{}
	stopProgress := g.progressLine(prog, lr.Count)
	stats, err := sender.Load(ctx, simulate.LoadOptions{Count: lr.Count, Duration: lr.Duration, Concurrency: conc, Rate: lr.Rate}, src, each, prog)
	stopProgress()
	if err != nil {
		return usageErrorf("%v", err)
	}
	if err := closeRecord(rw, lr.Record, writeErr); err != nil {
		return err
	}
	budget := "platform's"
	if lr.Timeout > 0 {
		budget = lr.Timeout.String()
	} else if first != nil {
		budget = sender.Budget(platformOf(*first)).String()
	}
	if g.JSON() {
		b, _ := json.Marshal(stats)
		fmt.Fprintf(g.Streams.Out, "%s\n", b)
	} else if !g.Quiet || stats.Failed() > 0 {
		fmt.Fprint(g.Streams.ErrOut, stats.Text(budget))
	}
	switch {
	case ctx.Err() != nil:
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted after %d request(s)", stats.Requests)}
	case stats.Unreachable > 0 && stats.Unreachable == stats.Requests:
		return &ExitError{Code: ExitUnreachable, Err: fmt.Errorf("the target could not be reached: %s", stats.FirstError)}
	case stats.Failed() > 0:
		return &ExitError{Code: ExitContract, Silent: true, Err: fmt.Errorf("%d exchange(s) broke the contract", stats.Failed())}
	}
	return nil
}

// progressLine draws a live line on stderr when it is a terminal.
func (g *Globals) progressLine(p *simulate.Progress, count int64) func() {
	if !g.Streams.ErrTTY || g.Quiet {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(g.Streams.ErrOut, "\r\033[K")
				return
			case <-t.C:
				n := p.Sent.Load()
				el := time.Since(start)
				total := ""
				if count > 0 {
					total = fmt.Sprintf("/%d", count)
				}
				fmt.Fprintf(g.Streams.ErrOut, "\r\033[K%d%s sent, %.0f/s, %d failed, %s", n, total, float64(n)/el.Seconds(), p.Failed.Load(), el.Round(time.Second))
			}
		}
	}()
	return func() { close(done); <-finished }
}

func platformOf(cb simulate.Callback) platform.Vendor { return platform.For(cb.Entry.Vendor) }
