package serve

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

type recorder struct {
	mu   sync.Mutex
	recs []*record.Record
}

func (r *recorder) add(rec *record.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
}

func gen(t *testing.T, command string) []byte {
	t.Helper()
	e, _, ok := fixtures.Default().Lookup(command)
	if !ok {
		t.Fatal(command)
	}
	b, err := simulate.Generate(e, simulate.GenOptions{Seed: 9, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rules(fs []record.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Severity+" "+f.Rule)
	}
	return strings.Join(out, ", ")
}

func TestHandler(t *testing.T) {
	tencentQ := "/?SdkAppid=1400000000&CallbackCommand=%s&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"
	cases := []struct {
		name, method, url, body string
		respond                 string
		status                  int
		reply                   string // the reply body holds this
		rules                   string // the record's findings
		command                 string
	}{
		{name: "tencent ok", method: "POST", url: strings.Replace(tencentQ, "%s", "C2C.CallbackAfterSendMsg", 1), body: string(gen(t, "C2C.CallbackAfterSendMsg")),
			status: 200, reply: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, command: "C2C.CallbackAfterSendMsg"},
		{name: "openim ok", method: "POST", url: "/cb/callbackAfterGroupMsgReadCommand?contenttype=json", body: string(gen(t, "callbackAfterGroupMsgReadCommand")),
			status: 200, reply: `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`, command: "callbackAfterGroupMsgReadCommand"},
		{name: "openim legacy name", method: "POST", url: "/cb/callbackGroupMsgReadCommand", body: `{"callbackCommand":"callbackGroupMsgReadCommand","sendID":"u","receiveID":"g","unreadMsgNum":1,"contentType":101}`,
			status: 200, reply: `"actionCode":0`, rules: "warning quirk.legacy_command, warning quirk.legacy_command", command: "callbackAfterGroupMsgReadCommand"},
		{name: "reject mode", respond: platform.ReplyReject, method: "POST", url: strings.Replace(tencentQ, "%s", "C2C.CallbackAfterMsgReport", 1), body: string(gen(t, "C2C.CallbackAfterMsgReport")),
			status: 200, reply: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1}`, command: "C2C.CallbackAfterMsgReport"},
		{name: "GET", method: "GET", url: "/", status: 405, reply: "callbacks are POST requests", rules: "error request.method"},
		{name: "not a callback", method: "POST", url: "/hello", body: "{}", status: 404, reply: "not a callback", rules: "error request.not_a_callback"},
		{name: "unknown tencent command", method: "POST", url: strings.Replace(tencentQ, "%s", "C2C.CallbackAfterSendMsgs", 1), body: "{}",
			status: 200, reply: `"ActionStatus":"FAIL"`, rules: "error request.unknown_command", command: "C2C.CallbackAfterSendMsgs"},
		{name: "openim path with a tencent name", method: "POST", url: "/cb/callbackAfterSendMsg", body: "{}",
			status: 200, reply: `"actionCode":1`, rules: "error request.unknown_command", command: "callbackAfterSendMsg"},
		{name: "bad JSON", method: "POST", url: strings.Replace(tencentQ, "%s", "C2C.CallbackAfterSendMsg", 1), body: `{"a":1,}`,
			status: 200, reply: `"ActionStatus":"FAIL"`, rules: "error payload.json", command: "C2C.CallbackAfterSendMsg"},
		{name: "empty body", method: "POST", url: "/x/callbackAfterGroupMsgReadCommand", body: ``,
			status: 200, reply: `"actionCode":1`, rules: "error payload.empty", command: "callbackAfterGroupMsgReadCommand"},
		{name: "too large", method: "POST", url: strings.Replace(tencentQ, "%s", "C2C.CallbackAfterSendMsg", 1), body: `{"x":"` + strings.Repeat("a", 2000) + `"}`,
			status: 413, reply: "larger than 1024 bytes", rules: "error request.too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			h := NewHandler(Config{Respond: tc.respond, MaxBody: 1024, OnRecord: rec.add})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, "http://127.0.0.1:9000"+tc.url, strings.NewReader(tc.body)))
			res := w.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status || !strings.Contains(string(body), tc.reply) {
				t.Errorf("reply %d %s, want %d holding %s", res.StatusCode, body, tc.status, tc.reply)
			}
			if tc.status == 405 && res.Header.Get("Allow") != "POST" {
				t.Errorf("405 without Allow: POST")
			}
			if len(rec.recs) != 1 {
				t.Fatalf("%d records", len(rec.recs))
			}
			r := rec.recs[0]
			if got := rules(r.Findings); got != tc.rules {
				t.Errorf("findings %q, want %q", got, tc.rules)
			}
			if r.Command != tc.command {
				t.Errorf("command %q, want %q", r.Command, tc.command)
			}
			if r.Response == nil || r.Response.Status != tc.status || string(r.Response.Body) != string(body) {
				t.Errorf("record response %+v", r.Response)
			}
			if want := record.Verdict(true, r.Findings); r.Verdict != want {
				t.Errorf("verdict %s, want %s", r.Verdict, want)
			}
			wantBody := tc.body
			if len(wantBody) > 1024 {
				wantBody = wantBody[:1024] // what MaxBody let through
			}
			if string(r.Request.Body) != wantBody {
				t.Errorf("record request body %q", r.Request.Body)
			}
		})
	}
}

// The server listens where it is told and the simulator's requests pass it.
func TestStartAndSimulate(t *testing.T) {
	rec := &recorder{}
	srv, err := Start("127.0.0.1:0", NewHandler(Config{OnRecord: rec.add}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %s", srv.URL)
	}
	s := &simulate.Sender{Target: srv.URL, Client: simulate.NewClient()}
	for _, e := range fixtures.Default().Entries() {
		body, _ := simulate.Generate(e, simulate.GenOptions{Seed: 4, Now: time.Now()})
		r, unreachable := s.Send(context.Background(), simulate.NewCallback(e, body))
		if unreachable || r.Verdict != record.Pass || len(r.Findings) != 0 {
			t.Errorf("%s: %s %v", e.Command, r.Verdict, r.Findings)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.recs) != 4 {
		t.Fatalf("%d records on the receiver", len(rec.recs))
	}
	for _, r := range rec.recs {
		if r.Verdict != record.Pass || len(r.Findings) != 0 {
			t.Errorf("receiver: %s %s %v", r.Command, r.Verdict, r.Findings)
		}
	}
	if _, err := http.Post(srv.URL, "application/json", nil); err == nil {
		t.Error("the server still answers after Shutdown")
	}
	if _, err := Start("127.0.0.1:-1", NewHandler(Config{})); err == nil {
		t.Error("a bad address gave no error")
	}
}
