package cmd

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// wantOutcome is the outcome imhook's receiver answers a before-callback
// with in a --respond mode, by the catalogue's reply section.
func wantOutcome(e *fixtures.Entry, mode string) record.Outcome {
	if e.Vendor == fixtures.OpenIM {
		switch mode {
		case platform.ReplyReject, platform.ReplyDiscard:
			return record.OutcomeStop
		case platform.ReplyModify:
			if len(e.Reply.Fields) > 0 {
				return record.OutcomeModify
			}
		}
		return record.OutcomeContinue
	}
	switch mode {
	case platform.ReplyFail:
		return record.OutcomeFail
	case platform.ReplyReject:
		o, _ := e.Reply.CodeOutcome(1)
		return o
	case platform.ReplyDiscard:
		o, _ := e.Reply.CodeOutcome(2)
		return o
	case platform.ReplyModify:
		if len(e.Reply.Fields) > 0 {
			return record.OutcomeModify
		}
	}
	return record.OutcomeOK
}

// Every before-callback of both vendors, through a real `imhook serve
// --respond MODE` on a loopback port and `imhook simulate --expect OUTCOME`:
// the expectation is met (exit 0, no refusal), each record carries the
// outcome, and expecting any other outcome of the vendor fails with
// expect.outcome (exit 1).
func TestOutcomesThroughServeAndExpect(t *testing.T) {
	for _, mode := range platform.ReplyModes {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			_, url := startImhook(t, "serve", "--addr", "127.0.0.1:0", "--respond", mode)
			groups := map[[2]string][]string{} // vendor, outcome -> commands
			for _, e := range fixtures.Default().Entries() {
				if e.Kind == fixtures.Before {
					k := [2]string{e.Vendor, string(wantOutcome(e, mode))}
					groups[k] = append(groups[k], e.Command)
				}
			}
			for k, cmds := range groups {
				vendor, outcome := k[0], record.Outcome(k[1])
				seed := "7"
				if outcome == record.OutcomeModify {
					seed = modifiableSeed(t, vendor, cmds)
				}
				args := append([]string{"simulate", "--target", url, "--expect", string(outcome), "-o", "json", "--seed", seed}, cmds...)
				r := runCmd(t, nil, "", args...)
				if r.code != 0 {
					t.Errorf("%s --expect %s: %s", vendor, outcome, r)
					continue
				}
				recs := records(t, r)
				if len(recs) != len(cmds) {
					t.Fatalf("%d records for %d commands", len(recs), len(cmds))
				}
				for _, rec := range recs {
					if rec.Outcome != outcome || rec.Verdict != record.Pass {
						t.Errorf("%s: outcome %q verdict %s, want %s: %v", rec.Command, rec.Outcome, rec.Verdict, outcome, rec.Findings)
					}
					for _, f := range rec.Findings {
						if f.Rule == platform.RuleRefused || f.Severity == record.Error {
							t.Errorf("%s: %v", rec.Command, f)
						}
					}
					if outcome == record.OutcomeModify && rec.Vendor == fixtures.Tencent && strings.HasSuffix(rec.Command, "SendMsg") {
						if got := gjson.GetBytes(rec.Response.Body, "MsgBody.0.MsgContent.Text").Str; got != platform.ModifiedText {
							t.Errorf("%s: modified MsgBody %s", rec.Command, rec.Response.Body)
						}
					}
				}
				// Any other outcome of the vendor is a failure with expected and found.
				for _, other := range fixtures.VendorOutcomes(vendor) {
					if other == outcome {
						continue
					}
					r := runCmd(t, nil, "", "simulate", "--target", url, "--expect", string(other), "-o", "json", cmds[0])
					recs := records(t, r)
					if r.code != ExitContract || len(recs) != 1 {
						t.Fatalf("%s --expect %s against %s: %s", cmds[0], other, outcome, r)
					}
					found := false
					for _, f := range recs[0].Findings {
						if f.Rule == platform.RuleExpect && strings.Contains(f.Message, "expected the outcome "+string(other)+", found "+string(outcome)) {
							found = true
						}
					}
					if !found {
						t.Errorf("%s --expect %s: %v", cmds[0], other, recs[0].Findings)
					}
				}
			}
		})
	}
}

// modifiableSeed is the first seed from 7 whose payloads of cmds (the
// i-th with the seed + i, as simulate generates them) each leave a modify
// answer something to change: a list field the answer fills from an ID the
// request lists (callbackBeforeGroupOnlinePushCommand's userIDList from
// atUserIDList, which may be null) has nothing to take from a request
// without one, and that answer allows unchanged (wire.modArray).
func modifiableSeed(t *testing.T, vendor string, cmds []string) string {
	v := platform.For(vendor)
	plain := string(v.ReplyBody(platform.ReplyOK, ""))
	for seed := uint64(7); seed < 1007; seed++ {
		ok := true
		for i, c := range cmds {
			e, _, _ := fixtures.Default().Lookup(c)
			if platform.RequestIndependent(e) {
				continue
			}
			body, err := generate.Generate(e, generate.GenOptions{Seed: seed + uint64(i), Now: generate.SeedEpoch})
			if err != nil {
				t.Fatal(err)
			}
			if string(platform.AnswerBody(v, platform.ReplyModify, e, body, "")) == plain {
				ok = false
				break
			}
		}
		if ok {
			return strconv.FormatUint(seed, 10)
		}
	}
	t.Fatalf("no seed in 7..1006 gives every one of %v something to modify", cmds)
	return ""
}

// The serve records carry the outcome of the answer.
func TestServeRecordsOutcome(t *testing.T) {
	path := t.TempDir() + "/calls.jsonl"
	_, url := startImhook(t, "serve", "--addr", "127.0.0.1:0", "--respond", "modify", "--record", path)
	r := runCmd(t, nil, "", "simulate", "--target", url, "--expect", "modify", "C2C.CallbackBeforeSendMsg")
	if r.code != 0 {
		t.Fatal(r)
	}
	r = runCmd(t, nil, "", "simulate", "--target", url, "callbackBeforeUpdateUserInfoCommand", "--expect", "modify", "--openim-version", "v3.6")
	if r.code != 0 {
		t.Fatal(r)
	}
	r = runCmd(t, nil, "", "validate", "--as", "record", path, "-o", "json")
	var outcomes, releases []string
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, path)), "\n") {
		var rec record.Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, string(rec.Outcome))
		for _, f := range rec.Findings {
			if f.Rule == platform.RuleOpenIMVersion {
				releases = append(releases, f.Message)
			}
		}
	}
	if strings.Join(outcomes, ",") != "modify,modify" {
		t.Errorf("serve record outcomes: %v", outcomes)
	}
	if len(releases) != 1 || !strings.Contains(releases[0], "v3.4.2") {
		t.Errorf("serve's release finding: %v", releases)
	}
	if !strings.Contains(readFile(t, path), `"outcome":"modify","verdict"`) {
		t.Errorf("outcome is not just before verdict in %s", readFile(t, path))
	}
}

// Without --target, simulate --expect runs against a built-in receiver that
// answers with the expected outcome.
func TestExpectBuiltIn(t *testing.T) {
	for cmd, outcome := range map[string]string{"C2C.CallbackBeforeSendMsg": "discard", "Group.CallbackBeforeSendMsg": "reject",
		"callbackBeforeSendSingleMsgCommand": "stop", "callbackBeforeSetGroupInfoCommand": "modify"} {
		r := runCmd(t, nil, "", "simulate", cmd, "--expect", outcome, "-o", "json")
		if recs := records(t, r); r.code != 0 || len(recs) != 1 || string(recs[0].Outcome) != outcome {
			t.Errorf("%s --expect %s: %s", cmd, outcome, r)
		}
	}
	// By default a valid callback must be accepted.
	b := newBackend(t, reply{body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1}`})
	r := runCmd(t, nil, "", "simulate", "C2C.CallbackBeforeSendMsg", "--target", b.URL, "-o", "json")
	if recs := records(t, r); r.code != ExitContract || len(recs) != 1 || recs[0].Outcome != "reject" || !hasFinding(recs[0].Findings, platform.RuleRefused) {
		t.Errorf("default expectation: %s", r)
	}
}

func hasFinding(fs []record.Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

func TestExpectAndVersionUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "C2C.CallbackBeforeSendMsg", "--expect", "stop"}, "not an outcome of Tencent Cloud Chat callbacks; use one of ok, fail, reject, discard, modify"},
		{[]string{"simulate", "callbackBeforeSendSingleMsgCommand", "--expect", "reject"}, "not an outcome of OpenIM callbacks; use one of continue, stop, modify"},
		{[]string{"simulate", "--all", "--expect", "ok"}, "not an outcome of OpenIM"},
		{[]string{"simulate", "--all", "--expect", "maybe"}, "--expect"},
		{[]string{"simulate", "callbackAfterGroupMsgReadCommand", "--openim-version", "v2.3.3"}, "older than v3"},
		{[]string{"simulate", "callbackAfterGroupMsgReadCommand", "--openim-version", "soon"}, "not an OpenIM Server version"},
		{[]string{"replay", "-", "--expect", "maybe"}, "--expect"},
		{[]string{"replay", "-", "--expect", "ok", "--compare"}, "--compare"},
	} {
		r := runCmd(t, nil, "", tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: want exit 2 saying %q: %s", tc.args, tc.want, r)
		}
	}
	r := runCmd(t, nil, "", "__complete", "simulate", "C2C.CallbackBeforeSendMsg", "--expect", "")
	for _, w := range []string{"ok\ttencent", "discard\ttencent", "modify\ttencent"} {
		if !strings.Contains(r.stdout, w) || strings.Contains(r.stdout, "stop") {
			t.Errorf("completion of --expect lacks %q or offers OpenIM's: %s", w, r.stdout)
		}
	}
	r = runCmd(t, nil, "", "__complete", "simulate", "--openim-version", "")
	if !strings.Contains(r.stdout, "v3.4.2") {
		t.Errorf("completion of --openim-version: %s", r.stdout)
	}
}

// --openim-version shapes the URL and the command name the backend sees.
func TestSimulateOpenIMVersion(t *testing.T) {
	for version, want := range map[string][2]string{
		"":      {"/cb/callbackAfterGroupMsgReadCommand?contenttype=json", "callbackAfterGroupMsgReadCommand"},
		"v3.7":  {"/cb/callbackAfterGroupMsgReadCommand", "callbackAfterGroupMsgReadCommand"},
		"v3.6":  {"/cb/callbackGroupMsgReadCommand", "callbackGroupMsgReadCommand"},
		"3.4.0": {"/cb?command=callbackAfterGroupMsgReadCommand", "callbackAfterGroupMsgReadCommand"},
	} {
		b := newBackend(t, reply{body: `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`})
		args := []string{"simulate", "callbackAfterGroupMsgReadCommand", "--target", b.URL + "/cb", "-o", "json"}
		if version != "" {
			args = append(args, "--openim-version", version)
		}
		r := runCmd(t, nil, "", args...)
		if r.code != 0 || b.hits() != 1 {
			t.Fatalf("%s: %s", version, r)
		}
		if uri := b.requests[0].URL.RequestURI(); uri != want[0] {
			t.Errorf("%s: URI %s, want %s", version, uri, want[0])
		}
		if got := gjson.GetBytes(b.bodies[0], "callbackCommand").Str; got != want[1] {
			t.Errorf("%s: body names %s", version, got)
		}
		if recs := records(t, r); gjson.GetBytes(recs[0].Request.Body, "callbackCommand").Str != want[1] {
			t.Errorf("%s: the record's body is not what was sent: %s", version, recs[0].Request.Body)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// replay --expect judges the outcome of each resent callback, and
// --openim-version resends as that release.
func TestReplayExpect(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/run.jsonl"
	r := runCmd(t, nil, "", "simulate", "C2C.CallbackBeforeSendMsg", "--record", path)
	if r.code != 0 {
		t.Fatal(r)
	}
	b := newBackend(t, reply{body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":2}`})
	r = runCmd(t, nil, "", "replay", path, "--target", b.URL, "--expect", "discard", "-o", "json")
	if recs := records(t, r); r.code != 0 || len(recs) != 1 || recs[0].Outcome != "discard" {
		t.Errorf("replay --expect discard: %s", r)
	}
	r = runCmd(t, nil, "", "replay", path, "--target", b.URL, "--expect", "reject", "-o", "json")
	if recs := records(t, r); r.code != ExitContract || len(recs) != 1 || !hasFinding(recs[0].Findings, platform.RuleExpect) {
		t.Errorf("replay --expect reject: %s", r)
	}
	o := newBackend(t, reply{body: `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`})
	payload := `{"callbackCommand":"callbackAfterGroupMsgReadCommand","groupID":"g1","userID":"u1","seqs":[1],"contentType":101,"sessionType":3}`
	r = runCmd(t, nil, payload, "replay", "-", "--target", o.URL+"/cb", "--openim-version", "v3.5")
	if o.hits() != 1 || o.requests[0].URL.RequestURI() != "/cb/callbackGroupMsgReadCommand" {
		t.Errorf("replay --openim-version v3.5: %s %v", r, o.requests)
	}
}

// A load run counts the outcomes.
func TestLoadOutcomes(t *testing.T) {
	r := runCmd(t, nil, "", "simulate", "C2C.CallbackBeforeSendMsg", "--count", "20", "--expect", "discard", "-o", "json")
	if r.code != 0 || gjson.Get(r.stdout, "summary.outcomes.discard").Int() != 20 {
		t.Errorf("load outcomes: %s", r)
	}
}
