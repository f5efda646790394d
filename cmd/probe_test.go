package cmd

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/probe"
	"github.com/imhook/imhook/record"
)

// probeFindings maps each probe name (the path of a probe.* finding) to its
// worst rule: the error rule when it failed, else the info rule.
func probeFindings(t *testing.T, r result) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, rec := range records(t, r) {
		for _, f := range rec.Findings {
			if !strings.HasPrefix(f.Rule, "probe.") {
				continue
			}
			if f.Path == "" {
				t.Errorf("probe finding without the probe's name: %+v", f)
			}
			if prev, ok := out[f.Path]; ok && prev != f.Rule && f.Severity != record.Error {
				continue
			}
			if f.Severity == record.Error {
				out[f.Path] = f.Rule
			} else if _, ok := out[f.Path]; !ok {
				out[f.Path] = f.Rule
			}
		}
	}
	return out
}

var securityProbes = []string{"security.wrong_sdkappid", "security.no_sign", "security.bad_sign", "security.stale_request_time"}

func TestSecurityProbesAgainstServe(t *testing.T) {
	const app, token = "1400000777", "probe-token-123"
	target := startServe(t, platform.Expect{SdkAppID: app, Token: token})
	j := filepath.Join(t.TempDir(), "probe.xml")
	r := runCmd(t, nil, "", "simulate", "--probe", "security", "--target", target, "--sdkappid", app, "--token", token, "-o", "json", "--junit", j)
	if r.code != 0 {
		t.Fatal(r)
	}
	got := probeFindings(t, r)
	want := map[string]string{"baseline.valid": probe.RuleBaseline}
	for _, p := range securityProbes {
		want[p] = probe.RuleRefused
	}
	if len(got) != len(want) {
		t.Fatalf("probes: %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if d := readJUnit(t, j); d.Tests != 5 || d.Failures != 0 || d.Errors != 0 {
		t.Errorf("junit: %+v", d)
	}
	// Without a token only the SdkAppid probe runs.
	target2 := startServe(t, platform.Expect{SdkAppID: app})
	r = runCmd(t, nil, "", "simulate", "--probe", "security", "--target", target2, "--sdkappid", app, "-o", "json")
	if got := probeFindings(t, r); r.code != 0 || len(got) != 2 || got["security.wrong_sdkappid"] != probe.RuleRefused {
		t.Fatalf("%v\n%s", got, r)
	}
	if !strings.Contains(r.stderr, "no --token") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

func TestSecurityProbesAgainstNaiveBackend(t *testing.T) {
	naive := newBackend(t, reply{body: tencentOK})
	j := filepath.Join(t.TempDir(), "probe.xml")
	r := runCmd(t, nil, "", "simulate", "--probe", "security", "--target", naive.URL, "--token", "t", "-o", "json", "--junit", j)
	if r.code != 1 {
		t.Fatal(r)
	}
	got := probeFindings(t, r)
	for _, p := range securityProbes {
		if got[p] != probe.RuleAccepted {
			t.Errorf("%s: %s, want %s", p, got[p], probe.RuleAccepted)
		}
	}
	if !strings.Contains(r.stdout, "forged callbacks accepted") {
		t.Errorf("the finding does not name the risk:\n%s", r.stdout)
	}
	d := readJUnit(t, j)
	if d.Tests != 5 || d.Failures != 4 {
		t.Fatalf("junit: %+v", d)
	}
	for _, c := range d.Suites[0].Cases[1:] {
		if c.Failure == nil || c.Failure.Type != probe.RuleAccepted || !strings.HasPrefix(c.Name, "security.") ||
			!strings.Contains(c.Failure.Text, "expected: a refusal of the forged callback") {
			t.Errorf("case: %+v", c)
		}
	}
	// --max-failures stops early.
	r = runCmd(t, nil, "", "simulate", "--probe", "security", "--target", naive.URL, "--token", "t", "-o", "json", "--max-failures", "1")
	if n := len(records(t, r)); r.code != 1 || n != 2 {
		t.Errorf("--max-failures 1: %d records\n%s", n, r)
	}
}

func TestRobustnessProbesAgainstServe(t *testing.T) {
	t.Parallel()
	target := startServe(t, platform.Expect{})
	// (--timeout is also the retried delivery's gap.)
	r := runCmd(t, nil, "", append([]string{"simulate", "--probe", "robustness", "-o", "json", "--timeout", "1s"}, toBoth(target)...)...)
	if r.code != 0 {
		t.Fatal(r)
	}
	got := probeFindings(t, r)
	for _, name := range []string{"malformed_json", "missing_required", "wrong_types", "unknown_command", "oversized_body", "unicode_strings", "duplicate_message", "retried_delivery", "out_of_order"} {
		if got["robustness."+name] != probe.RuleAnswered {
			t.Errorf("%s: %q", name, got["robustness."+name])
		}
	}
	vendors := map[string]bool{}
	for _, rec := range records(t, r) {
		vendors[rec.Vendor] = true
	}
	if !vendors["tencent"] || !vendors["openim"] {
		t.Errorf("vendors: %v", vendors)
	}
}

// fragile is a backend that answers valid JSON well and panics (500) on
// anything else, hangs on big bodies and answers HTML to unknown commands.
func fragile(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var v map[string]any
		switch {
		case len(b) > 1<<20: // hangs until the client gives up
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case json.Unmarshal(b, &v) != nil:
			panic("bad json") // net/http closes the connection: a reset
		case strings.Contains(r.URL.String(), "ImhookProbe"):
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, htmlPage)
			return
		case v["From_Account"] != nil && !isString(v["From_Account"]):
			w.WriteHeader(500)
			io.WriteString(w, "internal error")
			return
		}
		io.WriteString(w, tencentOK)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func isString(v any) bool { _, ok := v.(string); return ok }

func TestRobustnessProbesAgainstFragileBackend(t *testing.T) {
	t.Parallel()
	srv := fragile(t)
	r := runCmd(t, nil, "", "simulate", "--probe", "robustness", tencentCmd, "--target", srv.URL, "--timeout", "150ms", "-o", "json")
	if r.code != 1 {
		t.Fatal(r)
	}
	got := probeFindings(t, r)
	for _, name := range []string{"malformed_json", "wrong_types", "unknown_command", "oversized_body"} {
		if got["robustness."+name] != probe.RuleRobustness {
			t.Errorf("%s: %q", name, got["robustness."+name])
		}
	}
	if got["baseline.valid"] != probe.RuleBaseline || got["robustness.duplicate_message"] != probe.RuleAnswered {
		t.Errorf("%v", got)
	}
}

func TestProbeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"simulate", "--probe", "fuzz"},
		{"simulate", "--probe", "security", "--suite", "x.json"},
		{"simulate", "--probe", "security", "--all"},
	} {
		if r := runCmd(t, nil, "", args...); r.code != 2 {
			t.Errorf("%v: %s", args, r)
		}
	}
}

// --probe security for OpenIM says what its callbacks carry (nothing) and
// what a backend relies on, sends the baseline, and with user:password in
// the target checks that a request without them, or with another password,
// is refused.
func TestOpenIMSecurityProbe(t *testing.T) {
	t.Parallel()
	r := runCmd(t, nil, "", "simulate", "--probe", "security", "--vendor", "openim", "-o", "json")
	if r.code != 0 {
		t.Fatal(r)
	}
	for _, w := range []string{"carry nothing that authenticates them", "private network", "allow-list the server's addresses"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not say %q:\n%s", w, r.stderr)
		}
	}
	recs := records(t, r)
	if len(recs) != 1 || recs[0].Vendor != "openim" || !hasFinding(recs[0].Findings, probe.RuleAuthentication) || recs[0].Verdict != record.Pass {
		t.Fatalf("%s", r)
	}
	// The same with a named OpenIM command, and against a backend.
	b := newOpenIMOnly(t, func(b *openimOnly) { b.user, b.pass = "imhook", "s3cret" })
	target := strings.Replace(b.URL, "http://", "http://imhook:s3cret@", 1) + "/callbackExample"
	r = runCmd(t, nil, "", "simulate", "--probe", "security", "callbackBeforeSendSingleMsgCommand", "--target", target, "-o", "json")
	got := probeFindings(t, r)
	if r.code != 0 || got["baseline.valid"] != probe.RuleBaseline || got["security.no_basic_auth"] != probe.RuleRefused || got["security.wrong_basic_auth"] != probe.RuleRefused {
		t.Fatalf("%v\n%s", got, r)
	}
	// A backend that does not check the password fails both.
	naive := newOpenIMOnly(t, nil)
	target = strings.Replace(naive.URL, "http://", "http://imhook:s3cret@", 1) + "/callbackExample"
	r = runCmd(t, nil, "", "simulate", "--probe", "security", "--target", "openim="+target, "-o", "json")
	got = probeFindings(t, r)
	if r.code != 1 || got["security.no_basic_auth"] != probe.RuleAccepted || got["security.wrong_basic_auth"] != probe.RuleAccepted {
		t.Fatalf("%v\n%s", got, r)
	}
	// A backend that refuses valid callbacks fails the baseline, honestly.
	refusing := newBackend(t, reply{body: `{"actionCode":0,"errCode":20001,"errMsg":"no","errDlt":"","nextCode":1}`})
	r = runCmd(t, nil, "", "simulate", "--probe", "security", "--vendor", "openim", "--target", refusing.URL, "-o", "json")
	if got := probeFindings(t, r); r.code != 1 || !strings.Contains(r.stdout, "webhooks.yml") || got["baseline.valid"] != probe.RuleBaseline {
		t.Fatalf("%v\n%s", got, r)
	}
}

// --probe robustness sends, for every callback with nullable fields, a
// valid callback with them null, as the OpenIM server sends nil slices: a
// handler that fails on a null atUserIDList fails the probe, and the
// finding says so in OpenIM's words.
func TestNullFieldsProbe(t *testing.T) {
	t.Parallel()
	fragile := newOpenIMOnly(t, func(b *openimOnly) { b.panicOnNull = "atUserIDList" })
	r := runCmd(t, nil, "", "simulate", "--probe", "robustness", "--vendor", "openim", "--target", fragile.URL+"/callbackExample", "-o", "json")
	if r.code != 1 {
		t.Fatal(r)
	}
	failed := map[string]bool{}
	nullProbes := 0
	for _, rec := range records(t, r) {
		for _, f := range rec.Findings {
			if f.Path != "robustness.null_fields" {
				continue
			}
			if f.Rule == probe.RuleAnswered || f.Rule == probe.RuleRobustness {
				nullProbes++
			}
			if f.Severity == record.Error {
				failed[rec.Command] = true
				if strings.Contains(f.Message, "FAIL is fine") || strings.Contains(f.Message, "retries") || !strings.Contains(f.Message, "atUserIDList") {
					t.Errorf("%s: %s", rec.Command, f.Message)
				}
			}
		}
	}
	for _, c := range []string{"callbackBeforeOnlinePushCommand", "callbackBeforeOfflinePushCommand", "callbackBeforeGroupOnlinePushCommand"} {
		if !failed[c] {
			t.Errorf("%s: the null_fields probe passed a handler that fails on a null atUserIDList", c)
		}
	}
	if nullProbes < 10 {
		t.Errorf("%d null_fields probes", nullProbes)
	}
	// A careful backend passes them all.
	careful := newOpenIMOnly(t, nil)
	if r := runCmd(t, nil, "", "simulate", "--probe", "robustness", "--vendor", "openim", "--target", careful.URL+"/callbackExample", "-q"); r.code != 0 {
		t.Fatal(r)
	}
}

// When the baseline fails (here the backend expects another SdkAppid), the
// probes after it are not sent and not judged: a refusal says nothing when
// a valid callback is refused too. The run fails, the summary says why
// right after its counts, and the JUnit report skips them.
func TestProbesAfterAFailedBaselineAreNotJudged(t *testing.T) {
	target := startServe(t, platform.Expect{SdkAppID: "1400000009"})
	j := filepath.Join(t.TempDir(), "probe.xml")
	r := runCmd(t, nil, "", "simulate", "--probe", "security", "--target", target, "--token", "tok", "--junit", j)
	if r.code != 1 {
		t.Fatal(r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !strings.HasPrefix(lines[0], "--> tencent C2C.CallbackAfterSendMsg") || !strings.HasSuffix(lines[0], "FAIL") {
		t.Errorf("baseline line: %s", r.stdout)
	}
	for _, p := range securityProbes {
		want := "--- tencent C2C.CallbackAfterSendMsg  " + p + "  NOT JUDGED (the baseline failed)"
		if !slices.Contains(lines, want) {
			t.Errorf("no line %q in\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "PASS") || strings.Contains(r.stdout, "refused with") {
		t.Errorf("a probe was judged:\n%s", r.stdout)
	}
	// The summary, after the line that says the drawn seed.
	sum := strings.Split(r.stderr, "\n")
	if len(sum) > 0 && strings.HasPrefix(sum[0], "imhook: seed ") {
		sum = sum[1:]
	}
	if len(sum) < 2 || !strings.HasPrefix(sum[0], "1 callback(s): 0 passed, 1 failed") ||
		!strings.HasPrefix(sum[1], "not judged 4 check(s): the baseline of Tencent Cloud Chat C2C.CallbackAfterSendMsg failed, so its probes were not sent: a valid callback was not accepted") {
		t.Errorf("summary:\n%s", r.stderr)
	}
	d := readJUnit(t, j)
	if d.Tests != 5 || d.Failures != 1 || d.Suites[0].Skipped != 4 {
		t.Errorf("junit: %+v", d)
	}
	for _, c := range d.Suites[0].Cases[1:] {
		if c.Skipped == nil || !strings.HasPrefix(c.Skipped.Message, "not judged: the baseline of") || c.Failure != nil {
			t.Errorf("case %s: %+v", c.Name, c)
		}
	}
	// With -o json the summary line counts them too.
	r = runCmd(t, nil, "", "simulate", "--probe", "robustness", "--vendor", "tencent", "--target", target, "-o", "json")
	var s struct {
		Summary struct {
			NotJudged int    `json:"not_judged"`
			Why       string `json:"first_not_judged"`
		} `json:"summary"`
	}
	out := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if err := json.Unmarshal([]byte(out[len(out)-1]), &s); err != nil || r.code != 1 || s.Summary.NotJudged < 8 || !strings.Contains(s.Summary.Why, "check --sdkappid") {
		t.Errorf("%+v %v\n%s", s, err, r)
	}
}
