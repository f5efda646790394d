package inspect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/record"
)

func rec(vendor, command string, verdict record.Verdict, outcome record.Outcome, body string) *record.Record {
	return &record.Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Vendor: vendor, Command: command,
		Request:  &record.Message{Method: "POST", URL: "http://127.0.0.1:9000/?SdkAppid=1&CallbackCommand=" + command, Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)},
		Response: &record.Message{Status: 200, Headers: http.Header{}, Body: []byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`), LatencyMS: 1.5},
		Findings: []record.Finding{{Severity: record.Warning, Rule: "payload.rule.msg_key", Path: "MsgKey", Message: "m"}},
		Verdict:  verdict, Outcome: outcome}
}

func get(t *testing.T, h http.Handler, target string, hdr ...string) (int, []byte, http.Header) {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	req.Host = "127.0.0.1:9001"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes(), w.Header()
}

func ids(t *testing.T, b []byte) string {
	t.Helper()
	var out struct{ Exchanges []Summary }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var s []string
	for _, e := range out.Exchanges {
		s = append(s, fmt.Sprint(e.ID))
	}
	return strings.Join(s, ",")
}

func TestListAndFilters(t *testing.T) {
	in := New(Config{})
	in.Add(rec("tencent", "C2C.CallbackAfterSendMsg", record.Pass, record.OutcomeOK, `{}`))
	in.Add(rec("openim", "callbackAfterGroupMsgReadCommand", record.Fail, "", `{}`))
	in.Add(rec("tencent", "C2C.CallbackBeforeSendMsg", record.Pass, record.OutcomeReject, `{}`))
	in.Add(rec("tencent", "C2C.CallbackAfterSendMsg", record.NoReply, "", `{}`))
	h := in.Handler()
	for q, want := range map[string]string{
		"":                                  "1,2,3,4",
		"?vendor=tencent":                   "1,3,4",
		"?command=c2c.callbackaftersendmsg": "1,4",
		"?verdict=fail":                     "2",
		"?verdict=error":                    "4",
		"?outcome=none":                     "2,4",
		"?outcome=reject":                   "3",
		"?vendor=tencent&outcome=none":      "4",
		"?after=2":                          "3,4",
	} {
		code, b, _ := get(t, h, "/api/exchanges"+q)
		if code != 200 || ids(t, b) != want {
			t.Errorf("%q: %d %s, want ids %s", q, code, ids(t, b), want)
		}
	}
	for _, q := range []string{"?verdict=maybe", "?after=x"} {
		if code, b, _ := get(t, h, "/api/exchanges"+q); code != 400 || !bytes.Contains(b, []byte("error")) {
			t.Errorf("%q: %d %s", q, code, b)
		}
	}
	// The summary carries what the list shows.
	_, b, _ := get(t, h, "/api/exchanges?after=3")
	var out struct{ Exchanges []Summary }
	_ = json.Unmarshal(b, &out)
	if s := out.Exchanges[0]; s.Status != 200 || s.Warnings != 1 || s.LatencyMS != 1.5 || s.Method != "POST" {
		t.Errorf("summary %+v", s)
	}
}

func TestOneExchangeAndBounds(t *testing.T) {
	in := New(Config{Keep: 3})
	big := `{"MsgSeq":12345678901234567890,"b":[1,2]}`
	for i := 0; i < 5; i++ {
		in.Add(rec("tencent", "C2C.CallbackAfterSendMsg", record.Pass, record.OutcomeOK, big))
	}
	h := in.Handler()
	if _, b, _ := get(t, h, "/api/exchanges"); ids(t, b) != "3,4,5" {
		t.Errorf("kept %s, want the last three", ids(t, b))
	}
	if code, b, _ := get(t, h, "/api/exchanges/2"); code != 404 || !bytes.Contains(b, []byte("keeps the last 3")) {
		t.Errorf("a dropped exchange: %d %s", code, b)
	}
	code, b, _ := get(t, h, "/api/exchanges/4")
	var x struct {
		Summary Summary
		Record  record.Record
		Bodies  Bodies
	}
	if err := json.Unmarshal(b, &x); code != 200 || err != nil {
		t.Fatalf("%d %v %s", code, err, b)
	}
	if x.Summary.ID != 4 || x.Record.Command != "C2C.CallbackAfterSendMsg" || len(x.Record.Findings) != 1 {
		t.Errorf("exchange %+v", x)
	}
	// The pretty body keeps the number as it came.
	if !strings.Contains(x.Bodies.Request, "12345678901234567890") || !strings.Contains(x.Bodies.Request, "\n  \"b\"") {
		t.Errorf("pretty request body %q", x.Bodies.Request)
	}
	// MaxBytes bounds the kept records too.
	small := New(Config{Keep: 100, MaxBytes: 2000})
	for i := 0; i < 20; i++ {
		small.Add(rec("tencent", "C2C.CallbackAfterSendMsg", record.Pass, record.OutcomeOK, `{"x":"`+strings.Repeat("y", 500)+`"}`))
	}
	if n := len(small.List(Filter{})); n == 0 || n > 3 {
		t.Errorf("%d kept within 2000 bytes", n)
	}
}

func TestEvents(t *testing.T) {
	in := New(Config{})
	in.Add(rec("tencent", "C2C.CallbackAfterSendMsg", record.Pass, record.OutcomeOK, `{}`))
	srv := httptest.NewServer(in.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events?after=0", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	next := func() Summary {
		t.Helper()
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var s Summary
				if err := json.Unmarshal([]byte(d), &s); err != nil {
					t.Fatal(err)
				}
				return s
			}
		}
		t.Fatalf("the stream ended: %v", sc.Err())
		return Summary{}
	}
	// The kept exchange after 0 first, then the new ones as they come.
	if s := next(); s.ID != 1 {
		t.Errorf("first event %+v", s)
	}
	// The page subscribed before it was sent the kept exchange: the next
	// one is live.
	in.Add(rec("openim", "callbackAfterGroupMsgReadCommand", record.Fail, "", `{}`))
	if s := next(); s.ID != 2 || s.Vendor != "openim" || s.Verdict != record.Fail {
		t.Errorf("live event %+v", s)
	}
}

func TestDoc(t *testing.T) {
	h := New(Config{}).Handler()
	code, b, _ := get(t, h, "/api/doc/c2c.callbackaftersendmsg")
	var d Doc
	if err := json.Unmarshal(b, &d); code != 200 || err != nil {
		t.Fatalf("%d %v", code, err)
	}
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	if d.Text != fixtures.Describe(e, nil, nil) || d.Command != e.Command {
		t.Errorf("doc text differs from fixtures show --doc's")
	}
	if !strings.Contains(d.Rules["payload.rule.msg_key"], "MsgKey is MsgSeq_MsgRandom_MsgTime") {
		t.Errorf("rules %v", d.Rules)
	}
	if code, _, _ := get(t, h, "/api/doc/NoSuchThing"); code != 404 {
		t.Errorf("unknown command: %d", code)
	}
}

func TestDownload(t *testing.T) {
	in := New(Config{Keep: 2})
	for i := 0; i < 3; i++ {
		in.Add(rec("tencent", "C2C.CallbackAfterSendMsg", record.Pass, record.OutcomeOK, fmt.Sprintf(`{"n":%d}`, i)))
	}
	code, b, hdr := get(t, in.Handler(), "/api/recording.jsonl")
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if code != 200 || len(lines) != 2 || !strings.Contains(lines[1], `"n":2`) || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
		t.Errorf("without a file: %d %q", code, b)
	}
	// With a record file: the file as it is, less a line being written.
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	content := "{\"a\":1}\n{\"b\":2}\n{\"c\":"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	in = New(Config{RecordFile: path})
	if code, b, _ := get(t, in.Handler(), "/api/recording.jsonl"); code != 200 || string(b) != "{\"a\":1}\n{\"b\":2}\n" {
		t.Errorf("with a file: %d %q", code, b)
	}
	// A long file streams through in pieces.
	var long bytes.Buffer
	for long.Len() < 3<<20 {
		long.WriteString(`{"line":"` + strings.Repeat("z", 1000) + "\"}\n")
	}
	_ = os.WriteFile(path, long.Bytes(), 0o644)
	if _, b, _ := get(t, in.Handler(), "/api/recording.jsonl"); !bytes.Equal(b, long.Bytes()) {
		t.Errorf("a %d-byte file came as %d bytes", long.Len(), len(b))
	}
}

func TestGuard(t *testing.T) {
	h := New(Config{}).Handler()
	req := httptest.NewRequest("GET", "/api/exchanges", nil)
	req.Host = "evil.example:9001"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 403 {
		t.Errorf("a foreign Host: %d", w.Code)
	}
	for _, host := range []string{"localhost:9001", "[::1]:9001", "127.0.0.1"} {
		req.Host = host
		w = httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			t.Errorf("Host %s: %d", host, w.Code)
		}
	}
	code, _, hdr := get(t, h, "/")
	if code != 200 || !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("page: %d CSP %q", code, hdr.Get("Content-Security-Policy"))
	}
	// POST must be JSON (no cross-site form posts).
	preq := httptest.NewRequest("POST", "/api/exchanges/1/resend", strings.NewReader("target=x"))
	preq.Host = "127.0.0.1"
	preq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, preq)
	if w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("a form POST: %d", w.Code)
	}

	th := New(Config{Token: "s3cret"}).Handler()
	if code, b, _ := get(t, th, "/api/exchanges"); code != 401 || !bytes.Contains(b, []byte("token")) {
		t.Errorf("no token: %d %s", code, b)
	}
	if code, _, _ := get(t, th, "/api/exchanges", "Authorization", "Bearer wrong"); code != 401 {
		t.Errorf("a wrong token: %d", code)
	}
	if code, _, _ := get(t, th, "/api/exchanges", "Authorization", "Bearer s3cret"); code != 200 {
		t.Errorf("bearer: %d", code)
	}
	code, _, hdr = get(t, th, "/?token=s3cret")
	cookie := hdr.Get("Set-Cookie")
	if code != 200 || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
		t.Fatalf("?token: %d cookie %q", code, cookie)
	}
	if code, _, _ := get(t, th, "/api/exchanges", "Cookie", strings.Split(cookie, ";")[0]); code != 200 {
		t.Errorf("cookie: %d", code)
	}
	// With a token, the Host is checked too: an IP address, a loopback
	// name or the --ui address's name (Hosts); any other name may be a page
	// of another site made to resolve here (DNS rebinding).
	nh := New(Config{Token: "s3cret", Hosts: []string{"devbox.lan"}}).Handler()
	for host, want := range map[string]int{"inspector.example": 403, "inspector.example:9001": 403, "10.0.0.5:9001": 200, "[fd00::5]:9001": 200,
		"localhost:9001": 200, "devbox.lan:9001": 200, "DEVBOX.lan": 200, "devbox.lan.evil.example": 403} {
		req = httptest.NewRequest("GET", "/api/exchanges", nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer s3cret")
		w = httptest.NewRecorder()
		nh.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("token and Host %s: %d, want %d", host, w.Code, want)
		}
	}
	// A POST from another page is refused (Origin, Sec-Fetch-Site), with or
	// without the token; the exact media type is required.
	for _, c := range []struct {
		handler     http.Handler
		ctype       string
		hdr         []string
		want        int
		description string
	}{
		{h, "application/json", []string{"Origin", "http://evil.example"}, 403, "another origin"},
		{h, "application/json", []string{"Origin", "http://127.0.0.1:9999"}, 403, "another port"},
		{h, "application/json", []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross-site"},
		{h, "application/json", []string{"Sec-Fetch-Site", "same-site"}, 403, "same-site"},
		{th, "application/json", []string{"Origin", "http://evil.example", "Authorization", "Bearer s3cret"}, 403, "another origin with the token"},
		{h, "application/jsonfoo", []string{"Origin", "http://127.0.0.1"}, 415, "application/jsonfoo"},
		{h, "application/json-patch+json", nil, 415, "another JSON type"},
		{h, "application/json; charset=utf-8", []string{"Origin", "http://127.0.0.1", "Sec-Fetch-Site", "same-origin"}, 404, "the page's own POST"},
		{h, "application/json", nil, 404, "a client that is not a browser"},
	} {
		req := httptest.NewRequest("POST", "/api/exchanges/1/resend", strings.NewReader("{}"))
		req.Host = "127.0.0.1"
		req.Header.Set("Content-Type", c.ctype)
		for i := 0; i < len(c.hdr); i += 2 {
			req.Header.Set(c.hdr[i], c.hdr[i+1])
		}
		w := httptest.NewRecorder()
		c.handler.ServeHTTP(w, req)
		if w.Code != c.want { // 404: past the guard, resending is off
			t.Errorf("%s: %d, want %d (%s)", c.description, w.Code, c.want, strings.TrimSpace(w.Body.String()))
		}
	}
}

// Resend replays a kept exchange with replay's code against a real receiver.
func TestResend(t *testing.T) {
	srv, err := serve.Start("127.0.0.1:0", serve.NewHandler(serve.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, _ := generate.Generate(e, generate.GenOptions{Seed: 3})
	req, _ := platform.Tencent.NewRequest(srv.URL, e.Command, body, platform.Params{SdkAppID: "1400000042"})
	r := rec("tencent", e.Command, record.Pass, record.OutcomeOK, string(body))
	r.Request.URL = req.URL.String()
	in := New(Config{Resend: &Resender{DefaultTarget: srv.URL}})
	in.Add(r)
	ts := httptest.NewServer(in.Handler())
	defer ts.Close()
	post := func(body string) (int, ResendResult, string) {
		resp, err := http.Post(ts.URL+"/api/exchanges/1/resend", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var res ResendResult
		_ = json.Unmarshal(b, &res)
		return resp.StatusCode, res, string(b)
	}
	code, res, raw := post(`{}`)
	if code != 200 || res.Record == nil || res.Record.Verdict != record.Pass || res.Record.Response.Status != 200 {
		t.Fatalf("resend: %d %s", code, raw)
	}
	// The recorded query values are kept, as replay keeps them.
	if !strings.Contains(res.Record.Request.URL, "SdkAppid=1400000042") {
		t.Errorf("resent to %s", res.Record.Request.URL)
	}
	if code, _, raw := post(`{"target":"ftp://x"}`); code != 400 || !strings.Contains(raw, "not an http") {
		t.Errorf("a bad target: %d %s", code, raw)
	}
	if code, _, raw := post(`{"resign":true}`); code != 400 || !strings.Contains(raw, "--token") {
		t.Errorf("resign without a token: %d %s", code, raw)
	}
	if code, res, raw := post(`{"target":"http://127.0.0.1:1/"}`); code != 200 || !res.Unreachable {
		t.Errorf("an unreachable target: %d %s", code, raw)
	}
}

// A page that does not keep up loses its stream and resumes after the last
// id it saw (Last-Event-ID), missing nothing.
func TestEventsLaggingPage(t *testing.T) {
	in := New(Config{})
	ch := in.subscribe()
	for i := 0; i < cap(ch)+10; i++ {
		in.Add(rec("tencent", "C2C.CallbackAfterSendMsg", record.Pass, record.OutcomeOK, `{}`))
	}
	n := 0
	for range ch { // closed once it overflowed
		n++
	}
	in.mu.Lock()
	left := len(in.subs)
	in.mu.Unlock()
	if n != cap(ch) || left != 0 {
		t.Fatalf("%d events before the stream closed, %d subscribers left", n, left)
	}
	in.unsubscribe(ch) // harmless after the close
	srv := httptest.NewServer(in.Handler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events?after=0", nil)
	req.Header.Set("Last-Event-ID", fmt.Sprint(n))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var s Summary
			_ = json.Unmarshal([]byte(d), &s)
			if s.ID != int64(n)+1 {
				t.Errorf("resumed at %d, want %d", s.ID, n+1)
			}
			return
		}
	}
	t.Fatal("no event after the reconnection")
}
