package ui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/imhook/imhook/record"
)

func TestColorEnabled(t *testing.T) {
	cases := []struct {
		mode string
		env  map[string]string
		tty  bool
		want bool
	}{
		{"auto", nil, true, true},
		{"auto", nil, false, false},
		{"auto", map[string]string{"NO_COLOR": "1"}, true, false},
		{"auto", map[string]string{"NO_COLOR": ""}, true, true}, // an empty NO_COLOR does not count
		{"auto", map[string]string{"CLICOLOR_FORCE": "1"}, false, true},
		{"auto", map[string]string{"CLICOLOR_FORCE": "0"}, false, false},
		{"auto", map[string]string{"CLICOLOR_FORCE": "1", "NO_COLOR": "x"}, false, false},
		{"auto", map[string]string{"CLICOLOR": "0"}, true, false},
		{"auto", map[string]string{"CLICOLOR": "1"}, false, false},
		{"always", map[string]string{"NO_COLOR": "1"}, false, true},
		{"never", map[string]string{"CLICOLOR_FORCE": "1"}, true, false},
	}
	for _, tc := range cases {
		s := &Streams{Getenv: func(k string) string { return tc.env[k] }}
		if got := s.ColorEnabled(tc.mode, tc.tty); got != tc.want {
			t.Errorf("%s %v tty=%v: %v, want %v", tc.mode, tc.env, tc.tty, got, tc.want)
		}
	}
}

func TestFormatMS(t *testing.T) {
	for ms, want := range map[float64]string{0.25: "0.25ms", 9.999: "10.00ms", 12.4: "12ms", 999: "999ms", 1500: "1.50s"} {
		if got := FormatMS(ms); got != want {
			t.Errorf("FormatMS(%v) = %s, want %s", ms, got, want)
		}
	}
}

func TestPrinter(t *testing.T) {
	rec := &record.Record{Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg",
		Request:  &record.Message{Method: "POST", URL: "http://h/?a=1"},
		Response: &record.Message{Status: 500, Body: []byte(`{}`), LatencyMS: 3.2},
		Findings: []record.Finding{
			{Severity: record.Error, Rule: "response.status", Message: "m1"},
			{Severity: record.Info, Rule: "x.info", Message: "m2"},
			{Severity: record.Warning, Rule: "w", Path: "A.b", Message: "m3"},
		}, Verdict: record.Fail}
	var buf bytes.Buffer
	NewPrinter(&buf, "text", false, NewPalette(false)).Record(rec)
	want := "--> tencent C2C.CallbackAfterSendMsg  <-- 500 3.20ms  FAIL\n" +
		"      error response.status: m1\n" +
		"      warning w A.b: m3\n"
	if buf.String() != want {
		t.Errorf("text:\n%q\nwant\n%q", buf.String(), want)
	}
	buf.Reset()
	NewPrinter(&buf, "json", false, NewPalette(true)).Record(rec)
	var back map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || strings.Count(buf.String(), "\n") != 1 || strings.Contains(buf.String(), "\x1b") {
		t.Errorf("json: %v %q", err, buf.String())
	}
	// -q hides passing exchanges only.
	buf.Reset()
	p := NewPrinter(&buf, "text", true, NewPalette(false))
	p.Record(&record.Record{Vendor: "openim", Command: "c", Verdict: record.Pass, Response: &record.Message{Status: 200}})
	if buf.Len() != 0 {
		t.Errorf("-q printed a pass: %q", buf.String())
	}
	p.Record(&record.Record{Vendor: "openim", Command: "c", Verdict: record.NoReply, Error: "refused"})
	if !strings.Contains(buf.String(), "no reply  ERROR") {
		t.Errorf("-q no-reply line: %q", buf.String())
	}
	// Colour only when asked.
	buf.Reset()
	NewPrinter(&buf, "text", false, NewPalette(true)).Record(rec)
	if !strings.Contains(buf.String(), "\x1b[") {
		t.Errorf("no colour with a colour palette: %q", buf.String())
	}
}

func TestPrettyJSON(t *testing.T) {
	if got := string(PrettyJSON([]byte(`{"b":1,"a":[1,2]}`))); got != "{\n  \"b\": 1,\n  \"a\": [1, 2]\n}\n" {
		t.Errorf("PrettyJSON = %q", got)
	}
	if got := string(PrettyJSON([]byte("not json"))); got != "not json\n" {
		t.Errorf("PrettyJSON(non-JSON) = %q", got)
	}
}

// A forwarded exchange shows both legs: the backend's reply (or none), then
// what the caller got.
func TestReceivedForwarded(t *testing.T) {
	r := &record.Record{Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg", Verdict: record.Fail,
		Request:  &record.Message{Method: "POST", URL: "http://x/"},
		Response: &record.Message{Status: 200, LatencyMS: 3.5},
		Forward:  &record.Forward{URL: "http://backend/", Status: 200, LatencyMS: 3.1},
		Findings: []record.Finding{{Severity: record.Error, Rule: "response.required", Path: "ErrorCode", Message: "missing"}}}
	var buf bytes.Buffer
	NewPrinter(&buf, "text", false, NewPalette(false)).Received(r)
	want := "<-- tencent C2C.CallbackAfterSendMsg  FAIL  1 finding(s)  ==> backend 200 3.10ms  --> 200 3.50ms\n      error response.required ErrorCode: missing\n"
	if buf.String() != want {
		t.Errorf("got\n%q\nwant\n%q", buf.String(), want)
	}
	buf.Reset()
	r.Forward = &record.Forward{URL: "http://backend/", Error: "connection refused"}
	r.Response = &record.Message{Status: 502, LatencyMS: 0.4}
	r.Verdict, r.Findings = record.NoReply, nil
	NewPrinter(&buf, "text", false, NewPalette(false)).Received(r)
	if want := "<-- tencent C2C.CallbackAfterSendMsg  ERROR  ==> backend no reply  --> 502 0.40ms\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

// ShowReply prints the reply on one line beneath the findings: compact
// JSON, quoted text, clipped when long; never for a received exchange.
func TestPrinterShowReply(t *testing.T) {
	long := `{"ErrorInfo": "` + strings.Repeat("x", 1000) + `"}`
	for _, c := range []struct{ body, want string }{
		{`{ "ActionStatus": "OK",  "ErrorCode": 0 }`, `      reply HTTP 200 {"ActionStatus":"OK","ErrorCode":0}` + "\n"},
		{"<html>oops</html>", `      reply HTTP 200 "<html>oops</html>"` + "\n"},
		{"", "      reply HTTP 200 (empty body)\n"},
		{long, `… (1017 bytes)` + "\n"},
	} {
		var out bytes.Buffer
		p := NewPrinter(&out, "text", false, NewPalette(false))
		p.ShowReply = true
		rec := &record.Record{Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg", Verdict: record.Fail,
			Findings: []record.Finding{{Severity: record.Error, Rule: "payload.type", Path: "From_Account", Message: "m"}},
			Response: &record.Message{Status: 200, Body: []byte(c.body)}}
		p.Record(rec)
		lines := strings.SplitAfter(out.String(), "\n")
		if len(lines) != 4 || !strings.HasSuffix(lines[2], c.want) || !strings.HasPrefix(lines[2], "      reply HTTP 200 ") {
			t.Errorf("body %.40q:\n%s", c.body, out.String())
		}
		out.Reset()
		p.Received(rec)
		if strings.Contains(out.String(), "reply HTTP") {
			t.Errorf("received exchange shows the reply line:\n%s", out.String())
		}
	}
}
