package run

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/imhook/imhook/record"
)

// FuzzSummaryJSON feeds report's summary reader anything: it never panics,
// and what it reads writes back to a summary that reads the same.
func FuzzSummaryJSON(f *testing.F) {
	s := NewSummary("seed")
	s.Observe(&Observation{Vendor: "v", Command: "C", Verdict: record.Pass, Status: 200, Latency: time.Millisecond,
		Findings: []record.Finding{{Severity: record.Warning, Rule: "w"}}})
	s.Start, s.End = time.Unix(1, 0), time.Unix(2, 0)
	b, _ := json.Marshal(s)
	f.Add(b)
	f.Add([]byte(`{"summary":{"exchanges":1,"status":{"x":1},"histogram":""}}`))
	f.Add([]byte(`{"summary":{"callbacks":{"C":null},"histogram":"HISTFAAAACZ42pJpmSzMwMDAzAABMJoRRCgfdmOw/wAR2MjGBAgAAP//VFkEYg=="}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Summary
		if err := json.Unmarshal(b, &a); err != nil {
			return
		}
		out, err := json.Marshal(&a)
		if err != nil {
			t.Fatalf("a summary that was read does not write: %v", err)
		}
		var c Summary
		if err := json.Unmarshal(out, &c); err != nil {
			t.Fatalf("a summary written does not read: %v\n%s", err, out)
		}
		again, _ := json.Marshal(&c)
		if string(again) != string(out) {
			t.Fatalf("not stable:\n%s\n%s", out, again)
		}
		a.Merge(&c)
	})
}
