package cmd

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/simulate"
)

// A record file on a disk that fills up: serve answers 500 (not
// acknowledged) to what it cannot record, says so on stderr at once, once
// for the streak, even with -q; once space is freed it records and answers
// 200 again, says so with the count, and the file holds whole lines only,
// one per exchange answered 200. Needs the right to mount a tmpfs (root);
// skipped otherwise.
func TestServeRecordDiskFullRecovers(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=128k"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 96<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "calls.jsonl")
	proc, url, log := startImhookLog(t, "serve", "--addr", "127.0.0.1:0", "--record", path)
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	client := simulate.NewClient(nil)
	send := func(i int) int {
		t.Helper()
		b, _ := generate.Generate(e, generate.GenOptions{Seed: uint64(i)})
		b, _ = sjson.SetBytes(b, "Pad", strings.Repeat("x", 3000))
		req, _ := platform.Tencent.NewRequest(url, e.Command, b, platform.Params{})
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	waitLog := func(what string) string {
		t.Helper()
		return log.wait(t, what, 10*time.Second)
	}
	acked, i := 0, 0
	for ; i < 100 && send(i) == http.StatusOK; i++ {
		acked++
	}
	if i == 100 {
		t.Fatal("the full disk took every record")
	}
	// The first 500 is reported at once; three more make no new line.
	l := waitLog("answered 500")
	for j := 0; j < 3; j++ {
		if st := send(1000 + j); st != http.StatusInternalServerError {
			t.Fatalf("a request while the disk is full got %d", st)
		}
	}
	if n := strings.Count(log.String(), "answered 500"); n != 1 || !strings.Contains(l, "no space left on device") || !strings.Contains(l, "1 exchange(s)") {
		t.Fatalf("want one report of the full disk with its count; stderr:\n%s", log.String())
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 3; j++ {
		if st := send(2000 + j); st != http.StatusOK {
			t.Fatalf("request %d after space was freed got %d", j, st)
		}
		acked++
	}
	waitLog("writing again")
	if !strings.Contains(log.String(), "4 exchange(s)") {
		t.Fatalf("the end of the streak does not count the 4 lost exchanges:\n%s", log.String())
	}
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("serve exited %d after SIGTERM, want 0; stderr:\n%s", ee.ExitCode(), log.String())
		}
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(raw), "\n") {
		t.Fatalf("the record file ends in a torn line: ...%q", raw[max(0, len(raw)-40):])
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	for n, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("line %d is not JSON: %.80q", n+1, line)
		}
	}
	if len(lines) != acked {
		t.Fatalf("%d records for %d exchanges answered 200", len(lines), acked)
	}
}
