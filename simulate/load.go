package simulate

import (
	"cmp"
	"context"
	"crypto/tls"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/record"
)

// LoadOptions shape a load run. Count or Duration (or both) bound it.
type LoadOptions struct {
	Count       int64         // requests in all (0: until Duration)
	Duration    time.Duration // how long to keep sending (0: until Count)
	Concurrency int           // workers, each with its own connection (default 1)
	Rate        float64       // requests per second (0: as fast as the workers go)
}

// Source gives the i-th callback of a run (a fresh payload each time).
type Source func(i int64) (Callback, error)

// AppendSource is a Source that may append the callback's body to dst, a
// buffer of the worker's that the next callback of the worker reuses (as
// generate.AppendGenerate does), or return a body of its own. dst is nil
// when the run keeps records (a record holds its body).
type AppendSource func(dst []byte, i int64) (Callback, error)

// observe counts an exchange in a worker's summary.
func observe(s *run.Tally, c *Callback, r *result) {
	s.Observe(&run.Observation{Vendor: c.Entry.Vendor, Command: c.Entry.Command, Status: r.status, Latency: r.latency,
		Verdict: r.verdict, Outcome: r.outcome, Findings: r.findings, Unreachable: r.unreachable, BudgetMiss: r.budgetMiss, Err: r.err})
}

// Load is the load engine as a producer: it sends callbacks from src under
// opts, judging every reply, with Concurrency workers each on its own
// keep-alive connection, until Count requests were sent, Duration passed or
// the sink's context ended (requests in flight then finish first). Each
// worker sums its exchanges up in a summary of its own, merged into the
// sink's at the end; a record is built and emitted only when the sink wants
// records. A source error ends the run with it.
func (s *Sender) Load(o LoadOptions, src Source) run.Producer {
	return s.LoadAppend(o, func(_ []byte, i int64) (Callback, error) { return src(i) })
}

// LoadAppend is Load with a source that writes each body into a buffer of
// its worker's, which spares a load run an allocation per request.
func (s *Sender) LoadAppend(o LoadOptions, src AppendSource) run.Producer {
	return func(ctx context.Context, sink run.Sink) error {
		return s.load(ctx, o, src, sink)
	}
}

// OwnConnections reports whether the load engine sends a client's requests
// on keep-alive connections of its own (with the client's TLS settings): a
// nil client, or one whose Transport is net/http's. A client with a
// transport of another kind (a test's in-process transport, a recording
// one) is used as it is, each request through its Do.
func OwnConnections(c *http.Client) bool {
	if c == nil || c.Transport == nil {
		return true
	}
	_, ok := c.Transport.(*http.Transport)
	return ok
}

func (s *Sender) load(ctx context.Context, o LoadOptions, src AppendSource, sink run.Sink) error {
	o = o.withDefaults()
	keep := sink.WantsRecords()
	// stop ends scheduling; requests already started finish under ctx.
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Duration > 0 {
		stop, cancel = context.WithTimeout(stop, o.Duration)
		defer cancel()
	}
	var next atomic.Int64
	claim := func() (int64, bool) {
		if stop.Err() != nil {
			return 0, false
		}
		i := next.Add(1) - 1
		if o.Count > 0 && i >= o.Count {
			return 0, false
		}
		return i, true
	}
	take := claim
	if o.Rate > 0 {
		// A pacer hands out indices at the rate; a bounded channel feeds the
		// fixed pool of workers, so a slow target lowers the achieved rate
		// rather than piling up goroutines or local ports.
		tokens := make(chan int64, o.Concurrency)
		go pace(stop, o.Rate, tokens, claim)
		take = func() (int64, bool) { i, ok := <-tokens; return i, ok }
	}
	l := &loadWork{s: s, ctx: ctx, take: take, src: src, sink: sink, keep: keep, cancel: cancel,
		prog: sink.Progress(), tc: tlsConfigOf(s.Client), pool: newReplyPool(cmp.Or(s.replyBudget, MaxLoadReplyBytes))}
	per := make([]*run.Summary, o.Concurrency)
	var wg sync.WaitGroup
	for w := 0; w < o.Concurrency; w++ {
		st := run.NewSummary("")
		per[w] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.work(st)
		}()
	}
	wg.Wait()
	sink.Merge(mergeSummaries(per, o.Rate))
	if p := l.srcErr.Load(); p != nil {
		return *p
	}
	return nil
}

// loadWork is what a load run's workers share.
type loadWork struct {
	s      *Sender
	ctx    context.Context
	take   func() (int64, bool)
	src    AppendSource
	sink   run.Sink
	keep   bool // the sink wants records
	cancel context.CancelFunc
	srcErr atomic.Pointer[error]
	prog   *run.Progress
	tc     *tls.Config // the lean connections' TLS: the client's
	pool   *replyPool
}

// work is one worker: it takes indices, sends their callbacks on a
// connection of its own and counts each exchange in st (or emits its
// record when the sink wants records).
func (l *loadWork) work(st *run.Summary) {
	s := l.s
	cc := s.leanConn(l.tc, l.pool)
	if cc != nil {
		defer cc.close()
	}
	var scratch []byte // the worker's bodies, one at a time
	if !l.keep {
		scratch = make([]byte, 0, 4<<10)
	}
	tally := run.NewTally(st)
	defer tally.Flush()
	for {
		i, ok := l.take()
		if !ok {
			return
		}
		c, err := l.src(scratch, i)
		if err != nil {
			first := err // a copy: taking err's address would put it on the heap each time round
			l.srcErr.CompareAndSwap(nil, &first)
			l.cancel()
			return
		}
		r := s.exchange(l.ctx, c, l.keep, cc)
		if l.keep {
			if !l.sink.Emit(run.Event{Record: r.rec, Unreachable: r.unreachable}) {
				l.cancel()
			}
			continue
		}
		observe(tally, &c, &r)
		l.prog.Sent.Add(1)
		if r.verdict != record.Pass {
			l.prog.Failed.Add(1)
		}
	}
}

// withDefaults is o with one worker at least, and one request when it
// names neither a count nor a duration.
func (o LoadOptions) withDefaults() LoadOptions {
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	if o.Count <= 0 && o.Duration <= 0 {
		o.Count = 1
	}
	return o
}

// leanConn is a worker's own connection, or nil when the Sender's client
// must carry the requests (a transport of the caller's, or one the lean
// client cannot stand in for).
func (s *Sender) leanConn(tc *tls.Config, pool *replyPool) *connClient {
	if s.viaTransport || !OwnConnections(s.Client) {
		return nil
	}
	return newConnClient(tc, pool)
}

// mergeSummaries is the run's summary from its workers'.
func mergeSummaries(per []*run.Summary, rate float64) *run.Summary {
	total := run.NewSummary("")
	total.TargetRate = rate
	for _, st := range per {
		total.Merge(st)
	}
	return total
}

// pace hands out request indices at the limiter's rate to the workers.
func pace(stop context.Context, perSec float64, tokens chan<- int64, claim func() (int64, bool)) {
	defer close(tokens)
	lim := NewLimiter(perSec)
	for {
		if lim.Wait(stop) != nil {
			return
		}
		i, ok := claim()
		if !ok {
			return
		}
		select {
		case tokens <- i:
		case <-stop.Done():
			return
		}
	}
}

// NewClientFor is NewClient with a connection pool sized for n workers.
func NewClientFor(n int, tc *tls.Config) *http.Client {
	c := NewClient(tc)
	if tr, ok := c.Transport.(*http.Transport); ok {
		tr.MaxIdleConns = max(n, 2)
		tr.MaxIdleConnsPerHost = max(n, 2)
	}
	return c
}
