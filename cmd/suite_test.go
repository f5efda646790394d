package cmd

import (
	"github.com/imhook/imhook/record"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
)

func writeSuite(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "suite.json")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSuiteReferencesAndExpectations(t *testing.T) {
	dir := t.TempDir()
	e, _, _ := fixtures.Default().Lookup(tencentCmd)
	body, err := generate.Generate(e, generate.GenOptions{Seed: 5, Now: generate.SeedEpoch})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "payload.json"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	p := writeSuite(t, dir, `{"version": 1, "steps": [
	  {"name": "send", "command": "C2C.CallbackAfterSendMsg", "set": {"From_Account": "${env:SENDER|alice}"},
	   "expect": {"max_latency": "2s", "reply": {"ActionStatus": "OK", "ErrorCode": 0}, "verdict": "pass"}},
	  {"name": "again", "command": "c2c.callbackaftersendmsg",
	   "set": {"MsgKey": "${step:send.request.body.MsgKey}", "To_Account": "peer-${step:send.request.body.From_Account}",
	           "MsgSeq": "${step:send.request.body.MsgSeq}", "MsgRandom": "${step:send.request.body.MsgRandom}",
	           "MsgTime": "${step:send.request.body.MsgTime}"}},
	  {"name": "from-file", "data": "payload.json", "set": {"To_Account": "${env:UNSET_VAR|carol}"}},
	  {"name": "bad-payload", "command": "C2C.CallbackAfterSendMsg", "set": {"MsgSeq": -1}, "expect": {"verdict": "fail"}}
	]}`)
	be := newBackend(t, reply{body: tencentOK})
	j := filepath.Join(dir, "suite.xml")
	r := runCmd(t, map[string]string{"SENDER": "bob"}, "", "simulate", "--suite", p, "--target", be.URL, "--junit", j, "-o", "json")
	if r.code != 0 {
		t.Fatal(r)
	}
	if be.hits() != 4 {
		t.Fatalf("%d requests", be.hits())
	}
	b0, b1, b2 := be.bodies[0], be.bodies[1], be.bodies[2]
	if got := gjson.GetBytes(b0, "From_Account").Str; got != "bob" {
		t.Errorf("env: From_Account %q", got)
	}
	if k0, k1 := gjson.GetBytes(b0, "MsgKey").Str, gjson.GetBytes(b1, "MsgKey").Str; k0 == "" || k0 != k1 {
		t.Errorf("step reference: MsgKey %q then %q", k0, k1)
	}
	if got := gjson.GetBytes(b1, "To_Account").Str; got != "peer-bob" {
		t.Errorf("spliced reference: %q", got)
	}
	if got := gjson.GetBytes(b1, "MsgSeq"); got.Type != gjson.Number || got.Int() != gjson.GetBytes(b0, "MsgSeq").Int() {
		t.Errorf("a whole-string reference keeps its type: %s", got.Raw)
	}
	if got := gjson.GetBytes(b2, "To_Account").Str; got != "carol" || gjson.GetBytes(b2, "MsgKey").Str != gjson.GetBytes(body, "MsgKey").Str {
		t.Errorf("data file with env default: %s", b2)
	}
	d := readJUnit(t, j)
	if d.Tests != 4 || d.Failures != 0 || d.Errors != 0 {
		t.Fatalf("junit %+v", d)
	}
	if c := d.Suites[0].Cases[0]; c.Name != "send ("+tencentCmd+")" || c.Classname != "tencent" {
		t.Errorf("case %+v", c)
	}
}

func TestSuiteFailuresAndMaxFailures(t *testing.T) {
	dir := t.TempDir()
	p := writeSuite(t, dir, `{"version": 1, "steps": [
	  {"name": "one", "command": "C2C.CallbackAfterSendMsg", "expect": {"reply": {"ActionStatus": "FAIL"}}},
	  {"name": "two", "command": "C2C.CallbackAfterSendMsg", "expect": {"reply": {"Nope": 1}}},
	  {"name": "three", "command": "C2C.CallbackAfterSendMsg", "expect": {"verdict": "fail"}}
	]}`)
	be := newBackend(t, reply{body: tencentOK})
	j := filepath.Join(dir, "suite.xml")
	r := runCmd(t, nil, "", "simulate", "--suite", p, "--target", be.URL, "--junit", j, "-o", "json")
	if r.code != 1 || be.hits() != 3 {
		t.Fatal(r)
	}
	d := readJUnit(t, j)
	if d.Tests != 3 || d.Failures != 3 {
		t.Fatalf("junit %+v", d)
	}
	f := d.Suites[0].Cases[0].Failure
	if f == nil || f.Type != "suite.expect" || !strings.Contains(f.Message, `expected reply ActionStatus = "FAIL", found "OK"`) {
		t.Errorf("failure %+v", f)
	}
	if f := d.Suites[0].Cases[2].Failure; f == nil || !strings.Contains(f.Message, "expected verdict fail, found verdict pass") {
		t.Errorf("failure %+v", f)
	}
	be2 := newBackend(t, reply{body: tencentOK})
	r = runCmd(t, nil, "", "simulate", "--suite", p, "--target", be2.URL, "--max-failures", "1")
	if r.code != 1 || be2.hits() != 1 || !strings.Contains(r.stderr, "--max-failures") {
		t.Fatalf("%d hits\n%s", be2.hits(), r)
	}
}

func TestSuiteErrors(t *testing.T) {
	step := func(s string) string { return `{"version": 1, "steps": [` + s + `]}` }
	ok := `{"name": "a", "command": "C2C.CallbackAfterSendMsg"}`
	cases := []struct{ name, text, want string }{
		{"not json", `{`, "not valid JSON: line 1, column 1: unexpected end of JSON input"},
		{"version", `{"version": 2, "steps": [` + ok + `]}`, "version: 2 is not a version"},
		{"no version", `{"steps": [` + ok + `]}`, "version: missing"},
		{"top key", `{"version": 1, "steps": [` + ok + `], "stepz": []}`, "stepz: unknown key"},
		{"no steps", `{"version": 1, "steps": []}`, "steps: expected a non-empty array"},
		{"no name", step(`{"command": "C2C.CallbackAfterSendMsg"}`), "step #1: name: missing"},
		{"dup name", step(ok + `,` + ok), `step "a" (#2): name: the name is taken by step #1`},
		{"step key", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "expct": {}}`), `step "a" (#1): expct: unknown key`},
		{"expect key", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "expect": {"status": 200}}`), `step "a" (#1): expect.status: unknown key`},
		{"latency", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "expect": {"max_latency": "fast"}}`), `step "a" (#1): expect.max_latency: expected a positive duration`},
		{"verdict", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "expect": {"verdict": "ok"}}`), `step "a" (#1): expect.verdict: expected one of pass, fail, error`},
		{"no command", step(`{"name": "a"}`), `step "a" (#1): command: missing`},
		{"unknown command", step(`{"name": "a", "command": "C2C.Nope"}`), `step "a" (#1): command: unknown callback "C2C.Nope"`},
		{"data file", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "data": "missing.json"}`), `step "a" (#1): data: open`},
		{"unknown step", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "set": {"MsgKey": "${step:nope.request.body.MsgKey}"}}`), `step "a" (#1): set.MsgKey: ${step:nope.request.body.MsgKey}: no step is named "nope"`},
		{"forward step", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "set": {"MsgKey": "${step:b.request.body.MsgKey}"}}, {"name": "b", "command": "C2C.CallbackAfterSendMsg"}`), `step "a" (#1): set.MsgKey: ${step:b.request.body.MsgKey}: no step is named "b"`},
		{"self step", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "set": {"MsgKey": "${step:a.request.body.MsgKey}"}}`), `only use earlier steps`},
		{"step path", step(ok + `, {"name": "b", "command": "C2C.CallbackAfterSendMsg", "set": {"X": "${step:a}"}}`), `step "b" (#2): set.X: ${step:a}: give a path`},
		{"env", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "set": {"From_Account": "${env:NOT_SET_ANYWHERE}"}}`), `step "a" (#1): set.From_Account: ${env:NOT_SET_ANYWHERE}: the variable is not set and has no default`},
		{"token", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "set": {"From_Account": "x${env:IMHOOK_TOKEN|y}"}}`), `step "a" (#1): set.From_Account: ${env:IMHOOK_TOKEN}: the callback token is never written anywhere`},
		{"kind", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "set": {"X": "${file:x}"}}`), `step "a" (#1): set.X: ${file:x}: expected ${env:VAR|default} or ${step:NAME.path}`},
		{"unclosed", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "set": {"X": "${env:X"}}`), `step "a" (#1): set.X: "${env:X": an unclosed ${`},
		{"outcome", step(`{"name": "a", "command": "C2C.CallbackAfterSendMsg", "expect": {"outcome": "stop"}}`), `step "a" (#1): expect.outcome: "stop" is not an outcome of Tencent Cloud Chat callbacks`},
		{"runtime path", step(ok + `, {"name": "b", "command": "C2C.CallbackAfterSendMsg", "set": {"X": "${step:a.response.body.Nope}"}}`), `step "b" (#2): set.X: ${step:a.response.body.Nope}: the record of step "a" has nothing at response.body.Nope`},
	}
	be := newBackend(t, reply{body: tencentOK})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeSuite(t, t.TempDir(), c.text)
			r := runCmd(t, nil, "", "simulate", "--suite", p, "--target", be.URL)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("want exit 2 and %q\n%s", c.want, r)
			}
		})
	}
	if r := runCmd(t, nil, "", "simulate", "--suite", "/no/such/suite.json"); r.code != 2 {
		t.Error(r)
	}
	if r := runCmd(t, nil, "", "simulate", tencentCmd, "--suite", "x.json"); r.code != 2 {
		t.Error(r)
	}
}

// TestHelpSuite runs the suite 'imhook help suites' shows (its data file
// aside).
func TestHelpSuite(t *testing.T) {
	r := runCmd(t, nil, "", "help", "suites")
	i := strings.Index(r.stdout, `  {"version": 1,`)
	j := strings.Index(r.stdout[i:], "]}\n")
	if i < 0 || j < 0 {
		t.Fatalf("no suite in imhook help suites:\n%s", r.stdout)
	}
	text := r.stdout[i : i+j+2]
	text = strings.Replace(text, `"data": "payload.json"`, `"command": "C2C.CallbackAfterSendMsg", "set": {"MsgSeq": -1}`, 1)
	p := writeSuite(t, t.TempDir(), text)
	target := startServe(t, platform.Expect{})
	if r := runCmd(t, nil, "", "simulate", "--suite", p, "--target", target); r.code != 0 {
		t.Fatal(r)
	}
}

// A step's expect.outcome is the judge's expectation: met, the refusal is
// no failure; missed, the step fails with expected and found.
func TestSuiteOutcome(t *testing.T) {
	refusing := newBackend(t, reply{body: `{"ActionStatus":"OK","ErrorInfo":"no","ErrorCode":1}`})
	dir := t.TempDir()
	p := writeSuite(t, dir, `{"version": 1, "steps": [
		{"name": "refused", "command": "C2C.CallbackBeforeSendMsg", "expect": {"outcome": "reject"}},
		{"name": "allowed", "command": "C2C.CallbackBeforeSendMsg", "expect": {"outcome": "ok"}}]}`)
	r := runCmd(t, nil, "", "simulate", "--suite", p, "--target", refusing.URL, "-o", "json")
	recs := records(t, r)
	if r.code != ExitContract || len(recs) != 2 {
		t.Fatalf("%s", r)
	}
	if recs[0].Verdict != record.Pass || recs[0].Outcome != "reject" {
		t.Errorf("step refused: %s %s %v", recs[0].Verdict, recs[0].Outcome, recs[0].Findings)
	}
	found := false
	for _, f := range recs[1].Findings {
		found = found || (f.Rule == "expect.outcome" && f.Severity == record.Error)
	}
	if recs[1].Verdict != record.Fail || !found {
		t.Errorf("step allowed: %s %v", recs[1].Verdict, recs[1].Findings)
	}
}
