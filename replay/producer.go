package replay

import (
	"context"
	"fmt"

	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/simulate"
)

// event is a result as the run pipeline takes it.
func event(r Result) run.Event {
	if r.Problem != nil {
		return run.Event{Problem: r.Problem, Unreadable: stream.Unusable(&r.Problem.Finding)}
	}
	return run.Event{Record: r.Record, Unreachable: r.Unreachable, Input: true}
}

// skipped tells the sink how many items were filtered out.
func skipped(sink run.Sink, n int) {
	if n > 0 {
		s := run.NewSummary("")
		s.Input.Items, s.Input.Skipped = int64(n), int64(n)
		sink.Merge(s)
	}
}

// Producer replays the sources (Run) into a run.
func Producer(sources []stream.Source, o Options) run.Producer {
	return func(ctx context.Context, sink run.Sink) error {
		st := Run(ctx, sources, o, func(r Result) bool { return sink.Emit(event(r)) })
		skipped(sink, st.Skipped)
		return nil
	}
}

// LoadProducer is replay's load mode: the input is read once (Callbacks,
// within lim), its problems emitted, and then its callbacks are sent
// round-robin by the load engine under lo. An input that cannot be read,
// or holds no callback, ends the run before anything is sent.
func LoadProducer(sources []stream.Source, o Options, lim LoadLimits, lo simulate.LoadOptions) run.Producer {
	return func(ctx context.Context, sink run.Sink) error {
		cbs, st, err := Callbacks(ctx, sources, o, lim, func(r Result) { sink.Emit(event(r)) })
		skipped(sink, st.Skipped)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			return &run.InputError{Err: err}
		case st.Unreadable > 0:
			return &run.InputError{Err: fmt.Errorf("%d input(s) could not be used (unreadable, empty or not JSON text); nothing was sent", st.Unreadable)}
		case len(cbs) == 0:
			return &run.InputError{Err: fmt.Errorf("the input holds no callback to send (%d item(s), %d problem(s), %d filtered out)", st.Items, st.Problems, st.Skipped)}
		}
		if st.Problems > 0 || st.Skipped > 0 {
			sink.Note("sending %d callback(s) of the input round-robin; %d problem(s) in the input, %d filtered out", len(cbs), st.Problems, st.Skipped)
		}
		src := func(i int64) (simulate.Callback, error) { return cbs[int(i%int64(len(cbs)))], nil }
		return o.Sender.Load(lo, src)(ctx, sink)
	}
}
