package record

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func roundTrip(t *testing.T, m Message) Message {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Message
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return back
}

func TestMessageBodyRoundTrip(t *testing.T) {
	for _, body := range []string{`{"a":1}`, `[1,2]`, `"s"`, `0`, "<html>oops</html>", "not json {", "", `{"a": 1, "b" :[ ]}`} {
		got := roundTrip(t, Message{Status: 200, Body: []byte(body)})
		want := body
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(body)) == nil {
			want = buf.String() // JSON bodies are stored compacted
		}
		if string(got.Body) != want {
			t.Errorf("body %q came back as %q", body, got.Body)
		}
	}
	b, _ := json.Marshal(Message{Body: []byte("<html>")})
	if !strings.Contains(string(b), `"body_text":"\u003chtml\u003e"`) {
		t.Errorf("a non-JSON body is not body_text: %s", b)
	}
}

// A reply whose body is the JSON null must read back as null: for OpenIM a
// null reply passes while an empty one fails, so replay and validate would
// judge a recorded null reply wrongly.
func TestMessageNullBodyRoundTrip(t *testing.T) {
	got := roundTrip(t, Message{Status: 200, Body: []byte("null")})
	if string(got.Body) != "null" {
		t.Fatalf("a recorded null reply read back as %q", got.Body)
	}
}

func TestWriterDecode(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	recs := []*Record{
		{Time: time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.FixedZone("X", 3600)), Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg",
			Request:  &Message{Method: "POST", URL: "http://127.0.0.1/?SdkAppid=1", Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"x":1}`)},
			Response: &Message{Status: 200, Body: []byte(`{"ActionStatus":"OK"}`), LatencyMS: 1.5},
			Findings: []Finding{{Severity: Error, Rule: "response.required", Path: "ErrorCode", Message: "m"}}, Verdict: Fail},
		{Time: time.Now(), Vendor: "openim", Command: "cb", Request: &Message{Method: "POST"}, Error: "refused", Verdict: NoReply},
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"time":"2026-01-02T02:04:05.678Z",`) {
		t.Fatalf("lines %q", lines)
	}
	if !strings.Contains(lines[1], `"findings":[]`) || strings.Contains(lines[1], `"response"`) {
		t.Errorf("record without reply: %s", lines[1])
	}
	var r1, r2 Record
	if err := Unmarshal([]byte(lines[0]), &r1); err != nil || r1.Verdict != Fail || r1.Findings[0].Path != "ErrorCode" || string(r1.Response.Body) != `{"ActionStatus":"OK"}` {
		t.Fatalf("first record %+v %v", r1, err)
	}
	if err := Unmarshal([]byte(lines[1]), &r2); err != nil || r2.Response != nil || r2.Error != "refused" {
		t.Fatalf("second record %+v %v", r2, err)
	}
	if err := Unmarshal([]byte("not a record"), &Record{}); err == nil {
		t.Fatal("a line that is not a record decoded")
	}
}

func TestVerdict(t *testing.T) {
	if VerdictOf(false, nil) != NoReply || VerdictOf(true, nil) != Pass ||
		VerdictOf(true, []Finding{{Severity: Warning}}) != Pass || VerdictOf(true, []Finding{{Severity: Info}, {Severity: Error}}) != Fail {
		t.Error("Verdict")
	}
}
