package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

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

// Stats summarise a load run; nothing per request is kept.
type Stats struct {
	Requests     int64
	Elapsed      time.Duration
	TargetRate   float64
	Status       map[int]int64
	Verdicts     map[record.Verdict]int64
	Outcomes     map[record.Outcome]int64 // what the platform would do with the replies
	Rules        map[string]int64         // findings by "severity rule"
	BudgetMisses int64
	Unreachable  int64
	FirstError   string
	hist         *hdrhistogram.Histogram // microseconds
	// A worker's run of equal verdicts, outcomes and statuses is counted
	// here and added to the maps when it ends (or on merge): a map update
	// per request cost more than the rest of the bookkeeping.
	runVerdict tally[record.Verdict]
	runOutcome tally[record.Outcome]
	runStatus  tally[int]
}

type tally[K comparable] struct {
	key K
	n   int64
}

// count counts k, flushing the run into m when k differs from the run's.
func (t *tally[K]) count(k K, m map[K]int64) {
	if t.n > 0 && t.key == k {
		t.n++
		return
	}
	t.flush(m)
	t.key, t.n = k, 1
}

func (t *tally[K]) flush(m map[K]int64) {
	if t.n > 0 {
		m[t.key] += t.n
		t.n = 0
	}
}

// flush adds the runs to the maps.
func (s *Stats) flush() {
	s.runVerdict.flush(s.Verdicts)
	s.runOutcome.flush(s.Outcomes)
	s.runStatus.flush(s.Status)
}

func newStats() *Stats {
	return &Stats{Status: map[int]int64{}, Verdicts: map[record.Verdict]int64{}, Outcomes: map[record.Outcome]int64{}, Rules: map[string]int64{},
		hist: hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)}
}

func (s *Stats) merge(o *Stats) {
	o.flush()
	s.Requests += o.Requests
	for k, v := range o.Status {
		s.Status[k] += v
	}
	for k, v := range o.Verdicts {
		s.Verdicts[k] += v
	}
	for k, v := range o.Outcomes {
		s.Outcomes[k] += v
	}
	for k, v := range o.Rules {
		s.Rules[k] += v
	}
	s.BudgetMisses += o.BudgetMisses
	s.Unreachable += o.Unreachable
	if s.FirstError == "" {
		s.FirstError = o.FirstError
	}
	s.hist.Merge(o.hist)
}

func (s *Stats) add(r *result) {
	s.Requests++
	s.runVerdict.count(r.verdict, s.Verdicts)
	if r.outcome != "" {
		s.runOutcome.count(r.outcome, s.Outcomes)
	}
	if r.status != 0 {
		s.runStatus.count(r.status, s.Status)
		_ = s.hist.RecordValue(max(1, r.latency.Microseconds()))
	}
	if r.budgetMiss {
		s.BudgetMisses++
	}
	if r.unreachable {
		s.Unreachable++
	}
	if r.err != "" && s.FirstError == "" {
		s.FirstError = r.err
	}
	for _, f := range r.findings {
		if f.Severity != record.Info {
			s.Rules[string(f.Severity)+" "+f.Rule]++
		}
	}
}

// Failed counts exchanges that broke the contract or got no reply.
func (s *Stats) Failed() int64 { return s.Verdicts[record.Fail] + s.Verdicts[record.NoReply] }

// Rate is the achieved request rate.
func (s *Stats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// Percentile returns a latency percentile.
func (s *Stats) Percentile(p float64) time.Duration {
	return time.Duration(s.hist.ValueAtQuantile(p)) * time.Microsecond
}

// Max returns the largest latency.
func (s *Stats) Max() time.Duration { return time.Duration(s.hist.Max()) * time.Microsecond }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// MarshalJSON is the -o json summary.
func (s *Stats) MarshalJSON() ([]byte, error) {
	status := map[string]int64{}
	for k, v := range s.Status {
		status[fmt.Sprint(k)] = v
	}
	return json.Marshal(map[string]any{
		"requests":      s.Requests,
		"elapsed_ms":    ms(s.Elapsed),
		"rate":          s.Rate(),
		"target_rate":   s.TargetRate,
		"status":        status,
		"verdicts":      s.Verdicts,
		"outcomes":      s.Outcomes,
		"findings":      s.Rules,
		"budget_misses": s.BudgetMisses,
		"unreachable":   s.Unreachable,
		"latency_ms": map[string]float64{
			"p50": ms(s.Percentile(50)), "p90": ms(s.Percentile(90)), "p99": ms(s.Percentile(99)),
			"p99_9": ms(s.Percentile(99.9)), "max": ms(s.Max()),
		},
	})
}

// Text is the human summary.
func (s *Stats) Text(budget string) string {
	var sb strings.Builder
	target := ""
	if s.TargetRate > 0 {
		target = fmt.Sprintf("; target %.0f/s", s.TargetRate)
	}
	fmt.Fprintf(&sb, "requests   %d in %s (%.0f/s%s)\n", s.Requests, s.Elapsed.Round(time.Millisecond), s.Rate(), target)
	fmt.Fprintf(&sb, "status     %s\n", joinCounts(s.Status))
	fmt.Fprintf(&sb, "verdicts   %s\n", joinCounts(s.Verdicts))
	if len(s.Outcomes) > 0 {
		fmt.Fprintf(&sb, "outcomes   %s\n", joinCounts(s.Outcomes))
	}
	if s.hist.TotalCount() > 0 {
		fmt.Fprintf(&sb, "latency    p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
			round(s.Percentile(50)), round(s.Percentile(90)), round(s.Percentile(99)), round(s.Percentile(99.9)), round(s.Max()))
	}
	fmt.Fprintf(&sb, "budget     %d repl(ies) missed the %s budget\n", s.BudgetMisses, budget)
	if len(s.Rules) > 0 {
		keys := make([]string, 0, len(s.Rules))
		for k := range s.Rules {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return s.Rules[keys[i]] > s.Rules[keys[j]] || (s.Rules[keys[i]] == s.Rules[keys[j]] && keys[i] < keys[j])
		})
		for i, k := range keys {
			label := "findings  "
			if i > 0 {
				label = "          "
			}
			fmt.Fprintf(&sb, "%s %s: %d\n", label, k, s.Rules[k])
		}
	}
	if s.FirstError != "" {
		fmt.Fprintf(&sb, "first error: %s\n", s.FirstError)
	}
	return sb.String()
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.String()
}

func joinCounts[K comparable](m map[K]int64) string {
	if len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%v: %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// Progress is a live view of a run for a progress line.
type Progress struct {
	Sent, Failed atomic.Int64
}

// Load sends callbacks from src under opts, judging every reply. each, when
// not nil, receives every record (from many goroutines; it must be safe for
// concurrent use); without it no record is built. The run ends when Count
// requests were sent, Duration passed, or ctx ended (requests in flight then
// finish first).
func (s *Sender) Load(ctx context.Context, o LoadOptions, src Source, each func(*record.Record, bool), prog *Progress) (*Stats, error) {
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	if o.Count <= 0 && o.Duration <= 0 {
		o.Count = 1
	}
	if s.Client == nil {
		s.Client = NewClientFor(o.Concurrency)
	}
	if prog == nil {
		prog = &Progress{}
	}
	// A load run allocates short-lived payloads and replies at a high rate;
	// a less eager collector buys about 5% throughput. GOGC still wins.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
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
	var tokens chan int64
	if o.Rate > 0 {
		// A pacer hands out indices at the rate; a bounded channel feeds the
		// fixed pool of workers, so a slow target lowers the achieved rate
		// rather than piling up goroutines or local ports.
		tokens = make(chan int64, o.Concurrency)
		go pace(stop, o.Rate, tokens, claim)
	}
	var srcErr atomic.Pointer[error]
	per := make([]*Stats, o.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < o.Concurrency; w++ {
		st := newStats()
		per[w] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := newConnClient()
			defer cc.close()
			for {
				var i int64
				var ok bool
				if tokens != nil {
					i, ok = <-tokens
				} else {
					i, ok = claim()
				}
				if !ok {
					return
				}
				c, err := src(i)
				if err != nil {
					first := err // a copy: taking err's address would put it on the heap each time round
					srcErr.CompareAndSwap(nil, &first)
					cancel()
					return
				}
				r := s.exchange(ctx, c, each != nil, cc)
				st.add(&r)
				prog.Sent.Add(1)
				if r.verdict != record.Pass {
					prog.Failed.Add(1)
				}
				if each != nil {
					each(r.rec, r.unreachable)
				}
			}
		}()
	}
	wg.Wait()
	total := newStats()
	total.Elapsed = time.Since(start)
	total.TargetRate = o.Rate
	for _, st := range per {
		total.merge(st)
	}
	if p := srcErr.Load(); p != nil {
		return total, *p
	}
	return total, nil
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
func NewClientFor(n int) *http.Client {
	c := NewClient()
	if tr, ok := c.Transport.(*http.Transport); ok {
		tr.MaxIdleConns = max(n, 2)
		tr.MaxIdleConnsPerHost = max(n, 2)
	}
	return c
}
