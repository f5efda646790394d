package cmd

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

// Against a backend slower than the budget, a load run's latencies count
// each request that got no reply at the time waited: the p50 is at least
// the budget, and the summary says how many were counted so.
func TestLoadSummaryCountsTimeouts(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(400 * time.Millisecond):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	r := runCmd(t, nil, "", "simulate", tencentCmd, "--target", slow.URL, "--count", "12", "--concurrency", "4", "--timeout", "100ms", "-o", "json")
	if r.code != ExitContract {
		t.Fatal(r)
	}
	if p50 := gjson.Get(r.stdout, "summary.latency_ms.p50").Float(); p50 < 100 {
		t.Errorf("p50 %.1fms, under the 100ms budget that every request missed\n%s", p50, r)
	}
	if n := gjson.Get(r.stdout, "summary.no_reply_waited").Int(); n != 12 {
		t.Errorf("%d without reply counted at the time waited, want 12", n)
	}
	if n := gjson.Get(r.stdout, "summary.callbacks.C2C\\.CallbackAfterSendMsg.budget_misses").Int(); n != 12 {
		t.Errorf("budget misses by callback: %d, want 12\n%s", n, r.stdout)
	}
	if !strings.Contains(r.stderr, "12 without reply counted at the time waited") || !strings.Contains(r.stderr, "missed the budget: C2C.CallbackAfterSendMsg 12") {
		t.Errorf("text summary\n%s", r.stderr)
	}
}

// report sums up a recording; the same recording given twice counts twice,
// in text and in JSON; a run's summary line merges with records.
func TestReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec := filepath.Join(dir, "run.jsonl")
	fail := newBackend(t, reply{body: `{"ActionStatus":"FAIL","ErrorInfo":"no","ErrorCode":1}`})
	if r := runCmd(t, nil, "", "simulate", tencentCmd, tencentCmd, "--seed", "3", "--record", rec, "-q"); r.code != 0 {
		t.Fatal(r)
	}
	if r := runCmd(t, nil, "", "simulate", tencentCmd, "--target", fail.URL, "--record", rec, "-q"); r.code != ExitContract {
		t.Fatal(r)
	}
	// The recording holds a failed exchange: exit 1 (--fail-on error, the
	// default; failon_test.go), and the summary all the same.
	one := runCmd(t, nil, "", "report", rec, "-o", "json")
	if one.code != ExitContract || gjson.Get(one.stdout, "summary.exchanges").Int() != 3 || gjson.Get(one.stdout, "summary.verdicts.pass").Int() != 2 ||
		gjson.Get(one.stdout, "summary.verdicts.fail").Int() != 1 || gjson.Get(one.stdout, "summary.outcomes.ok").Int() != 2 ||
		gjson.Get(one.stdout, `summary.callbacks.C2C\.CallbackAfterSendMsg.findings.error response\.refused`).Int() != 1 ||
		gjson.Get(one.stdout, "summary.vendors.tencent").Int() != 3 {
		t.Fatalf("report of one recording:\n%s", one)
	}
	two := runCmd(t, nil, "", "report", rec, rec, "-o", "json")
	if two.code != ExitContract || gjson.Get(two.stdout, "summary.exchanges").Int() != 6 || gjson.Get(two.stdout, "summary.verdicts.fail").Int() != 2 ||
		gjson.Get(two.stdout, `summary.findings.error response\.refused`).Int() != 2 {
		t.Fatalf("report of the recording twice:\n%s", two)
	}
	text := runCmd(t, nil, "", "report", rec, rec)
	if text.code != ExitContract || !strings.Contains(text.stdout, "6 callback(s): 4 passed, 2 failed, 0 without reply") ||
		!strings.Contains(text.stdout, "C2C.CallbackAfterSendMsg  error response.refused: 2") {
		t.Fatalf("text report:\n%s", text)
	}
	// A run's JSON summary merges with records, exactly (histograms too).
	sum := filepath.Join(dir, "sum.json")
	if err := os.WriteFile(sum, []byte(strings.TrimSpace(one.stdout)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	merged := runCmd(t, nil, "", "report", sum, rec, "-o", "json")
	if merged.code != ExitContract || gjson.Get(merged.stdout, "summary.exchanges").Int() != 6 ||
		gjson.Get(merged.stdout, "summary.latency_ms.max").Float() != gjson.Get(one.stdout, "summary.latency_ms.max").Float() {
		t.Fatalf("summary + records:\n%s", merged)
	}
	// Lines that are neither are input errors (exit 2), each named.
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte("{\"CallbackCommand\":\"C2C.CallbackAfterSendMsg\"}\nnot json\n"), 0o644)
	if r := runCmd(t, nil, "", "report", bad); r.code != ExitUsage || !strings.Contains(r.stderr, "bad.jsonl:1:") || !strings.Contains(r.stderr, "bad.jsonl:2:") {
		t.Errorf("bad lines: %s", r)
	}
	if r := runCmd(t, nil, "", "report", filepath.Join(dir, "missing.jsonl")); r.code != ExitUsage {
		t.Errorf("missing input: %s", r)
	}
}
