package record

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The direct encoder writes valid JSON that reads back to the same record,
// whatever the bytes of the bodies and strings.
func TestAppendJSONRoundTrip(t *testing.T) {
	for _, body := range []string{`{"a": 1, "b": [1, 2]}`, "<html>\x00\xff\u2028", "", `"str"`, `[1,2]`, "not json \"quoted\" \\ \t"} {
		r := &Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC), Vendor: "tencent", Command: "C2C.X",
			Request:  &Message{Method: "POST", URL: "http://h/?a=1&b=<2>", Headers: http.Header{"Content-Type": {"application/json"}, "X": {"1", "2"}}, Body: []byte(body)},
			Response: &Message{Status: 200, Headers: http.Header{}, Body: []byte(body), LatencyMS: 1.84},
			Findings: []Finding{{Severity: Error, Rule: "response.type", Path: "ErrorCode", Message: "expected \"an integer\"\n"}},
			Verdict:  Fail}
		b := AppendJSON(nil, r)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON for body %q: %s", body, b)
		}
		var back Record
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !back.Time.Equal(r.Time) || back.Verdict != r.Verdict || !reflect.DeepEqual(back.Findings, r.Findings) || back.Request.URL != r.Request.URL || !reflect.DeepEqual(back.Request.Headers, r.Request.Headers) {
			t.Errorf("round trip changed the record: %s", b)
		}
		if json.Valid([]byte(strings.TrimSpace(body))) && strings.TrimSpace(body) != "" {
			if !strings.Contains(string(b), `"body":`) {
				t.Errorf("JSON body not written as body: %s", b)
			}
		} else if !strings.Contains(string(b), `"body_text":`) {
			t.Errorf("non-JSON body not written as body_text: %s", b)
		}
	}
}

func TestNoReplyRecordShape(t *testing.T) {
	r := &Record{Time: time.Now(), Vendor: "openim", Command: "c", Request: &Message{Method: "POST", Headers: nil}, Error: "refused", Verdict: NoReply}
	var m map[string]any
	if err := json.Unmarshal(AppendJSON(nil, r), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["response"]; ok || m["error"] != "refused" || m["verdict"] != "error" {
		t.Errorf("shape: %v", m)
	}
	if f, ok := m["findings"].([]any); !ok || len(f) != 0 {
		t.Errorf("findings must be an empty array: %v", m["findings"])
	}
}
