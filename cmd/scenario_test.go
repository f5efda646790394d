package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

func TestScenarioConversation(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "conversation.jsonl")
	r := rpRun(t, "", "simulate", "--scenario", "conversation", "--seed", "9", "--count", "40", "--record", rec, "-o", "json")
	if r.code != 0 {
		t.Fatalf("simulate: %d %s", r.code, r.errOut)
	}
	recs := rpRecords(t, r.out)
	if len(recs) != 40 {
		t.Fatalf("%d records", len(recs))
	}
	// Deterministic for a seed: the same bodies again.
	r2 := rpRun(t, "", "simulate", "--scenario", "conversation", "--seed", "9", "--count", "40", "-o", "json")
	for i, rec2 := range rpRecords(t, r2.out) {
		if string(rec2.Request.Body) != string(recs[i].Request.Body) {
			t.Fatalf("#%d differs:\n%s\n%s", i, recs[i].Request.Body, rec2.Request.Body)
		}
	}
	// Its own recording is consistent.
	r = rpRun(t, "", "validate", "--consistency", rec)
	if r.code != 0 || r.out != "" || !strings.Contains(r.errOut, "40 item(s) in 1 input(s): 0 error(s), 0 warning(s)") {
		t.Fatalf("validate: %d %q %q", r.code, r.out, r.errOut)
	}
	// Broken: the second message of a group repeats the first's MsgSeq.
	data, _ := os.ReadFile(rec)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	first, second := -1, -1
	for i, l := range lines {
		if gjson.Get(l, "command").String() == "Group.CallbackAfterSendMsg" {
			if first < 0 {
				first = i
			} else if second < 0 {
				second = i
			}
		}
	}
	if second < 0 {
		t.Fatal("fewer than two group messages")
	}
	lines[second], _ = sjson.Set(lines[second], "request.body.MsgSeq", gjson.Get(lines[first], "request.body.MsgSeq").Int())
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	r = rpRun(t, "", "validate", "--consistency", bad, "-o", "json")
	var f map[string]any
	if err := json.Unmarshal([]byte(strings.Split(strings.TrimSpace(r.out), "\n")[0]), &f); err != nil {
		t.Fatalf("%v: %s", err, r.out)
	}
	if r.code != ExitContract || f["rule"] != "consistency.msg_seq" || f["line"] != float64(second+1) || f["path"] != "request.body.MsgSeq" || f["file"] != bad {
		t.Fatalf("broken: %d %v\n%s", r.code, f, r.out)
	}
	// Without --consistency the same file is fine.
	if r := rpRun(t, "", "validate", bad); r.code != 0 {
		t.Fatalf("without --consistency: %d %s", r.code, r.out)
	}
}

func TestScenarioUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--scenario", "chatter"},
		{"--scenario", "conversation", "C2C.CallbackAfterSendMsg"},
		{"--scenario", "conversation", "--all"},
		{"--scenario", "conversation", "--count", "3"},
		{"--scenario", "conversation", "--set", "UnreadMsgNum=3"},
		{"--scenario", "conversation", "--duration", "1s"},
		{"--scenario", "conversation", "--suite", "x.json"},
	} {
		r := rpRun(t, "", append([]string{"simulate"}, args...)...)
		if r.code != ExitUsage || !strings.Contains(r.errOut, "--") {
			t.Errorf("%v: %d %s", args, r.code, r.errOut)
		}
	}
	// --dry-run shows the requests and sends nothing.
	r := rpRun(t, "", "simulate", "--scenario", "conversation", "--seed", "1", "--count", "5", "--dry-run")
	if r.code != 0 || strings.Count(r.out, "-->") != 5 {
		t.Errorf("dry-run: %d\n%s\n%s", r.code, r.out, r.errOut)
	}
}
