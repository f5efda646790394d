package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/replay"
)

// rlInput writes a recording with a signed Tencent record and two payloads
// (three distinct callbacks) and returns its path.
func rlInput(t *testing.T) string {
	t.Helper()
	payload := func(acct string) string {
		return fmt.Sprintf(`{"CallbackCommand":"C2C.CallbackAfterMsgReport","Report_Account":%q,"Peer_Account":"b","LastReadTime":1767225550,"UnreadMsgNum":0}`, acct)
	}
	rec, err := json.Marshal(&record.Record{Vendor: "tencent", Command: "C2C.CallbackAfterMsgReport",
		Request: &record.Message{Method: "POST", URL: "http://x/cb?SdkAppid=1400009999&CallbackCommand=C2C.CallbackAfterMsgReport&contenttype=json&ClientIP=10.0.0.1&OptPlatform=iOS&Sign=abc&RequestTime=1767225550",
			Body: []byte(payload("rec"))}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(p, []byte(string(rec)+"\n"+payload("p1")+"\n"+payload("p2")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// replay --count: N requests reach the backend round-robin over the input,
// each built as a plain replay builds it (the record's query values and
// signature, the stale-sign warning), and -o json prints one summary.
func TestReplayLoadCounts(t *testing.T) {
	in := rlInput(t)
	b := rpNewBackend(t, "", nil)
	r := rpRun(t, "", "replay", in, "--target", b.URL+"/im", "--count", "300", "--concurrency", "8", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if lines := strings.Split(strings.TrimSpace(r.out), "\n"); len(lines) != 1 || !json.Valid([]byte(lines[0])) {
		t.Fatalf("-o json printed %d lines, want one summary object:\n%s", len(lines), r.out)
	}
	hits := b.got()
	if n := gjson.Get(r.out, "summary.exchanges").Int(); n != 300 || len(hits) != 300 || gjson.Get(r.out, "summary.status.200").Int() != 300 {
		t.Fatalf("summary %s; the backend got %d", r.out, len(hits))
	}
	// Every reply passes the contract; the recorded Sign is a warning each time.
	if gjson.Get(r.out, "summary.verdicts.fail").Int() != 0 || gjson.Get(r.out, `summary.findings.warning replay\.stale_sign`).Int() != 100 {
		t.Errorf("summary %s", r.out)
	}
	by := map[string]int{}
	for _, h := range hits {
		acct := gjson.GetBytes(h.body, "Report_Account").Str
		by[acct]++
		q := h.url.Query()
		if acct == "rec" && (q.Get("SdkAppid") != "1400009999" || q.Get("Sign") != "abc" || q.Get("OptPlatform") != "iOS") {
			t.Errorf("the record was sent with %s", h.url)
		}
		if acct != "rec" && (q.Get("SdkAppid") != platform.DefaultSdkAppID || q.Get("Sign") != "") {
			t.Errorf("a payload was sent with %s", h.url)
		}
	}
	if by["rec"] != 100 || by["p1"] != 100 || by["p2"] != 100 {
		t.Errorf("round-robin: %v", by)
	}
	// --resign: fresh signatures on every request, no warning.
	b2 := rpNewBackend(t, "", nil)
	r = rpRun(t, "", "replay", in, "--target", b2.URL+"/im", "--count", "30", "--resign", "--token", "t0ken", "-o", "json")
	if r.code != 0 || gjson.Get(r.out, "summary.exchanges").Int() != 30 || len(gjson.Get(r.out, "summary.findings").Map()) != 0 {
		t.Fatalf("--resign: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	for _, h := range b2.got() {
		if q := h.url.Query(); q.Get("Sign") == "" || q.Get("Sign") == "abc" {
			t.Errorf("--resign sent %s", h.url)
		}
	}
	// The text summary on stderr.
	r = rpRun(t, "", "replay", in, "--target", b.URL+"/im", "--count", "9")
	if r.code != 0 || !strings.Contains(r.errOut, "9 callback(s): 9 passed") || !strings.Contains(r.errOut, "warning replay.stale_sign: 3") || r.out != "" {
		t.Errorf("text summary: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
}

// replay --duration stops in time; the summary counts what reached the backend.
func TestReplayLoadDuration(t *testing.T) {
	b := rpNewBackend(t, "", nil)
	start := time.Now()
	r := rpRun(t, "", "replay", rlInput(t), "--target", b.URL, "--duration", "400ms", "--concurrency", "4", "-o", "json")
	el := time.Since(start)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if el < 400*time.Millisecond || el > 15*time.Second { // ends, never early
		t.Errorf("--duration 400ms took %s", el)
	}
	if n := gjson.Get(r.out, "summary.exchanges").Int(); n == 0 || int(n) != len(b.got()) {
		t.Errorf("summary says %d requests, the backend got %d", n, len(b.got()))
	}
}

// replay --rate holds: N requests at R/s take N/R seconds, at most 15% more.
func TestReplayLoadPacedHoldsRate(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	b := rpNewBackend(t, "", nil)
	r := rpRun(t, "", "replay", rlInput(t), "--target", b.URL, "--count", "150", "--rate", "100", "--concurrency", "8", "-o", "json")
	if r.code != 0 || len(b.got()) != 150 {
		t.Fatalf("exit %d, %d hits\n%s\n%s", r.code, len(b.got()), r.out, r.errOut)
	}
	el := time.Duration(gjson.Get(r.out, "summary.elapsed_ms").Float() * float64(time.Millisecond))
	// Never faster than the rate; how close to it a loaded machine comes
	// is bench/load.sh's to measure, not a test's (an upper bound here
	// only catches a run that does not end).
	if el < 1490*time.Millisecond || el > 15*time.Second {
		t.Errorf("150 requests at 100/s took %s; want at least 1.5s (rate %.1f/s)", el, gjson.Get(r.out, "summary.rate").Float())
	}
}

// A backend that breaks the contract: exit 1, the rule in the summary.
func TestReplayLoadFailingBackend(t *testing.T) {
	var hits atomic.Int64
	bad := loadBackend(t, platform.Tencent.ReplyBody(platform.ReplyFail, "no"), &hits, nil)
	r := rpRun(t, "", "replay", rlInput(t), "--target", bad.URL, "--count", "60", "--resign", "--token", "t")
	if r.code != ExitContract || !strings.Contains(r.errOut, "error response.refused: 60") || !strings.Contains(r.errOut, "60 callback(s)") || hits.Load() != 60 {
		t.Errorf("exit %d, %d hits\n%s\n%s", r.code, hits.Load(), r.out, r.errOut)
	}
}

// Usage errors, problems in the input, an input too large, --expect.
func TestReplayLoadInputsAndUsage(t *testing.T) {
	b := rpNewBackend(t, "", nil)
	in := rlInput(t)
	for _, args := range [][]string{
		{"--count", "5", "--compare"},
		{"--count", "-1"},
		{"--duration", "-1s"},
		{"--count", "5", "--junit", filepath.Join(t.TempDir(), "j.xml")},
		{"--count", "5", "--filter", "State.StateChange"}, // nothing left to send
	} {
		r := rpRun(t, "", append([]string{"replay", in, "--target", b.URL}, args...)...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.errOut)
		}
	}
	if r := rpRun(t, "", "replay", in, "--target", b.URL, "--count", "5", "--compare"); !strings.Contains(r.errOut, "--compare") {
		t.Errorf("--compare: %s", r.errOut)
	}
	if len(b.got()) != 0 {
		t.Fatalf("usage errors sent %d callbacks", len(b.got()))
	}
	// A corrupt line is reported; the rest is sent, and the exit code is 1.
	payload := `{"CallbackCommand":"C2C.CallbackAfterMsgReport","Report_Account":"a","Peer_Account":"b","LastReadTime":1767225550,"UnreadMsgNum":0}`
	r := rpRun(t, payload+"\n{oops\n", "replay", "-", "--target", b.URL, "--count", "20")
	if r.code != ExitContract || !strings.Contains(r.errOut, "-:2:") || !strings.Contains(r.errOut, "20 callback(s)") || len(b.got()) != 20 {
		t.Errorf("corrupt line: exit %d, %d hits\n%s", r.code, len(b.got()), r.errOut)
	}
	// An input over the limit is refused before anything is sent.
	old := replayLoadLimits
	replayLoadLimits = replay.LoadLimits{Items: 2}
	defer func() { replayLoadLimits = old }()
	r = rpRun(t, "", "replay", in, "--target", b.URL, "--count", "5")
	if r.code != ExitUsage || !strings.Contains(r.errOut, "more than 2 callbacks") || len(b.got()) != 20 {
		t.Errorf("too large: exit %d\n%s", r.code, r.errOut)
	}
	replayLoadLimits = old
	// --expect judges every reply by the expected outcome (built-in receiver).
	rec := filepath.Join(t.TempDir(), "before.jsonl")
	if r := rpRun(t, "", "simulate", "C2C.CallbackBeforeSendMsg", "--record", rec); r.code != 0 {
		t.Fatalf("simulate --record: %d\n%s", r.code, r.errOut)
	}
	r = rpRun(t, "", "replay", rec, "--count", "12", "--expect", "reject", "-o", "json")
	if r.code != 0 || gjson.Get(r.out, "summary.outcomes.reject").Int() != 12 || gjson.Get(r.out, "summary.exchanges").Int() != 12 {
		t.Errorf("--expect reject: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
}
