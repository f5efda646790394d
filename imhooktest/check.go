package imhooktest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/check"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/record"
)

// checkParts are the parts of a check that Parts may name.
var checkParts = []string{check.Callbacks, check.Security, check.Robustness, check.Conversation, check.Burst}

// Parts limits Check to these of its parts: "callbacks", "security",
// "robustness", "conversation", "burst". An unknown part fails the test
// with the parts there are.
func Parts(parts ...string) Option {
	return func(s *settings) {
		for _, p := range parts {
			if !slices.Contains(checkParts, p) {
				s.errs = append(s.errs, fmt.Sprintf("%q is no part of a check; the parts are %s", p, join(checkParts)))
				continue
			}
			s.parts = append(s.parts, p)
		}
	}
}

// Check runs the whole check of imhook's command line (imhook check)
// against the backend: for each vendor (Vendor; without it, every vendor),
// every callback, the security probes, the robustness probes, the
// conversation scenario (callbacks that tell one conversation, in order)
// and a burst of concurrent callbacks of the vendor's busiest kinds. Each
// part is a subtest ("callbacks tencent", "burst tencent"), each exchange
// judged as Send judges it; a burst reports its first failure and how many
// failed. Parts picks parts; Commands narrows the callbacks. The payloads
// come from the Harness's seed, as the command line's check makes them
// from the same seed.
func (h *Harness) Check(t testing.TB, opts ...Option) {
	t.Helper()
	s := h.settings(t, opts)
	vendors := s.vendors
	if len(vendors) == 0 {
		vendors = platform.Names()
	}
	o := check.Options{Vendors: vendors, Sender: h.sender(s), Seed: s.seed, Now: s.now, Release: s.release(), Only: s.parts,
		Warn: func(msg string) { t.Logf("imhooktest: %s", msg) }}
	if len(s.commands) > 0 {
		for _, c := range s.commands {
			lookup(t, c)
		}
		o.Enabled = func(e *fixtures.Entry) bool { return slices.Contains(s.commands, e.Command) }
	}
	parts, err := check.Plan(o)
	if errors.Is(err, check.ErrNoPart) {
		t.Fatalf("imhooktest: the parts %s have nothing to send for %s", join(s.parts), join(vendors))
	}
	if err != nil {
		t.Fatalf("imhooktest: %v", err)
	}
	for _, p := range parts {
		var down bool
		subtest(t, p.Name, func(t testing.TB) {
			t.Helper()
			sink := &tbSink{t: t, h: h, strict: s.strict}
			err := check.Producer([]check.Part{p})(context.Background(), sink)
			sink.end()
			down = sink.down
			if err != nil {
				t.Fatalf("imhooktest: %s: %v", p.Name, err)
			}
		})
		if down {
			t.Fatalf("imhooktest: %s cannot be reached; the other parts were not run", h.target)
			return
		}
	}
}

// tbSink is the sink of a check's part: it keeps the part's records (of a
// burst, the first that failed, and counts) for end to judge in t, from the
// test's own frames.
type tbSink struct {
	t      testing.TB
	h      *Harness
	strict bool

	mu        sync.Mutex
	down      bool
	items     []item
	bulk, bad int
	progress  run.Progress
	notJudged []string
	why       string
}

func (k *tbSink) Emit(ev run.Event) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case ev.Record != nil && ev.Bulk:
		k.bulk++
		if ev.Record.Verdict != record.Pass {
			if k.bad == 0 {
				k.items = append(k.items, item{rec: ev.Record})
			}
			k.bad++
		}
	case ev.Record != nil:
		k.items = append(k.items, item{rec: ev.Record})
	case ev.Case != nil && k.bulk > 0:
		// A burst's close: its one case.
		if k.bad > 1 {
			k.items = append(k.items, item{msg: fmt.Sprintf("%s: %d of %d concurrent callbacks failed; the first is above", ev.Case.Name, k.bad, k.bulk)})
		}
		k.bulk, k.bad = 0, 0
	case ev.NotJudged != nil:
		k.notJudged = append(k.notJudged, ev.NotJudged.Name+" "+ev.NotJudged.Command)
		k.why = ev.NotJudged.Reason
	}
	if ev.Unreachable {
		k.down = true
		return false
	}
	return true
}

// item is a record to judge or a failure to report.
type item struct {
	rec *record.Record
	msg string
}

// end judges the part's records and reports what they added up to.
func (k *tbSink) end() {
	k.t.Helper()
	for _, it := range k.items {
		if it.rec != nil {
			k.h.judged(k.t, it.rec, k.strict)
		} else {
			k.t.Errorf("%s", it.msg)
		}
	}
	if len(k.notJudged) > 0 {
		k.t.Logf("not judged (%s): %s", strings.Join(k.notJudged, ", "), k.why)
	}
}

func (k *tbSink) Context() context.Context     { return context.Background() }
func (k *tbSink) Progress() *run.Progress      { return &k.progress }
func (k *tbSink) Merge(*run.Summary)           {}
func (k *tbSink) WantsRecords() bool           { return true }
func (k *tbSink) Note(format string, a ...any) { k.t.Logf(format, a...) }
