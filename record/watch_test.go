//go:build unix

package record

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The watcher notices a record file deleted, moved away or replaced, reopens
// the path and loses nothing: every record written is, after Close, in a
// file on disk (the records written into a deleted file are copied over).
func TestWriterWatchReopens(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "calls.jsonl")
	w, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan Reopen, 8)
	w.Watch(func(r Reopen) { events <- r })
	n := 0
	write := func(k int) {
		for range k {
			if err := w.Write(&Record{Time: time.Now(), Vendor: "tencent", Command: fmt.Sprintf("c%d", n), Request: &Message{Method: "POST"}}); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	wait := func(what string) Reopen {
		t.Helper()
		select {
		case r := <-events:
			if r.What != what || r.Err != nil {
				t.Fatalf("told %+v, want %s", r, what)
			}
			return r
		case <-time.After(40 * WatchEvery): // a tick or two when idle; a deadline, not a timing
			t.Fatalf("not told within %v that the file was %s", 40*WatchEvery, what)
		}
		return Reopen{}
	}
	write(5)
	time.Sleep(2 * WatchEvery) // the watcher has seen the file at its path
	// Deleted: 5 records go into the deleted file before the watcher sees it.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	write(5)
	// How many of them went into the deleted file depends on when the
	// watcher's tick falls; that none is lost is checked at the end.
	if r := wait("deleted"); !r.Gone {
		t.Errorf("deleted: %+v, want the file gone", r)
	}
	write(5)
	// Moved away (rotation): records go on at the path.
	moved := filepath.Join(dir, "calls.jsonl.1")
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	write(5)
	if r := wait("moved"); r.Gone {
		t.Errorf("moved: %+v, the old file is still reachable", r)
	}
	write(5)
	// Replaced by another file (renamed over the path): the old one is gone.
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	write(5)
	if r := wait("replaced"); !r.Gone {
		t.Errorf("replaced: %+v, want the old file gone", r)
	}
	write(5)
	// Deleted just before the end: Close looks once more.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	write(3)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range []string{path, moved} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range readAll(t, p, f) {
			seen[rec.Command] = true
		}
		f.Close()
	}
	// c0-c4 went with the file deleted first, and c20-c34 with the file
	// deleted last (they were in it while the path named it): the user's
	// deletions. Every other record is on disk.
	for i := range n {
		if i < 5 || i >= 20 && i < 35 {
			continue
		}
		if !seen[fmt.Sprintf("c%d", i)] {
			t.Errorf("record c%d of %d is in no file on disk", i, n)
		}
	}
}
