package main

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/cmd"
	"github.com/imhook/imhook/imhooktest"
	"github.com/imhook/imhook/internal/ui"
)

// readmeAddr is the backend's address in the README; the test's listener
// stands in for it.
const readmeAddr = "http://127.0.0.1:8080/im"

// TestFirstFiveMinutes runs the README's "first five minutes" against this
// backend: each imhook command of the section's shell blocks runs as it is
// written (a test listener in place of 127.0.0.1:8080) and must exit as its
// comment says; the first run's output must hold the lines the section
// quotes; the fix the section describes is the one this file needs, and
// after it the runs pass.
func TestFirstFiveMinutes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := sectionOf(t, string(readme), "## The first five minutes")
	// The fix the section describes, and that it is this file's.
	fix := regexp.MustCompile("make `([^`]+)` read `([^`]+)`").FindStringSubmatch(section)
	src, _ := os.ReadFile("main.go")
	if fix == nil || !bytes.Contains(src, []byte(fix[1])) || fix[2] != "return code" {
		t.Fatalf("the section's fix %q does not match main.go", fix)
	}

	srv := httptest.NewServer(handler())
	defer srv.Close()
	defer func(f func(int) any) { errorCode = f }(errorCode)

	blocks := regexp.MustCompile("(?s)```(sh|text)\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) != 3 {
		t.Fatalf("%d blocks in the section, want sh, text, sh", len(blocks))
	}
	var runs int
	var first string
	for bi, b := range blocks {
		if b[1] == "text" {
			// The output the section quotes, after the first run: each line
			// starts a line of it (latencies vary).
			for _, want := range strings.Split(strings.TrimSpace(b[2]), "\n") {
				re := regexp.MustCompile("(?m)^" + latency.ReplaceAllString(regexp.QuoteMeta(want), `[0-9.]+(µs|ms|s)`))
				if !re.MatchString(first) {
					t.Errorf("the section quotes %q, which the first run does not print:\n%s", want, first)
				}
			}
			continue
		}
		if bi == 2 {
			// The section's fix.
			errorCode = func(code int) any { return code }
		}
		for _, line := range strings.Split(strings.TrimSpace(b[2]), "\n") {
			command, comment, _ := strings.Cut(line, "  #")
			command = strings.TrimSpace(command)
			if command == "go run ./examples/backend" {
				continue // the test's listener
			}
			args, ok := strings.CutPrefix(command, "go run . ")
			if !ok {
				t.Fatalf("a command the test does not know: %s", line)
			}
			m := regexp.MustCompile(`exit (\d)`).FindStringSubmatch(comment)
			if m == nil {
				t.Fatalf("%s: the comment says no exit code", line)
			}
			want, _ := strconv.Atoi(m[1])
			code, out := imhook(t, strings.ReplaceAll(args, readmeAddr, srv.URL+"/im"))
			if code != want {
				t.Errorf("%s: exit %d, want %d\n%s", command, code, want, out)
			}
			if runs == 0 {
				first = out
			}
			runs++
		}
	}
	if runs != 3 {
		t.Errorf("%d imhook runs in the section, want 3", runs)
	}
}

var latency = regexp.MustCompile(`[0-9]+\\\.[0-9]+ms`)

// sectionOf is the README's section under heading, to the next one.
func sectionOf(t *testing.T, readme, heading string) string {
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("no %q in README.md", heading)
	}
	s := readme[i+len(heading)+2:]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	return s
}

// imhook runs imhook's command line with a shell line's words (double
// quotes group) and returns its exit code and output (stdout, then stderr).
func imhook(t *testing.T, line string) (int, string) {
	t.Helper()
	var args []string
	for _, m := range regexp.MustCompile(`"([^"]*)"|(\S+)`).FindAllStringSubmatch(line, -1) {
		if m[2] != "" {
			args = append(args, m[2])
		} else {
			args = append(args, m[1])
		}
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := cmd.Run(ctx, &ui.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }}, args)
	return code, out.String() + errOut.String()
}

// The banned words are refused in any text element of a before-send
// callback, in any case; other callbacks and texts are accepted.
func TestBannedWords(t *testing.T) {
	for text, want := range map[string]bool{"hello": false, "Buy SPAM now": true, "a scam": true, "": false} {
		if banned(text) != want {
			t.Errorf("banned(%q) = %v", text, !want)
		}
	}
}

// The backend's own tests, with imhooktest: each check is a few lines of a
// Go test against the handler in process (no listener). They run on the
// handler with the README's fix (fixed); TestImhooktestFindsThePlantedBug
// runs the first on the handler as shipped.

// backend is the Harness of the handler: Tencent callbacks, at /im.
func backend(t *testing.T) *imhooktest.Harness {
	t.Helper()
	return imhooktest.New(t, handler(), imhooktest.Vendor("tencent"), imhooktest.Path("/im"))
}

// Every callback is answered as Tencent reads a reply.
func TestEveryCallback(t *testing.T) {
	fixed(t)
	backend(t).RunAll(t)
}

// A banned word is refused.
func TestBannedWordRefused(t *testing.T) {
	fixed(t)
	backend(t).Send(t, "C2C.CallbackBeforeSendMsg", imhooktest.Text("buy spam now"), imhooktest.Expect("reject"))
}

// Bad input (malformed JSON, wrong types, an unknown command, a body over
// 1 MiB, ...) still gets an answer in Tencent's reply shape.
func TestRobustness(t *testing.T) {
	fixed(t)
	backend(t).Probes(t, imhooktest.Robustness)
}

// The check of imhook check, a subtest a part (the backend takes any
// app's callbacks, so the security part is left out).
func TestCheck(t *testing.T) {
	fixed(t)
	backend(t).Check(t, imhooktest.Parts("callbacks", "conversation", "burst"))
}

// asShipped, set in the environment, leaves the planted bug in the handler
// (TestImhooktestFindsThePlantedBug's run of TestEveryCallback).
const asShipped = "IMHOOK_EXAMPLE_AS_SHIPPED"

// fixed applies the README's fix (make errorCode return code) for the
// test, unless asShipped is set.
func fixed(t *testing.T) {
	if os.Getenv(asShipped) != "" {
		return
	}
	shipped := errorCode
	t.Cleanup(func() { errorCode = shipped })
	errorCode = func(code int) any { return code }
}

// TestEveryCallback fails on the handler as shipped as the README's first
// run does: every one of the Tencent callbacks, each a failing subtest
// with the finding line the README quotes.
func TestImhooktestFindsThePlantedBug(t *testing.T) {
	if os.Getenv(asShipped) != "" {
		t.Skip("the run of TestEveryCallback on the handler as shipped")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestEveryCallback$", "-test.count", "1")
	run.Env = append(os.Environ(), asShipped+"=1")
	out, err := run.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the run on the handler as shipped did not fail (%v):\n%s", err, out)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := sectionOf(t, string(readme), "## The first five minutes")
	quoted := regexp.MustCompile(`(?m)^ +error response\.type .*$`).FindString(section)
	n, _ := strconv.Atoi(regexp.MustCompile(`Every one of the (\d+) Tencent callbacks fails`).FindStringSubmatch(section)[1])
	if quoted == "" || n == 0 {
		t.Fatalf("the section quotes no finding line or count")
	}
	if got := strings.Count(string(out), strings.TrimSpace(quoted)); got != n {
		t.Errorf("%d failures with %q, want %d (the README's count):\n%s", got, quoted, n, out)
	}
	if got := regexp.MustCompile(`(?m)^    --- FAIL: TestEveryCallback/`).FindAll(out, -1); len(got) != n {
		t.Errorf("%d failing subtests, want %d", len(got), n)
	}
	if !strings.Contains(string(out), "--> tencent C2C.CallbackAfterSendMsg  <-- 200 ") {
		t.Errorf("no exchange line of C2C.CallbackAfterSendMsg:\n%s", out)
	}
}
