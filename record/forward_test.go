package record

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// forwardedRecord is a record of serve --forward-to whose backend broke the
// contract.
func forwardedRecord() *Record {
	return &Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg",
		Request:  &Message{Method: "POST", URL: "http://127.0.0.1:9000/?SdkAppid=1&CallbackCommand=C2C.CallbackAfterSendMsg", Headers: http.Header{}, Body: []byte(`{"a":1}`)},
		Response: &Message{Status: 200, Headers: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"ActionStatus":"OK"}`), LatencyMS: 3.25},
		Forward: &Forward{URL: "http://127.0.0.1:8080/cb?SdkAppid=1&CallbackCommand=C2C.CallbackAfterSendMsg", Status: 200, LatencyMS: 2.5,
			Findings: []Finding{{Severity: Error, Rule: "response.required", Path: "ErrorCode", Message: "missing"}}},
		Findings: []Finding{{Severity: Error, Rule: "response.required", Path: "ErrorCode", Message: "missing"}},
		Verdict:  Fail}
}

func TestForwardRoundTrip(t *testing.T) {
	for _, r := range []*Record{forwardedRecord(), func() *Record {
		r := forwardedRecord()
		r.Response = &Message{Status: 502, Headers: http.Header{}, Body: []byte("imhook: refused\n")}
		r.Forward = &Forward{URL: "http://127.0.0.1:1/", Error: "connection refused", Findings: []Finding{{Severity: Error, Rule: "response.none", Message: "refused"}}}
		r.Verdict = NoReply
		return r
	}()} {
		b := AppendJSON(nil, r)
		if !strings.Contains(string(b), `"forward":{"url":`) {
			t.Fatalf("no forward object in %s", b)
		}
		// The encoder writes what encoding/json makes of the same record.
		var viaStd map[string]any
		if err := json.Unmarshal(b, &viaStd); err != nil {
			t.Fatal(err)
		}
		fw, _ := json.Marshal(viaStd["forward"])
		want, _ := json.Marshal(r.Forward)
		var a, c any
		_ = json.Unmarshal(fw, &a)
		_ = json.Unmarshal(want, &c)
		if !reflect.DeepEqual(a, c) {
			t.Errorf("forward written as %s, encoding/json writes %s", fw, want)
		}
		// Both decoders read it back, the one-pass path included.
		if !agreeDecode(t, b) {
			t.Errorf("a forwarded record did not take the one-pass path: %s", b)
		}
		var back Record
		if err := Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Forward, r.Forward) {
			t.Errorf("forward read back as %+v, want %+v", back.Forward, r.Forward)
		}
	}
}

// A reader that does not know "forward" (the record shape before it)
// still reads the rest of the record.
func TestForwardIgnoredByOlderShape(t *testing.T) {
	b := AppendJSON(nil, forwardedRecord())
	var old struct {
		Vendor   string    `json:"vendor"`
		Verdict  string    `json:"verdict"`
		Findings []Finding `json:"findings"`
		Response *Message  `json:"response"`
	}
	if err := json.Unmarshal(b, &old); err != nil {
		t.Fatal(err)
	}
	if old.Vendor != "tencent" || old.Verdict != "fail" || len(old.Findings) != 1 || old.Response.Status != 200 {
		t.Errorf("older reader got %+v", old)
	}
	// A record without a forward has no "forward" key at all.
	r := forwardedRecord()
	r.Forward = nil
	if s := string(AppendJSON(nil, r)); strings.Contains(s, "forward") {
		t.Errorf("a record without a second leg mentions forward: %s", s)
	}
}
