package cmd

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
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

// simulate --webhooks-yml runs the callbacks the file enables, each with
// the file's timeout, and a timeout names the setting and what the release
// does to the operation.
func TestSimulateWebhooksYML(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "webhooks.yml")
	const yml = `url: http://openim-backend:10006/callbackExample
beforeSendSingleMsg:
  enable: true
  timeout: 1
  failedContinue: true
afterSendSingleMsg:
  enable: true
  timeout: 30
beforeSendGroupMsg:
  enable: false
  timeout: 5
`
	if err := os.WriteFile(file, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "Before") {
			select {
			case <-time.After(1500 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		io.WriteString(w, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`)
	}))
	t.Cleanup(slow.Close)
	r := runCmd(t, nil, "", "simulate", "--webhooks-yml", file, "--target", "openim="+slow.URL, "-o", "json")
	recs := records(t, r)
	if r.code != 1 || len(recs) != 2 {
		t.Fatalf("%s", r)
	}
	byCmd := map[string]record.Record{}
	for _, rec := range recs {
		byCmd[rec.Command] = rec
	}
	before, after := byCmd["callbackBeforeSendSingleMsgCommand"], byCmd["callbackAfterSendSingleMsgCommand"]
	if before.Verdict != record.NoReply || !strings.Contains(before.Error, "no reply within 1s ("+file+" beforeSendSingleMsg: timeout 1)") ||
		!strings.Contains(before.Error, "OpenIM Server v3.7 and later aborts the operation") {
		t.Errorf("before: %s %q", before.Verdict, before.Error)
	}
	if after.Verdict != record.Pass {
		t.Errorf("after: %+v", after)
	}
	if !strings.Contains(r.stderr, "url is http://openim-backend:10006/callbackExample") {
		t.Errorf("stderr: %s", r.stderr)
	}
	// v3.6 reads failedContinue: the same timeout lets the operation go on.
	r = runCmd(t, nil, "", "simulate", "--webhooks-yml", file, "--target", "openim="+slow.URL, "--openim-version", "v3.6", "-o", "json")
	for _, rec := range records(t, r) {
		if rec.Command == "callbackBeforeSendSingleMsgCommand" && !strings.Contains(rec.Error, "v3.6.x goes on as if no callback were configured (a network error, 90004; failedContinue: true)") {
			t.Errorf("v3.6: %q", rec.Error)
		}
	}
	// --timeout wins over the file's.
	r = runCmd(t, nil, "", "simulate", "--webhooks-yml", file, "--target", "openim="+slow.URL, "--timeout", "3s", "-o", "json")
	if r.code != 0 {
		t.Errorf("--timeout 3s: %s", r)
	}
	// A file imhook cannot read as the server would is a usage error that
	// names the line.
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte("beforeSendSingleMsg:\n  enable: yes\n"), 0o644)
	if r := runCmd(t, nil, "", "simulate", "--webhooks-yml", bad); r.code != ExitUsage || !strings.Contains(r.stderr, "bad.yml:2: beforeSendSingleMsg.enable") {
		t.Errorf("%s", r)
	}
	none := filepath.Join(dir, "none.yml")
	os.WriteFile(none, []byte("url: http://x\nbeforeSendSingleMsg: {enable: false}\n"), 0o644)
	if r := runCmd(t, nil, "", "simulate", "--webhooks-yml", none); r.code != ExitUsage || !strings.Contains(r.stderr, "enables no callback") {
		t.Errorf("%s", r)
	}
}

// replay --compare fails when the outcome or a field the platform applies
// or copies back changes, and keeps the judgement of the replayed reply
// beside the differences.
func TestReplayCompareWhatOpenIMActsOn(t *testing.T) {
	t.Parallel()
	careful := newOpenIMOnly(t, nil)
	rec := filepath.Join(t.TempDir(), "run.jsonl")
	cmds := []string{"callbackBeforeUpdateUserInfoExCommand", "callbackBeforeSetGroupInfoCommand", "callbackBeforeSendSingleMsgCommand"}
	r := runCmd(t, nil, "", append([]string{"simulate", "--target", "openim=" + careful.URL + "/callbackExample", "--record", rec, "--seed", "3", "-q"}, cmds...)...)
	if r.code != 0 {
		t.Fatal(r)
	}
	if r := runCmd(t, nil, "", "replay", rec, "--compare", "--target", careful.URL+"/callbackExample"); r.code != 0 {
		t.Fatalf("unchanged: %s", r)
	}
	changed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "callbackBeforeUpdateUserInfoExCommand"):
			io.WriteString(w, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"nickName":"Zed"}`)
		case strings.HasSuffix(r.URL.Path, "callbackBeforeSetGroupInfoCommand"):
			io.WriteString(w, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`)
		default:
			io.WriteString(w, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":""}`)
		}
	}))
	t.Cleanup(changed.Close)
	r = runCmd(t, nil, "", "replay", rec, "--compare", "--target", changed.URL+"/callbackExample", "-o", "json")
	if r.code != ExitContract {
		t.Fatalf("changed: %s", r)
	}
	type fnd struct {
		sev  record.Severity
		rule string
	}
	for _, rc := range records(t, r) {
		got := map[string]fnd{}
		msgs := map[string]string{}
		for _, f := range rc.Findings {
			got[f.Path+" "+f.Rule] = fnd{f.Severity, f.Rule}
			msgs[f.Path+" "+f.Rule] = f.Message
		}
		var want []string
		switch rc.Command {
		case "callbackBeforeUpdateUserInfoExCommand":
			want = []string{"outcome replay.diff", "nickName replay.diff"}
			if !strings.Contains(msgs["outcome replay.diff"], "recorded continue, replayed modify") {
				t.Errorf("%q", msgs["outcome replay.diff"])
			}
		case "callbackBeforeSetGroupInfoCommand":
			want = []string{"groupID replay.diff", "groupName replay.diff", "faceURL replay.diff", "introduction replay.diff", "groupID response.echo", "outcome replay.diff"}
			if !strings.Contains(msgs["groupID replay.diff"], "always copies back") {
				t.Errorf("%q", msgs["groupID replay.diff"])
			}
		case "callbackBeforeSendSingleMsgCommand":
			want = []string{"nextCode replay.diff", "nextCode response.type", "outcome replay.diff"}
			if !strings.Contains(msgs["nextCode response.type"], "90007") || !strings.Contains(msgs["nextCode response.type"], "aborts the operation") {
				t.Errorf("the judgement's explanation is lost: %q", msgs["nextCode response.type"])
			}
		}
		for _, w := range want {
			if got[w].sev != record.Error {
				t.Errorf("%s: no error %s: %v", rc.Command, w, rc.Findings)
			}
		}
		if rc.Verdict != record.Fail {
			t.Errorf("%s: verdict %s", rc.Command, rc.Verdict)
		}
	}
}

// A webhooks.yml read as the server's config loader reads it runs every
// callback it enables: a key written in another case (BeforeSendSingleMsg)
// is that callback, and an anchor's settings given through an alias and a
// merge key are the callbacks' own.
func TestSimulateWebhooksYMLAsTheServerLoads(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]bool{}
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[path.Base(r.URL.Path)] = true
		mu.Unlock()
		io.WriteString(w, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`)
	}))
	t.Cleanup(b.Close)
	yml := runCmd(t, nil, "", "serve", "--addr", strings.TrimPrefix(b.URL, "http://"), "--openim-webhooks-yml").stdout
	for old, repl := range map[string]string{
		"beforeSendSingleMsg: {enable: true, timeout: 5, failedContinue: true}": "BeforeSendSingleMsg: &before {enable: true, timeout: 5, failedContinue: true}",
		"beforeSendGroupMsg: {enable: true, timeout: 5, failedContinue: true}":  "beforeSendGroupMsg: *before",
		"afterSendSingleMsg: {enable: true, timeout: 5}":                        "afterSendSingleMsg:\n  <<: *before\n  timeout: 4",
	} {
		if !strings.Contains(yml, old) {
			t.Fatalf("serve's webhooks.yml has no %q:\n%s", old, yml)
		}
		yml = strings.Replace(yml, old, repl, 1)
	}
	file := filepath.Join(t.TempDir(), "webhooks.yml")
	if err := os.WriteFile(file, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, nil, "", "simulate", "--webhooks-yml", file, "--target", "openim="+b.URL, "-o", "json")
	recs := records(t, r)
	want := 0
	for _, e := range fixtures.Default().Entries() {
		if e.Vendor == fixtures.OpenIM {
			want++
		}
	}
	// (The backend's bare reply does not echo the set-group-info callbacks'
	// fields, so those two fail: the run's verdicts are not the point.)
	if len(recs) != want || len(got) != want {
		t.Fatalf("%d callbacks run, %d received, want %d: %s", len(recs), len(got), want, r)
	}
	for _, cmd := range []string{"callbackBeforeSendSingleMsgCommand", "callbackBeforeSendGroupMsgCommand", "callbackAfterSendSingleMsgCommand"} {
		if !got[cmd] {
			t.Errorf("%s was not sent", cmd)
		}
	}
	if strings.Contains(r.stderr, "is not a key") {
		t.Errorf("stderr: %s", r.stderr)
	}
}
