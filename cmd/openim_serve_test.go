package cmd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/record"
)

// stopImhook sends SIGINT and waits for a clean exit.
func stopImhook(t *testing.T, proc *exec.Cmd) {
	t.Helper()
	if err := proc.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- proc.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("imhook serve exited %d, want 0", ee.ExitCode())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("imhook serve did not stop")
	}
}

// serve --respond takes OpenIM's outcome names (stop), and records the
// right command for imhook's own v3.0 requests ({url}?command=... under
// the shipped url's path); the recording validates.
func TestServeRespondStopAndV30Requests(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calls.jsonl")
	proc, url := startImhook(t, "serve", "--addr", "127.0.0.1:0", "--respond", "stop", "--record", path)
	target := url + "/callbackExample"
	r := runCmd(t, nil, "", "simulate", "callbackBeforeSendSingleMsgCommand", "--target", target, "--openim-version", "v3.0", "--expect", "stop", "-o", "json")
	recs := records(t, r)
	if r.code != 0 || len(recs) != 1 || recs[0].Outcome != record.OutcomeStop || !strings.Contains(recs[0].Request.URL, "/callbackExample?command=callbackBeforeSendSingleMsgCommand") {
		t.Fatalf("%s", r)
	}
	r = runCmd(t, nil, "", "simulate", "callbackAfterSendSingleMsgCommand", "--target", target, "--openim-version", "v3.0", "-o", "json")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	r = runCmd(t, nil, "", "simulate", "callbackOnlinePushCommand", "--target", target, "--openim-version", "v3.0", "--expect", "stop", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, "?command=callbackOnlinePushCommand") {
		t.Fatalf("%s", r)
	}
	stopImhook(t, proc)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	want := []string{"callbackBeforeSendSingleMsgCommand", "callbackAfterSendSingleMsgCommand", "callbackBeforeOnlinePushCommand"}
	if len(lines) != len(want) {
		t.Fatalf("%d records:\n%s", len(lines), raw)
	}
	for i, line := range lines {
		var rec record.Record
		if err := record.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Vendor != "openim" || rec.Command != want[i] || record.HasErrors(rec.Findings) {
			t.Errorf("record %d: %s %s, findings %v", i+1, rec.Vendor, rec.Command, rec.Findings)
		}
	}
	// The recording validates: no payload or request finding (the stop
	// replies are refusals of valid callbacks, which validate reports).
	r = runCmd(t, nil, "", "validate", path, "-o", "json")
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line != "" && strings.Contains(line, `"severity":"error"`) && !strings.Contains(line, `"rule":"response.refused"`) {
			t.Errorf("validate: %s", line)
		}
	}
}

func TestServeRespondNames(t *testing.T) {
	if r := runCmd(t, nil, "", "serve", "--respond", "halt"); r.code != ExitUsage || !strings.Contains(r.stderr, "stop = reject") {
		t.Errorf("%s", r)
	}
	// Each vendor's outcome is a --respond value that answers with it.
	for _, v := range platform.All() {
		for _, oc := range v.Outcomes() {
			if !strings.Contains(strings.Join(respondNames(), " "), string(oc)) {
				t.Errorf("%s: --respond does not take %s", v.Name(), oc)
			}
		}
	}
}

// serve prints a webhooks.yml for its address: a snippet on start, and the
// whole file with --openim-webhooks-yml, which simulate --webhooks-yml
// reads back.
func TestServeWebhooksYML(t *testing.T) {
	r := runCmd(t, nil, "", "serve", "--addr", "0.0.0.0:9100", "--openim-webhooks-yml")
	if r.code != 0 || !strings.Contains(r.stdout, `url: "http://127.0.0.1:9100"`) || !strings.Contains(r.stdout, "beforeSendSingleMsg: {enable: true, timeout: 5, failedContinue: true}") ||
		!strings.Contains(r.stdout, "afterSendSingleMsg: {enable: true, timeout: 5}\n") {
		t.Fatalf("%s", r)
	}
	if n := strings.Count(r.stdout, "enable: true"); n != 52 {
		t.Errorf("%d callbacks enabled", n)
	}
	s, err := platform.ParseOpenIMWebhooks([]byte(r.stdout), "webhooks.yml", "")
	if err != nil || s.Target != "http://127.0.0.1:9100" || len(s.Callbacks) != 52 {
		t.Fatalf("%v %+v", err, s)
	}
}
