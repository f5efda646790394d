package cmd

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/internal/junit/xsd"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/serve"
)

// junitDoc is a JUnit report parsed back; skipped cases are counted by
// suite (junit-10.xsd gives <testsuites> no skipped attribute).
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Cases    []junitCase `xml:"testcase"`
	} `xml:"testsuite"`
}

type junitCase struct {
	Classname string `xml:"classname,attr"`
	Name      string `xml:"name,attr"`
	Time      string `xml:"time,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	} `xml:"failure"`
	Error *struct {
		Message string `xml:"message,attr"`
	} `xml:"error"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s is not XML: %v\n%s", path, err, b)
	}
	meetsJUnitSchema(t, path, b)
	if len(d.Suites) != 1 {
		t.Fatalf("%s: %d test suites", path, len(d.Suites))
	}
	return d
}

// junitSchema is junit-10.xsd, the schema Jenkins checks reports against
// (internal/junit/testdata/README.md).
var junitSchema = sync.OnceValues(func() (*xsd.Schema, error) { return xsd.Load("../internal/junit/testdata/junit-10.xsd") })

// meetsJUnitSchema fails the test when a report breaks junit-10.xsd.
func meetsJUnitSchema(t *testing.T, path string, b []byte) {
	t.Helper()
	s, err := junitSchema()
	if err != nil {
		t.Fatal(err)
	}
	if errs := s.Validate(bytes.NewReader(b)); errs != nil {
		t.Errorf("%s does not meet junit-10.xsd: %v\n%s", path, errs, b)
	}
}

// Every kind of report meets junit-10.xsd: simulate's (passed, failed, no
// reply), a scenario's, both probes' (with cases not judged after a failed
// baseline: skipped), a suite's (a failed step) and replay's.
func TestJUnitReportsMeetTheSchema(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := startServe(t, platform.Expect{SdkAppID: "1400000001", Token: "tok"})
	refuse := newBackend(t, reply{body: `{"ActionStatus":"FAIL","ErrorInfo":"no","ErrorCode":1}`})
	slow := newBackend(t, reply{body: tencentOK, delay: 300 * time.Millisecond})
	suite := writeSuite(t, dir, `{"version": 1, "steps": [
	  {"name": "a", "command": "C2C.CallbackAfterSendMsg"},
	  {"name": "b", "command": "C2C.CallbackAfterSendMsg", "expect": {"reply": {"ActionStatus": "FAIL"}}}]}`)
	rec := filepath.Join(dir, "run.jsonl")
	tok := []string{"--vendor", "tencent", "--sdkappid", "1400000001", "--token", "tok"}
	for i, c := range []struct {
		args []string
		code int
	}{
		{append([]string{"simulate", tencentCmd, "--target", target, "--record", rec}, tok...), 0},
		{[]string{"simulate", tencentCmd, "--target", refuse.URL}, 1},
		{[]string{"simulate", tencentCmd, "--target", slow.URL, "--timeout", "100ms"}, 1},
		{append([]string{"simulate", "--scenario", "conversation", "--count", "6", "--target", target}, tok...), 0},
		{append([]string{"simulate", "--probe", "security", "--target", target}, tok...), 0},
		{[]string{"simulate", "--probe", "security", "--vendor", "tencent", "--token", "tok", "--target", refuse.URL}, 1},
		{append([]string{"simulate", "--probe", "robustness", tencentCmd, "--target", target}, tok...), 0},
		{append([]string{"simulate", "--suite", suite, "--target", target}, tok...), 1},
		{append([]string{"replay", rec, "--target", target, "--resign"}, tok...), 0},
	} {
		j := filepath.Join(dir, strconv.Itoa(i)+".xml")
		if r := runCmd(t, nil, "", append(c.args, "--junit", j, "-q")...); r.code != c.code {
			t.Fatalf("%v: want exit %d; %s", c.args, c.code, r)
		}
		b, err := os.ReadFile(j)
		if err != nil {
			t.Fatal(err)
		}
		meetsJUnitSchema(t, strings.Join(c.args[:2], " "), b)
	}
}

// startServe runs imhook's own receiver on 127.0.0.1.
func startServe(t *testing.T, exp platform.Expect) string {
	t.Helper()
	srv, err := serve.Start("127.0.0.1:0", serve.NewHandler(serve.Config{Expect: exp}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv.URL
}

func TestJUnitSimulateAndReplay(t *testing.T) {
	dir := t.TempDir()
	target := startServe(t, platform.Expect{})
	j := filepath.Join(dir, "sim.xml")
	r := runCmd(t, nil, "", append([]string{"simulate", tencentCmd, openimCmd, "--junit", j}, toBoth(target)...)...)
	if r.code != 0 {
		t.Fatal(r)
	}
	d := readJUnit(t, j)
	if d.Tests != 2 || d.Failures != 0 || d.Errors != 0 {
		t.Fatalf("%+v", d)
	}
	c := d.Suites[0].Cases
	if c[0].Classname != "tencent" || c[0].Name != "simulate #1 "+tencentCmd || c[1].Classname != "openim" || c[1].Name != "simulate #2 "+openimCmd {
		t.Errorf("cases: %+v", c)
	}

	// A reply with control characters and invalid UTF-8 fails, and the
	// report stays valid XML with expected and found.
	bad := newBackend(t, reply{status: 500, body: "oops\x00\x01\x1b[31m\xff\xfe 😀"})
	j2 := filepath.Join(dir, "bad.xml")
	rec := filepath.Join(dir, "bad.jsonl")
	r = runCmd(t, nil, "", "simulate", tencentCmd, "--target", bad.URL, "--junit", j2, "--record", rec)
	if r.code != 1 {
		t.Fatal(r)
	}
	d = readJUnit(t, j2)
	if d.Tests != 1 || d.Failures != 1 {
		t.Fatalf("%+v", d)
	}
	f := d.Suites[0].Cases[0].Failure
	if f == nil || f.Type != platform.RuleStatus || !strings.Contains(f.Text, "expected: ") || !strings.Contains(f.Text, "found:    HTTP 500") ||
		!strings.Contains(f.Text, "error response.json") || !strings.Contains(f.Text, "😀") {
		t.Errorf("failure: %+v", f)
	}

	// replay --junit: one case per replayed exchange.
	j3 := filepath.Join(dir, "replay.xml")
	r = runCmd(t, nil, "", "replay", rec, "--target", target, "--junit", j3)
	if r.code != 0 {
		t.Fatal(r)
	}
	d = readJUnit(t, j3)
	if d.Tests != 1 || d.Failures != 0 || d.Suites[0].Cases[0].Name != "replay #1 "+tencentCmd {
		t.Fatalf("%+v", d)
	}

	// A timeout is an error case.
	slow := newBackend(t, reply{body: tencentOK, delay: 400 * time.Millisecond})
	j4 := filepath.Join(dir, "slow.xml")
	r = runCmd(t, nil, "", "simulate", tencentCmd, "--target", slow.URL, "--timeout", "100ms", "--junit", j4)
	if r.code != 1 {
		t.Fatal(r)
	}
	if d = readJUnit(t, j4); d.Errors != 1 || d.Suites[0].Cases[0].Error == nil {
		t.Fatalf("%+v", d)
	}
}

// An output that cannot be written (--junit, --record) is exit 2 before
// anything is sent, in every mode.
func TestOutputUnwritable(t *testing.T) {
	bad := newBackend(t, reply{status: 500})
	missing := filepath.Join(t.TempDir(), "no", "dir.xml")
	dir := t.TempDir()
	input := filepath.Join(dir, "in.jsonl")
	if r := runCmd(t, nil, "", "simulate", tencentCmd, "-o", "json", "--record", input); r.code != 0 {
		t.Fatal(r)
	}
	suiteFile := writeSuite(t, dir, `{"version":1,"steps":[{"name":"a","command":"`+tencentCmd+`"}]}`)
	for _, args := range [][]string{
		{"simulate", tencentCmd, "--junit", missing},
		{"simulate", tencentCmd, "--record", missing},
		{"simulate", tencentCmd, "--count", "5", "--record", missing},
		{"simulate", "--suite", suiteFile, "--junit", missing},
		{"simulate", "--probe", "robustness", "--vendor", "tencent", "--record", missing},
		{"simulate", "--scenario", "conversation", "--junit", missing},
		{"replay", input, "--junit", missing},
		{"replay", input, "--count", "5", "--record", missing},
	} {
		r := runCmd(t, nil, "", append(args, "--target", bad.URL)...)
		flag := "--junit"
		if slices.Contains(args, "--record") {
			flag = "--record"
		}
		if r.code != 2 || !strings.Contains(r.stderr, flag) || !strings.Contains(r.stderr, "no such file or directory") {
			t.Errorf("%v: %s", args, r)
		}
	}
	if n := bad.hits(); n != 0 {
		t.Errorf("%d request(s) sent with an output that cannot be written", n)
	}
}

func TestJUnitUsage(t *testing.T) {
	for _, args := range [][]string{
		{"simulate", tencentCmd, "--junit", "x.xml", "--count", "3"},
		{"simulate", tencentCmd, "--junit", "x.xml", "--dry-run"},
		{"simulate", tencentCmd, "--junit", filepath.Join(t.TempDir(), "no", "such", "dir.xml")},
	} {
		if r := runCmd(t, nil, "", args...); r.code != 2 || !strings.Contains(r.stderr, "--junit") {
			t.Errorf("%v: %s", args, r)
		}
	}
}

// TestTokenNeverWritten runs every command that takes a token with a
// recognisable one and greps every output for it.
func TestTokenNeverWritten(t *testing.T) {
	t.Parallel()
	const token = "s3cr3t-T0KEN-do-not-leak"
	dir := t.TempDir()
	target := startServe(t, platform.Expect{Token: token, SdkAppID: "1400000001"})
	rec := filepath.Join(dir, "run.jsonl")
	env := map[string]string{"IMHOOK_TOKEN": token}
	var outputs []string
	// The suite's second step fails on purpose, so that a failure's text is
	// in the report too.
	suite := writeSuite(t, t.TempDir(), `{"version": 1, "steps": [
	  {"name": "a", "command": "C2C.CallbackAfterSendMsg", "set": {"From_Account": "${env:IMHOOK_SDKAPPID|x}"}},
	  {"name": "b", "command": "C2C.CallbackAfterSendMsg", "expect": {"reply": {"ActionStatus": "FAIL"}}}]}`)
	runs := [][]string{
		{"simulate", tencentCmd, "--target", target, "--sdkappid", "1400000001", "--token", token, "--record", rec, "--junit", filepath.Join(dir, "a.xml")},
		{"simulate", tencentCmd, "--target", target, "--sdkappid", "1400000001", "-o", "json", "--junit", filepath.Join(dir, "b.xml")},
		{"simulate", tencentCmd, "--target", target, "--sdkappid", "1400000001", "--dry-run", "-o", "json"},
		{"replay", rec, "--target", target, "--sdkappid", "1400000001", "--resign", "--token", token, "--junit", filepath.Join(dir, "c.xml"), "-o", "json"},
		{"simulate", "--probe", "security", "--target", target, "--sdkappid", "1400000001", "--token", token, "--junit", filepath.Join(dir, "d.xml"), "-o", "json"},
		{"simulate", "--probe", "security", "--target", target, "--sdkappid", "1400000001", "--token", token, "--junit", filepath.Join(dir, "e.xml")},
		{"simulate", "--token", token, "--target", "::bad", tencentCmd},
		{"simulate", "--suite", suite, "--target", target, "--sdkappid", "1400000001", "--record", filepath.Join(dir, "suite.jsonl"), "--junit", filepath.Join(dir, "f.xml")},
		{"simulate", "--probe", "robustness", tencentCmd, "--target", target, "--sdkappid", "1400000001", "--junit", filepath.Join(dir, "g.xml"), "-o", "json"},
	}
	codes := []int{0, 0, 0, 0, 0, 0, 2, 1, 0}
	for i, args := range runs {
		r := runCmd(t, env, "", args...)
		outputs = append(outputs, r.stdout, r.stderr)
		if r.code != codes[i] {
			t.Errorf("%v: want exit %d\n%s", args, codes[i], r)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) < 4 {
		t.Fatalf("expected the record and JUnit files, found %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	for i, o := range outputs {
		if strings.Contains(o, token) {
			t.Errorf("output %d holds the token:\n%s", i, o)
		}
	}
}

func TestHelpEnvironment(t *testing.T) {
	r := runCmd(t, nil, "", "help", "environment")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, want := range []string{"IMHOOK_TARGET", "IMHOOK_SDKAPPID", "IMHOOK_TOKEN", "NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR ",
		"  0 ", "  1 ", "  2 ", "  3 ", "  130 ", "${env:VAR|default}"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help environment lacks %q", want)
		}
	}
	for _, code := range []int{ExitOK, ExitContract, ExitUsage, ExitUnreachable, ExitInterrupted} {
		if !strings.Contains(r.stdout, "\n  "+strconv.Itoa(code)+" ") {
			t.Errorf("help environment lacks exit code %d", code)
		}
	}
	if r := runCmd(t, nil, "", "simulate", "--help"); !strings.Contains(r.stdout, "imhook help suites") || !strings.Contains(r.stdout, "imhook help probes") {
		t.Errorf("simulate --help:\n%s", r.stdout)
	}
	if r := runCmd(t, nil, "", "help", "suites"); !strings.Contains(r.stdout, "--suite FILE runs the steps") {
		t.Errorf("imhook help suites:\n%s", r.stdout)
	}
	if r := runCmd(t, nil, "", "help", "probes"); !strings.Contains(r.stdout, "--probe security sends") {
		t.Errorf("imhook help probes:\n%s", r.stdout)
	}
}
