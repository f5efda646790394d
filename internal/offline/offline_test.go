package offline_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/offline"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// check validates input as one stdin source and returns the findings.
func check(t testing.TB, o offline.Options, input string) ([]stream.Finding, offline.Stats) {
	t.Helper()
	o.Read.Stdin = strings.NewReader(input)
	var fs []stream.Finding
	st := offline.Stream(context.Background(), []stream.Source{{Name: "-", Size: -1}}, o, func(f stream.Finding) {
		fs = append(fs, f)
	})
	return fs, st
}

func rules(fs []stream.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%d:%s:%s:%s", f.Line, f.Severity, f.Rule, f.Path))
	}
	return strings.Join(out, " ")
}

func genPayload(t testing.TB, e *fixtures.Entry, seed uint64) []byte {
	t.Helper()
	b, err := generate.Generate(e, generate.GenOptions{Seed: seed, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstRequired is a required field of the payload's top level other than
// the command field.
func firstRequired(e *fixtures.Entry) string {
	for _, f := range e.Root.Fields {
		if f.Required && f.Name != e.CommandField {
			return f.Name
		}
	}
	return ""
}

func TestPayloadsOfEveryCallback(t *testing.T) {
	for _, e := range fixtures.Default().Entries() {
		t.Run(e.Command, func(t *testing.T) {
			good := genPayload(t, e, 1)
			missing := firstRequired(e)
			if missing == "" {
				t.Fatal("no required field")
			}
			noField, _ := sjson.DeleteBytes(good, missing)
			var wrong any = "x"
			if e.Root.Child(missing).Type == "string" {
				wrong = 1
			}
			badType, _ := sjson.SetBytes(good, missing, wrong)
			if cmd, _ := fixtures.BodyCommand(noField); cmd != "" {
				input := string(good) + "\n" + string(noField) + "\n" + string(badType) + "\n"
				fs, st := check(t, offline.Options{}, input)
				if st.Items != 3 {
					t.Fatalf("%d items", st.Items)
				}
				want := fmt.Sprintf("2:error:payload.required:%s 3:error:payload.type:%s", missing, missing)
				if got := rules(fs); got != want {
					t.Errorf("findings = %s\nwant       %s", got, want)
				}
			}
			// The document's sample (made into JSON) has only warnings.
			fs, _ := check(t, offline.Options{}, string(e.Sample))
			for _, f := range fs {
				if f.Severity == record.Error {
					t.Errorf("sample: %v", f)
				}
			}
			// --command checks a payload that names no callback.
			anon, _ := sjson.DeleteBytes(good, e.CommandField)
			if cmd, _ := fixtures.BodyCommand(anon); cmd != "" {
				return // the command is named elsewhere too (batched events)
			}
			fs, _ = check(t, offline.Options{}, string(anon))
			if got := rules(fs); got != "1:error:input.kind:" {
				t.Errorf("without --command: %s", got)
			}
			fs, _ = check(t, offline.Options{Command: e}, string(anon))
			if got := rules(fs); got != "1:error:payload.required:"+e.CommandField {
				t.Errorf("with --command: %s", got)
			}
		})
	}
}

func TestReplies(t *testing.T) {
	cases := []struct {
		in, as, vendor, want string
	}{
		{`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, "", "", ""},
		{`{"ActionStatus":"ok","ErrorInfo":"","ErrorCode":"0"}`, "", "", "1:error:response.type:ErrorCode 1:error:response.action_status:ActionStatus"},
		{`{"ActionStatus":"FAIL","ErrorInfo":"no","ErrorCode":1}`, "", "", "1:error:response.refused:ActionStatus"},
		{`{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`, "", "", ""},
		{`{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":""}`, "", "", "1:error:response.type:nextCode"},
		{`{}`, "response", "openim", "1:warning:response.empty_object:"},
		{`{}`, "response", "", "1:error:response.vendor:"},
		{`{"ErrorCode":0}`, "response", "", "1:error:response.required:ActionStatus 1:error:response.required:ErrorInfo"},
	}
	for _, c := range cases {
		fs, _ := check(t, offline.Options{As: c.as, Vendor: c.vendor}, c.in)
		if got := rules(fs); got != c.want {
			t.Errorf("%s (as %q, vendor %q):\n got %s\nwant %s", c.in, c.as, c.vendor, got, c.want)
		}
	}
}

// recording drives simulate's sender against the receiver and returns the
// receiver's recording.
func recording(t testing.TB, respond string) string {
	t.Helper()
	var buf bytes.Buffer
	rw := record.NewWriter(&buf)
	srv := httptest.NewServer(serve.NewHandler(serve.Config{Respond: respond, Record: rw.Write}))
	defer srv.Close()
	s := &simulate.Sender{Target: srv.URL, Client: simulate.NewClient(nil)}
	for i, name := range seedCommands {
		e, _, _ := fixtures.Default().Lookup(name)
		rec, err := s.Send(context.Background(), simulate.NewCallback(e, genPayload(t, e, uint64(i))))
		if err != nil {
			t.Fatal(rec.Error)
		}
	}
	return buf.String()
}

// seedCommands are the four callbacks the recordings below are made of.
var seedCommands = []string{"C2C.CallbackAfterMsgReport", "C2C.CallbackAfterSendMsg", "Group.CallbackAfterReadReceipt", "callbackAfterGroupMsgReadCommand"}

func TestRecordings(t *testing.T) {
	good := recording(t, platform.ReplyOK)
	fs, st := check(t, offline.Options{}, good)
	if len(fs) != 0 || st.Items != len(seedCommands) {
		t.Fatalf("a good recording: %d items, %s", st.Items, rules(fs))
	}
	fs, _ = check(t, offline.Options{As: offline.AsRecord}, good)
	if len(fs) != 0 {
		t.Fatalf("--as record: %s", rules(fs))
	}
	// The backend refused valid callbacks: the reply breaks the contract.
	fs, _ = check(t, offline.Options{}, recording(t, platform.ReplyFail))
	want := "1:error:response.refused:response.body.ActionStatus 2:error:response.refused:response.body.ActionStatus " +
		"3:error:response.refused:response.body.ActionStatus 4:warning:response.action_code:response.body.actionCode"
	if got := rules(fs); got != want {
		t.Errorf("refusing recording:\n got %s\nwant %s", got, want)
	}
	// A bad request body, a record without a reply, one naming nothing,
	// and a corrupt line, among good ones.
	lines := strings.Split(strings.TrimSpace(good), "\n")
	badBody, _ := sjson.Set(lines[0], "request.body.UnreadMsgNum", "many")
	noReply, _ := sjson.Delete(lines[1], "response")
	noReply, _ = sjson.Set(noReply, "error", "connection refused")
	noCmd, _ := sjson.Set(lines[2], "command", "")
	input := strings.Join([]string{badBody, noReply, noCmd, lines[3][:40], lines[3]}, "\n")
	fs, _ = check(t, offline.Options{}, input)
	want = "1:error:payload.type:request.body.UnreadMsgNum 2:error:response.none:response 3:error:record.command:command 4:error:input.json:"
	if got := rules(fs); got != want {
		t.Errorf("mixed recording:\n got %s\nwant %s", got, want)
	}
}

func TestSyntaxErrorsAtFilePositions(t *testing.T) {
	// A payload file as people write it: a comment and a trailing comma, on
	// the file's lines 4 and 6, inside the array's second element.
	input := `[
  {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0},
  {
    // allow
    "ActionStatus": "OK",
    "ErrorCode": 0,
  }
]`
	fs, _ := check(t, offline.Options{}, input)
	if len(fs) != 1 || fs[0].Line != 4 || !strings.Contains(fs[0].Message, "line 4, column 5") || !strings.Contains(fs[0].Message, "no comments") {
		t.Fatalf("comment: %+v", fs)
	}
	input = "{\"ActionStatus\": \"OK\",\n \"ErrorInfo\": \"\",\n \"ErrorCode\": 0,\n}\n"
	fs, _ = check(t, offline.Options{}, input)
	if len(fs) != 1 || fs[0].Line != 4 || !strings.Contains(fs[0].Message, "trailing comma") {
		t.Fatalf("trailing comma: %+v", fs)
	}
}

func TestFilesInOrderAndUnreadable(t *testing.T) {
	dir := t.TempDir()
	e := fixtures.Default().Entries()[0]
	bad, _ := sjson.DeleteBytes(genPayload(t, e, 1), firstRequired(e))
	var srcs []stream.Source
	for i := range 3 {
		p := filepath.Join(dir, fmt.Sprintf("f%d.jsonl", i))
		os.WriteFile(p, []byte(strings.Repeat(string(genPayload(t, e, 2))+"\n", 500)+string(bad)+"\n"), 0o644)
		srcs = append(srcs, stream.Source{Name: p, Path: p})
	}
	srcs = append(srcs, stream.Source{Name: filepath.Join(dir, "gone.json"), Path: filepath.Join(dir, "gone.json")})
	var got []string
	st := offline.Stream(context.Background(), srcs, offline.Options{Workers: 4}, func(f stream.Finding) {
		got = append(got, fmt.Sprintf("%s:%d:%s", filepath.Base(f.File), f.Line, f.Rule))
	})
	want := "f0.jsonl:501:payload.required f1.jsonl:501:payload.required f2.jsonl:501:payload.required gone.json:0:input.read"
	// The reader's finding for a file that cannot be read is no item.
	if strings.Join(got, " ") != want || st.Unreadable != 1 || st.Items != 1503 {
		t.Errorf("got %v (%d items, %d unreadable)\nwant %s", got, st.Items, st.Unreadable, want)
	}
}

// recordLine is one record of a good recording, for generated streams.
func recordLine(t testing.TB) []byte {
	good := recording(t, platform.ReplyOK)
	return []byte(strings.SplitN(good, "\n", 2)[0] + "\n")
}

// repeater is an endless-looking stream of one line, n bytes long.
type repeater struct {
	line []byte
	off  int
	left int64
}

func (r *repeater) Read(b []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(b) && r.left > 0 {
		c := copy(b[n:], r.line[r.off:])
		if int64(c) > r.left {
			c = int(r.left)
		}
		n += c
		r.left -= int64(c)
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

// peakHeap samples the heap while f runs.
func peakHeap(f func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	return peak.Load()
}

// A generated recording streams through validate with a heap that does not
// follow the input's size (the big run is BenchmarkValidateRecording and
// bench/validate.sh).
func TestValidateMemoryBounded(t *testing.T) {
	line := recordLine(t)
	size := int64(16 << 20)
	if testing.Short() {
		size = 4 << 20
	}
	size -= size % int64(len(line))
	runtime.GC()
	var st offline.Stats
	peak := peakHeap(func() {
		o := offline.Options{Read: stream.Options{Stdin: &repeater{line: line, left: size}}}
		st = offline.Stream(context.Background(), []stream.Source{{Name: "-", Size: -1}}, o, func(f stream.Finding) {
			t.Errorf("finding %v", f)
		})
	})
	if want := int(size) / len(line); st.Items != want {
		t.Errorf("%d items, want %d", st.Items, want)
	}
	t.Logf("%d MiB, %d records: peak heap %.1f MiB", size>>20, st.Items, float64(peak)/(1<<20))
	if peak > 48<<20 {
		t.Errorf("peak heap %d MiB for a %d MiB stream", peak>>20, size>>20)
	}
}

// BenchmarkValidateRecording validates a generated recording of
// IMHOOK_BENCH_MB megabytes (default 128) from a file and reports MB/s and
// the peak heap.
func BenchmarkValidateRecording(b *testing.B) {
	mb := int64(128)
	if v := os.Getenv("IMHOOK_BENCH_MB"); v != "" {
		fmt.Sscan(v, &mb)
	}
	line := recordLine(b)
	path := filepath.Join(b.TempDir(), "big.jsonl")
	f, _ := os.Create(path)
	size := mb << 20
	size -= size % int64(len(line))
	io.Copy(f, &repeater{line: line, left: size})
	f.Close()
	b.SetBytes(size)
	b.ResetTimer()
	var peak uint64
	for range b.N {
		runtime.GC()
		p := peakHeap(func() {
			offline.Stream(context.Background(), []stream.Source{{Name: path, Path: path, Size: size}}, offline.Options{}, func(stream.Finding) {})
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
