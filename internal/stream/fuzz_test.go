package stream

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/imhook/imhook/record"
)

// checkStream reads input to the end and checks the reader's promises: no
// panic, items in order of line (and column on a line), every item either
// a finding or bytes of the input, and Check's line never before the item's.
func checkStream(t *testing.T, name, input string) {
	r := NewReader(name, strings.NewReader(input))
	lastLine, lastCol := 0, 0
	lines := strings.Count(input, "\n") + 1
	for n := 0; ; n++ {
		it, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if n > len(input)+1 {
			t.Fatalf("more items than bytes")
		}
		if it.Line < lastLine || (it.Line == lastLine && it.Col < lastCol && it.Err == nil) {
			t.Fatalf("item at %d:%d after %d:%d", it.Line, it.Col, lastLine, lastCol)
		}
		if it.Line < 1 || it.Line > lines+1 {
			t.Fatalf("line %d of a %d-line input", it.Line, lines)
		}
		lastLine, lastCol = it.Line, it.Col
		if it.Err == nil && !strings.Contains(input, string(it.Raw)) && !strings.Contains(strings.ReplaceAll(input, "\xef\xbb\xbf", ""), string(it.Raw)) {
			t.Fatalf("item %q is not from the input", it.Raw)
		}
		f, line := it.Check()
		if line < it.Line {
			t.Fatalf("finding at line %d before its item's line %d", line, it.Line)
		}
		if f == nil {
			if kind, _ := Classify(it.Raw); kind == KindRecord {
				var rec record.Record
				_ = json.Unmarshal(it.Raw, &rec)
			}
			_ = PayloadCommand(it.Raw)
		}
	}
}

func FuzzRecordStream(f *testing.F) {
	rec := `{"time":"2026-01-02T03:04:05.678Z","vendor":"tencent","command":"C2C.CallbackAfterSendMsg","request":{"method":"POST","url":"/?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&Sign=ab&RequestTime=1","headers":{"Content-Type":["application/json"]},"body":{"CallbackCommand":"C2C.CallbackAfterSendMsg"}},"response":{"status":200,"headers":{},"body":{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0},"latency_ms":1.84},"findings":[],"verdict":"pass"}`
	f.Add(rec + "\n" + rec + "\n")
	f.Add(rec + "\n" + rec[:100] + "\n\x00\xff\n" + rec)
	f.Add("\n\n" + rec + "\r\n")
	f.Add(`{"time":"x","request":{},"response":{"body_text":"<html>"}}`)
	f.Fuzz(func(t *testing.T, input string) {
		checkStream(t, "rec.jsonl", input)
		checkStream(t, "rec", input) // and with the mode detected
	})
}

func FuzzPayloadStream(f *testing.F) {
	f.Add(`{"CallbackCommand":"C2C.CallbackAfterSendMsg","From_Account":"a"}`)
	f.Add("[\n {\"a\":1},\n {\"a\":\"]\\\"\"}\n]")
	f.Add("{\n  // c\n  \"a\": 1,\n}\n{\n\"b\":2\n}")
	f.Add("[1, 2 3,, ]")
	f.Add("\xef\xbb\xbf{\"a\":1}\n{\"a\":2}")
	f.Add("/* x */ [ {\"a\":1} ] garbage\n{")
	f.Add(`"str` + "\n" + `tru 1e5 -x`)
	f.Fuzz(func(t *testing.T, input string) {
		checkStream(t, "payload.json", input)
	})
}
