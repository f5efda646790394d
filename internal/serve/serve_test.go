package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// start runs a receiver on a real loopback listener and collects its records.
func start(t *testing.T, cfg Config) (*Server, func() []*record.Record) {
	t.Helper()
	var mu sync.Mutex
	var recs []*record.Record
	cfg.Record = func(r *record.Record) error {
		mu.Lock()
		defer mu.Unlock()
		recs = append(recs, r)
		return nil
	}
	srv, err := Start("127.0.0.1:0", NewHandler(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return srv, func() []*record.Record {
		mu.Lock()
		defer mu.Unlock()
		return append([]*record.Record(nil), recs...)
	}
}

func entry(t testing.TB, cmd string) *fixtures.Entry {
	e, _, ok := fixtures.Default().Lookup(cmd)
	if !ok {
		t.Fatalf("no entry %s", cmd)
	}
	return e
}

func body(t testing.TB, cmd string) []byte {
	b, err := generate.Generate(entry(t, cmd), generate.GenOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// send builds the request as the platform does and posts it.
func send(t *testing.T, srv *Server, cmd string, b []byte, p platform.Params) (int, []byte) {
	t.Helper()
	e := entry(t, cmd)
	req, err := platform.For(e.Vendor).NewRequest(srv.URL, e.Command, b, p)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func rules(r *record.Record) string {
	var s []string
	for _, f := range r.Findings {
		s = append(s, string(f.Severity)+":"+f.Rule)
	}
	return strings.Join(s, " ")
}

const (
	sendMsg = "C2C.CallbackAfterSendMsg"
	readCmd = "callbackAfterGroupMsgReadCommand"
)

func TestAnswersEachVendorInItsShape(t *testing.T) {
	for _, tc := range []struct {
		mode            string
		tencent, openim string
	}{
		{platform.ReplyOK, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`},
		{platform.ReplyFail, `"ActionStatus":"FAIL"`, `"actionCode":1`},
		{platform.ReplyReject, `"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1`, `"nextCode":1`},
		{platform.ReplyDiscard, `"ErrorCode":2`, `"nextCode":1`},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			srv, recs := start(t, Config{Respond: tc.mode})
			st, got := send(t, srv, sendMsg, body(t, sendMsg), platform.Params{})
			if st != 200 || !strings.Contains(string(got), tc.tencent) {
				t.Errorf("tencent %s: %d %s, want %s", tc.mode, st, got, tc.tencent)
			}
			st, got = send(t, srv, readCmd, body(t, readCmd), platform.Params{})
			if st != 200 || !strings.Contains(string(got), tc.openim) {
				t.Errorf("openim %s: %d %s, want %s", tc.mode, st, got, tc.openim)
			}
			rs := recs()
			if len(rs) != 2 || rs[0].Vendor != "tencent" || rs[1].Vendor != "openim" || rs[0].Verdict != record.Pass {
				t.Fatalf("records: %+v", rs)
			}
			if !bytes.Equal(rs[0].Response.Body, []byte(mustReply(t, srv, tc.mode))) && tc.mode == platform.ReplyOK {
				t.Errorf("recorded reply %s", rs[0].Response.Body)
			}
		})
	}
}

func mustReply(t *testing.T, _ *Server, mode string) string {
	return string(platform.Tencent.ReplyBody(mode, ""))
}

func TestTencentChecks(t *testing.T) {
	now := time.Now()
	good := platform.Params{SdkAppID: "1400000001", Token: "xxxxyyyy"}
	cases := []struct {
		name     string
		params   platform.Params
		query    func(string) string // rewrites the URL
		wantFail bool
		wantRule string
	}{
		{name: "good", params: good},
		{name: "wrong sdkappid", params: platform.Params{SdkAppID: "1400000002", Token: "xxxxyyyy"}, wantFail: true, wantRule: "error:" + platform.RuleSdkAppID},
		{name: "bad sign", params: platform.Params{SdkAppID: "1400000001", Token: "other"}, wantFail: true, wantRule: "error:" + platform.RuleSign},
		{name: "no sign", params: platform.Params{SdkAppID: "1400000001"}, wantFail: true, wantRule: "error:" + platform.RuleSign},
		{name: "stale", params: platform.Params{SdkAppID: "1400000001", Token: "xxxxyyyy", Now: func() time.Time { return now.Add(-10 * time.Minute) }}, wantFail: true, wantRule: "error:" + platform.RuleRequestTime},
		{name: "future", params: platform.Params{SdkAppID: "1400000001", Token: "xxxxyyyy", Now: func() time.Time { return now.Add(2 * time.Minute) }}, wantFail: true, wantRule: "error:" + platform.RuleRequestTime},
		{name: "upper-case sign", params: good, query: func(u string) string {
			i := strings.Index(u, "Sign=")
			return u[:i+5] + strings.ToUpper(u[i+5:i+69]) + u[i+69:]
		}},
		{name: "undocumented platform", params: platform.Params{SdkAppID: "1400000001", Token: "xxxxyyyy", OptPlatform: "Symbian"}, wantRule: "warning:" + platform.RuleOptPlatform},
		{name: "no contenttype", params: good, query: func(u string) string { return strings.Replace(u, "&contenttype=json", "", 1) }, wantRule: "warning:" + platform.RuleContentType},
		{name: "no ClientIP", params: good, query: func(u string) string { return strings.Replace(u, "&ClientIP=127.0.0.1", "", 1) }, wantRule: "warning:" + platform.RuleClientIP},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, recs := start(t, Config{Expect: platform.Expect{SdkAppID: "1400000001", Token: "xxxxyyyy"}})
			e := entry(t, sendMsg)
			req, err := platform.Tencent.NewRequest(srv.URL, e.Command, body(t, sendMsg), tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if tc.query != nil {
				req, _ = http.NewRequest(http.MethodPost, tc.query(req.URL.String()), bytes.NewReader(body(t, sendMsg)))
			}
			st, got := do(t, req)
			status := gjson.GetBytes(got, "ActionStatus").Str
			if st != 200 || (status == "FAIL") != tc.wantFail {
				t.Fatalf("%d %s, want FAIL=%v", st, got, tc.wantFail)
			}
			r := recs()[0]
			if tc.wantRule != "" && !strings.Contains(rules(r), tc.wantRule) {
				t.Errorf("findings %q, want %s", rules(r), tc.wantRule)
			}
			if tc.wantRule == "" && len(r.Findings) > 0 {
				t.Errorf("unexpected findings %q", rules(r))
			}
		})
	}
}

func TestBodyChecksAndRefusals(t *testing.T) {
	srv, recs := start(t, Config{})
	// Not JSON: refused in the vendor's shape.
	st, got := send(t, srv, sendMsg, []byte(`{"CallbackCommand": "C2C.CallbackAfterSendMsg", // comment`), platform.Params{})
	if st != 200 || gjson.GetBytes(got, "ActionStatus").Str != "FAIL" {
		t.Errorf("not JSON: %d %s", st, got)
	}
	st, got = send(t, srv, readCmd, []byte(`<html>`), platform.Params{})
	if st != 200 || gjson.GetBytes(got, "actionCode").Int() != 1 {
		t.Errorf("openim not JSON: %d %s", st, got)
	}
	// A schema error is reported but answered per --respond (ok).
	bad := []byte(strings.Replace(string(body(t, sendMsg)), `"MsgSeq":`, `"MsgSeq":-`, 1))
	st, got = send(t, srv, sendMsg, bad, platform.Params{})
	if st != 200 || gjson.GetBytes(got, "ActionStatus").Str != "OK" {
		t.Errorf("bad MsgSeq: %d %s", st, got)
	}
	rs := recs()
	if !strings.Contains(rules(rs[0]), "error:payload.json") || !strings.Contains(rules(rs[2]), "error:payload.range") || rs[2].Verdict != record.Fail {
		t.Errorf("findings: %q / %q", rules(rs[0]), rules(rs[2]))
	}
}

func TestOpenIMRecognition(t *testing.T) {
	srv, recs := start(t, Config{})
	post := func(path, b string, hdr bool) []byte {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(b))
		if hdr {
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
			req.Header.Set("operationID", "1")
		}
		_, got := do(t, req)
		return got
	}
	good := string(body(t, readCmd))
	legacy := strings.Replace(good, "callbackAfterGroupMsgReadCommand", "callbackGroupMsgReadCommand", 1)
	post("/callbackExample/callbackAfterGroupMsgReadCommand", good, true)                                                                                                     // v3.7+
	post("/callbackExample/callbackGroupMsgReadCommand", legacy, true)                                                                                                        // v3.4.2-v3.6
	post("/callbackExample/callbackAfterGroupMsgReadCommand", legacy, true)                                                                                                   // the document's own mix
	got := post("/callbackExample/callbackAfterGroupMsgReadCommand", strings.Replace(good, "callbackAfterGroupMsgReadCommand", "callbackAfterSingleMsgReadCommand", 1), true) // disagree
	post("/cb?command=callbackAfterGroupMsgReadCommand", good, true)                                                                                                          // v3.0-v3.4.0
	post("/callbackExample/callbackNoSuchCommand", good, true)
	rs := recs()
	want := []struct {
		verdict record.Verdict
		rule    string
	}{
		{record.Pass, ""},
		{record.Pass, "warning:quirk.legacy_command"},
		{record.Pass, "warning:quirk.legacy_command"},
		{record.Fail, "error:" + platform.RuleCommand},
		{record.Pass, ""},
		{record.Fail, "error:" + RuleUnknown},
	}
	for i, w := range want {
		if rs[i].Verdict != w.verdict || !strings.Contains(rules(rs[i]), w.rule) {
			t.Errorf("request %d: %s %q, want %s %s", i, rs[i].Verdict, rules(rs[i]), w.verdict, w.rule)
		}
	}
	if gjson.GetBytes(got, "actionCode").Int() != 1 {
		t.Errorf("mismatched command answered %s", got)
	}
	if rs[0].Command != readCmd || rs[1].Command != readCmd {
		t.Errorf("commands %s %s", rs[0].Command, rs[1].Command)
	}
}

func TestNotACallbackMethodAndSize(t *testing.T) {
	srv, recs := start(t, Config{MaxBody: 1024})
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" || !strings.Contains(string(b), "POST") {
		t.Errorf("GET: %d %q", resp.StatusCode, b)
	}
	st, b := do(t, mustReq(t, srv.URL+"/hello", "{}"))
	if st != 404 || !strings.Contains(string(b), "CallbackCommand") {
		t.Errorf("not a callback: %d %s", st, b)
	}
	st, _ = send(t, srv, sendMsg, bytes.Repeat([]byte("x"), 2048), platform.Params{})
	if st != 413 {
		t.Errorf("large body: %d", st)
	}
	rs := recs()
	if len(rs) != 3 || rs[0].Findings[0].Rule != RuleMethod || rs[1].Findings[0].Rule != RuleNotCommand || rs[2].Findings[0].Rule != RuleTooLarge {
		t.Errorf("records: %v / %v / %v", rules(rs[0]), rules(rs[1]), rules(rs[2]))
	}
}

func mustReq(t *testing.T, url, b string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestReplyFilesDelayAndFailRate(t *testing.T) {
	modified := []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"***"}}]}`)
	srv, _ := start(t, Config{ReplyFiles: map[string][]byte{"c2c.callbackaftersendmsg": modified}, Delay: 150 * time.Millisecond})
	t0 := time.Now()
	_, got := send(t, srv, sendMsg, body(t, sendMsg), platform.Params{})
	if !bytes.Equal(got, modified) {
		t.Errorf("reply file: %s", got)
	}
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Errorf("answered after %s, want the 150ms delay", d)
	}
	_, got = send(t, srv, readCmd, body(t, readCmd), platform.Params{})
	if gjson.GetBytes(got, "actionCode").Int() != 0 {
		t.Errorf("other command got %s", got)
	}
	srv2, _ := start(t, Config{FailRate: 1})
	_, got = send(t, srv2, sendMsg, body(t, sendMsg), platform.Params{})
	if gjson.GetBytes(got, "ActionStatus").Str != "FAIL" {
		t.Errorf("fail-rate 1: %s", got)
	}
}

// A record that cannot be written is not acknowledged.
func TestUnrecordedIsNotAcknowledged(t *testing.T) {
	h := NewHandler(Config{Record: func(*record.Record) error { return os.ErrClosed }})
	srv, err := Start("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	st, _ := send(t, srv, sendMsg, body(t, sendMsg), platform.Params{})
	if st != 500 {
		t.Errorf("status %d, want 500", st)
	}
}

// Concurrent load against a recording receiver: every line parses and every
// request answered 200 is in the file.
func TestConcurrentRecording(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	w, err := record.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start("127.0.0.1:0", NewHandler(Config{Record: w.Write}))
	if err != nil {
		t.Fatal(err)
	}
	e := entry(t, sendMsg)
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]bool{}
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				b, _ := generate.Generate(e, generate.GenOptions{Seed: uint64(g*1000 + i)})
				req, _ := platform.Tencent.NewRequest(srv.URL, e.Command, b, platform.Params{})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					acked[gjson.GetBytes(b, "MsgKey").Str] = true
					mu.Unlock()
				}
			}
		}(g)
	}
	wg.Wait()
	_ = srv.Shutdown(context.Background())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var r record.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d does not parse: %v", i+1, err)
		}
		seen[gjson.GetBytes(r.Request.Body, "MsgKey").Str] = true
	}
	for k := range acked {
		if !seen[k] {
			t.Errorf("acknowledged %s is not in the record file", k)
		}
	}
	if len(acked) != 800 {
		t.Errorf("%d acknowledged, want 800", len(acked))
	}
}

// With Strict a request whose body has a field the document does not list
// is a failed exchange in the record; the answer is the same.
func TestStrictMarksUnknownFieldsFailed(t *testing.T) {
	b, _ := sjson.SetRawBytes(body(t, sendMsg), "Extra", []byte("1"))
	for _, strict := range []bool{false, true} {
		srv, recs := start(t, Config{Strict: strict})
		status, reply := send(t, srv, sendMsg, b, platform.Params{SdkAppID: platform.DefaultSdkAppID})
		rs := recs()
		want := record.Pass
		if strict {
			want = record.Fail
		}
		if status != 200 || !strings.Contains(string(reply), `"ActionStatus":"OK"`) || len(rs) != 1 || rs[0].Verdict != want ||
			!strings.Contains(rules(rs[0]), "info:payload.unknown_field") {
			t.Errorf("strict %v: %d %s %+v", strict, status, reply, rs)
		}
	}
}
