package record

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// agreeDecode holds Unmarshal to json.Unmarshal's result and error (and
// reports whether the one-pass path took the input).
func agreeDecode(t *testing.T, b []byte) bool {
	t.Helper()
	var want, got Record
	errWant := json.Unmarshal(b, &want)
	var fast Record
	d := decoder{b: b}
	d.sc.Reset(b)
	took := d.record(&fast) && d.sc.Done()
	errGot := Unmarshal(b, &got)
	if (errWant == nil) != (errGot == nil) || errWant != nil && errWant.Error() != errGot.Error() {
		t.Fatalf("%q: json.Unmarshal error %v, Unmarshal error %v", b, errWant, errGot)
	}
	if took && errWant != nil {
		t.Fatalf("%q: the one-pass path took what encoding/json refuses (%v)", b, errWant)
	}
	if errWant == nil && !sameRecord(want, got) {
		t.Fatalf("%q:\njson.Unmarshal %#v\nUnmarshal      %#v", b, want, got)
	}
	return took
}

func sameRecord(a, b Record) bool {
	if !a.Time.Equal(b.Time) || a.Time.Location().String() != b.Time.Location().String() {
		return false
	}
	_, oa := a.Time.Zone()
	_, ob := b.Time.Zone()
	a.Time, b.Time = time.Time{}, time.Time{}
	return oa == ob && reflect.DeepEqual(a, b)
}

var decodeSamples = []string{
	`{"time":"2026-11-22T06:14:06.057Z","vendor":"tencent","command":"C2C.CallbackAfterSendMsg","request":{"method":"POST","url":"http://127.0.0.1:9402/?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg","headers":{"Content-Length":["466"],"Content-Type":["application/json"]},"body":{"CallbackCommand":"C2C.CallbackAfterSendMsg","MsgSeq":717861086,"Text":"h\u00e9 \"x\""}},"response":{"status":200,"headers":{"Content-Type":["application/json"]},"body":{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0},"latency_ms":0.129},"findings":[],"outcome":"ok","verdict":"pass"}`,
	`{"time":"2026-01-02T03:04:05.678+08:00","vendor":"openim","command":"callbackBeforeSendSingleMsgCommand","request":{"method":"POST","url":"http://x/y","headers":{},"body_text":"not json\n"},"error":"dial tcp: connection refused","findings":[{"severity":"error","rule":"transport.refused","message":"refused"},{"severity":"warning","rule":"payload.type","path":"a.0.b","message":"expected a string, found 1"}],"verdict":"error"}`,
	` {"time":"2026-01-02T03:04:05Z", "vendor" : "tencent" , "request" : { "headers" : { "A" : [ ] , "B": ["1","2"] } , "body" : [ 1 , 2 ] , "status": 0, "latency_ms": 1e3 } } `,
	`{"request":{"body":null}}`,
	`{"request":null,"response":{"body":"x","body_text":"y"}}`,
	`{"Vendor":"tencent","COMMAND":"x"}`,
	`{"vendor":"a","vendor":"b"}`,
	`{"request":{"headers":{"A":["1"],"A":["2"]}}}`,
	`{"request":{"headers":{"A\u0042":["1"]}}}`,
	`{"request":{"status":1.5}}`,
	`{"request":{"status":99999999999999999999}}`,
	`{"request":{"latency_ms":1e999}}`,
	`{"findings":null}`,
	`{"findings":[{"severity":"error","rule":"r","message":"m","extra":1}]}`,
	`{"time":"not a time"}`,
	`{"time":1}`,
	`{"vendor":"\ud800"}`,
	"{\"vendor\":\"\xff\"}",
	`{"vendor":"tencent"`,
	`{"vendor":"tencent"} x`,
	`[]`,
	`null`,
	`{"verdict":"pass","outcome":"ok","error":"","findings":[{}]}`,
	`{"request":{"headers":null}}`,
	`{"request":{"headers":{"A":null}}}`,
	`{"request":{"headers":{"A":[null]}}}`,
	`{"request":{"method":1}}`,
	`{"request":{"body_text":""}}`,
	`{"unknown":{"deep":[1,2,{"x":null}]},"vendor":"x"}`,
	`{"request":{"body":{"a":"\ufffd"},"body_base64":"eyJhIjoi/yJ9"}}`,
	`{"request":{"body_text":"\ufffd","body_base64":"/w=="}}`,
	`{"request":{"body_base64":"/w=="}}`,
	`{"request":{"body_base64":""}}`,
	`{"request":{"body_text":"x","body_base64":""}}`,
	`{"request":{"body_base64":"!!"}}`,
	`{"request":{"body_base64":"/w=="},"response":{"body_base64":null}}`,
	"{\"request\":{\"headers\":{\"\x80\":[]}}}",
	`{"forward":{"url":"http://b/","status":200,"latency_ms":1.5,"findings":[{"severity":"error","rule":"r","message":"m"}]},"verdict":"fail"}`,
	`{"forward":{"url":"http://b/","error":"refused","findings":[]}}`,
	`{"forward":null}`,
	`{"forward":{"url":"a","url":"b"}}`,
	`{"forward":{"status":"200"}}`,
	`{"forward":{"extra":1}}`,
	`{"forward":{},"forward":{}}`,
	"{\"response\":{\"headers\":{\"\xf0\":[]}}}",
	`{"verdict":"pass","seed":42}`,
	`{"seed":18446744073709551615}`,
	`{"seed":18446744073709551616}`,
	`{"seed":-1}`,
	`{"seed":"1"}`,
	`{"seed":1.5}`,
	`{"seed":null}`,
	`{"seed":1,"seed":2}`,
}

func TestUnmarshalAgreesWithEncodingJSON(t *testing.T) {
	took := 0
	for _, s := range decodeSamples {
		if agreeDecode(t, []byte(s)) {
			took++
		}
	}
	if took < 4 {
		t.Errorf("the one-pass path took only %d of the samples", took)
	}
	// Records as imhook writes them always take the one-pass path.
	r := &Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg",
		Request:  &Message{Method: "POST", URL: "http://h/?a=b", Headers: map[string][]string{"Content-Type": {"application/json"}, "X-Odd": {"\u2028\"<>&", ""}}, Body: []byte(`{"a":"\u00e9"}`)},
		Response: &Message{Status: 200, Headers: map[string][]string{}, Body: []byte("<html>"), LatencyMS: 12.5},
		Findings: []Finding{{Severity: Error, Rule: "x", Path: "a.b", Message: "m\n"}}, Outcome: "ok", Verdict: Fail, Seed: new(uint64)}
	*r.Seed = 1<<53 - 1
	if b := AppendJSON(nil, r); !agreeDecode(t, b) {
		t.Errorf("a record AppendJSON wrote did not take the one-pass path: %s", b)
	}
	if !agreeDecode(t, []byte(strings.TrimSpace(decodeSamples[0]))) {
		t.Error("a recorded line did not take the one-pass path")
	}
}

func FuzzUnmarshalAgrees(f *testing.F) {
	for _, s := range decodeSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		agreeDecode(t, b)
	})
}

func BenchmarkUnmarshal(b *testing.B) {
	line := []byte(decodeSamples[0])
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		var r Record
		if err := Unmarshal(line, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalEncodingJSON(b *testing.B) {
	line := []byte(decodeSamples[0])
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			b.Fatal(err)
		}
	}
}
