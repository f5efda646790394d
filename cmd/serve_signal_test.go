package cmd

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/recordtest"
	"github.com/imhook/imhook/simulate"
)

// TestMain lets a test run this binary as imhook itself (IMHOOK_TEST_EXEC=1),
// so that signals reach a real process.
func TestMain(m *testing.M) {
	if os.Getenv("IMHOOK_TEST_EXEC") == "1" {
		os.Exit(Execute())
	}
	os.Exit(m.Run())
}

// startImhook runs `imhook args...` as a process and returns it with the
// receiver URL it announced on stderr.
func startImhook(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	c, u, _ := startImhookLog(t, args...)
	return c, u
}

// startImhookLog is startImhook that also keeps what the process writes on
// stderr (log).
func startImhookLog(t *testing.T, args ...string) (c *exec.Cmd, url string, log *stderrLog) {
	t.Helper()
	c = exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), "IMHOOK_TEST_EXEC=1", "NO_COLOR=1")
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout = io.Discard
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill() })
	log = newStderrLog()
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.add(sc.Text())
		}
	}()
	l := log.wait(t, "listening on http://127.0.0.1:", 10*time.Second)
	m := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(l)
	return c, m[1], log
}

// stderrLog is what a process wrote on stderr so far, line by line.
type stderrLog struct {
	mu   sync.Mutex
	sb   strings.Builder
	grew chan struct{} // closed when a line is added
}

func newStderrLog() *stderrLog { return &stderrLog{grew: make(chan struct{})} }

func (l *stderrLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sb.WriteString(line + "\n")
	close(l.grew)
	l.grew = make(chan struct{})
}

func (l *stderrLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.String()
}

// wait returns the log once it says what; the test fails when it has not
// within the time given.
func (l *stderrLog) wait(t *testing.T, what string, within time.Duration) string {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		s, grew := l.sb.String(), l.grew
		l.mu.Unlock()
		if strings.Contains(s, what) {
			return s
		}
		select {
		case <-grew:
		case <-deadline.C:
			t.Fatalf("stderr does not say %q within %s:\n%s", what, within, s)
		}
	}
}

// acks counts the callbacks a backend's caller saw answered, and lets a
// test wait for a count.
type acks struct {
	mu   sync.Mutex
	n    int64
	grew chan struct{} // closed at each count
}

func newAcks() *acks { return &acks{grew: make(chan struct{})} }

func (a *acks) add() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	close(a.grew)
	a.grew = make(chan struct{})
}

func (a *acks) load() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// wait returns once n were counted; the test fails when they were not
// within the time given.
func (a *acks) wait(t *testing.T, n int64, within time.Duration, log *stderrLog) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		got, grew := a.n, a.grew
		a.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-grew:
		case <-deadline.C:
			t.Fatalf("only %d of %d callbacks answered 200 within %s; stderr:\n%s", got, n, within, log)
		}
	}
}

// SIGTERM in the middle of load: the receiver stops accepting, finishes what
// is in flight, flushes the record file and exits 0; every request answered
// 200 is in the file and every line parses.
func TestServeSIGTERMUnderLoad(t *testing.T) { serveSignalUnderLoad(t, syscall.SIGTERM) }

// SIGHUP (a closed terminal) does what SIGTERM does: drain, summary, exit 0
// (a rotated record file needs no signal: the writer notices it).
func TestServeSIGHUPUnderLoad(t *testing.T) { serveSignalUnderLoad(t, syscall.SIGHUP) }

func serveSignalUnderLoad(t *testing.T, sig syscall.Signal) {
	path := filepath.Join(t.TempDir(), "calls.jsonl")
	proc, url, log := startImhookLog(t, "serve", "--addr", "127.0.0.1:0", "--record", path, "-o", "json", "--delay", "2ms")
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	client := simulate.NewClient(nil)
	var acked sync.Map
	var seq atomic.Int64
	nAcked := newAcks()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				b, _ := generate.Generate(e, generate.GenOptions{Seed: uint64(seq.Add(1))})
				req, _ := platform.Tencent.NewRequest(url, e.Command, b, platform.Params{})
				resp, err := client.Do(req)
				if err != nil {
					continue // refused or reset once the receiver stops
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					acked.Store(gjson.GetBytes(b, "MsgKey").Str, true)
					nAcked.add()
				}
			}
		}()
	}
	nAcked.wait(t, 200, 20*time.Second, log)
	if err := proc.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	// The drain notice, read before Wait closes the pipe.
	log.wait(t, "stopping: finishing the requests in flight", 10*time.Second)
	done := make(chan error, 1)
	go func() { done <- proc.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("imhook serve exited %d after %v, want 0", ee.ExitCode(), sig)
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("imhook serve did not stop within 20s of %v", sig)
	}
	close(stop)
	wg.Wait()

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recorded := map[string]bool{}
	for _, rec := range recordtest.Read(t, "the record file", f) {
		recorded[gjson.GetBytes(rec.Request.Body, "MsgKey").Str] = true
	}
	missing := 0
	acked.Range(func(k, _ any) bool {
		if !recorded[k.(string)] {
			missing++
		}
		return true
	})
	if missing > 0 {
		t.Errorf("%d of %d acknowledged callbacks are not in the record file", missing, nAcked.load())
	}
	raw, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(raw), "\n") {
		t.Error("the record file ends with a torn line")
	}
	t.Logf("%d acknowledged, %d recorded", nAcked.load(), len(recorded))

}
