package cmd

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"go.yaml.in/yaml/v3"
)

// tencentOnly is a realistic backend that serves Tencent callbacks alone,
// as a new user's would: at /im/callback it answers a request whose query
// names a CallbackCommand, checking the app ID and the signature; anything
// else is 404. It counts what it got.
type tencentOnly struct {
	*httptest.Server
	app, token string

	mu              sync.Mutex
	callbacks, lost int // requests answered as callbacks; requests answered 404
}

func newTencentOnly(t *testing.T, app, token string) *tencentOnly {
	t.Helper()
	b := &tencentOnly{app: app, token: token}
	reply := func(w http.ResponseWriter, status, code int, info string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		b, _ := json.Marshal(map[string]any{"ActionStatus": map[bool]string{true: "OK", false: "FAIL"}[code == 0], "ErrorCode": code, "ErrorInfo": info})
		w.Write(b)
	}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/im/callback" || q.Get("CallbackCommand") == "" {
			b.mu.Lock()
			b.lost++
			b.mu.Unlock()
			http.NotFound(w, r)
			return
		}
		b.mu.Lock()
		b.callbacks++
		b.mu.Unlock()
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
		switch {
		case q.Get("SdkAppid") != b.app:
			reply(w, http.StatusForbidden, 1, "wrong app")
		case b.token != "" && !b.signed(q.Get("Sign"), q.Get("RequestTime")):
			reply(w, http.StatusForbidden, 1, "bad signature")
		case err != nil || len(body) > 1<<20:
			reply(w, http.StatusOK, 1, "too large")
		case !json.Valid(body) || !gjson.ParseBytes(body).IsObject():
			reply(w, http.StatusOK, 1, "not JSON")
		case bodyCommand(body) != "" && bodyCommand(body) != q.Get("CallbackCommand"),
			!strings.Contains(q.Get("CallbackCommand"), ".") || strings.Contains(q.Get("CallbackCommand"), "Imhook"):
			reply(w, http.StatusOK, 1, "unknown command")
		default:
			reply(w, http.StatusOK, 0, "")
		}
	}))
	t.Cleanup(b.Close)
	return b
}

// bodyCommand is the command a Tencent body names (at its top, or in its
// first event for the batched push callbacks), or "" for one that leaves it
// to the URL (ContentCallback.ResultNotify).
func bodyCommand(body []byte) string {
	if c := gjson.GetBytes(body, "CallbackCommand").Str; c != "" {
		return c
	}
	return gjson.GetBytes(body, "Events.0.CallbackCommand").Str
}

func (b *tencentOnly) signed(sign, requestTime string) bool {
	n, err := strconv.ParseInt(requestTime, 10, 64)
	if err != nil || time.Since(time.Unix(n, 0)).Abs() > time.Minute {
		return false
	}
	sum := sha256.Sum256([]byte(b.token + requestTime))
	return strings.EqualFold(sign, hex.EncodeToString(sum[:]))
}

func (b *tencentOnly) counts() (callbacks, lost int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.callbacks, b.lost
}

// A backend that serves one vendor passes every mode narrowed to that
// vendor, and gets none of the other vendor's callbacks; a bare --target
// for callbacks of both vendors is a usage error before anything is sent.
func TestTencentOnlyBackend(t *testing.T) {
	t.Parallel()
	const app, token = "1400123456", "t0k3n"
	b := newTencentOnly(t, app, token)
	url := b.URL + "/im/callback"
	for _, args := range [][]string{
		{"simulate", "--all", "--vendor", "tencent", "--target", url, "--sdkappid", app, "--token", token},
		{"simulate", "--probe", "robustness", "--vendor", "tencent", "--target", url, "--sdkappid", app, "--token", token},
		{"simulate", "--probe", "security", "--vendor", "tencent", "--target", url, "--sdkappid", app, "--token", token},
		{"simulate", "--all", "--target", "tencent=" + url, "--sdkappid", app, "--token", token},
		{"simulate", "--scenario", "conversation", "--vendor", "tencent", "--target", url, "--sdkappid", app, "--token", token},
	} {
		if r := runCmd(t, nil, "", append(args, "-q")...); r.code != 0 {
			t.Errorf("%v: %s", args, r)
		}
	}
	if calls, lost := b.counts(); calls == 0 || lost != 0 {
		t.Errorf("the backend answered %d callbacks and got %d requests that were not Tencent callbacks", calls, lost)
	}
	before, _ := b.counts()
	r := runCmd(t, nil, "", "simulate", "--all", "--target", url, "--sdkappid", app, "--token", token)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--vendor") || !strings.Contains(r.stderr, "tencent=URL") {
		t.Errorf("--all with a bare target: %s", r)
	}
	if after, _ := b.counts(); after != before {
		t.Errorf("the usage error sent %d request(s)", after-before)
	}
}

// The README's CI recipe passes, as written, against a backend that
// serves one vendor: its contract.json, its workflow's environment and the
// imhook commands of its steps.
func TestREADMECIRecipe(t *testing.T) {
	t.Parallel()
	suite, wf, env := readmeRecipe(t, "## Contract checks in CI")
	checkWorkflow(t, wf)
	const token = "ci-token"
	b := newTencentOnly(t, env["IMHOOK_SDKAPPID"], token)
	if env["IMHOOK_TARGET"] == "" || env["IMHOOK_SDKAPPID"] == "" || !strings.Contains(env["IMHOOK_TOKEN"], "secrets.") {
		t.Fatalf("the workflow's env: %v", env)
	}
	env["IMHOOK_TARGET"] = strings.ReplaceAll(env["IMHOOK_TARGET"], "http://127.0.0.1:8080", b.URL)
	env["IMHOOK_TOKEN"] = token
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "contract.json"), []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, rep := range runRecipe(t, wf, env, dir, 1, "contract.json") {
		if failed, all := failedSuites(t, rep); len(failed) > 0 || len(all) < 6 {
			t.Errorf("%s: parts %v, failed %v", rep, all, failed)
		}
	}
	if calls, lost := b.counts(); calls == 0 || lost != 0 {
		t.Errorf("the backend answered %d callbacks and got %d requests that were not Tencent callbacks", calls, lost)
	}
}

// workflow is what the recipes' tests read of a GitHub Actions workflow.
type workflow struct {
	Name        string            `yaml:"name"`
	On          any               `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		RunsOn string            `yaml:"runs-on"`
		Env    map[string]string `yaml:"env"`
		Steps  []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Run  string            `yaml:"run"`
			If   string            `yaml:"if"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// readmeRecipe reads a CI recipe of the README: the first json and yaml
// blocks after heading, the workflow parsed as YAML (its one job), and
// the IMHOOK_ variables of the job's env.
func readmeRecipe(t *testing.T, heading string) (suite string, wf workflow, env map[string]string) {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i := strings.Index(s, heading)
	if i < 0 {
		t.Fatalf("no %q section in README.md", heading)
	}
	s = s[i:]
	block := func(lang string) string {
		start := strings.Index(s, "```"+lang+"\n")
		if start < 0 {
			t.Fatalf("no %s block under %q", lang, heading)
		}
		body := s[start+len(lang)+4:]
		return body[:strings.Index(body, "```")]
	}
	suite = block("json")
	dec := yaml.NewDecoder(strings.NewReader(block("yaml")))
	dec.KnownFields(true)
	if err := dec.Decode(&wf); err != nil {
		t.Fatalf("the workflow under %q is not the YAML of a workflow: %v", heading, err)
	}
	if len(wf.Jobs) != 1 {
		t.Fatalf("the workflow has %d jobs, want one", len(wf.Jobs))
	}
	env = map[string]string{}
	for _, j := range wf.Jobs {
		for k, v := range j.Env {
			if strings.HasPrefix(k, "IMHOOK_") {
				env[k] = v
			}
		}
	}
	return suite, wf, env
}

// actionVersions are the oldest majors of the actions a recipe may use:
// those that run on Node 24 (GitHub's runners stop running Node 20
// actions in 2026).
var actionVersions = map[string]int{"actions/checkout": 5, "actions/setup-go": 6, "actions/upload-artifact": 6}

// checkWorkflow holds a recipe's workflow to what CI needs: read-only
// permissions, every action pinned to a release (current ones, imhook's to
// the release it installs), and an imhook command to run.
func checkWorkflow(t *testing.T, wf workflow) {
	t.Helper()
	if wf.On == nil || wf.Permissions["contents"] != "read" || len(wf.Permissions) != 1 {
		t.Errorf("the workflow's on and permissions: %v, %v; want permissions: {contents: read}", wf.On, wf.Permissions)
	}
	pinned := regexp.MustCompile(`^v(\d+)(\.\d+\.\d+)?$`)
	for _, j := range wf.Jobs {
		installs := false
		for _, st := range j.Steps {
			if st.Uses == "" {
				if strings.Contains(st.Run, "@latest") {
					t.Errorf("step %q installs @latest: pin a release", st.Name)
				}
				continue
			}
			name, ref, _ := strings.Cut(st.Uses, "@")
			m := pinned.FindStringSubmatch(ref)
			if m == nil {
				t.Errorf("%s is not pinned to a release", st.Uses)
				continue
			}
			major, _ := strconv.Atoi(m[1])
			if min, ok := actionVersions[name]; ok && major < min {
				t.Errorf("%s: use v%d or later (Node 24)", st.Uses, min)
			}
			if name == "imhook/imhook" {
				installs = true
				if m[2] == "" || st.With["version"] != ref || st.With["check"] != "false" {
					t.Errorf("%s: pin the action to the release it installs (with: version: %s) and leave the check to the recipe's step", st.Uses, ref)
				}
			}
		}
		if !installs {
			t.Error("the workflow does not install imhook with the repository's action")
		}
	}
}

// runRecipe runs the imhook commands of a workflow's run: lines (and their
// mkdir -p) in dir, with env; files are the recipe's files, and reports/
// paths, which are made relative to dir. It wants at least min commands,
// and returns the reports written.
func runRecipe(t *testing.T, wf workflow, env map[string]string, dir string, min int, files ...string) (reports []string) {
	t.Helper()
	n := 0
	for _, j := range wf.Jobs {
		for _, st := range j.Steps {
			if !strings.Contains(st.Run, "imhook ") || strings.Contains(st.Run, "\n") {
				continue
			}
			n++
			for _, part := range strings.Split(st.Run, "&&") {
				fields := strings.Fields(part)
				switch {
				case len(fields) == 3 && fields[0] == "mkdir" && fields[1] == "-p":
					if err := os.MkdirAll(filepath.Join(dir, fields[2]), 0o755); err != nil {
						t.Fatal(err)
					}
				case len(fields) > 1 && fields[0] == "imhook":
					args := fields[1:]
					for i, a := range args {
						if slices.Contains(files, a) || strings.HasPrefix(a, "reports/") {
							args[i] = filepath.Join(dir, a)
						}
						if strings.HasPrefix(a, "reports/") {
							reports = append(reports, args[i])
						}
					}
					if r := runCmd(t, env, "", append(args, "-q")...); r.code != 0 {
						t.Errorf("%s: %s", part, r)
					}
				default:
					t.Fatalf("the workflow runs %q, which this test does not know", part)
				}
			}
		}
	}
	if n < min {
		t.Fatalf("the workflow runs %d imhook commands, want at least %d", n, min)
	}
	return reports
}
