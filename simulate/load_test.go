package simulate

import (
	"context"
	"github.com/imhook/imhook/fixtures/generate"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/record"
)

func okServer(t *testing.T, delay time.Duration, hits *atomic.Int64) *httptest.Server {
	t.Helper()
	reply := platform.Tencent.ReplyBody(platform.ReplyOK, "")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if hits != nil {
			hits.Add(1)
		}
		if delay > 0 {
			time.Sleep(delay)
		}
		_, _ = w.Write(reply)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sendMsgSource(t *testing.T) Source {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	return func(i int64) (Callback, error) {
		b, err := generate.Generate(e, generate.GenOptions{Seed: uint64(i)})
		return Callback{Entry: e, Body: b}, err
	}
}

// Every request is counted once, in every tally, and reaches the target.
func TestLoadCountsAddUp(t *testing.T) {
	var hits atomic.Int64
	srv := okServer(t, 0, &hits)
	s := &Sender{Target: srv.URL}
	var recs atomic.Int64
	st, _, err := loadRun(context.Background(), s, LoadOptions{Count: 500, Concurrency: 16}, sendMsgSource(t),
		func(r *record.Record) {
			if r.Verdict == record.Pass && r.Response.Status == 200 {
				recs.Add(1)
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if st.Exchanges != 500 || st.Verdicts[record.Pass] != 500 || st.Status[200] != 500 || hits.Load() != 500 || recs.Load() != 500 {
		t.Fatalf("requests %d, pass %d, 200s %d, hits %d, records %d; want 500 each", st.Exchanges, st.Verdicts[record.Pass], st.Status[200], hits.Load(), recs.Load())
	}
	if st.Latencies() != 500 || st.Percentile(50) <= 0 || st.Max() < st.Percentile(99) {
		t.Errorf("histogram: %d values, p50 %s, p99 %s, max %s", st.Latencies(), st.Percentile(50), st.Percentile(99), st.Max())
	}
}

// A paced run never goes faster than its rate: 200 requests at 100/s with
// a 20 ms reply take at least 2 s. How late a busy machine makes it is
// the machine's doing, not the engine's; the pacer's catching up is held
// on a clock of its own (TestLimiterPaces), and the achieved rate is
// measured by bench/load.sh.
func TestLoadPacedHoldsRate(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	var hits atomic.Int64
	srv := okServer(t, 20*time.Millisecond, &hits)
	s := &Sender{Target: srv.URL}
	st, elapsed, err := loadRun(context.Background(), s, LoadOptions{Count: 200, Rate: 100, Concurrency: 16}, sendMsgSource(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Exchanges != 200 || st.Failed() != 0 || hits.Load() != 200 {
		t.Fatalf("%d requests, %d failed, %d hits", st.Exchanges, st.Failed(), hits.Load())
	}
	if elapsed < 1990*time.Millisecond {
		t.Fatalf("200 requests at 100/s took %s; want 2s: faster than asked", elapsed)
	}
}

// A target that stalls shows up as budget misses within the budget, not as
// a hang.
func TestLoadStalledTargetIsBudgetMisses(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	s := &Sender{Target: srv.URL, Timeout: 100 * time.Millisecond}
	t0 := time.Now()
	st, _, err := loadRun(context.Background(), s, LoadOptions{Count: 20, Concurrency: 4}, sendMsgSource(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 15*time.Second { // the budget ends each exchange; 0.5s when idle
		t.Errorf("the run took %s; a stalled target must not hang it", d)
	}
	if st.BudgetMisses != 20 || st.Verdicts[record.NoReply] != 20 || st.Callbacks["C2C.CallbackAfterSendMsg"].Findings["error "+platform.RuleTimeout] != 20 ||
		st.NoReplyWaited != 20 || st.Percentile(50) < 100*time.Millisecond {
		t.Errorf("misses %d, no-reply %d, waited %d, p50 %s, findings %v; want 20 timeouts counted at 100ms", st.BudgetMisses, st.Verdicts[record.NoReply],
			st.NoReplyWaited, st.Percentile(50), st.Callbacks)
	}
}

// Cancelling the run (SIGINT) stops scheduling; what was sent is counted.
func TestLoadCancel(t *testing.T) {
	srv := okServer(t, 5*time.Millisecond, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	s := &Sender{Target: srv.URL}
	t0 := time.Now()
	st, _, _ := loadRun(ctx, s, LoadOptions{Duration: time.Minute, Concurrency: 4}, sendMsgSource(t), nil)
	if time.Since(t0) > 5*time.Second || st.Exchanges == 0 {
		t.Errorf("cancel: %d requests after %s", st.Exchanges, time.Since(t0))
	}
}

// Each request carries a fresh payload: distinct MsgKey.
func TestLoadFreshPayloads(t *testing.T) {
	seen := map[string]bool{}
	src := sendMsgSource(t)
	for i := int64(0); i < 1000; i++ {
		c, _ := src(i)
		k := string(c.Body)
		if seen[k] {
			t.Fatalf("payload %d repeats", i)
		}
		seen[k] = true
	}
}

// A callback's Route replaces the Sender's target and parameters for that
// callback only; the others keep the Sender's.
func TestLoadRoute(t *testing.T) {
	var mu sync.Mutex
	apps := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		apps[r.URL.Path+" "+r.URL.Query().Get("SdkAppid")]++
		mu.Unlock()
		_, _ = w.Write(platform.Tencent.ReplyBody(platform.ReplyOK, ""))
	}))
	defer srv.Close()
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, err := generate.Generate(e, generate.GenOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	routed := &Route{Target: srv.URL + "/other", Params: platform.Params{SdkAppID: "1400000002"}}
	cbs := []Callback{{Entry: e, Body: body}, {Entry: e, Body: body, Route: routed}}
	s := &Sender{Target: srv.URL + "/cb", Params: platform.Params{SdkAppID: "1400000001"}}
	st, _, err := loadRun(context.Background(), s, LoadOptions{Count: 10, Concurrency: 2},
		func(i int64) (Callback, error) { return cbs[i%2], nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Exchanges != 10 || st.Verdicts[record.Pass] != 10 || apps["/cb 1400000001"] != 5 || apps["/other 1400000002"] != 5 {
		t.Errorf("requests %d, verdicts %v, backend saw %v", st.Exchanges, st.Verdicts, apps)
	}
}

// loadRun runs the load engine through a chain (print receives each record
// when not nil, which makes the engine build them) and returns the summary
// and how long the run took.
func loadRun(ctx context.Context, s *Sender, o LoadOptions, src Source, print func(*record.Record)) (*run.Summary, time.Duration, error) {
	return loadRunAppend(ctx, s, o, func(_ []byte, i int64) (Callback, error) { return src(i) }, print)
}

// loadRunAppend is loadRun with an AppendSource (Sender.LoadAppend).
func loadRunAppend(ctx context.Context, s *Sender, o LoadOptions, src AppendSource, print func(*record.Record)) (*run.Summary, time.Duration, error) {
	c := run.NewChain(ctx, run.Options{Print: print})
	t0 := time.Now()
	err := s.LoadAppend(o, src)(c.Context(), c)
	return c.Summary(), time.Since(t0), err
}

// A source that writes each body into its worker's buffer (LoadAppend)
// gets every body to the target whole, each once, whether or not the run
// keeps records (then each body is a record's own).
func TestLoadAppendSendsEachBody(t *testing.T) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	now := time.Now() // one clock for the run and the comparison: a payload's MsgTime is its second
	for _, keep := range []bool{false, true} {
		var mu sync.Mutex
		got := map[string]int{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got[string(b)]++
			mu.Unlock()
			_, _ = w.Write([]byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`))
		}))
		var print func(*record.Record)
		var recs []*record.Record
		if keep {
			print = func(r *record.Record) { recs = append(recs, r) }
		}
		src := func(dst []byte, i int64) (Callback, error) {
			if keep && dst != nil {
				t.Error("a buffer to reuse although the run keeps records")
			}
			b, err := generate.AppendGenerate(dst, e, generate.GenOptions{Seed: uint64(i), Now: now})
			return Callback{Entry: e, Body: b}, err
		}
		st, _, err := loadRunAppend(context.Background(), &Sender{Target: srv.URL}, LoadOptions{Count: 400, Concurrency: 8}, src, print)
		srv.Close()
		if err != nil || st.Verdicts[record.Pass] != 400 {
			t.Fatalf("keep %v: %v %v %q", keep, err, st.Verdicts, st.FirstError)
		}
		for i := range 400 {
			want, _ := generate.Generate(e, generate.GenOptions{Seed: uint64(i), Now: now})
			if got[string(want)] != 1 {
				t.Fatalf("keep %v: body %d arrived %d times", keep, i, got[string(want)])
			}
		}
		for _, r := range recs {
			if got[string(r.Request.Body)] != 1 {
				t.Fatalf("a record's body is not what was sent: %s", r.Request.Body)
			}
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A client with a transport of its own kind (a test's in-process one) is
// used as it is: the load engine dials nothing.
func TestLoadThroughAnotherTransport(t *testing.T) {
	var n atomic.Int64
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`))}, nil
	})
	s := &Sender{Target: "http://backend.invalid/im", Client: &http.Client{Transport: rt}}
	st, _, err := loadRun(context.Background(), s, LoadOptions{Count: 20, Concurrency: 4}, sendMsgSource(t), nil)
	if err != nil || n.Load() != 20 || st.Verdicts[record.Pass] != 20 {
		t.Fatalf("%v: %d through the transport, verdicts %v, %q", err, n.Load(), st.Verdicts, st.FirstError)
	}
	if OwnConnections(s.Client) || !OwnConnections(nil) || !OwnConnections(NewClient(nil)) {
		t.Error("OwnConnections tells the clients apart wrongly")
	}
}
