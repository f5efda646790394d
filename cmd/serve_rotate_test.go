//go:build unix

package cmd

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
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

// The record file of a running serve is rotated (moved away) and then
// deleted: stderr says so within a second each time, and after exit every
// exchange answered 200 is in a record file on disk, except those the
// deletion itself took (answered before it).
func TestServeRecordFileRotatedAndDeleted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "calls.jsonl")
	proc, url, log := startImhookLog(t, "serve", "--addr", "127.0.0.1:0", "--record", path, "-o", "json")
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	client := simulate.NewClient(nil)
	var mu sync.Mutex
	var phase atomic.Int32 // 0 before the move, 1 between the move and the deletion, 2 after it
	acked := map[string]int32{}
	var seq atomic.Int64
	nAcked := newAcks()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
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
				sent := phase.Load()
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					acked[gjson.GetBytes(b, "MsgKey").Str] = sent
					mu.Unlock()
					nAcked.add()
				}
			}
		}()
	}
	waitAcked := func(n int64) {
		t.Helper()
		nAcked.wait(t, n, 20*time.Second, log)
	}
	waitSaid := func(what string) {
		t.Helper()
		log.wait(t, what, time.Second)
	}
	waitAcked(100)
	moved := path + ".1"
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	phase.Store(1)
	waitSaid("--record " + path + " was moved away")
	waitAcked(nAcked.load() + 100)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	phase.Store(2)
	waitSaid("--record " + path + " was deleted")
	waitAcked(nAcked.load() + 100)
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(); err != nil {
		t.Fatalf("imhook serve: %v; stderr:\n%s", err, log.String())
	}
	close(stop)
	wg.Wait()

	recorded := map[string]bool{}
	for _, p := range []string{moved, path} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recordtest.Read(t, p, f) {
			recorded[gjson.GetBytes(rec.Request.Body, "MsgKey").Str] = true
		}
		f.Close()
	}
	missing := 0
	for k, sent := range acked {
		if sent != 1 && !recorded[k] { // phase 1's went with the deleted file
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d callbacks answered 200 before the move or after the deletion are in no record file", missing, len(acked))
	}
	t.Logf("%d answered 200, %d on disk", len(acked), len(recorded))
}
