// Package check is the engine of `imhook check`: the plan of a contract
// check (its parts: for each vendor every callback, the security and
// robustness probes, the conversation scenario and a burst of concurrent
// callbacks; then the user's suites) and the producer that runs the parts,
// one after another, into one run pipeline (internal/run): one summary with
// a section per part, one JUnit test suite per part, one result.
//
// Every payload comes from one seed: the same seed, clock and options give
// the same run.
package check

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/junit"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/probe"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/internal/suite"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// The kinds of part, in the order a vendor's parts run.
const (
	Callbacks    = "callbacks"
	Security     = probe.Security
	Robustness   = probe.Robustness
	Conversation = "conversation"
	Burst        = "burst"
	Suite        = "suite"
)

// Kinds lists the kinds of part.
var Kinds = []string{Callbacks, Security, Robustness, Conversation, Burst, Suite}

// Burst defaults: each of a vendor's busiest callbacks (the message
// callbacks before and after a send) alone, DefaultBurstCount of them with
// DefaultBurstConcurrency in flight. OpenIM's webhook client opens up to 100
// connections to a backend's host (its MaxConnsPerHost; before-send
// callbacks are sent from the request that sends the message); Tencent
// documents no limit. 100 at once is well past the pools of 10 to 20
// connections that frameworks and database drivers start with, which is
// where a backend starves.
const (
	DefaultBurstCount       = 200
	DefaultBurstConcurrency = 100
)

// Options shape a check.
type Options struct {
	// Vendors are the vendors to check, in the registry's order; Sender
	// holds their targets, request settings, budget, client and
	// configuration-file settings.
	Vendors []string
	Sender  *simulate.Sender
	// Enabled narrows a vendor's callbacks to those the user says are
	// switched on (nil: every callback of the vendor).
	Enabled func(e *fixtures.Entry) bool
	// Seed and Now make every payload; Release is the OpenIM release whose
	// shapes to generate (nil: the documents').
	Seed    uint64
	Now     time.Time
	Release *fixtures.Release
	// Burst: the commands by vendor (nil: each vendor's busiest), how many
	// callbacks of each and how many in flight (0: the defaults); TLS is
	// the burst connections' (nil: the system's).
	BurstCommands    map[string][]string
	BurstCount       int
	BurstConcurrency int
	TLS              *tls.Config
	// ScenarioCount is the conversation's length (0: the scenario's
	// default).
	ScenarioCount int
	// Suites are the user's suite files, each a part of its own, with
	// what their runner needs.
	Suites []*suite.Suite
	Getenv func(string) string
	Warn   func(string)
	// Only keeps the parts of these kinds (nil: all); Skip drops those.
	Only, Skip []string
}

// Part is one part of a check.
type Part struct {
	// Name names the part in the summary and the JUnit report: "burst
	// tencent", "suite contract.json".
	Name   string
	Kind   string
	Vendor string
	// What says what the part sends, for people.
	What     string
	producer run.Producer
}

// seedStride keeps the parts' payloads apart: part p generates from Seed +
// p*seedStride, so that no two parts send the same message.
const seedStride = 1 << 32

// ErrNoPart is Plan's error when Only and Skip leave no part to run.
var ErrNoPart = errors.New("no part to run")

// Plan lists the parts of a check, in the order they run.
func Plan(o Options) ([]Part, error) {
	for _, k := range append(slices.Clone(o.Only), o.Skip...) {
		if !slices.Contains(Kinds, k) {
			return nil, fmt.Errorf("%q is no part of a check; the parts are %s", k, strings.Join(Kinds, ", "))
		}
	}
	want := func(kind string) bool {
		return (len(o.Only) == 0 || slices.Contains(o.Only, kind)) && !slices.Contains(o.Skip, kind)
	}
	var parts []Part
	add := func(p Part, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		if p.producer != nil {
			parts = append(parts, p)
		}
		return nil
	}
	for _, name := range o.Vendors {
		v := platform.For(name)
		for _, kind := range Kinds[:5] {
			if !want(kind) {
				continue
			}
			base := o.Seed + uint64(len(parts)+1)*seedStride
			var p Part
			var err error
			switch kind {
			case Callbacks:
				p, err = o.callbacks(v, base)
			case Security, Robustness:
				p, err = o.probes(v, kind, base)
			case Conversation:
				p, err = o.conversation(v, base)
			case Burst:
				p, err = o.burst(v, base)
			}
			p.Name, p.Kind, p.Vendor = kind+" "+name, kind, name
			if err := add(p, err); err != nil {
				return nil, err
			}
		}
	}
	if want(Suite) {
		for _, s := range o.Suites {
			base := o.Seed + uint64(len(parts)+1)*seedStride
			p := o.suite(s, base)
			if err := add(p, nil); err != nil {
				return nil, err
			}
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: --only and --skip leave none for %s", ErrNoPart, strings.Join(o.Vendors, " and "))
	}
	return parts, nil
}

// Producer runs the parts one after another, each in its own section of
// the run; it stops when the run does.
func Producer(parts []Part) run.Producer {
	return func(ctx context.Context, sink run.Sink) error {
		for _, p := range parts {
			if ctx.Err() != nil {
				return nil
			}
			ps := run.Section(sink, p.Name)
			err := p.producer(ctx, ps)
			ps.End()
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// gen makes the i-th payload of a part whose seeds start at base.
func (o *Options) gen(base uint64) func(e *fixtures.Entry, i int) ([]byte, error) {
	return func(e *fixtures.Entry, i int) ([]byte, error) {
		return generate.Generate(e, generate.GenOptions{Seed: base + uint64(i), Now: o.Now, Release: o.Release})
	}
}

// entries are the vendor's callbacks the check sends: every one, or those
// enabled.
func (o *Options) entries(vendor string) []*fixtures.Entry {
	var out []*fixtures.Entry
	for _, e := range fixtures.Default().Entries() {
		if e.Vendor == vendor && (o.Enabled == nil || o.Enabled(e)) {
			out = append(out, e)
		}
	}
	return out
}

func (o *Options) callbacks(v platform.Vendor, base uint64) (Part, error) {
	es := o.entries(v.Name())
	if len(es) == 0 {
		return Part{}, nil
	}
	gen := o.gen(base)
	cbs := make([]simulate.Callback, 0, len(es))
	for i, e := range es {
		b, err := gen(e, i)
		if err != nil {
			return Part{}, err
		}
		cbs = append(cbs, simulate.NewCallback(e, b))
	}
	return Part{What: fmt.Sprintf("%d callback(s), one of each", len(cbs)), producer: o.Sender.Sequence(cbs)}, nil
}

// probes are the probes of a kind: the vendor's probe callback's baseline
// and probes, and with robustness every callback's null fields.
func (o *Options) probes(v platform.Vendor, kind string, base uint64) (Part, error) {
	e, _, ok := fixtures.Default().Lookup(v.ProbeCommand())
	if !ok {
		return Part{}, fmt.Errorf("the probe callback %s is not in the catalogue", v.ProbeCommand())
	}
	var nullable []*fixtures.Entry
	if kind == Robustness {
		for _, x := range o.entries(v.Name()) {
			if x != e {
				nullable = append(nullable, x)
			}
		}
	}
	gen := o.gen(base)
	probes, err := probe.List(kind, []*fixtures.Entry{e}, nullable, func(e *fixtures.Entry) *probe.Builder {
		return &probe.Builder{Target: o.Sender.TargetFor(e.Vendor), Gen: gen, Params: o.Sender.Params}
	})
	if err != nil {
		return Part{}, err
	}
	r := &probe.Runner{Client: o.Sender.Client, Timeout: o.Sender.Timeout, Version: o.Sender.Params.Release(), Words: o.Sender.Words}
	return Part{What: fmt.Sprintf("%d probe(s)", len(probes)), producer: r.Producer(probes)}, nil
}

func (o *Options) conversation(v platform.Vendor, base uint64) (Part, error) {
	teller, ok := v.(platform.Storyteller)
	if !ok || !slices.Contains(teller.Scenarios(), Conversation) {
		return Part{}, nil
	}
	ps, err := teller.Scenario(fixtures.Default(), Conversation, platform.ScenarioOptions{Seed: base, Now: o.Now, Count: o.ScenarioCount})
	if err != nil {
		return Part{}, err
	}
	cbs := make([]simulate.Callback, len(ps))
	for i, p := range ps {
		cbs[i] = simulate.NewCallback(p.Entry, p.Body)
	}
	return Part{What: fmt.Sprintf("a conversation of %d callback(s), in order", len(cbs)), producer: o.Sender.Sequence(cbs)}, nil
}

// burst sends each of the vendor's busiest callbacks (those enabled) in a
// burst of its own: a fresh payload each, BurstConcurrency in flight.
func (o *Options) burst(v platform.Vendor, base uint64) (Part, error) {
	names := v.BusiestCommands()
	if cs, ok := o.BurstCommands[v.Name()]; ok {
		names = cs
	}
	var es []*fixtures.Entry
	for _, n := range names {
		e, _, ok := fixtures.Default().Lookup(n)
		if !ok || e.Vendor != v.Name() {
			return Part{}, fmt.Errorf("%q is no %s callback", n, v.Title())
		}
		if o.Enabled == nil || o.Enabled(e) {
			es = append(es, e)
		}
	}
	if len(es) == 0 {
		return Part{}, nil
	}
	count, conc := o.BurstCount, o.BurstConcurrency
	if count <= 0 {
		count = DefaultBurstCount
	}
	if conc <= 0 {
		conc = DefaultBurstConcurrency
	}
	bs := *o.Sender
	if simulate.OwnConnections(bs.Client) {
		bs.Client = simulate.NewClientFor(conc, o.TLS)
	}
	gen := o.gen(base)
	var cmds []string
	for _, e := range es {
		cmds = append(cmds, e.Command)
	}
	produce := func(ctx context.Context, sink run.Sink) error {
		for k, e := range es {
			if ctx.Err() != nil {
				return nil
			}
			off := k * count
			src := func(i int64) (simulate.Callback, error) {
				b, err := gen(e, off+int(i))
				return simulate.Callback{Entry: e, Body: b}, err
			}
			g := &group{Sink: sink, name: fmt.Sprintf("burst %s ×%d at %d", e.Command, count, conc), vendor: e.Vendor}
			start := time.Now()
			err := bs.Load(simulate.LoadOptions{Count: int64(count), Concurrency: conc}, src)(ctx, g)
			if !g.close(time.Since(start)) || err != nil {
				return err
			}
		}
		return nil
	}
	return Part{What: fmt.Sprintf("%d of each of %s, %d in flight", count, strings.Join(cmds, ", "), conc), producer: produce}, nil
}

func (o *Options) suite(s *suite.Suite, base uint64) Part {
	r := &suite.Runner{Suite: s, Sender: o.Sender, Getenv: o.Getenv, Vendors: o.Vendors,
		Lookup: func(name string) (*fixtures.Entry, error) {
			e, _, ok := fixtures.Default().Lookup(name)
			if !ok {
				return nil, fmt.Errorf("unknown callback %q", name)
			}
			return e, nil
		},
		Generate: o.gen(base),
		Sets:     func(_ *fixtures.Entry, b []byte) ([]byte, error) { return b, nil },
		Warn:     o.Warn,
		Strict:   o.Sender.Strict}
	return Part{Name: "suite " + s.File, Kind: Suite, What: fmt.Sprintf("%d step(s)", len(s.Steps)), producer: r.Producer()}
}

// group is the sink of one burst: its exchanges are bulk (a line only when
// one fails, no JUnit case each), and close emits the burst's one case.
type group struct {
	run.Sink
	name, vendor string
	mu           sync.Mutex
	n, failed    int64
	first        *record.Record
}

func (g *group) WantsRecords() bool { return true }

func (g *group) Emit(ev run.Event) bool {
	ev.Bulk = true
	if ev.Record != nil {
		g.mu.Lock()
		g.n++
		if ev.Record.Verdict != record.Pass {
			g.failed++
			if g.first == nil {
				g.first = ev.Record
			}
		}
		g.mu.Unlock()
	}
	return g.Sink.Emit(ev)
}

// close emits the burst's JUnit case: a failure with the first failed
// exchange when any failed.
func (g *group) close(took time.Duration) bool {
	c := junit.Case{Classname: g.vendor, Name: g.name, Time: took}
	if g.failed > 0 {
		fc := junit.FromRecordExpect(g.name, g.first, fmt.Sprintf("every one of %d concurrent callbacks meets the contract", g.n))
		p := fc.Failure
		if p == nil {
			p = fc.Error
		}
		c.Failure = &junit.Problem{Message: fmt.Sprintf("%d of %d failed; the first: %s", g.failed, g.n, p.Message), Type: p.Type, Text: p.Text}
		c.Out = fc.Out
	}
	return g.Sink.Emit(run.Event{Case: &c})
}
