package serve

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/recordtest"
	"github.com/imhook/imhook/record"
)

// lockedBuffer is a bytes.Buffer for a writer and a reader in turn.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) records(t *testing.T) []*record.Record {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	return recordtest.Read(t, "the records", bytes.NewReader(l.b.Bytes()))
}

// A body within --max-body whose record would pass MaxLine (12 MiB of
// control bytes, each escaped to six in body_text) is refused with 413 and a
// message that says why; the refusal is recorded, readably, without the
// body; a body whose record fits is answered as usual.
func TestRefusesWhatItCannotRecord(t *testing.T) {
	var out lockedBuffer
	w := record.NewWriter(&out)
	srv, err := Start("127.0.0.1:0", NewHandler(Config{Record: w.Write, MaxBody: 16 << 20}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	st, got := send(t, srv, sendMsg, bytes.Repeat([]byte{1}, 12<<20), platform.Params{})
	if st != http.StatusRequestEntityTooLarge || !strings.Contains(string(got), "replay and validate") || !strings.Contains(string(got), "not recorded") {
		t.Fatalf("status %d, %.300s; want 413 saying the record would be too long", st, got)
	}
	st, _ = send(t, srv, sendMsg, body(t, sendMsg), platform.Params{})
	if st != http.StatusOK {
		t.Fatalf("a normal callback after the refusal: %d", st)
	}
	recs := out.records(t)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	r := recs[0]
	if r.Response == nil || r.Response.Status != http.StatusRequestEntityTooLarge || len(r.Request.Body) != 0 || !strings.Contains(rules(r), "error:"+RuleTooLarge) || r.Verdict != record.Fail {
		t.Fatalf("the refusal's record: %+v, findings %s", r, rules(r))
	}
	if recs[1].Response.Status != http.StatusOK {
		t.Fatalf("the second record: %+v", recs[1])
	}
}

// Bodies in flight stay within MaxInFlight: 32 clients posting 64 KiB bodies
// to a receiver whose recording is slow, with room for four bodies, never
// have more than four bodies in the record step at once; none is dropped,
// and every request answered 200 is recorded.
func TestBodiesInFlightBounded(t *testing.T) {
	e := entry(t, sendMsg)
	base := body(t, sendMsg)
	pad := bytes.Repeat([]byte("x"), 64<<10)
	const clients, each = 32, 4
	b := append(append(bytes.TrimSuffix(base, []byte("}")), `,"Pad":"`...), pad...)
	b = append(b, `"}`...)
	var mu sync.Mutex
	inFlight, peak, recorded := 0, 0, 0
	h := NewHandler(Config{MaxInFlight: 4 * int64(len(b)), Record: func(*record.Record) error {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		inFlight--
		recorded++
		mu.Unlock()
		return nil
	}})
	srv, err := Start("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	var wg sync.WaitGroup
	var okMu sync.Mutex
	ok := 0
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				req, _ := platform.Tencent.NewRequest(srv.URL, e.Command, b, platform.Params{})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status %d", resp.StatusCode)
					continue
				}
				okMu.Lock()
				ok++
				okMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if peak > 4 {
		t.Errorf("%d bodies were in flight at once, with room for 4", peak)
	}
	if ok != clients*each || recorded != clients*each {
		t.Errorf("%d answered 200, %d recorded; want %d each", ok, recorded, clients*each)
	}
	if h.budget.used != 0 || len(h.budget.waiting) != 0 {
		t.Errorf("after the run: %d bytes taken, %d waiting", h.budget.used, len(h.budget.waiting))
	}
}

// The budget lets requests in first come first served (a small request
// that would fit waits behind a larger one), gives back what a request that
// gave up was granted, and takes at most the whole budget for one request.
func TestBudget(t *testing.T) {
	b := &budget{max: 10}
	if _, ok := b.acquire(context.Background(), 6); !ok {
		t.Fatal("the first acquire waited")
	}
	queued := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			b.mu.Lock()
			q := len(b.waiting)
			b.mu.Unlock()
			if q == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d waiting, want %d", q, n)
			}
		}
	}
	var wg sync.WaitGroup
	granted := make(chan int64, 2)
	for i, n := range []int64{5, 1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if waited, ok := b.acquire(context.Background(), n); ok && waited {
				granted <- n
			}
		}()
		queued(i + 1) // the 1 fits beside the 6 but waits behind the 5
	}
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan bool)
	go func() { _, ok := b.acquire(ctx, 4); gone <- ok }()
	queued(3)
	cancel()
	if <-gone {
		t.Fatal("a cancelled acquire succeeded")
	}
	queued(2)
	b.release(6)
	wg.Wait()
	if len(granted) != 2 || b.used != 6 {
		t.Fatalf("%d granted, %d used; want both, 6", len(granted), b.used)
	}
	b.release(5)
	b.release(1)
	if b.used != 0 || len(b.waiting) != 0 {
		t.Errorf("used %d, waiting %d", b.used, len(b.waiting))
	}
	req, _ := http.NewRequest(http.MethodPost, "http://x/", nil)
	req.ContentLength = 100
	if got := b.share(req, 1000); got != 10 {
		t.Errorf("share of a body larger than the budget: %d, want the whole budget 10", got)
	}
	req.ContentLength = -1
	if got := (&budget{max: 1 << 30}).share(req, 1000); got != 1000 {
		t.Errorf("share of a body of unknown length: %d, want --max-body 1000", got)
	}
}
