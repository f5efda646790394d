package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionFile is what a runner reads of action.yml.
type actionFile struct {
	Name    string
	Inputs  map[string]struct{ Default string }
	Outputs map[string]struct{ Value string }
	Runs    struct {
		Using string
		Steps []struct {
			ID    string
			If    string
			Shell string
			Env   map[string]string
			Run   string
		}
	}
}

// expr is a ${{ ... }} expression of the workflow syntax.
var expr = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// TestAction runs action.yml's steps as a runner would, in bash with the
// runner's files and variables, against a release served on 127.0.0.1 whose
// imhook writes down the arguments it was given: the install step installs
// and verifies it and puts it on PATH, the check step turns the inputs into
// imhook check's flags, and check: false stops after the install.
func TestAction(t *testing.T) {
	needTools(t)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed: the action's steps run in bash")
	}
	b, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" || len(a.Runs.Steps) != 2 {
		t.Fatalf("action.yml: want a composite action of two steps (install, check), found %q with %d", a.Runs.Using, len(a.Runs.Steps))
	}

	// The release: an imhook that answers version and writes its
	// arguments, one a line, to $ARGS_FILE.
	const version = "v2.0.0"
	if a.Inputs["version"].Default == "" {
		t.Fatal("action.yml: the version input has no default (a pinned release)")
	}
	fake := []byte("#!/bin/sh\nif [ \"$1\" = version ]; then echo \"imhook " + version + " (fake)\"; exit 0; fi\nprintf '%s\\n' \"$@\" >\"$ARGS_FILE\"\n")
	archive := fmt.Sprintf("imhook_2.0.0_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH)
	tgz := tarGz(t, "imhook", fake)
	rel := &fakeRelease{files: map[string][]byte{
		version + "/" + archive:                 tgz,
		version + "/imhook_2.0.0_checksums.txt": []byte(sha256hex(tgz) + "  " + archive + "\n"),
		// v2.0.1: the checksums file does not match the archive.
		"v2.0.1/" + strings.ReplaceAll(archive, "2.0.0", "2.0.1"): tgz,
		"v2.0.1/imhook_2.0.1_checksums.txt":                       []byte(strings.Repeat("0", 64) + "  " + strings.ReplaceAll(archive, "2.0.0", "2.0.1") + "\n"),
	}}
	srv := httptest.NewServer(rel)
	defer srv.Close()
	rel.url = srv.URL
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}

	// run runs the steps with the inputs given (the others at their
	// defaults) and returns the files the runner reads back.
	run := func(t *testing.T, with map[string]string) (outputs, path, args string, work string) {
		t.Helper()
		work = t.TempDir()
		inputs := map[string]string{}
		for k, v := range a.Inputs {
			inputs[k] = v.Default
		}
		for k, v := range with {
			if _, ok := a.Inputs[k]; !ok {
				t.Fatalf("action.yml has no input %q", k)
			}
			inputs[k] = v
		}
		steps := map[string]map[string]string{}
		files := map[string]string{}
		for _, f := range []string{"GITHUB_PATH", "GITHUB_OUTPUT", "ARGS_FILE"} {
			files[f] = filepath.Join(work, strings.ToLower(f))
			if err := os.WriteFile(files[f], nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		eval := func(e string) string {
			switch {
			case strings.HasPrefix(e, "inputs."):
				v, ok := inputs[strings.TrimPrefix(e, "inputs.")]
				if !ok {
					t.Fatalf("action.yml uses %s, which is no input", e)
				}
				return v
			case e == "runner.temp":
				return filepath.Join(work, "runner-temp")
			case strings.HasPrefix(e, "steps."):
				p := strings.Split(e, ".") // steps.ID.outputs.NAME
				if len(p) != 4 || p[2] != "outputs" {
					t.Fatalf("action.yml: unexpected expression %s", e)
				}
				return steps[p[1]][p[3]]
			}
			t.Fatalf("action.yml: an expression this test does not know: %s", e)
			return ""
		}
		for _, s := range a.Runs.Steps {
			if s.If != "" {
				// The one condition the action has: inputs.NAME != 'VALUE'.
				m := regexp.MustCompile(`^inputs\.(\w+) != '([^']*)'$`).FindStringSubmatch(s.If)
				if m == nil {
					t.Fatalf("action.yml: step %s: a condition this test does not know: %s", s.ID, s.If)
				}
				if inputs[m[1]] == m[2] {
					continue
				}
			}
			if s.Shell != "bash" || expr.MatchString(s.Run) {
				t.Fatalf("action.yml: step %s must run in bash and take its inputs through env, not ${{ }} in run (the shell would read them as code)", s.ID)
			}
			// A runner runs bash steps as bash --noprofile --norc -eo pipefail FILE.
			script := filepath.Join(work, s.ID+".sh")
			if err := os.WriteFile(script, []byte(s.Run), 0o644); err != nil {
				t.Fatal(err)
			}
			c := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
			c.Dir = work
			c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work, "RUNNER_OS=Linux", "GITHUB_ACTION_PATH=" + wd,
				"IMHOOK_BASE_URL=" + rel.url + "/download"}
			for k, f := range files {
				c.Env = append(c.Env, k+"="+f)
			}
			for k, v := range s.Env {
				c.Env = append(c.Env, k+"="+expr.ReplaceAllStringFunc(v, func(m string) string { return eval(expr.FindStringSubmatch(m)[1]) }))
			}
			out, err := c.CombinedOutput()
			if err != nil {
				t.Fatalf("step %s: %v\n%s", s.ID, err, out)
			}
			// The step's outputs, for the next steps' expressions.
			got, _ := os.ReadFile(files["GITHUB_OUTPUT"])
			steps[s.ID] = map[string]string{}
			for _, l := range strings.Split(string(got), "\n") {
				if k, v, ok := strings.Cut(l, "="); ok {
					steps[s.ID][k] = v
				}
			}
		}
		o, _ := os.ReadFile(files["GITHUB_OUTPUT"])
		p, _ := os.ReadFile(files["GITHUB_PATH"])
		g, _ := os.ReadFile(files["ARGS_FILE"])
		return string(o), string(p), string(g), work
	}

	bin := func(work string) string { return filepath.Join(work, "runner-temp", "imhook-"+version, "bin") }

	t.Run("check with every input", func(t *testing.T) {
		outputs, path, args, work := run(t, map[string]string{
			"version": version,
			"targets": "tencent=http://127.0.0.1:8080/im\n  openim=http://127.0.0.1:8081/cb  \n\n",
			"suites":  "contract.json\nsuites/with space.json\n",
			"junit":   "reports/ci/imhook.xml",
			"args":    "--seed 7 --max-failures 20",
		})
		want := []string{"check", "--target", "tencent=http://127.0.0.1:8080/im", "--target", "openim=http://127.0.0.1:8081/cb",
			"--suite", "contract.json", "--suite", "suites/with space.json", "--junit", "reports/ci/imhook.xml", "--seed", "7", "--max-failures", "20"}
		if got := strings.Split(strings.TrimSuffix(args, "\n"), "\n"); !slices.Equal(got, want) {
			t.Errorf("imhook was run with\n%q\nwant\n%q", got, want)
		}
		if path != bin(work)+"\n" {
			t.Errorf("GITHUB_PATH: %q, want %s", path, bin(work))
		}
		if !strings.Contains(outputs, "path="+filepath.Join(bin(work), "imhook")+"\n") || !strings.Contains(outputs, "junit=reports/ci/imhook.xml\n") {
			t.Errorf("GITHUB_OUTPUT:\n%s", outputs)
		}
		if fi, err := os.Stat(filepath.Join(work, "reports", "ci")); err != nil || !fi.IsDir() {
			t.Errorf("the JUnit report's directory was not made: %v", err)
		}
	})

	t.Run("defaults", func(t *testing.T) {
		_, _, args, _ := run(t, map[string]string{"version": version})
		if want := "check\n--junit\n" + a.Inputs["junit"].Default + "\n"; args != want {
			t.Errorf("imhook was run with %q, want %q", args, want)
		}
	})

	t.Run("install only", func(t *testing.T) {
		_, path, args, work := run(t, map[string]string{"version": version, "check": "false"})
		if args != "" || path != bin(work)+"\n" {
			t.Errorf("check: false ran imhook with %q (want nothing) and put %q on PATH", args, path)
		}
	})

	t.Run("a release that fails its checksum stops the action", func(t *testing.T) {
		step := a.Runs.Steps[0]
		script := filepath.Join(t.TempDir(), "install.sh")
		if err := os.WriteFile(script, []byte(step.Run), 0o644); err != nil {
			t.Fatal(err)
		}
		work := t.TempDir()
		c := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		c.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work, "RUNNER_OS=Linux", "GITHUB_ACTION_PATH=" + wd,
			"IMHOOK_BASE_URL=" + rel.url + "/download", "IMHOOK_VERSION=v2.0.1", "IMHOOK_INSTALL_DIR=" + filepath.Join(work, "bin"),
			"GITHUB_PATH=" + filepath.Join(work, "path"), "GITHUB_OUTPUT=" + filepath.Join(work, "output")}
		out, err := c.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "checksum mismatch") {
			t.Errorf("want the step to fail with a checksum mismatch: %v\n%s", err, out)
		}
		if p, _ := os.ReadFile(filepath.Join(work, "path")); len(p) != 0 {
			t.Errorf("a refused release was put on PATH: %s", p)
		}
	})
}
