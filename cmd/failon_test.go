package cmd

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/internal/ui"
)

// report's exit code: 1 on a recording with a failed exchange (--fail-on
// error, the default), 0 with --fail-on never; a warning fails only with
// --fail-on warning; a torn or NUL-filled line is an input error (2)
// whatever --fail-on says.
func TestReportFailOn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.jsonl"), filepath.Join(dir, "bad.jsonl")
	if r := runCmd(t, nil, "", "simulate", tencentCmd, "--seed", "3", "--record", good, "-q"); r.code != 0 {
		t.Fatal(r)
	}
	fail := newBackend(t, reply{body: `{"ActionStatus":"FAIL","ErrorInfo":"no","ErrorCode":1}`})
	if r := runCmd(t, nil, "", "simulate", tencentCmd, "--target", fail.URL, "--record", bad, "-q"); r.code != ExitContract {
		t.Fatal(r)
	}
	warned := filepath.Join(dir, "warned.jsonl")
	// ErrorCode 5 with ActionStatus OK to an after-callback is a warning, no failure.
	extra := newBackend(t, reply{body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":5}`})
	if r := runCmd(t, nil, "", "simulate", tencentCmd, "--target", extra.URL, "--record", warned, "-q"); r.code != 0 {
		t.Fatal(r)
	}
	for _, c := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{good}, 0, ""},
		{[]string{bad}, ExitContract, "1 exchange(s) failed or got no reply (--fail-on error)"},
		{[]string{bad, "--fail-on", "error"}, ExitContract, "(--fail-on error)"},
		{[]string{bad, "--fail-on", "never"}, 0, ""},
		{[]string{good, "--fail-on", "warning"}, 0, ""},
		{[]string{warned}, 0, ""},
		{[]string{warned, "--fail-on", "warning"}, ExitContract, "warning(s) (--fail-on warning)"},
		{[]string{good, "--fail-on", "sometimes"}, ExitUsage, "--fail-on must be error, warning or never"},
	} {
		r := runCmd(t, nil, "", append([]string{"report"}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.say) {
			t.Errorf("report %v: want exit %d saying %q; %s", c.args, c.code, c.say, r)
		}
	}
	// A torn last line (a crash mid-write) and a NUL-filled tail (a
	// preallocated file): exit 2 even with --fail-on never, and the lines
	// are named.
	b, _ := os.ReadFile(good)
	torn := filepath.Join(dir, "torn.jsonl")
	os.WriteFile(torn, append(append([]byte{}, b...), b[:len(b)/2]...), 0o644)
	nul := filepath.Join(dir, "nul.jsonl")
	os.WriteFile(nul, append(append([]byte{}, b...), make([]byte, 4096)...), 0o644)
	for _, f := range []string{torn, nul} {
		r := runCmd(t, nil, "", "report", f, "--fail-on", "never")
		if r.code != ExitUsage || !strings.Contains(r.stderr, filepath.Base(f)+":2:") {
			t.Errorf("report %s: want exit 2 naming line 2; %s", filepath.Base(f), r)
		}
	}
}

// lockedBuffer is a buffer a command writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve exits 0 after exchanges that failed, unless --fail-on error: then 1
// at the end, once the summary is out.
func TestServeFailOn(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		code int
	}{{nil, 0}, {[]string{"--fail-on", "never"}, 0}, {[]string{"--fail-on", "error"}, ExitContract}} {
		var out, errOut lockedBuffer
		s := &ui.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			done <- Run(ctx, s, append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...))
		}()
		var url string
		for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if m := listeningRE.FindStringSubmatch(errOut.String()); m != nil {
				url = m[1]
			}
		}
		if url == "" {
			cancel()
			t.Fatalf("serve did not start:\n%s", errOut.String())
		}
		// A callback whose body is not JSON fails the exchange.
		resp, err := http.Post(url+"/?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI", "application/json", strings.NewReader("{"))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		resp.Body.Close()
		cancel()
		select {
		case code := <-done:
			if code != c.code || !strings.Contains(errOut.String(), "1 failed") {
				t.Errorf("serve %v: exit %d, want %d\n%s", c.args, code, c.code, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("serve %v did not stop", c.args)
		}
	}
}
