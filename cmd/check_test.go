package cmd

import (
	"crypto/tls"
	"encoding/xml"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/internal/check/testbackend"
)

// checkArgs are the arguments of a check against a test backend: both
// vendors, the app and token it checks, a burst small enough for CI that
// still starves a pool of 5.
func checkArgs(url string, more ...string) []string {
	return append([]string{"check", "--target", "tencent=" + url + "/im", "--target", "openim=" + url + "/openim",
		"--sdkappid", "1400000001", "--token", "tok", "--seed", "11", "--burst-count", "60", "--burst-concurrency", "60"}, more...)
}

// failedSuites are the test suites of a JUnit report with failures or
// errors, and the report's check against junit-10.xsd.
func failedSuites(t *testing.T, path string) (failed, all []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	meetsJUnitSchema(t, path, b)
	var d junitDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Suites {
		all = append(all, s.Name)
		if s.Failures+s.Errors > 0 {
			failed = append(failed, s.Name)
		}
	}
	return failed, all
}

// imhook check passes a correct backend and fails it for each planted
// fault alone, naming the part that found it in the summary and the JUnit
// report; the OpenIM parts, which no fault touches, pass every time.
func TestCheckFindsEachPlantedFault(t *testing.T) {
	t.Parallel()
	finder := map[testbackend.Fault]string{
		testbackend.Correct:           "",
		testbackend.Starvation:        "burst tencent",
		testbackend.ConversationState: "conversation tencent",
		testbackend.NonText:           "burst tencent",
		testbackend.SecondDelivery:    "robustness tencent",
		testbackend.BOM:               "callbacks tencent",
		testbackend.AppID:             "security tencent",
	}
	parts := []string{"callbacks tencent", "security tencent", "robustness tencent", "conversation tencent", "burst tencent",
		"callbacks openim", "security openim", "robustness openim", "conversation openim", "burst openim"}
	for fault, part := range finder {
		name := string(fault)
		if name == "" {
			name = "correct"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(testbackend.New(testbackend.Config{SdkAppID: "1400000001", Token: "tok", Fault: fault}))
			t.Cleanup(srv.Close)
			j := filepath.Join(t.TempDir(), "imhook.xml")
			r := runCmd(t, nil, "", checkArgs(srv.URL, "--junit", j, "-q")...)
			failed, all := failedSuites(t, j)
			t.Logf("%s: exit %d, failed parts %v", name, r.code, failed)
			if !slices.Equal(all, parts) {
				t.Errorf("the report's suites are %v, want a suite per part %v", all, parts)
			}
			if !strings.Contains(r.stderr, "imhook: seed 11: --seed 11 makes the same payloads again") {
				t.Errorf("the seed is not on stderr:\n%s", r.stderr)
			}
			if part == "" {
				if r.code != 0 || len(failed) > 0 {
					t.Fatalf("the correct backend failed: %v\n%s", failed, r)
				}
				return
			}
			if r.code != ExitContract || !slices.Contains(failed, part) {
				t.Fatalf("fault %s: want exit 1 with %s failed, got parts %v\n%s", fault, part, failed, r)
			}
			if !strings.Contains(r.stderr, "== "+part+": FAIL in ") {
				t.Errorf("the summary does not name %s:\n%s", part, r.stderr)
			}
			for _, f := range failed {
				if strings.HasSuffix(f, " openim") {
					t.Errorf("fault %s failed %s, which it does not touch", fault, f)
				}
			}
		})
	}
}

// The same seed makes the same run: the payloads of two checks with
// --seed are byte for byte the same, in records that carry the seed; -o
// json ends with the summary and its parts, each with its time.
func TestCheckSeedRepeatsTheRun(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(testbackend.New(testbackend.Config{SdkAppID: "1400000001", Token: "tok"}))
	t.Cleanup(srv.Close)
	bodies := func(rec string) []string {
		r := runCmd(t, nil, "", checkArgs(srv.URL, "--only", "callbacks,conversation", "--record", rec, "-o", "json")...)
		if r.code != 0 {
			t.Fatal(r)
		}
		last := strings.Split(strings.TrimSpace(r.stdout), "\n")
		sum := gjson.Parse(last[len(last)-1])
		if ps := sum.Get("summary.parts.#.name").Array(); len(ps) != 4 || ps[0].String() != "callbacks tencent" ||
			!sum.Get("summary.parts.0.elapsed_ms").Exists() || !sum.Get("summary.parts.0.passed").Bool() ||
			sum.Get("summary.parts.3.summary.exchanges").Int() == 0 {
			t.Fatalf("the summary's parts: %s", last[len(last)-1])
		}
		var out []string
		for _, rec := range records(t, r) {
			if rec.Seed == nil || *rec.Seed != 11 {
				t.Fatalf("a record without the run's seed: %+v", rec)
			}
			out = append(out, string(rec.Request.Body))
		}
		return out
	}
	dir := t.TempDir()
	a, b := bodies(filepath.Join(dir, "a.jsonl")), bodies(filepath.Join(dir, "b.jsonl"))
	if len(a) < 100 || !slices.Equal(a, b) {
		t.Errorf("two checks with --seed 11 sent different payloads (%d and %d)", len(a), len(b))
	}
	if rec, _ := os.ReadFile(filepath.Join(dir, "a.jsonl")); !strings.Contains(string(rec), `"seed":11}`) {
		t.Errorf("the record file does not carry the seed")
	}
}

// check's usage errors: a part that does not exist, a bare URL for both
// vendors, a burst of nothing, an unknown enabled callback.
func TestCheckUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		say  string
	}{
		{[]string{"check", "--only", "everything"}, `"everything" is no part of a check`},
		{[]string{"check", "--target", "http://127.0.0.1:1/"}, "a backend serves one vendor on a URL"},
		{[]string{"check", "--burst-count", "0"}, "--burst-count and --burst-concurrency must be at least 1"},
		{[]string{"check", "--enabled", "C2C.CallbackAfterSendMgs"}, "unknown callback"},
		{[]string{"check", "--skip", "callbacks,security,robustness,conversation,burst,suite"}, "no part to run"},
	} {
		if r := runCmd(t, nil, "", c.args...); r.code != ExitUsage || !strings.Contains(r.stderr, c.say) {
			t.Errorf("%v: want exit 2 saying %q; %s", c.args, c.say, r)
		}
	}
}

// A generated simulate run without --seed says the seed it drew and the
// clock, and those flags make the same payloads again; its records carry
// the seed. A --data run generates nothing and says no seed.
func TestSimulatePrintsItsSeed(t *testing.T) {
	t.Parallel()
	first := runCmd(t, nil, "", "simulate", tencentCmd, openimCmd, "-o", "json")
	m := regexp.MustCompile(`imhook: seed (\d+): (--seed \d+ --now \S+) makes the same payloads again`).FindStringSubmatch(first.stderr)
	if first.code != 0 || m == nil {
		t.Fatalf("no seed on stderr: %s", first)
	}
	again := runCmd(t, nil, "", append([]string{"simulate", tencentCmd, openimCmd, "-o", "json"}, strings.Fields(m[2])...)...)
	a, b := records(t, first), records(t, again)
	if again.code != 0 || len(a) != 2 || len(b) != 2 {
		t.Fatalf("%s\n%s", first, again)
	}
	for i := range a {
		if string(a[i].Request.Body) != string(b[i].Request.Body) {
			t.Errorf("%s: the printed flags made another payload:\n%s\n%s", a[i].Command, a[i].Request.Body, b[i].Request.Body)
		}
		if a[i].Seed == nil || strconv.FormatUint(*a[i].Seed, 10) != m[1] {
			t.Errorf("%s: the record does not carry seed %s", a[i].Command, m[1])
		}
	}
	body := filepath.Join(t.TempDir(), "body.json")
	os.WriteFile(body, a[0].Request.Body, 0o644)
	if r := runCmd(t, nil, "", "simulate", tencentCmd, "--data", body, "-o", "json"); r.code != 0 || strings.Contains(r.stderr, "seed") || strings.Contains(r.stdout, `"seed"`) {
		t.Errorf("a --data run: %s", r)
	}
}

// A check of an https backend with a private CA: --cacert reaches every
// part, the burst's own connections too; without it the first exchange
// cannot reach the target (exit 3).
func TestCheckTLS(t *testing.T) {
	t.Parallel()
	dir := pkiFiles(t)
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(testbackend.New(testbackend.Config{SdkAppID: "1400000001", Token: "tok"}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	args := []string{"check", "--target", "tencent=" + srv.URL + "/im", "--sdkappid", "1400000001", "--token", "tok",
		"--only", "callbacks,burst", "--burst-count", "20", "--burst-concurrency", "10", "-q"}
	if r := runCmd(t, nil, "", append(args, "--cacert", filepath.Join(dir, "ca.pem"))...); r.code != 0 {
		t.Errorf("with --cacert: %s", r)
	}
	if r := runCmd(t, nil, "", args...); r.code != ExitUnreachable {
		t.Errorf("without --cacert: %s", r)
	}
}

// --enabled-file narrows a vendor's callbacks (the other vendor's stay
// whole); --max-failures stops the whole check, across parts.
func TestCheckEnabledAndMaxFailures(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(testbackend.New(testbackend.Config{SdkAppID: "1400000001", Token: "tok", Fault: testbackend.BOM}))
	t.Cleanup(srv.Close)
	list := filepath.Join(t.TempDir(), "enabled.txt")
	os.WriteFile(list, []byte("# the console's switches\nC2C.CallbackAfterSendMsg\n\nC2C.CallbackBeforeSendMsg  # refuses spam\n"), 0o644)
	r := runCmd(t, nil, "", checkArgs(srv.URL, "--enabled-file", list, "--only", "callbacks", "-o", "json")...)
	sum := gjson.Parse(strings.TrimSpace(r.stdout[strings.LastIndex(strings.TrimSpace(r.stdout), "\n")+1:]))
	if r.code != ExitContract || sum.Get("summary.parts.0.summary.exchanges").Int() != 2 || sum.Get("summary.parts.0.passed").Bool() ||
		sum.Get("summary.parts.1.summary.exchanges").Int() < 50 || !sum.Get("summary.parts.1.passed").Bool() {
		t.Errorf("--enabled-file: %s", r)
	}
	r = runCmd(t, nil, "", checkArgs(srv.URL, "--max-failures", "3", "--only", "burst", "-q")...)
	if r.code != ExitContract || !strings.Contains(r.stderr, ", 3 failed,") || strings.Contains(r.stderr, "burst openim") {
		t.Errorf("--max-failures: %s", r)
	}
}
