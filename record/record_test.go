package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
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

// slowWriter counts Write calls and takes its time, as a disk under load.
type slowWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (s *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(200 * time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.buf.Write(p)
}

// Concurrent writers share system calls (group commit), every record is
// written whole, and each Write returns only after its record is out.
func TestWriterGroupCommit(t *testing.T) {
	sw := &slowWriter{}
	w := NewWriter(sw)
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				cmd := fmt.Sprintf("g%d-%d", g, i)
				if err := w.Write(&Record{Time: time.Now(), Vendor: "tencent", Command: cmd, Request: &Message{Method: "POST"}}); err != nil {
					t.Error(err)
					return
				}
				sw.mu.Lock()
				out := strings.Contains(sw.buf.String(), `"command":"`+cmd+`"`)
				sw.mu.Unlock()
				if !out {
					t.Errorf("Write returned before %s was written", cmd)
				}
			}
		}(g)
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(sw.buf.String(), "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line %d is torn: %q", i+1, l)
		}
	}
	if sw.writes >= 1600 {
		t.Errorf("%d writes for 1600 records: no batching", sw.writes)
	}
	t.Logf("1600 records in %d writes", sw.writes)
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterError(t *testing.T) {
	w := NewWriter(failWriter{})
	r := &Record{Time: time.Now(), Request: &Message{}}
	if err := w.Write(r); err == nil || err.Error() != "disk full" {
		t.Fatalf("first write: %v", err)
	}
	if err := w.Write(r); err == nil {
		t.Fatal("a write after a failed one succeeded")
	}
}
