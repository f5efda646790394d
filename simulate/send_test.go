package simulate

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

func sendOne(t *testing.T, h http.HandlerFunc, timeout time.Duration) (*record.Record, bool) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, err := generate.Generate(e, generate.GenOptions{Seed: 1, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	s := &Sender{Target: srv.URL, Timeout: timeout, Client: NewClient(nil)}
	rec, err := s.Send(context.Background(), NewCallback(e, body))
	return rec, err != nil
}

// A reply larger than MaxReplyBytes is cut there and judged too large.
func TestSendTruncatesLargeReplies(t *testing.T) {
	rec, unreachable := sendOne(t, func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"ActionStatus":"OK","ErrorInfo":"`+strings.Repeat("x", platform.MaxReplyBytes)+`","ErrorCode":0}`)
	}, 0)
	if unreachable || rec.Response == nil || len(rec.Response.Body) != platform.MaxReplyBytes {
		t.Fatalf("unreachable %v, response %v", unreachable, rec.Response != nil)
	}
	var rules []string
	for _, f := range rec.Findings {
		rules = append(rules, string(f.Severity)+" "+f.Rule)
	}
	if got := strings.Join(rules, ", "); got != "error response.too_large, error response.json" {
		t.Errorf("findings %s", got)
	}
	if rec.Verdict != record.Fail {
		t.Errorf("verdict %s", rec.Verdict)
	}
}

// A reply whose headers come in time but whose body does not is a timeout.
func TestSendSlowBody(t *testing.T) {
	rec, unreachable := sendOne(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, `{"ActionStatus":`)
		w.(http.Flusher).Flush()
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}, 150*time.Millisecond)
	if unreachable || rec.Verdict != record.NoReply || rec.Response != nil {
		t.Fatalf("unreachable %v verdict %s", unreachable, rec.Verdict)
	}
	if len(rec.Findings) != 1 || rec.Findings[0].Rule != platform.RuleTimeout {
		t.Errorf("findings %v", rec.Findings)
	}
}

// Redirects are not followed and no proxy from the environment is used.
func TestClientPolicy(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	hits := 0
	rec, _ := sendOne(t, func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}, 0)
	if hits != 1 || rec.Response == nil || rec.Response.Status != 307 {
		t.Errorf("hits %d, record %+v", hits, rec.Response)
	}
}

func TestBuildBadTarget(t *testing.T) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	s := &Sender{Target: "http://[::1"}
	rec, err := s.Send(context.Background(), NewCallback(e, e.Sample))
	var ue *UnreachableError
	if !errors.As(err, &ue) || rec.Verdict != record.NoReply || rec.Findings[len(rec.Findings)-1].Rule != "request.target" {
		t.Fatalf("bad target: %v %+v", err, rec)
	}
	if ue.Target != "http://[::1" || ue.Command != e.Command || ue.Reason != rec.Error || !strings.Contains(err.Error(), "not a usable URL") {
		t.Errorf("the error does not say where and why: %#v", ue)
	}
}

// With RetryOnTimeout a Tencent after-callback whose reply missed the
// budget is sent again with the same body, and the copy's record says so;
// without it, and for callbacks the platforms never retry, it is sent once.
func TestDeliverRetriesOnTimeout(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		first := len(bodies) == 1
		mu.Unlock()
		if first {
			// Past the 50 ms budget: until the client gives up.
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
		_, _ = w.Write([]byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		command string
		retry   bool
		want    int
	}{
		{"C2C.CallbackAfterSendMsg", true, 2},
		{"C2C.CallbackAfterSendMsg", false, 1},
		{"C2C.CallbackBeforeSendMsg", true, 1},
		{"callbackAfterSendSingleMsgCommand", true, 1},
	} {
		mu.Lock()
		bodies = nil
		mu.Unlock()
		e, _, _ := fixtures.Default().Lookup(tc.command)
		s := &Sender{Target: srv.URL, Timeout: 50 * time.Millisecond, RetryOnTimeout: tc.retry}
		recs, err := s.Deliver(context.Background(), NewCallback(e, e.Sample))
		if err != nil || len(recs) != tc.want {
			t.Fatalf("%s retry %v: %d records, %v", tc.command, tc.retry, len(recs), err)
		}
		if !hasRule(recs[0].Findings, platform.RuleTimeout) || hasRule(recs[0].Findings, RuleRetry) {
			t.Errorf("%s: the first record: %v", tc.command, recs[0].Findings)
		}
		if tc.want == 2 {
			mu.Lock()
			same := len(bodies) == 2 && bytes.Equal(bodies[0], bodies[1])
			mu.Unlock()
			if !same || !hasRule(recs[1].Findings, RuleRetry) || recs[1].Verdict != record.Pass || string(recs[1].Request.Body) != string(recs[0].Request.Body) {
				t.Errorf("the retry: same body %v, %s %v", same, recs[1].Verdict, recs[1].Findings)
			}
		}
	}
}

func hasRule(fs []record.Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}
