package cmd

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/internal/probe"
	"github.com/imhook/imhook/record"
)

// probeRecords groups a probe run's records by probe and command, in the
// order sent (a probe's requests in its order).
func probeRecords(t *testing.T, r result) map[string][]record.Record {
	t.Helper()
	out := map[string][]record.Record{}
	for _, rec := range records(t, r) {
		for _, f := range rec.Findings {
			if strings.HasPrefix(f.Rule, "probe.") {
				out[f.Path+" "+rec.Command] = append(out[f.Path+" "+rec.Command], rec)
				break
			}
		}
	}
	return out
}

// A receiver like open-im-server's msgmodify example (test/webhook/msgmodify:
// it json-decodes the callback, then the message's content, and answers 500
// when either fails) gets JSON text in content from unicode_strings, with
// the strange text inside it, and the probe passes; the baseline passes
// and nothing is left not judged.
func TestUnicodeStringsKeepsOpenIMContentJSON(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var contents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			ContentType int32  `json:"contentType"`
			Content     string `json:"content"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var elem map[string]any // every content type's content is a JSON object
		if err := json.Unmarshal([]byte(req.Content), &elem); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		mu.Lock()
		contents = append(contents, req.Content)
		mu.Unlock()
		io.WriteString(w, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"content":null}`)
	}))
	t.Cleanup(srv.Close)
	cmds := []string{"callbackBeforeMsgModifyCommand", "callbackBeforeSendSingleMsgCommand", "callbackAfterSendGroupMsgCommand"}
	args := append([]string{"simulate", "--probe", "robustness", "--vendor", "openim", "--target", srv.URL + "/callbackExample"}, cmds...)
	r := runCmd(t, nil, "", append(args, "-o", "json")...)
	if strings.Contains(r.stdout, `"not_judged":`) && !strings.Contains(r.stdout, `"not_judged":0`) {
		t.Fatalf("probes not judged:\n%s", r)
	}
	by := probeRecords(t, r)
	for _, c := range cmds {
		if recs := by["baseline.valid "+c]; len(recs) != 1 || recs[0].Verdict != record.Pass {
			t.Errorf("%s: the baseline did not pass:\n%s", c, r)
		}
		recs := by["robustness.unicode_strings "+c]
		if len(recs) != 1 || recs[0].Verdict != record.Pass || recs[0].Response == nil || recs[0].Response.Status != 200 {
			t.Fatalf("%s: unicode_strings did not pass: %+v\n%s", c, recs, r)
		}
		content := gjson.GetBytes(recs[0].Request.Body, "content").Str
		if !gjson.Valid(content) || !strings.Contains(content, "中文") {
			t.Errorf("%s: unicode_strings' content is not JSON text with the strange text inside: %q", c, content)
		}
		for _, f := range recs[0].Findings {
			if f.Rule == probe.RuleAnswered && !strings.Contains(f.Message, "answered in the reply shape") {
				t.Errorf("%s: %s", c, f.Message)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for _, c := range contents {
		if strings.Contains(c, "中文") {
			n++
		}
	}
	if n != len(cmds) {
		t.Errorf("the receiver decoded %d decorated contents, want %d", n, len(cmds))
	}
}

// A backend that fails on a MsgKey it has seen fails duplicate_message and
// retried_delivery only, at their request 2, in words that say it repeats
// request 1's MsgKey: every other probe sends a message of its own.
func TestRepeatedMsgKeyFailsOnlyTheRepeats(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !gjson.ValidBytes(body) {
			http.Error(w, "bad JSON", http.StatusBadRequest)
			return
		}
		key := gjson.GetBytes(body, "MsgKey").Raw
		mu.Lock()
		again := key != "" && seen[key]
		seen[key] = true
		mu.Unlock()
		if again {
			http.Error(w, "duplicate key value violates unique constraint", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	}))
	t.Cleanup(srv.Close)
	r := runCmd(t, nil, "", "simulate", "--probe", "robustness", "--vendor", "tencent", "C2C.CallbackAfterSendMsg",
		"--target", srv.URL, "--timeout", "1s", "-o", "json")
	if r.code != 1 {
		t.Fatalf("exit %d:\n%s", r.code, r)
	}
	by := probeRecords(t, r)
	if len(by) < 9 {
		t.Fatalf("%d probes:\n%s", len(by), r)
	}
	for name, recs := range by {
		repeat := strings.HasPrefix(name, "robustness.duplicate_message ") || strings.HasPrefix(name, "robustness.retried_delivery ")
		for i, rec := range recs {
			wantFail := repeat && i == 1
			if (rec.Verdict == record.Fail) != wantFail {
				t.Errorf("%s request %d: %s %+v", name, i+1, rec.Verdict, rec.Findings)
			}
			if !wantFail {
				continue
			}
			var msg string
			for _, f := range rec.Findings {
				if f.Rule == probe.RuleRobustness {
					msg = f.Message
				}
			}
			key := gjson.GetBytes(rec.Request.Body, "MsgKey").Str
			if !strings.HasPrefix(msg, "request 2 of 2, a repeat of request 1") || !strings.Contains(msg, "repeats request 1's MsgKey "+key) || !strings.Contains(msg, "HTTP 500") {
				t.Errorf("%s: the failure does not say it is a repeat: %q", name, msg)
			}
		}
	}
	if len(by["robustness.duplicate_message C2C.CallbackAfterSendMsg"]) != 2 || len(by["robustness.retried_delivery C2C.CallbackAfterSendMsg"]) != 2 {
		t.Errorf("the repeats were not both sent:\n%s", r)
	}
}
