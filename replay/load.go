package replay

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// What a load run over an input holds in memory: its items are read once and
// sent round-robin, so the input must fit.
const (
	MaxLoadItems = 100_000
	MaxLoadBytes = 256 << 20 // bytes of callback bodies
)

// TooLargeError is an input too large for a load run.
type TooLargeError struct {
	MaxItems int
	MaxBytes int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the input holds more than %d callbacks or %d MiB of them; a load run keeps its callbacks in memory: replay a part of it (e.g. head -n %d FILE)",
		e.MaxItems, e.MaxBytes>>20, e.MaxItems)
}

// LoadLimits bound Callbacks; zero fields take the defaults (MaxLoadItems,
// MaxLoadBytes).
type LoadLimits struct {
	Items int
	Bytes int64
}

// Callbacks reads every item of the sources once, for a load run, and
// returns the callbacks to send in input order. Each is what Run would send
// for the item: a recording's query values, signature and operationID are
// its Route (--resign and the query flags apply as in Run), and replay's
// notes about them (replay.stale_sign) come first among its findings, so
// the load engine builds and judges every request as Run does. Problems
// with the input go to emit as in Run, and items filtered out are counted;
// nothing is sent. An input beyond the limits stops the reading with a
// *TooLargeError.
func Callbacks(ctx context.Context, sources []stream.Source, o Options, lim LoadLimits, emit func(Result)) ([]simulate.Callback, Stats, error) {
	if o.Catalogue == nil {
		o.Catalogue = fixtures.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if lim.Items <= 0 {
		lim.Items = MaxLoadItems
	}
	if lim.Bytes <= 0 {
		lim.Bytes = MaxLoadBytes
	}
	var (
		out  []simulate.Callback
		st   Stats
		size int64
	)
	tooLarge := &TooLargeError{MaxItems: lim.Items, MaxBytes: lim.Bytes}
	err := stream.Walk(sources, o.Read, func(it *stream.Item) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		st.Items++
		p, r := o.prepare(it)
		switch {
		case p == nil && r == nil:
			st.Skipped++
			return nil
		case p == nil:
			st.Problems++
			if r.Problem.Severity == record.Error {
				st.Failed++
			}
			if stream.Unusable(&r.Problem.Finding) {
				st.Unreadable++
			}
			emit(*r)
			return nil
		}
		size += int64(len(p.body))
		if len(out) >= lim.Items || size > lim.Bytes {
			return tooLarge
		}
		cb := simulate.NewCallback(p.entry, bytes.Clone(p.body))
		if len(p.notes) > 0 {
			cb.Findings = append(p.notes, cb.Findings...)
		}
		if p.rec != nil {
			cb.Route = &simulate.Route{Target: p.sender.Target, Params: p.sender.Params}
		}
		out = append(out, cb)
		return nil
	})
	if err != nil {
		return nil, st, err
	}
	return out, st, nil
}
