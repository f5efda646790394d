package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/nettest"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/recordtest"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/internal/ui"
	"github.com/imhook/imhook/record"
)

// rpResult is what one imhook run printed and returned.
type rpResult struct {
	code        int
	out, errOut string
}

// rpRun is run (simulate_e2e_test.go) with no environment.
func rpRun(t *testing.T, stdin string, args ...string) rpResult {
	t.Helper()
	r := runCmd(t, nil, stdin, args...)
	return rpResult{r.code, r.stdout, r.stderr}
}

// rpRecords parses -o json stdout as records (see records).
func rpRecords(t *testing.T, s string) []record.Record {
	t.Helper()
	return records(t, result{stdout: s})
}

// rpHit is one request a capturing backend received.
type rpHit struct {
	url  *url.URL
	hdr  http.Header
	body []byte
}

// rpBackend is a real listener on 127.0.0.1 that remembers every request
// and answers as imhook's receiver does (with respond as its mode).
type rpBackend struct {
	*httptest.Server
	mu   sync.Mutex
	hits []rpHit
}

func rpNewBackend(t *testing.T, respond string, onRecord func(*record.Record)) *rpBackend {
	t.Helper()
	b := &rpBackend{}
	h := serve.NewHandler(serve.Config{Respond: respond, Show: onRecord})
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.hits = append(b.hits, rpHit{url: r.URL, hdr: r.Header.Clone(), body: body})
		b.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *rpBackend) got() []rpHit {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]rpHit(nil), b.hits...)
}

func rpCompact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return buf.String()
}

// recordedBodies reads the request bodies of a record file in order.
func recordedBodies(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	for _, r := range recordtest.Read(t, "recording", f) {
		if r.Command != "" { // not a callback: replay skips it
			out = append(out, rpCompact(t, r.Request.Body))
		}
	}
	return out
}

func assertBodies(t *testing.T, hits []rpHit, want []string) {
	t.Helper()
	if len(hits) != len(want) {
		t.Fatalf("the backend got %d callbacks, want %d", len(hits), len(want))
	}
	for i, h := range hits {
		if got := rpCompact(t, h.body); got != want[i] {
			t.Errorf("callback %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
}

func TestReplaySimulateRecording(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "run.jsonl")
	first := rpNewBackend(t, "", nil)
	r := rpRun(t, "", append([]string{"simulate", "--all", "--record", rec, "--sdkappid", "1400999999", "--platform", "Android", "-q"}, toBoth(first.URL+"/im")...)...)
	if r.code != 0 {
		t.Fatalf("simulate: %d %s", r.code, r.errOut)
	}
	want := recordedBodies(t, rec)
	if len(want) != len(fixtures.Default().Entries()) {
		t.Fatalf("%d records", len(want))
	}
	second := rpNewBackend(t, "", nil)
	again := filepath.Join(dir, "again.jsonl")
	r = rpRun(t, "", "replay", rec, "--target", second.URL+"/cb", "-o", "json", "--record", again)
	if r.code != 0 {
		t.Fatalf("replay: %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	hits := second.got()
	assertBodies(t, hits, want)
	// The replay's own recording holds the same callbacks, and validates.
	if got := recordedBodies(t, again); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("--record wrote %d bodies", len(got))
	}
	if r := rpRun(t, "", "validate", again); r.code != 0 {
		t.Errorf("validate the replay's recording: %d %s %s", r.code, r.out, r.errOut)
	}
	recs := rpRecords(t, r.out)
	for i, h := range hits {
		if recs[i].Verdict != record.Pass {
			t.Errorf("record %d: %s %v", i, recs[i].Verdict, recs[i].Findings)
		}
		if recs[i].Vendor == fixtures.Tencent {
			q := h.url.Query()
			// The recorded query values are kept.
			// (A callback whose page shows no OptPlatform is sent without it.)
			e, _, _ := fixtures.Default().Lookup(recs[i].Command)
			wantPlatform := ""
			if slices.Contains(e.QueryParams(), "OptPlatform") {
				wantPlatform = "Android"
			}
			if q.Get("SdkAppid") != "1400999999" || q.Get("OptPlatform") != wantPlatform || q.Get("CallbackCommand") != recs[i].Command || h.url.Path != "/cb" {
				t.Errorf("tencent URL %s", h.url)
			}
		} else if h.url.Path != "/cb/"+recs[i].Command {
			t.Errorf("openim URL %s", h.url)
		}
	}
	// A flag wins over the recorded value.
	third := rpNewBackend(t, "", nil)
	r = rpRun(t, "", "replay", rec, "--target", third.URL, "--sdkappid", "1400000001", "--filter", "C2C.CallbackAfterSendMsg")
	if r.code != 0 {
		t.Fatalf("replay: %d %s", r.code, r.errOut)
	}
	if hits := third.got(); len(hits) != 1 || hits[0].url.Query().Get("SdkAppid") != "1400000001" || hits[0].url.Query().Get("OptPlatform") != "Android" {
		t.Errorf("filtered/overridden: %+v", hits)
	}
	if !strings.Contains(r.errOut, "filtered out") {
		t.Errorf("summary: %s", r.errOut)
	}
}

func TestReplayReceiverRecording(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "serve.jsonl")
	rw, err := record.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	receiver := rpNewBackend(t, "", func(r *record.Record) { _ = rw.Write(r) })
	// Concurrent traffic, as a platform sends it; the recording's order is
	// the receiver's.
	r := rpRun(t, "", append([]string{"simulate", "--all", "--token", "s3cret", "-q"}, toBoth(receiver.URL+"/hook")...)...)
	if r.code != 0 {
		t.Fatalf("simulate: %d %s", r.code, r.errOut)
	}
	r = rpRun(t, "", "simulate", "C2C.CallbackAfterSendMsg", "C2C.CallbackAfterSendMsg", "--target", receiver.URL+"/hook", "-q")
	if r.code != 0 {
		t.Fatalf("simulate: %d %s", r.code, r.errOut)
	}
	// A probe that is not a callback is recorded too; replay skips it.
	if resp, err := http.Get(receiver.URL + "/healthz"); err == nil {
		resp.Body.Close()
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	want := recordedBodies(t, path)
	backend := rpNewBackend(t, "", nil)
	r = rpRun(t, "", "replay", path, "--target", backend.URL)
	if r.code != 0 {
		t.Fatalf("replay: %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	hits := backend.got()
	assertBodies(t, hits, want)
	if !strings.Contains(r.errOut, fmt.Sprintf(":%d: warning replay.command: the record names no callback", len(fixtures.Default().Entries())+3)) {
		t.Errorf("the probe's record:\n%s", r.errOut)
	}
	// The receiver's recording holds the signature simulate made seconds
	// ago: it is sent again as recorded, with a warning of when it goes stale.
	if sign := hits[0].url.Query().Get("Sign"); sign == "" || !strings.Contains(r.out, "replay.stale_sign") || !strings.Contains(r.out, "so stale in") {
		t.Errorf("recorded Sign %q; output:\n%s", sign, r.out)
	}
	// --resign makes a fresh one with the token.
	backend2 := rpNewBackend(t, "", nil)
	r = rpRun(t, "", "replay", path, "--target", backend2.URL, "--resign", "--token", "other", "--concurrency", "3")
	if r.code != 0 {
		t.Fatalf("replay --resign: %d %s", r.code, r.errOut)
	}
	for _, h := range backend2.got() {
		q := h.url.Query()
		if q.Get("CallbackCommand") == "" {
			continue
		}
		rt, _ := strconv.ParseInt(q.Get("RequestTime"), 10, 64)
		if q.Get("Sign") != platform.Sign("other", q.Get("RequestTime")) || time.Since(time.Unix(rt, 0)) > 10*time.Second || len(q["Sign"]) != 1 {
			t.Errorf("resigned URL %s", h.url)
		}
	}
	if r := rpRun(t, "", "replay", path, "--resign"); r.code != ExitUsage {
		t.Errorf("--resign without --token: %d", r.code)
	}
}

func TestReplayStaleSignature(t *testing.T) {
	dir := t.TempDir()
	body := `{"CallbackCommand":"C2C.CallbackAfterMsgReport","Report_Account":"a","Peer_Account":"b","LastReadTime":1767225550,"UnreadMsgNum":0}`
	old := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	line := fmt.Sprintf(`{"time":"2026-01-01T00:00:00Z","vendor":"tencent","command":"C2C.CallbackAfterMsgReport","request":{"method":"POST","url":"/?SdkAppid=1400000007&CallbackCommand=C2C.CallbackAfterMsgReport&contenttype=json&ClientIP=10.0.0.9&OptPlatform=Web&Sign=%s&RequestTime=%s","headers":{},"body":%s},"findings":[],"verdict":"pass"}`,
		platform.Sign("tok", old), old, body)
	path := filepath.Join(dir, "old.jsonl")
	os.WriteFile(path, []byte(line+"\n"), 0o644)
	b := rpNewBackend(t, "", nil)
	r := rpRun(t, "", "replay", path, "--target", b.URL, "-o", "json")
	if r.code != 0 {
		t.Fatalf("%d %s", r.code, r.errOut)
	}
	recs := rpRecords(t, r.out)
	if len(recs) != 1 || len(recs[0].Findings) == 0 || recs[0].Findings[0].Rule != "replay.stale_sign" || recs[0].Findings[0].Severity != record.Warning ||
		!strings.Contains(recs[0].Findings[0].Message, " old, so stale:") {
		t.Fatalf("findings: %+v", recs)
	}
	q := b.got()[0].url.Query()
	if q.Get("RequestTime") != old || q.Get("ClientIP") != "10.0.0.9" || q.Get("OptPlatform") != "Web" || q.Get("SdkAppid") != "1400000007" {
		t.Errorf("URL %s", b.got()[0].url)
	}
}

func TestReplayPayloadInputs(t *testing.T) {
	dir := t.TempDir()
	var bodies []string
	for i, e := range fixtures.Default().Entries() {
		b, err := generate.Generate(e, generate.GenOptions{Seed: uint64(i), Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, rpCompact(t, b))
	}
	single := filepath.Join(dir, "one.json")
	os.WriteFile(single, ui.PrettyJSON([]byte(bodies[0])), 0o644)
	array := filepath.Join(dir, "many.json")
	os.WriteFile(array, []byte("[\n"+strings.Join(bodies, ",\n")+"\n]\n"), 0o644)
	lines := filepath.Join(dir, "many.jsonl")
	os.WriteFile(lines, []byte(strings.Join(bodies, "\n")+"\n"), 0o644)

	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  []string
	}{
		{"single pretty file", []string{single}, "", bodies[:1]},
		{"array", []string{array}, "", bodies},
		{"json lines", []string{lines}, "", bodies},
		{"stdin", []string{"-"}, strings.Join(bodies, "\n"), bodies},
		{"directory", []string{dir}, "", append(append(append([]string{}, bodies...), bodies...), bodies[0])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := rpNewBackend(t, "", nil)
			r := rpRun(t, tc.stdin, append([]string{"replay", "--target", b.URL}, tc.args...)...)
			if r.code != 0 {
				t.Fatalf("%d\n%s\n%s", r.code, r.out, r.errOut)
			}
			assertBodies(t, b.got(), tc.want)
		})
	}
	// A payload without a command field needs --command.
	noCmd := `{"Report_Account":"a","Peer_Account":"b","LastReadTime":1767225550,"UnreadMsgNum":0}`
	b := rpNewBackend(t, "", nil)
	r := rpRun(t, noCmd, "replay", "-", "--target", b.URL)
	if r.code != ExitContract || !strings.Contains(r.errOut, "-:1: error replay.not_replayable") || len(b.got()) != 0 {
		t.Errorf("without --command: %d %s", r.code, r.errOut)
	}
	r = rpRun(t, noCmd, "replay", "-", "--target", b.URL, "--command", "c2c.callbackaftermsgreport", "-q")
	if hits := b.got(); len(hits) != 1 || hits[0].url.Query().Get("CallbackCommand") != "C2C.CallbackAfterMsgReport" {
		t.Errorf("with --command: %d %+v", r.code, hits)
	}
}

func TestReplayCompare(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "run.jsonl")
	ok := rpNewBackend(t, platform.ReplyOK, nil)
	if r := rpRun(t, "", append([]string{"simulate", "--all", "--record", rec, "-q"}, toBoth(ok.URL)...)...); r.code != 0 {
		t.Fatalf("simulate: %s", r.errOut)
	}
	// The same backend: no differences.
	if r := rpRun(t, "", "replay", rec, "--compare", "--target", ok.URL); r.code != 0 {
		t.Fatalf("unchanged: %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	// A backend that now fails: every reply differs, field by field, beside
	// the judgement of the replayed reply.
	failing := rpNewBackend(t, platform.ReplyFail, nil)
	r := rpRun(t, "", "replay", rec, "--compare", "--target", failing.URL, "-o", "json")
	if r.code != ExitContract {
		t.Fatalf("changed: %d %s", r.code, r.errOut)
	}
	for _, rc := range rpRecords(t, r.out) {
		paths := map[string]bool{}
		for _, f := range rc.Findings {
			if f.Rule == "replay.diff" && f.Severity != record.Error || f.Rule != "replay.diff" && !strings.HasPrefix(f.Rule, "response.") {
				t.Errorf("%s: unexpected finding %v", rc.Command, f)
			}
			if f.Rule == "replay.diff" {
				paths[f.Path] = true
			}
		}
		want := []string{"ActionStatus", "ErrorCode"}
		if rc.Vendor == fixtures.OpenIM {
			want = []string{"actionCode", "errCode"}
		}
		for _, p := range want {
			if !paths[p] {
				t.Errorf("%s: no diff at %s: %v", rc.Command, p, rc.Findings)
			}
		}
		if rc.Verdict != record.Fail {
			t.Errorf("%s: verdict %s", rc.Command, rc.Verdict)
		}
	}
}

func TestReplayCorruptLines(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "run.jsonl")
	b := rpNewBackend(t, "", nil)
	if r := rpRun(t, "", append([]string{"simulate", "--all", "--record", rec, "-q"}, toBoth(b.URL)...)...); r.code != 0 {
		t.Fatalf("simulate: %s", r.errOut)
	}
	data, _ := os.ReadFile(rec)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	corrupt := []string{lines[0], "this is not json", lines[1][:len(lines[1])/2], "\x00\x01\xfe\xff", lines[2], `{"time":"2026-01-01T00:00:00Z","vendor":"tencent","command":"C2C.Nope","request":{"url":"/","body":{}}}`, lines[3]}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(strings.Join(corrupt, "\n")+"\n"), 0o644)
	want := recordedBodies(t, rec)
	b2 := rpNewBackend(t, "", nil)
	r := rpRun(t, "", "replay", bad, "--target", b2.URL)
	if r.code != ExitContract {
		t.Fatalf("exit %d\n%s", r.code, r.errOut)
	}
	assertBodies(t, b2.got(), []string{want[0], want[2], want[3]}) // line 3 is lines[1] cut short
	for _, w := range []string{bad + ":2: error input.json", bad + ":3: error input.json", bad + ":4: error input.json", bad + ":6: error replay.command"} {
		if !strings.Contains(r.errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.errOut)
		}
	}
	if !strings.Contains(r.errOut, "4 problem(s) in the input") {
		t.Errorf("summary:\n%s", r.errOut)
	}
	// An unreadable file is a usage error before anything is sent.
	if r := rpRun(t, "", "replay", filepath.Join(dir, "missing.jsonl"), "--target", b2.URL); r.code != ExitUsage {
		t.Errorf("missing file: %d", r.code)
	}
}

func TestReplayUnreachable(t *testing.T) {
	addr := nettest.Refused(t)
	payload := `{"CallbackCommand":"C2C.CallbackAfterMsgReport","Report_Account":"a","Peer_Account":"b","LastReadTime":1767225550,"UnreadMsgNum":0}`
	r := rpRun(t, payload+"\n"+payload+"\n", "replay", "-", "--target", "http://"+addr)
	if r.code != ExitUnreachable || !strings.Contains(r.errOut, "could not be reached") {
		t.Fatalf("%d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if strings.Count(r.out, "-->") != 1 {
		t.Errorf("replay goes on after an unreachable target:\n%s", r.out)
	}
}

func TestReplayBuiltInReceiverAndRate(t *testing.T) {
	payload := `{"CallbackCommand":"C2C.CallbackAfterMsgReport","Report_Account":"a","Peer_Account":"b","LastReadTime":1767225550,"UnreadMsgNum":0}`
	in := strings.Repeat(payload+"\n", 6)
	start := time.Now()
	r := rpRun(t, in, "replay", "-", "--rate", "20", "--concurrency", "3")
	if r.code != 0 || !strings.Contains(r.errOut, "built-in receiver") || strings.Count(r.out, "PASS") != 6 {
		t.Fatalf("%d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("6 callbacks at 20/s took %s", el)
	}
}

// replay's problems name the command line's flags and commands (the
// library speaks of its own settings).
func TestReplayProblemsNameTheFlags(t *testing.T) {
	for input, want := range map[string]string{
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`: "check replies with imhook validate --as response",
		`{"Some":"object"}`: "name it with --command",
	} {
		r := runCmd(t, nil, input+"\n", "replay", "-", "--target", "http://127.0.0.1:1/")
		if !strings.Contains(r.stdout+r.stderr, want) || strings.Contains(r.stdout+r.stderr, "Options.Command") {
			t.Errorf("%s: want %q\n%s", input, want, r)
		}
	}
}
