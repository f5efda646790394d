package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/ui"
)

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "run.jsonl")
	if r := rpRun(t, "", "simulate", "--all", "--record", rec, "-q"); r.code != 0 {
		t.Fatalf("simulate: %s", r.errOut)
	}
	// A good recording.
	r := rpRun(t, "", "validate", rec)
	if r.code != 0 || r.out != "" || !strings.Contains(r.errOut, fmt.Sprintf("%d item(s) in 1 input(s): 0 error(s), 0 warning(s)", len(fixtures.Default().Entries()))) {
		t.Fatalf("good recording: %d %q %q", r.code, r.out, r.errOut)
	}
	// The documents' samples: warnings only, which --strict fails.
	var samples []string
	line := map[string]int{}
	for i, e := range fixtures.Default().Entries() {
		var buf bytes.Buffer
		json.Compact(&buf, e.Sample)
		samples = append(samples, buf.String())
		line[e.Command] = i + 1
	}
	stdin := strings.Join(samples, "\n") + "\n"
	r = rpRun(t, stdin, "validate", "-")
	if r.code != 0 || !strings.Contains(r.out, fmt.Sprintf("-:%d: warning quirk.event_time_string EventTime: ", line["Group.CallbackAfterReadReceipt"])) ||
		!strings.Contains(r.out, fmt.Sprintf("-:%d: warning quirk.legacy_command callbackCommand: ", line["callbackAfterGroupMsgReadCommand"])) {
		t.Fatalf("samples: %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if r := rpRun(t, stdin, "validate", "-", "--strict"); r.code != ExitContract {
		t.Errorf("--strict: %d", r.code)
	}
	// A payload file as people write it, with a comment: an error at the
	// comment's line in the file, in text and in JSON.
	p := filepath.Join(dir, "payload.json")
	os.WriteFile(p, []byte("{\n  \"CallbackCommand\": \"C2C.CallbackAfterMsgReport\",\n  // who reported\n  \"Report_Account\": \"a\"\n}\n"), 0o644)
	r = rpRun(t, "", "validate", p)
	want := p + ":3: error input.json: not valid JSON: line 3, column 3: invalid character '/'"
	if r.code != ExitContract || !strings.HasPrefix(r.out, want) || !strings.Contains(r.out, "JSON allows no comments") {
		t.Fatalf("comment: %d\n%s", r.code, r.out)
	}
	r = rpRun(t, "", "validate", p, "-o", "json")
	var f map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.out)), &f); err != nil {
		t.Fatalf("json: %v\n%s", err, r.out)
	}
	if f["file"] != p || f["line"] != 3.0 || f["severity"] != "error" || f["rule"] != "input.json" || f["path"] != "" || f["message"] == "" || len(f) != 6 {
		t.Errorf("json finding: %v", f)
	}
	// Replies: the vendor from the fields or --vendor.
	r = rpRun(t, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":""}`, "validate", "-", "-o", "json")
	if r.code != ExitContract || !strings.Contains(r.out, `"rule":"response.type","path":"nextCode"`) {
		t.Errorf("openim reply: %d %s", r.code, r.out)
	}
	r = rpRun(t, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, "validate", "-", "--as", "response")
	if r.code != 0 || r.out != "" {
		t.Errorf("tencent reply: %d %s", r.code, r.out)
	}
	if r := rpRun(t, `{}`, "validate", "-", "--as", "response", "--vendor", "openim", "-q"); r.code != 0 || r.out != "" || r.errOut != "" {
		t.Errorf("-q hides warnings and the summary: %d %q %q", r.code, r.out, r.errOut)
	}
	// --command checks payloads that name none.
	r = rpRun(t, `{"Report_Account":"a","Peer_Account":"b","LastReadTime":1767225550,"UnreadMsgNum":0}`, "validate", "-", "--command", "C2C.CallbackAfterMsgReport")
	if r.code != ExitContract || !strings.Contains(r.out, "payload.required CallbackCommand") {
		t.Errorf("--command: %d %s", r.code, r.out)
	}
	// Usage and input errors exit 2.
	for _, args := range [][]string{
		{"validate", filepath.Join(dir, "missing.json")},
		{"validate", rec, "--as", "reply"},
		{"validate", rec, "--vendor", "wechat"},
		{"validate", rec, "--command", "C2C.Nope"},
		{"validate"},
	} {
		if r := rpRun(t, "", args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
}

func TestProgressBarOnlyOnATerminal(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "run.jsonl")
	if r := rpRun(t, "", "simulate", "--all", "--record", rec, "-q"); r.code != 0 {
		t.Fatalf("simulate: %s", r.errOut)
	}
	for _, tty := range []bool{false, true} {
		var out, errOut bytes.Buffer
		s := &ui.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrTTY: tty, Getenv: func(string) string { return "" }}
		if code := Run(context.Background(), s, []string{"validate", rec}); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		if got := strings.Contains(errOut.String(), "validating"); got != tty {
			t.Errorf("ErrTTY %v: progress shown %v:\n%q", tty, got, errOut.String())
		}
	}
}

// The vendors' page samples and the OpenIM server's requests in the
// catalogue's testdata (fixtures/testdata/SOURCES.json says where each comes
// from) validate with no error: exit 0, warnings only where a document or a
// release has a quirk.
func TestValidateTestdata(t *testing.T) {
	r := rpRun(t, "", "validate", "../fixtures/testdata/pages", "../fixtures/testdata/server", "-o", "json")
	if r.code != 0 || strings.Contains(r.out, `"severity":"error"`) || !strings.Contains(r.errOut, " 0 error(s)") {
		t.Fatalf("validate testdata: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	if !strings.Contains(r.out, "quirk.group_type_rune") {
		t.Errorf("the server's groupType U+0002 gave no warning: %s", r.out)
	}
}
