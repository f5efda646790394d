package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/recordtest"
)

func loadBackend(t *testing.T, reply []byte, hits *atomic.Int64, keys *keyCollector) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hits.Add(1)
		if keys != nil {
			keys.add(gjson.GetBytes(b, "MsgKey").Str)
		}
		w.Write(reply)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type keyCollector struct {
	ch chan string
}

func (k *keyCollector) add(s string) { k.ch <- s }

// Load mode through the CLI: every request counted, fresh payloads, one JSON
// summary on stdout, records kept only on request, exit 1 when replies
// break the contract.
func TestSimulateLoadMode(t *testing.T) {
	var hits atomic.Int64
	keys := &keyCollector{ch: make(chan string, 1000)}
	ok := loadBackend(t, platform.Tencent.ReplyBody(platform.ReplyOK, ""), &hits, keys)
	rec := filepath.Join(t.TempDir(), "load.jsonl")
	r := runCmd(t, nil, "", "simulate", "C2C.CallbackAfterSendMsg", "--target", ok.URL, "--count", "300", "--concurrency", "8", "-o", "json", "--record", rec)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 1 {
		t.Fatalf("-o json printed %d lines, want one summary object", len(lines))
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if gjson.Get(r.stdout, "summary.exchanges").Int() != 300 || hits.Load() != 300 || gjson.Get(r.stdout, "summary.verdicts.pass").Int() != 300 || gjson.Get(r.stdout, "summary.status.200").Int() != 300 {
		t.Errorf("summary %s, backend saw %d", r.stdout, hits.Load())
	}
	for _, k := range []string{"latency_ms.p50", "latency_ms.p90", "latency_ms.p99", "latency_ms.p99_9", "latency_ms.max", "budget_misses", "rate", "histogram"} {
		if !gjson.Get(r.stdout, "summary."+k).Exists() {
			t.Errorf("summary has no %s", k)
		}
	}
	close(keys.ch)
	distinct := map[string]bool{}
	for k := range keys.ch {
		distinct[k] = true
	}
	if len(distinct) != 300 {
		t.Errorf("%d distinct MsgKeys in 300 requests: payloads are not fresh", len(distinct))
	}
	if n := len(recordtest.ReadFile(t, rec)); n != 300 {
		t.Errorf("--record kept %d records, want 300", n)
	}

	// A backend that answers FAIL: exit 1, the rule counted in the summary.
	var failHits atomic.Int64
	bad := loadBackend(t, platform.Tencent.ReplyBody(platform.ReplyFail, "no"), &failHits, nil)
	r = runCmd(t, nil, "", "simulate", "C2C.CallbackAfterSendMsg", "--target", bad.URL, "--count", "50")
	if r.code != ExitContract || !strings.Contains(r.stderr, "error response.refused: 50") || !strings.Contains(r.stderr, "50 callback(s)") {
		t.Errorf("failing backend: %s", r)
	}
	// Usage errors.
	for _, args := range [][]string{{"--rate", "10"}, {"--count", "5", "--dry-run"}, {"--count", "-1"}} {
		r := runCmd(t, nil, "", append([]string{"simulate", "C2C.CallbackAfterSendMsg", "--target", ok.URL}, args...)...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r)
		}
	}
}

func TestSetRejectsPatterns(t *testing.T) {
	for _, p := range []string{"MsgBody.#.MsgType=x", "Msg*=1", "a|b=1", "@this=1"} {
		if r := runCmd(t, nil, "", "fixtures", "show", "C2C.CallbackAfterSendMsg", "--set", p); r.code != ExitUsage || !strings.Contains(r.stderr, "only read") {
			t.Errorf("--set %s: %s", p, r)
		}
	}
	if r := runCmd(t, nil, "", "fixtures", "show", "C2C.CallbackAfterSendMsg", "--set", `From_Account\.x=1`, "-o", "json"); r.code != 0 || gjson.Get(r.stdout, `From_Account\.x`).Int() != 1 {
		t.Errorf("escaped dot: %s", r)
	}
}

// A set path's array index over its bound (the catalogue's max_items, or
// imhook's default) is a usage error of --set or of the suite file's line,
// from simulate, fixtures show and a suite, before anything is built or
// sent; at the bound it is set.
func TestSetBounds(t *testing.T) {
	var sent atomic.Int64
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		w.Write([]byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`))
	}))
	defer be.Close()
	over := "MsgBody.99999999.MsgContent.Text"
	for _, args := range [][]string{
		{"simulate", tencentCmd, "--dry-run"},
		{"simulate", tencentCmd, "--target", be.URL},
		{"fixtures", "show", tencentCmd},
		{"fixtures", "show", tencentCmd, "--sample"},
	} {
		r := runCmd(t, nil, "", append(args, "--set", over+"=x")...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "--set "+over+": index 99999999 of MsgBody is above 1000") || r.stdout != "" {
			t.Errorf("%v: %s", args, r)
		}
	}
	r := runCmd(t, nil, "", "simulate", "Push.AllMemberPush", "--dry-run", "--set", "Events.101.CallbackCommand=x")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--set Events.101.CallbackCommand: index 101 of Events is above 100 (Events holds at most 100 items") {
		t.Errorf("the catalogue's bound: %s", r)
	}
	if r := runCmd(t, nil, "", "simulate", "Push.AllMemberPush", "--dry-run", "--set", "Events.100.CallbackCommand=x", "-o", "json"); r.code == ExitUsage {
		t.Errorf("at the catalogue's bound: %s", r)
	}
	if r := runCmd(t, nil, "", "simulate", tencentCmd, "--dry-run", "--set", "MsgBody.1000.MsgContent.Text=x", "-o", "json"); r.code == ExitUsage ||
		!strings.Contains(r.stdout, `"Text":"x"`) {
		t.Errorf("at the bound: %s", r)
	}
	var many []string
	for i := 0; i <= generate.MaxSets; i++ {
		many = append(many, "--set", fmt.Sprintf("MsgBody.%d.MsgContent.Text=x", i))
	}
	if r := runCmd(t, nil, "", append([]string{"simulate", tencentCmd, "--dry-run"}, many...)...); r.code != ExitUsage || !strings.Contains(r.stderr, "--set: 1001 set paths: at most 1000") {
		t.Errorf("%d sets: %s", generate.MaxSets+1, r)
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "suite.json")
	os.WriteFile(p, []byte(`{"version": 1,
 "steps": [
  {"name": "first", "command": "`+tencentCmd+`"},
  {"name": "send", "command": "`+tencentCmd+`",
   "set": {"From_Account": "alice",
           "`+over+`": "x"}}]}
`), 0o644)
	r = runCmd(t, nil, "", "simulate", "--suite", p, "--target", be.URL)
	if r.code != ExitUsage || !strings.Contains(r.stderr, p+`:6: step "send" (#2): set.`+over+": index 99999999 of MsgBody is above 1000") {
		t.Errorf("suite: %s", r)
	}
	// The catalogue's own bound is the step's callback's: said when the
	// step is built, before it is sent.
	os.WriteFile(p, []byte(`{"version": 1, "steps": [{"name": "push", "command": "Push.AllMemberPush", "set": {"Events.101.CallbackCommand": "x"}}]}`), 0o644)
	r = runCmd(t, nil, "", "simulate", "--suite", p, "--target", be.URL)
	if r.code != ExitUsage || !strings.Contains(r.stderr, `step "push" (#1): set.Events.101.CallbackCommand: index 101 of Events is above 100`) {
		t.Errorf("suite, the catalogue's bound: %s", r)
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d callbacks sent", n)
	}
}
