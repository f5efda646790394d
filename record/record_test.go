package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
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

// A failed write fails its records only: the next write is tried again.
func TestWriterError(t *testing.T) {
	w := NewWriter(failWriter{})
	r := &Record{Time: time.Now(), Request: &Message{}}
	for i := 0; i < 2; i++ {
		if err := w.Write(r); err == nil || err.Error() != "disk full" {
			t.Fatalf("write %d: %v", i, err)
		}
	}
}

// flakyWriter fails while full is set, after taking part of the bytes (as a
// disk that fills up mid-write does), and keeps what it took.
type flakyWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	full bool
}

func (f *flakyWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.full {
		n := len(p) / 2
		f.buf.Write(p[:n])
		return n, errors.New("no space left on device")
	}
	return f.buf.Write(p)
}

func (f *flakyWriter) set(full bool) { f.mu.Lock(); f.full = full; f.mu.Unlock() }

// A streak of failed writes is told to the owner once when it begins and
// once when it ends, with the count of records it cost; writing resumes by
// itself; on a stream that cannot be cut back, the torn line is ended so
// that every later record is a line of its own.
func TestWriterRecovers(t *testing.T) {
	fw := &flakyWriter{}
	w := NewWriter(fw)
	var streaks []Streak
	w.OnStreak(func(s Streak) { streaks = append(streaks, s) })
	rec := func(cmd string) *Record {
		return &Record{Time: time.Now(), Vendor: "tencent", Command: cmd, Request: &Message{Method: "POST"}}
	}
	if err := w.Write(rec("ok-1")); err != nil {
		t.Fatal(err)
	}
	fw.set(true)
	for i := 0; i < 3; i++ {
		if err := w.Write(rec("lost")); err == nil {
			t.Fatalf("write %d to a full writer succeeded", i)
		}
	}
	if len(streaks) != 1 || streaks[0].Over || streaks[0].Failed != 1 || streaks[0].Err == nil {
		t.Fatalf("after three failures: streaks %+v; want one begun, with 1 record", streaks)
	}
	fw.set(false)
	for _, cmd := range []string{"ok-2", "ok-3"} {
		if err := w.Write(rec(cmd)); err != nil {
			t.Fatalf("writing %s once the space came back: %v", cmd, err)
		}
	}
	if len(streaks) != 2 || !streaks[1].Over || streaks[1].Failed != 3 {
		t.Fatalf("streaks %+v; want the streak over, with 3 records lost", streaks)
	}
	var cmds []string
	for i, l := range strings.Split(strings.TrimSuffix(fw.buf.String(), "\n"), "\n") {
		var r Record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			if strings.Contains(l, `"command":"ok-`) {
				t.Fatalf("line %d, a good record, is torn: %q", i+1, l)
			}
			continue // a lost record's torn part, on a line of its own
		}
		cmds = append(cmds, r.Command)
	}
	if strings.Join(cmds, " ") != "ok-1 ok-2 ok-3" {
		t.Fatalf("records %v; want ok-1 ok-2 ok-3", cmds)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close after recovery: %v", err)
	}
}

// A record file on a full device: every write fails, the streak is told
// once (with a growing count only at its end), and Close says records were
// lost.
func TestWriterDevFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	w, err := OpenFile("/dev/full")
	if err != nil {
		t.Skipf("cannot open /dev/full: %v", err)
	}
	var streaks []Streak
	w.OnStreak(func(s Streak) { streaks = append(streaks, s) })
	for i := 0; i < 5; i++ {
		if err := w.Write(&Record{Time: time.Now(), Request: &Message{}}); err == nil || !strings.Contains(err.Error(), "no space left") {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if len(streaks) != 1 || streaks[0].Failed != 1 || !strings.Contains(streaks[0].Err.Error(), "no space left") {
		t.Fatalf("streaks %+v; want one, begun with 1 record", streaks)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "5 record(s)") {
		t.Fatalf("close: %v; want the 5 lost records named", err)
	}
}

// A record file on a small tmpfs that fills up: the write that fails part
// way is cut back, so the file holds only whole lines; once space is freed,
// writing resumes. Needs the right to mount (root); skipped otherwise.
func TestWriterFullTmpfs(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 32<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "records.jsonl")
	w, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() }) // before the unmount
	var streaks []Streak
	w.OnStreak(func(s Streak) { streaks = append(streaks, s) })
	body := []byte(`{"pad":"` + strings.Repeat("x", 3000) + `"}`)
	rec := func(i int) *Record {
		return &Record{Time: time.Now(), Command: fmt.Sprint("c", i), Request: &Message{Method: "POST", Body: body}}
	}
	written := 0
	i := 0
	for ; i < 100; i++ {
		if err := w.Write(rec(i)); err != nil {
			break
		}
		written++
	}
	if i == 100 {
		t.Fatal("a 64 KiB tmpfs took 100 records of 3 KiB")
	}
	if len(streaks) != 1 || streaks[0].Over {
		t.Fatalf("streaks %+v; want one begun", streaks)
	}
	checkLines := func(want int) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Fatalf("the file ends in a torn line: ...%q", b[max(0, len(b)-40):])
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(b) == 0 {
			lines = nil
		}
		for n, l := range lines {
			if !json.Valid([]byte(l)) {
				t.Fatalf("line %d is not JSON: %.60q", n+1, l)
			}
		}
		if len(lines) != want {
			t.Fatalf("%d lines, want %d", len(lines), want)
		}
	}
	checkLines(written)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 3; j++ {
		if err := w.Write(rec(1000 + j)); err != nil {
			t.Fatalf("writing after space was freed: %v", err)
		}
	}
	if len(streaks) != 2 || !streaks[1].Over || streaks[1].Failed != 1 {
		t.Fatalf("streaks %+v; want the streak over with 1 record lost", streaks)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkLines(written + 3)
}

// Judge: an error fails; with strict a warning or an unknown field fails
// too, and an info finding of another rule does not.
func TestJudgeStrict(t *testing.T) {
	info := Finding{Severity: Info, Rule: "x.info"}
	unknown := Finding{Severity: Info, Rule: RuleUnknownField}
	warn := Finding{Severity: Warning, Rule: "x.warn"}
	errf := Finding{Severity: Error, Rule: "x.err"}
	for _, c := range []struct {
		fs             []Finding
		plain, strictV Verdict
	}{
		{nil, Pass, Pass},
		{[]Finding{info}, Pass, Pass},
		{[]Finding{unknown}, Pass, Fail},
		{[]Finding{warn}, Pass, Fail},
		{[]Finding{errf}, Fail, Fail},
	} {
		if got := Judge(true, c.fs, false); got != c.plain {
			t.Errorf("%v: %s, want %s", c.fs, got, c.plain)
		}
		if got := Judge(true, c.fs, true); got != c.strictV {
			t.Errorf("%v strict: %s, want %s", c.fs, got, c.strictV)
		}
	}
	if Judge(false, []Finding{warn}, true) != NoReply {
		t.Error("no reply stays no reply")
	}
}
