package cmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// A callback with invalid UTF-8 in a string: serve finds it (an error), its
// record file stays strict JSON (valid JSON in valid UTF-8, as Python's
// json module wants), validate finds it again from the record, and replay
// sends the very bytes that came.
func TestInvalidUTF8ThroughRecordAndReplay(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "serve.jsonl")
	rw, err := record.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	receiver := rpNewBackend(t, "", func(r *record.Record) { _ = rw.Write(r) })
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body := bytes.Replace(e.Sample, []byte(`"From_Account": "jared"`), []byte("\"From_Account\": \"caf\xe9\""), 1)
	if utf8.Valid(body) {
		t.Fatalf("the sample has no From_Account jared to spoil:\n%s", e.Sample)
	}
	s := &simulate.Sender{Target: receiver.URL + "/hook", Params: platform.Params{}}
	rec, _ := s.Send(t.Context(), simulate.NewCallback(e, body))
	if rec.Response == nil || rec.Response.Status != 200 {
		t.Fatalf("sending: %+v", rec)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line := bytes.TrimSuffix(raw, []byte("\n"))
	if !json.Valid(line) || !utf8.Valid(line) || bytes.Contains(line, []byte("\n")) {
		t.Fatalf("the record is not one strict JSON line: %q", raw)
	}
	if !strings.Contains(string(line), `"rule":"payload.utf8"`) || !strings.Contains(string(line), `"path":"From_Account"`) {
		t.Errorf("serve's record has no payload.utf8 error at From_Account: %s", line)
	}
	if r := rpRun(t, "", "validate", path); r.code != ExitContract || !strings.Contains(r.out+r.errOut, "payload.utf8") {
		t.Errorf("validate of the record: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	backend := rpNewBackend(t, "", nil)
	if r := rpRun(t, "", "replay", path, "--target", backend.URL, "-q"); r.code != ExitContract {
		t.Errorf("replay: exit %d, want %d (the payload's error)\n%s", r.code, ExitContract, r.errOut)
	}
	hits := backend.got()
	if len(hits) != 1 || !bytes.Equal(hits[0].body, body) {
		t.Fatalf("replay sent %d callback(s); the body differs from the one recorded:\n got %q\nwant %q", len(hits), hits[0].body, body)
	}
}
