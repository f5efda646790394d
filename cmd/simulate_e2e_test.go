package cmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/nettest"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/recordtest"
	"github.com/imhook/imhook/internal/ui"
	"github.com/imhook/imhook/record"
)

// result is one run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

// run drives the real cobra root with injected streams; env is the whole
// environment the command sees.
func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	s := &ui.Streams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut,
		Getenv: func(k string) string { return env[k] }}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Run(ctx, s, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// records parses -o json stdout: every line must be a record.
func records(t *testing.T, r result) []record.Record {
	t.Helper()
	var out []record.Record
	for i, line := range strings.Split(strings.TrimRight(r.stdout, "\n"), "\n") {
		if line == "" || strings.HasPrefix(line, `{"summary":`) {
			continue // the run's summary, the last line of -o json
		}
		var rec record.Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("stdout line %d is not a record: %v\n%s", i+1, err, line)
		}
		out = append(out, rec)
	}
	return out
}

// finding is a severity and a rule.
type finding struct {
	sev  record.Severity
	rule string
}

func findingSet(fs []record.Finding) []finding {
	out := make([]finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, finding{f.Severity, f.Rule})
	}
	slices.SortFunc(out, func(a, b finding) int { return strings.Compare(string(a.sev)+a.rule, string(b.sev)+b.rule) })
	return out
}

// backend is a configurable reply on a real loopback listener; it records
// the requests it got.
type backend struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	bodies   [][]byte
	reply    reply
}

type reply struct {
	status int
	header map[string]string
	body   string
	delay  time.Duration
}

func newBackend(t *testing.T, r reply) *backend {
	t.Helper()
	b := &backend{reply: r}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		b.mu.Lock()
		b.requests = append(b.requests, req)
		b.bodies = append(b.bodies, body)
		b.mu.Unlock()
		if b.reply.delay > 0 {
			select {
			case <-time.After(b.reply.delay):
			case <-req.Context().Done():
				return
			}
		}
		for k, v := range b.reply.header {
			w.Header().Set(k, v)
		}
		st := b.reply.status
		if st == 0 {
			st = http.StatusOK
		}
		w.WriteHeader(st)
		io.WriteString(w, b.reply.body)
	}))
	if !strings.HasPrefix(b.URL, "http://127.0.0.1:") {
		t.Fatalf("the test server listens on %s, not 127.0.0.1", b.URL)
	}
	t.Cleanup(b.Close)
	return b
}

func (b *backend) hits() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.requests)
}

const (
	tencentCmd = "C2C.CallbackAfterSendMsg"
	openimCmd  = "callbackAfterGroupMsgReadCommand"
	tencentOK  = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`
	openimOK   = `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`
	htmlPage   = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
)

type exchangeCase struct {
	name    string
	reply   reply
	args    []string // extra flags
	code    int
	verdict record.Verdict
	want    []finding // exactly these findings (payload and reply)
	stderr  string    // stderr holds this
}

var (
	E = record.Error
	W = record.Warning
	I = record.Info
)

var tencentExchanges = []exchangeCase{
	{name: "ok", reply: reply{body: tencentOK}, code: 0, verdict: "pass"},
	{name: "fail to a valid callback", reply: reply{body: `{"ActionStatus":"FAIL","ErrorInfo":"db down","ErrorCode":1}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleRefused}}},
	{name: "fail to an invalid callback", reply: reply{body: `{"ActionStatus":"FAIL","ErrorInfo":"bad MsgSeq","ErrorCode":1}`},
		args: []string{"--set", "MsgSeq=-1"}, code: 1, verdict: "fail",
		// the payload broke the contract; the backend's FAIL was right
		want: []finding{{E, "payload.range"}, {E, "payload.rule.msg_key"}, {I, platform.RuleRefused}}},
	{name: "ErrorCode string", reply: reply{body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":"0"}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleType}}},
	{name: "ErrorCode float", reply: reply{body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1.5}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleType}}},
	{name: "ActionStatus number", reply: reply{body: `{"ActionStatus":1,"ErrorInfo":"","ErrorCode":0}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleType}}},
	{name: "missing ActionStatus", reply: reply{body: `{"ErrorInfo":"","ErrorCode":0}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleRequired}}},
	{name: "missing ErrorCode", reply: reply{body: `{"ActionStatus":"OK","ErrorInfo":""}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleRequired}}},
	{name: "missing ErrorInfo", reply: reply{body: `{"ActionStatus":"OK","ErrorCode":0}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleRequired}}},
	{name: "lowercase ok", reply: reply{body: `{"ActionStatus":"ok","ErrorInfo":"","ErrorCode":0}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleActionState}}},
	{name: "500", reply: reply{status: 500, body: tencentOK},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleStatus}}},
	{name: "html", reply: reply{status: 502, header: map[string]string{"Content-Type": "text/html"}, body: htmlPage},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleStatus}, {E, platform.RuleJSON}}},
	{name: "empty", reply: reply{}, code: 1, verdict: "fail", want: []finding{{E, platform.RuleEmpty}}},
	{name: "array", reply: reply{body: "[" + tencentOK + "]"}, code: 1, verdict: "fail", want: []finding{{E, platform.RuleObject}}},
	{name: "redirect", reply: reply{status: 302, header: map[string]string{"Location": "/ok"}},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleStatus}, {E, platform.RuleEmpty}}},
	{name: "slow", reply: reply{body: tencentOK, delay: 600 * time.Millisecond}, args: []string{"--timeout", "200ms"},
		code: 1, verdict: "error", want: []finding{{E, platform.RuleTimeout}}},
	{name: "ErrorCode 3", reply: reply{body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":3}`},
		code: 0, verdict: "pass", want: []finding{{W, platform.RuleErrorCode}}},
}

var openimExchanges = []exchangeCase{
	{name: "ok", reply: reply{body: openimOK}, code: 0, verdict: "pass"},
	{name: "the document's sample", reply: reply{body: `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":""}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleType}}},
	{name: "float", reply: reply{body: `{"actionCode":0,"errCode":1.5,"errMsg":"","errDlt":"","nextCode":0}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleType}}},
	{name: "out of range", reply: reply{body: `{"actionCode":0,"errCode":3000000000,"errMsg":"","errDlt":"","nextCode":0}`},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleRange}}},
	{name: "html", reply: reply{header: map[string]string{"Content-Type": "text/html"}, body: htmlPage},
		code: 1, verdict: "fail", want: []finding{{E, platform.RuleJSON}}},
	{name: "500 with a good body", reply: reply{status: 500, body: openimOK},
		code: 0, verdict: "pass", want: []finding{{W, platform.RuleStatus}}},
	{name: "empty object", reply: reply{body: `{}`}, code: 0, verdict: "pass", want: []finding{{W, platform.RuleEmptyObject}}},
	{name: "null", reply: reply{body: `null`}, code: 0, verdict: "pass", want: []finding{{W, platform.RuleEmptyObject}}},
	{name: "actionCode 1", reply: reply{body: `{"actionCode":1,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`},
		code: 0, verdict: "pass", want: []finding{{W, platform.RuleActionCode}}},
	{name: "nextCode 1 on an after-callback", reply: reply{body: `{"actionCode":0,"errCode":20001,"errMsg":"no","errDlt":"","nextCode":1}`},
		code: 0, verdict: "pass", want: []finding{{W, platform.RuleNextCode}}},
	{name: "key case", reply: reply{body: `{"ActionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`},
		code: 0, verdict: "pass", want: []finding{{W, platform.RuleKeyCase}}},
	{name: "empty", reply: reply{}, code: 1, verdict: "fail", want: []finding{{E, platform.RuleEmpty}}},
	{name: "array", reply: reply{body: `[]`}, code: 1, verdict: "fail", want: []finding{{E, platform.RuleObject}}},
	{name: "redirect with a good body", reply: reply{status: 302, header: map[string]string{"Location": "/ok"}, body: openimOK},
		code: 0, verdict: "pass", want: []finding{{W, platform.RuleStatus}}},
	{name: "slow", reply: reply{body: openimOK, delay: 600 * time.Millisecond}, args: []string{"--timeout", "200ms"},
		code: 1, verdict: "error", want: []finding{{E, platform.RuleTimeout}}},
}

func runExchange(t *testing.T, command, path string, tc exchangeCase) (*backend, record.Record) {
	t.Helper()
	b := newBackend(t, tc.reply)
	args := append([]string{"simulate", command, "--target", b.URL + path, "--seed", "1", "-o", "json"}, tc.args...)
	r := runCmd(t, nil, "", args...)
	if r.code != tc.code {
		t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r)
	}
	recs := records(t, r)
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1\n%s", len(recs), r)
	}
	rec := recs[0]
	if rec.Verdict != tc.verdict {
		t.Errorf("verdict %q, want %q\n%s", rec.Verdict, tc.verdict, r)
	}
	want := append([]finding{}, tc.want...)
	slices.SortFunc(want, func(a, b finding) int { return strings.Compare(string(a.sev)+a.rule, string(b.sev)+b.rule) })
	if got := findingSet(rec.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v\n%s", got, want, r)
	}
	if rec.Command != command || rec.Request == nil || rec.Request.Method != "POST" {
		t.Errorf("record names %q %+v", rec.Command, rec.Request)
	}
	switch tc.verdict {
	case "error":
		if rec.Response != nil || rec.Error == "" {
			t.Errorf("a record without reply has response %v and error %q", rec.Response, rec.Error)
		}
	default:
		st := tc.reply.status
		if st == 0 {
			st = 200
		}
		wantBody := compactJSON(tc.reply.body)
		if rec.Response == nil || rec.Response.Status != st || string(rec.Response.Body) != wantBody {
			t.Errorf("record response %+v does not hold status %d and body %s", rec.Response, st, tc.reply.body)
		}
	}
	if tc.stderr != "" && !strings.Contains(r.stderr, tc.stderr) {
		t.Errorf("stderr does not mention %q\n%s", tc.stderr, r)
	}
	if n := b.hits(); n != 1 {
		t.Errorf("the backend got %d requests, want 1 (redirects must not be followed)", n)
	}
	return b, rec
}

func compactJSON(s string) string {
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(s)) == nil {
		return buf.String()
	}
	return s
}

func TestSimulateTencentReplies(t *testing.T) {
	t.Parallel()
	for _, tc := range tencentExchanges {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, _ := runExchange(t, tencentCmd, "/im/cb", tc)
			// The wire shape the backend saw.
			req := b.requests[0]
			if req.URL.Path != "/im/cb" {
				t.Errorf("path %q", req.URL.Path)
			}
			want := "SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"
			if req.URL.RawQuery != want {
				t.Errorf("query %q, want %q", req.URL.RawQuery, want)
			}
			var body map[string]any
			if err := json.Unmarshal(b.bodies[0], &body); err != nil || body["CallbackCommand"] != tencentCmd {
				t.Errorf("body %s (%v)", b.bodies[0], err)
			}
		})
	}
}

func TestSimulateOpenIMReplies(t *testing.T) {
	t.Parallel()
	for _, tc := range openimExchanges {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, _ := runExchange(t, openimCmd, "/hook", tc)
			req := b.requests[0]
			if req.URL.Path != "/hook/"+openimCmd || req.URL.RawQuery != "contenttype=json" {
				t.Errorf("URL %s", req.URL)
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if req.Header.Get("operationID") == "" {
				t.Error("no operationID header")
			}
			var body map[string]any
			if err := json.Unmarshal(b.bodies[0], &body); err != nil || body["callbackCommand"] != openimCmd {
				t.Errorf("body %s (%v)", b.bodies[0], err)
			}
		})
	}
}

// A closed port: nothing listens, exit 3 and the reason on stderr.
func TestSimulateRefused(t *testing.T) {
	t.Parallel()
	addr := nettest.Refused(t)
	for _, c := range []string{tencentCmd, openimCmd} {
		r := runCmd(t, nil, "", "simulate", c, "--target", "http://"+addr, "-o", "json")
		if r.code != ExitUnreachable {
			t.Fatalf("%s: exit %d, want 3\n%s", c, r.code, r)
		}
		if !strings.Contains(r.stderr, "refused") || !strings.Contains(r.stderr, addr) {
			t.Errorf("stderr does not give the reason\n%s", r)
		}
		recs := records(t, r)
		if len(recs) != 1 || recs[0].Verdict != record.NoReply || recs[0].Response != nil || recs[0].Error == "" {
			t.Errorf("records %+v", recs)
		}
	}
	// --all stops at the first closed door.
	r := runCmd(t, nil, "", append([]string{"simulate", "--all", "-o", "json"}, toBoth("http://"+addr)...)...)
	if r.code != ExitUnreachable || len(records(t, r)) != 1 {
		t.Errorf("--all against a closed port:\n%s", r)
	}
}

// rawListener accepts connections on 127.0.0.1 and hands each, after its
// request has been read, to handle.
func rawListener(t *testing.T, handle func(*net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				tc := c.(*net.TCPConn)
				req, err := http.ReadRequest(bufio.NewReader(tc))
				if err == nil {
					_, _ = io.Copy(io.Discard, req.Body)
				}
				handle(tc)
				<-done
				tc.Close()
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// The target accepts and resets: it was reached, so exit 1 with verdict error.
func TestSimulateReset(t *testing.T) {
	t.Parallel()
	url := rawListener(t, func(c *net.TCPConn) {
		_ = c.SetLinger(0)
		c.Close()
	})
	for _, c := range []string{tencentCmd, openimCmd} {
		r := runCmd(t, nil, "", "simulate", c, "--target", url, "-o", "json")
		if r.code != ExitContract {
			t.Fatalf("%s: exit %d, want 1\n%s", c, r.code, r)
		}
		recs := records(t, r)
		if len(recs) != 1 || recs[0].Verdict != record.NoReply || recs[0].Response != nil {
			t.Fatalf("records %+v", recs)
		}
		if !strings.Contains(recs[0].Error, "reset") {
			t.Errorf("error %q does not say the connection was reset", recs[0].Error)
		}
		if got := findingSet(recs[0].Findings); !slices.Equal(got, []finding{{E, "response.none"}}) {
			t.Errorf("findings %v", got)
		}
	}
}

// The target never answers: with --timeout 200ms the run is quick, exit 1,
// rule response.timeout.
func TestSimulateHang(t *testing.T) {
	t.Parallel()
	url := rawListener(t, func(*net.TCPConn) {})
	for _, c := range []string{tencentCmd, openimCmd} {
		start := time.Now()
		r := runCmd(t, nil, "", "simulate", c, "--target", url, "--timeout", "200ms", "-o", "json")
		if el := time.Since(start); el > 15*time.Second { // the timeout ends it; well under 1s when idle
			t.Errorf("the run took %s with --timeout 200ms", el)
		}
		if r.code != ExitContract {
			t.Fatalf("%s: exit %d, want 1\n%s", c, r.code, r)
		}
		recs := records(t, r)
		if len(recs) != 1 || recs[0].Verdict != record.NoReply {
			t.Fatalf("records %+v", recs)
		}
		if got := findingSet(recs[0].Findings); !slices.Equal(got, []finding{{E, platform.RuleTimeout}}) {
			t.Errorf("findings %v", got)
		}
		if !strings.Contains(recs[0].Error, "200ms") {
			t.Errorf("error %q does not name the budget", recs[0].Error)
		}
	}
}

func TestSimulateAllBuiltIn(t *testing.T) {
	t.Parallel()
	r := runCmd(t, nil, "", "simulate", "--all")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	n := len(fixtures.Default().Entries())
	if !strings.Contains(r.stderr, fmt.Sprintf("%d callback(s): %d passed, 0 failed, 0 without reply", n, n)) {
		t.Errorf("summary\n%s", r)
	}
	if !strings.Contains(r.stderr, "built-in receiver at http://127.0.0.1:") {
		t.Errorf("stderr does not say the built-in receiver is used\n%s", r)
	}
	if c := strings.Count(r.stdout, "-->"); c != n || strings.Count(r.stdout, "PASS") != n {
		t.Errorf("text output has %d exchanges\n%s", n, r)
	}
	// JSON: four records, all pass, both vendors; stderr carries the rest.
	r = runCmd(t, nil, "", "simulate", "--all", "-o", "json", "--seed", "3")
	recs := records(t, r)
	if r.code != 0 || len(recs) != n {
		t.Fatalf("json run: %d records, want %d", len(recs), n)
	}
	vendors := map[string]int{}
	for _, rec := range recs {
		vendors[rec.Vendor]++
		if rec.Verdict != record.Pass || len(rec.Findings) != 0 {
			t.Errorf("%s: %s %v", rec.Command, rec.Verdict, rec.Findings)
		}
	}
	if vendors["tencent"] < 40 || vendors["openim"] < 40 || vendors["tencent"]+vendors["openim"] != n {
		t.Errorf("vendors %v", vendors)
	}
	// --vendor narrows it.
	r = runCmd(t, nil, "", "simulate", "--all", "--vendor", "openim", "-o", "json")
	recs = records(t, r)
	if r.code != 0 || len(recs) != vendors["openim"] {
		t.Errorf("--vendor openim: %d records", len(recs))
	}
	for _, rec := range recs {
		if rec.Vendor != "openim" {
			t.Errorf("--vendor openim sent %s", rec.Command)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args  []string
		match string
	}{
		{[]string{"simulate", "C2C.CallbackAfterSendMsgs"}, "close matches: C2C.CallbackAfterSendMsg"},
		{[]string{"simulate", "AfterSendMsg"}, "C2C.CallbackAfterSendMsg"},
		{[]string{"fixtures", "show", "callbackAfterGroupMsgRead"}, "callbackAfterGroupMsgReadCommand"},
		{[]string{"simulate", "Group.CallbackAfterReadReciept"}, "Group.CallbackAfterReadReceipt"},
	} {
		r := runCmd(t, nil, "", tc.args...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", tc.args, r.code, r)
		}
		if !strings.Contains(r.stderr, tc.match) || !strings.Contains(r.stderr, "unknown callback") {
			t.Errorf("%v: stderr does not list %q\n%s", tc.args, tc.match, r)
		}
		if r.stdout != "" {
			t.Errorf("%v: stdout %q", tc.args, r.stdout)
		}
	}
	// Lookup is case-insensitive.
	if r := runCmd(t, nil, "", "simulate", "c2c.callbackaftersendmsg", "-o", "json"); r.code != 0 {
		t.Errorf("a case-folded command failed\n%s", r)
	}
	// An unknown subcommand and bad flags are usage errors too.
	for _, args := range [][]string{{"simulat"}, {"simulate", "--all", "--bogus"}, {"simulate"}, {"-o", "yaml", "version"},
		{"simulate", "--all", "--target", "ftp://x"}, {"simulate", "--all", "--vendor", "wechat"}, {"simulate", "--all", tencentCmd}} {
		if r := runCmd(t, nil, "", args...); r.code != ExitUsage || r.stderr == "" {
			t.Errorf("%v: exit %d, want 2 with a message\n%s", args, r.code, r)
		}
	}
}

// --record appends one parseable line per exchange.
func TestSimulateRecord(t *testing.T) {
	t.Parallel()
	b := newBackend(t, reply{body: tencentOK})
	file := filepath.Join(t.TempDir(), "run.jsonl")
	readAll := func() []*record.Record {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return recordtest.Read(t, file, f)
	}
	r := runCmd(t, nil, "", "simulate", "--all", "--vendor", "tencent", "--target", b.URL, "--record", file)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	tencentN := 0
	for _, e := range fixtures.Default().Entries() {
		if e.Vendor == fixtures.Tencent {
			tencentN++
		}
	}
	if recs := readAll(); len(recs) != tencentN {
		t.Fatalf("%d records after the first run, want %d", len(recs), tencentN)
	}
	r = runCmd(t, nil, "", "simulate", tencentCmd, "--target", b.URL, "--record", file, "-q")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	recs := readAll()
	if len(recs) != tencentN+1 {
		t.Fatalf("%d records after the second run, want %d (append)", len(recs), tencentN+1)
	}
	last := recs[tencentN]
	if last.Command != tencentCmd || last.Verdict != record.Pass || last.Response == nil || last.Response.Status != 200 ||
		!strings.HasPrefix(last.Request.URL, b.URL+"?SdkAppid=") || string(last.Response.Body) != tencentOK {
		t.Errorf("last record %+v", last)
	}
	raw, _ := os.ReadFile(file)
	if n := bytes.Count(raw, []byte("\n")); n != tencentN+1 {
		t.Errorf("%d lines", n)
	}
	// An unwritable record file is a usage error.
	if r := runCmd(t, nil, "", "simulate", tencentCmd, "--target", b.URL, "--record", filepath.Join(t.TempDir(), "no", "such", "dir.jsonl")); r.code != ExitUsage {
		t.Errorf("unwritable --record: %s", r)
	}
}

func TestSimulateDryRun(t *testing.T) {
	t.Parallel()
	b := newBackend(t, reply{body: tencentOK})
	r := runCmd(t, nil, "", append([]string{"simulate", "--all", "--dry-run", "--seed", "2"}, toBoth(b.URL)...)...)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	if b.hits() != 0 {
		t.Fatalf("--dry-run sent %d requests", b.hits())
	}
	if !strings.Contains(r.stdout, "POST "+b.URL+"?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json") ||
		!strings.Contains(r.stdout, "POST "+b.URL+"/"+openimCmd+"?contenttype=json") {
		t.Errorf("dry run output\n%s", r)
	}
	// JSON: the request records, without response or verdict.
	r = runCmd(t, nil, "", "simulate", tencentCmd, "--target", b.URL, "--dry-run", "-o", "json", "--set", "MsgSeq=-1")
	if r.code != ExitContract {
		t.Errorf("a dry run of a bad payload: exit %d, want 1\n%s", r.code, r)
	}
	recs := records(t, r)
	if len(recs) != 1 || recs[0].Response != nil || recs[0].Verdict != "" || len(recs[0].Findings) == 0 {
		t.Errorf("dry-run records %+v", recs)
	}
	if b.hits() != 0 {
		t.Fatalf("--dry-run sent %d requests", b.hits())
	}
}

// --data FILE with a bad body: checked, sent anyway, its findings shown.
func TestSimulateDataBadBody(t *testing.T) {
	t.Parallel()
	b := newBackend(t, reply{body: tencentOK})
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	body := `{"CallbackCommand":"C2C.CallbackAfterSendMsg","From_Account":"jared","To_Account":"Jonh","MsgSeq":48374,` +
		`"MsgRandom":2837546,"MsgTime":1557481126000,"MsgKey":"48374_2837546_1557481126000","SendMsgResult":0,` +
		`"ErrorInfo":"send msg succeed","UnreadMsgNum":-1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{}}]}`
	if err := os.WriteFile(bad, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, nil, "", "simulate", "--data", bad, "--target", b.URL, "-o", "json")
	if r.code != ExitContract {
		t.Fatalf("exit %d, want 1\n%s", r.code, r)
	}
	if b.hits() != 1 || string(b.bodies[0]) != body {
		t.Fatalf("the backend got %d requests; body %s", b.hits(), b.bodies)
	}
	if b.requests[0].URL.Query().Get("CallbackCommand") != tencentCmd {
		t.Errorf("the command was not taken from the body: %s", b.requests[0].URL)
	}
	if !strings.Contains(r.stderr, "sending it anyway") {
		t.Errorf("stderr\n%s", r)
	}
	recs := records(t, r)
	want := []finding{{E, "payload.required"}, {E, "payload.rule.unread_on_failure"}, {E, "payload.unit"}}
	if len(recs) != 1 || !slices.Equal(findingSet(recs[0].Findings), want) || recs[0].Verdict != record.Fail {
		t.Errorf("records %+v, want findings %v", recs, want)
	}
	// Not even JSON: sent as is, to the named command.
	notJSON := filepath.Join(dir, "notjson.txt")
	os.WriteFile(notJSON, []byte("{\"callbackCommand\": \"x\", // c\n}"), 0o644)
	r = runCmd(t, nil, "", "simulate", openimCmd, "--data", notJSON, "--target", b.URL, "-o", "json")
	recs = records(t, r)
	if r.code != ExitContract || len(recs) != 1 || recs[0].Findings[0].Rule != "payload.json" || b.hits() != 2 {
		t.Errorf("not JSON\n%s", r)
	}
	// From stdin.
	r = runCmd(t, nil, `{"CallbackCommand":"C2C.CallbackAfterMsgReport"}`, "simulate", "--data", "-", "--target", b.URL, "-o", "json")
	if recs := records(t, r); r.code != ExitContract || len(recs) != 1 || recs[0].Command != "C2C.CallbackAfterMsgReport" {
		t.Errorf("stdin\n%s", r)
	}
	// A missing file is an input error; nothing is sent.
	if r := runCmd(t, nil, "", "simulate", "--data", filepath.Join(dir, "nope.json"), "--target", b.URL); r.code != ExitUsage || b.hits() != 3 {
		t.Errorf("missing --data file\n%s", r)
	}
}

// --token adds RequestTime and a Sign that verifies against it.
func TestSimulateToken(t *testing.T) {
	t.Parallel()
	b := newBackend(t, reply{body: tencentOK})
	before := time.Now().Unix()
	r := runCmd(t, nil, "", "simulate", tencentCmd, "--target", b.URL, "--token", "s3cret", "-o", "json")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	q := b.requests[0].URL.Query()
	rt, sign := q.Get("RequestTime"), q.Get("Sign")
	n, err := strconv.ParseInt(rt, 10, 64)
	if err != nil || n < before || n > time.Now().Unix() {
		t.Errorf("RequestTime %q is not now in seconds", rt)
	}
	if sign != platform.Sign("s3cret", rt) || len(sign) != 64 {
		t.Errorf("Sign %q does not verify against RequestTime %s", sign, rt)
	}
	if !strings.HasSuffix(b.requests[0].URL.RawQuery, "&OptPlatform=iOS&Sign="+sign+"&RequestTime="+rt) {
		t.Errorf("query order %s", b.requests[0].URL.RawQuery)
	}
	if strings.Contains(r.stderr, "s3cret") {
		t.Errorf("the token was printed on stderr")
	}
	// IMHOOK_TOKEN stands in for --token; the flag wins over it.
	runCmd(t, map[string]string{"IMHOOK_TOKEN": "fromenv"}, "", "simulate", tencentCmd, "--target", b.URL)
	q = b.requests[1].URL.Query()
	if q.Get("Sign") != platform.Sign("fromenv", q.Get("RequestTime")) {
		t.Errorf("IMHOOK_TOKEN not used: %s", b.requests[1].URL)
	}
	runCmd(t, map[string]string{"IMHOOK_TOKEN": "fromenv"}, "", "simulate", tencentCmd, "--target", b.URL, "--token", "flag")
	q = b.requests[2].URL.Query()
	if q.Get("Sign") != platform.Sign("flag", q.Get("RequestTime")) {
		t.Errorf("--token did not win over IMHOOK_TOKEN: %s", b.requests[2].URL)
	}
}

func TestIMHOOKTarget(t *testing.T) {
	t.Parallel()
	b := newBackend(t, reply{body: tencentOK})
	r := runCmd(t, map[string]string{"IMHOOK_TARGET": b.URL + "/env", "IMHOOK_SDKAPPID": "1400123456"}, "", "simulate", tencentCmd, "-o", "json")
	if r.code != 0 || b.hits() != 1 {
		t.Fatalf("hits %d\n%s", b.hits(), r)
	}
	if strings.Contains(r.stderr, "built-in receiver") {
		t.Errorf("the built-in receiver was used despite IMHOOK_TARGET\n%s", r)
	}
	u := b.requests[0].URL
	if u.Path != "/env" || u.Query().Get("SdkAppid") != "1400123456" {
		t.Errorf("URL %s", u)
	}
	// --target wins over the environment.
	other := newBackend(t, reply{body: tencentOK})
	runCmd(t, map[string]string{"IMHOOK_TARGET": b.URL}, "", "simulate", tencentCmd, "--target", other.URL)
	if b.hits() != 1 || other.hits() != 1 {
		t.Errorf("--target did not win: %d %d", b.hits(), other.hits())
	}
}

func TestFixturesListJSONFields(t *testing.T) {
	t.Parallel()
	r := runCmd(t, nil, "", "fixtures", "list", "-o", "json")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if n := len(fixtures.Default().Entries()); len(lines) != n {
		t.Fatalf("%d lines for %d entries\n%s", len(lines), n, r)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var o map[string]string
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		for _, k := range []string{"command", "vendor", "kind", "title"} {
			if o[k] == "" {
				t.Errorf("%s: no %s", l, k)
			}
		}
		if o["kind"] != "before" && o["kind"] != "after" {
			t.Errorf("kind %q", o["kind"])
		}
		seen[o["command"]] = true
	}
	for _, c := range []string{tencentCmd, openimCmd, "C2C.CallbackAfterMsgReport", "Group.CallbackAfterReadReceipt"} {
		if !seen[c] {
			t.Errorf("%s not listed", c)
		}
	}
	r = runCmd(t, nil, "", "fixtures", "list", "--vendor", "openim")
	openimN := 0
	for _, e := range fixtures.Default().Entries() {
		if e.Vendor == fixtures.OpenIM {
			openimN++
		}
	}
	if r.code != 0 || !strings.HasPrefix(r.stdout, "COMMAND") || strings.Count(strings.TrimSpace(r.stdout), "\n") != openimN || !strings.Contains(r.stdout, openimCmd) || strings.Contains(r.stdout, "tencent") {
		t.Errorf("text list\n%s", r)
	}
}

func TestFixturesShow(t *testing.T) {
	t.Parallel()
	for _, c := range []string{tencentCmd, openimCmd, "Group.CallbackAfterReadReceipt", "C2C.CallbackAfterMsgReport"} {
		a := runCmd(t, nil, "", "fixtures", "show", c, "--seed", "5")
		b := runCmd(t, nil, "", "fixtures", "show", c, "--seed", "5")
		d := runCmd(t, nil, "", "fixtures", "show", c, "--seed", "6")
		if a.code != 0 || !json.Valid([]byte(a.stdout)) {
			t.Fatalf("%s", a)
		}
		if a.stdout != b.stdout {
			t.Errorf("%s --seed 5 gave two payloads:\n%s\n%s", c, a.stdout, b.stdout)
		}
		if a.stdout == d.stdout {
			t.Errorf("%s: seeds 5 and 6 gave the same payload", c)
		}
		if !strings.Contains(a.stdout, "\n  ") {
			t.Errorf("%s: not pretty JSON:\n%s", c, a.stdout)
		}
	}
	r := runCmd(t, nil, "", "fixtures", "show", tencentCmd, "--seed", "5", "-o", "json",
		"--set", "MsgBody.0.MsgContent.Text=hi", "--set", "UnreadMsgNum=3", "--set", `From_Account="42"`, "--set", "To_Account=42x")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	var p struct {
		From_Account any
		To_Account   any
		UnreadMsgNum any
		MsgBody      []struct{ MsgContent map[string]any }
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	if p.From_Account != "42" {
		t.Errorf(`--set From_Account='"42"' gave %#v, want the string "42"`, p.From_Account)
	}
	if p.To_Account != "42x" {
		t.Errorf("--set To_Account=42x gave %#v, want the string", p.To_Account)
	}
	if p.UnreadMsgNum != float64(3) {
		t.Errorf("--set UnreadMsgNum=3 gave %#v, want the number 3", p.UnreadMsgNum)
	}
	if len(p.MsgBody) == 0 || p.MsgBody[0].MsgContent["Text"] != "hi" {
		t.Errorf("--set MsgBody.0.MsgContent.Text=hi gave %+v", p.MsgBody)
	}
	if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 {
		t.Errorf("-o json is not one line:\n%s", r.stdout)
	}
	// The same --set reaches the wire in simulate.
	be := newBackend(t, reply{body: tencentOK})
	runCmd(t, nil, "", "simulate", tencentCmd, "--target", be.URL, "--set", "UnreadMsgNum=3", "--set", `From_Account="42"`)
	if be.hits() != 1 || !bytes.Contains(be.bodies[0], []byte(`"UnreadMsgNum":3`)) || !bytes.Contains(be.bodies[0], []byte(`"From_Account":"42"`)) {
		t.Errorf("simulate --set sent %s", be.bodies)
	}
	// A bad --set is a usage error.
	if r := runCmd(t, nil, "", "fixtures", "show", tencentCmd, "--set", "novalue"); r.code != ExitUsage {
		t.Errorf("--set without =: %s", r)
	}
	// The sample, as a reader can check it.
	r = runCmd(t, nil, "", "fixtures", "show", "Group.CallbackAfterReadReceipt", "--sample", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"EventTime":"1670574414123"`) {
		t.Errorf("--sample\n%s", r)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := runCmd(t, nil, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "imhook ") {
		t.Errorf("%s", r)
	}
	r = runCmd(t, nil, "", "version", "-o", "json")
	var v map[string]string
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || v["version"] == "" || v["go"] == "" {
		t.Errorf("%s", r)
	}
}

// A cancelled context (SIGINT) is exit 130.
func TestInterrupted(t *testing.T) {
	t.Parallel()
	url := rawListener(t, func(*net.TCPConn) {})
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(150*time.Millisecond, cancel)
	code := Run(ctx, &ui.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }},
		[]string{"simulate", tencentCmd, "--target", url})
	if code != ExitInterrupted {
		t.Errorf("exit %d, want 130\n%s%s", code, out.String(), errOut.String())
	}
}

// The target accepts, reads the request and closes without a word: reached,
// so exit 1 with verdict error.
func TestSimulateClosedWithoutReply(t *testing.T) {
	t.Parallel()
	url := rawListener(t, func(c *net.TCPConn) { c.Close() })
	r := runCmd(t, nil, "", "simulate", openimCmd, "--target", url, "-o", "json")
	if r.code != ExitContract {
		t.Fatalf("exit %d, want 1\n%s", r.code, r)
	}
	recs := records(t, r)
	if len(recs) != 1 || recs[0].Verdict != record.NoReply || !strings.Contains(recs[0].Error, "closed") {
		t.Fatalf("records %+v", recs)
	}
	if !strings.Contains(r.stderr, "1 callback(s): 0 passed, 0 failed, 1 without reply") {
		t.Errorf("summary\n%s", r)
	}
}

// Text output: a line per exchange with the findings beneath; -q keeps only
// the failures.
func TestSimulateTextOutput(t *testing.T) {
	t.Parallel()
	fail := newBackend(t, reply{body: `{"ActionStatus":"FAIL","ErrorInfo":"db down","ErrorCode":1}`})
	r := runCmd(t, nil, "", "simulate", tencentCmd, "--target", fail.URL)
	if r.code != 1 {
		t.Fatalf("%s", r)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "--> tencent C2C.CallbackAfterSendMsg  <-- 200 ") || !strings.HasSuffix(lines[0], "  FAIL") ||
		!strings.HasPrefix(lines[1], "      error response.refused ActionStatus: ") {
		t.Errorf("text output\n%s", r)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("colour on a non-terminal\n%s", r)
	}
	if !strings.Contains(r.stderr, "1 callback(s): 0 passed, 1 failed, 0 without reply\nlatency    p50 ") {
		t.Errorf("summary\n%s", r)
	}
	// --color always colours; NO_COLOR does not beat it.
	r = runCmd(t, map[string]string{"NO_COLOR": "1"}, "", "simulate", tencentCmd, "--target", fail.URL, "--color", "always")
	if !strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("--color always gave no colour\n%s", r)
	}
	ok := newBackend(t, reply{body: tencentOK})
	r = runCmd(t, nil, "", "simulate", "--all", "--vendor", "tencent", "--target", ok.URL, "-q")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("-q on a passing run printed something\n%s", r)
	}
}

// TLS failures cannot reach the backend at all: exit 3.
func TestSimulateTLSUnreachable(t *testing.T) {
	t.Parallel()
	plain := newBackend(t, reply{body: tencentOK})
	r := runCmd(t, nil, "", "simulate", tencentCmd, "--target", strings.Replace(plain.URL, "http://", "https://", 1))
	if r.code != ExitUnreachable || !strings.Contains(r.stderr, "does not speak TLS") {
		t.Errorf("https to a plain-HTTP server\n%s", r)
	}
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, tencentOK) }))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	r = runCmd(t, nil, "", "simulate", tencentCmd, "--target", tlsSrv.URL)
	if r.code != ExitUnreachable || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("https with an unknown certificate\n%s", r)
	}
}

// --now anchors generated times; --seed alone anchors them at 2026-01-01.
func TestFixturesShowNow(t *testing.T) {
	t.Parallel()
	msgTime := func(args ...string) int64 {
		t.Helper()
		r := runCmd(t, nil, "", append([]string{"fixtures", "show", tencentCmd, "-o", "json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("%v\n%s", args, r)
		}
		var p struct{ MsgTime int64 }
		if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
			t.Fatal(err)
		}
		return p.MsgTime
	}
	for _, tc := range []struct {
		args []string
		at   int64
	}{
		{[]string{"--seed", "1"}, 1767225600},
		{[]string{"--seed", "1", "--now", "2026-05-01T12:00:00Z"}, 1777636800},
		{[]string{"--now", "1700000000"}, 1700000000},
		{[]string{"--now", "now"}, time.Now().Unix()},
		{nil, time.Now().Unix()},
	} {
		if got := msgTime(tc.args...); got > tc.at+1 || got < tc.at-300 {
			t.Errorf("%v: MsgTime %d, want within 5 minutes before %d", tc.args, got, tc.at)
		}
	}
	if r := runCmd(t, nil, "", "fixtures", "show", tencentCmd, "--now", "yesterday"); r.code != ExitUsage || !strings.Contains(r.stderr, "--now") {
		t.Errorf("bad --now\n%s", r)
	}
}

// A record file that cannot take the records (a full disk: /dev/full) is a
// usage error naming the file, for one callback, a load run and a replay.
func TestRecordToFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	in := filepath.Join(t.TempDir(), "in.jsonl")
	if r := runCmd(t, nil, "", "simulate", "C2C.CallbackAfterSendMsg", "--record", in, "-q"); r.code != 0 {
		t.Fatalf("recording the replay's input: %s", r)
	}
	for _, args := range [][]string{
		{"simulate", "C2C.CallbackAfterSendMsg"},
		{"simulate", "C2C.CallbackAfterSendMsg", "--count", "20", "--concurrency", "4"},
		{"replay", in},
	} {
		r := runCmd(t, nil, "", append(args, "--record", "/dev/full", "-q")...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "--record /dev/full") || !strings.Contains(r.stderr, "no space left") {
			t.Errorf("%v: want exit %d naming --record /dev/full and the full disk, got %s", args, ExitUsage, r)
		}
	}
}

// toBoth sends every vendor's callbacks to one URL (imhook's own receiver
// serves both).
func toBoth(url string) []string {
	return []string{"--target", "tencent=" + url, "--target", "openim=" + url}
}

// --openim-version main shows the ?key= query on the three after-send
// callbacks, and no other callback carries it.
func TestOpenIMMainDryRunShowsKey(t *testing.T) {
	r := runCmd(t, nil, "", "simulate", "callbackAfterSendSingleMsgCommand", "callbackAfterSendGroupMsgCommand", "callbackAfterMsgSaveDBCommand",
		"callbackBeforeSendSingleMsgCommand", "--openim-version", "main", "--dry-run", "--seed", "3", "--target", "http://127.0.0.1:10006/callbackExample")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, cmd := range []string{"callbackAfterSendSingleMsgCommand", "callbackAfterSendGroupMsgCommand", "callbackAfterMsgSaveDBCommand"} {
		if !strings.Contains(r.stdout, "POST http://127.0.0.1:10006/callbackExample/"+cmd+"?key=") {
			t.Errorf("no ?key= on %s:\n%s", cmd, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "callbackBeforeSendSingleMsgCommand?") {
		t.Errorf("the before-callback carries a query:\n%s", r.stdout)
	}
	// A release before main sends no key.
	r = runCmd(t, nil, "", "simulate", "callbackAfterSendSingleMsgCommand", "--openim-version", "v3.8.3-patch.16", "--dry-run", "--target", "http://127.0.0.1:10006/callbackExample")
	if r.code != 0 || strings.Contains(r.stdout, "?key=") {
		t.Errorf("v3.8.3-patch.16: %s", r)
	}
}

// --retry-on-timeout sends a Tencent after-callback again, with the same
// body, when its reply missed the budget; the run still fails (the first
// reply was late), and the flag does not go with a load run.
func TestRetryOnTimeout(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n == 1 { // past the budget: until the client gives up
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
		io.WriteString(w, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	}))
	defer srv.Close()
	r := runCmd(t, nil, "", "simulate", "C2C.CallbackAfterSendMsg", "--target", srv.URL, "--timeout", "50ms", "--retry-on-timeout", "-o", "json")
	recs := records(t, r)
	mu.Lock()
	defer mu.Unlock()
	if r.code != 1 || len(recs) != 2 || len(bodies) != 2 || bodies[0] != bodies[1] || recs[1].Verdict != record.Pass {
		t.Fatalf("%d requests\n%s", len(bodies), r)
	}
	if !strings.Contains(r.stdout, `"rule":"request.retry"`) {
		t.Errorf("the retry's record does not say so:\n%s", r.stdout)
	}
	if r := runCmd(t, nil, "", "simulate", "C2C.CallbackAfterSendMsg", "--count", "2", "--retry-on-timeout", "--target", srv.URL); r.code != 2 {
		t.Errorf("with --count: %s", r)
	}
}
