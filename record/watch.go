package record

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Reopen is what the watcher of a record file (Watch) found and did: the
// path no longer named the file being written (it was deleted, moved away,
// or another file took its place), and the writer reopened the path.
type Reopen struct {
	// Path is the record file's path.
	Path string
	// What happened to the file that was being written: "deleted" (no
	// name reaches it any more), "moved" (it lives on under another name),
	// "replaced" (another file is at the path; the old one was deleted or
	// moved, as Gone says).
	What string
	// Gone is set when no name reaches the old file any more: what was
	// written into it since the path last named it was copied into the
	// new file (Saved records).
	Gone  bool
	Saved int64
	// Err is why the path could not be reopened; records go on into the
	// old file, and the watcher tries again. Told once until a reopen
	// works.
	Err error
}

func (r Reopen) String() string {
	what := map[string]string{"deleted": "was deleted", "moved": "was moved away", "replaced": "was replaced by another file"}[r.What]
	if r.Err != nil {
		return fmt.Sprintf("%s %s and cannot be reopened: %v; records go on into the old file and the path is tried again", r.Path, what, r.Err)
	}
	msg := fmt.Sprintf("%s %s; reopened the path and went on writing there", r.Path, what)
	if r.Gone {
		msg += fmt.Sprintf(" (%d record(s) written into the old file since it went were copied over)", r.Saved)
	}
	return msg
}

// WatchEvery is how often Watch compares the open file with its path: a
// stat of each a tick, nothing per record.
const WatchEvery = 250 * time.Millisecond

// Watch makes a writer of OpenFile compare, every WatchEvery and once more
// at Close, the file it writes with the file its path names (device and
// inode). When they differ (the file was deleted, moved or replaced, as
// log rotation does), it reopens the path (creating it, or appending to the
// file now there) and goes on writing there, and tells f. Records written
// into a file that no name reaches any more are copied into the new one,
// so that every record written is in a file on disk. f is called from the
// watcher's goroutine, with no lock held. Call it once, before the first
// Write; it does nothing on a writer that is not of a regular file.
func (w *Writer) Watch(f func(Reopen)) {
	if w.path == "" || !w.regular || w.watchStop != nil {
		return
	}
	w.onReopen = f
	w.watchStop, w.watchDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(w.watchDone)
		t := time.NewTicker(WatchEvery)
		defer t.Stop()
		for {
			select {
			case <-w.watchStop:
				return
			case <-t.C:
				w.check()
			}
		}
	}()
}

// check compares the open file with its path and reopens the path when
// they differ. It holds the writer as its leader would, so that no write
// runs meanwhile.
func (w *Writer) check() {
	w.mu.Lock()
	for w.writing {
		w.cond.Wait()
	}
	if w.f == nil {
		w.mu.Unlock()
		return
	}
	w.writing = true
	w.mu.Unlock()
	ev, changed := w.compare()
	w.mu.Lock()
	w.writing = false
	w.cond.Broadcast()
	w.mu.Unlock()
	if changed && w.onReopen != nil {
		w.onReopen(ev)
	}
}

// compare does check's work; only the holder of the writer calls it.
func (w *Writer) compare() (Reopen, bool) {
	open, err := w.f.Stat()
	if err != nil {
		return Reopen{}, false
	}
	at, err := os.Stat(w.path)
	if err == nil && os.SameFile(open, at) {
		w.atPath, w.reopenTold = open.Size(), false
		return Reopen{}, false
	}
	ev := Reopen{Path: w.path, Gone: !linked(open)}
	switch {
	case err == nil:
		ev.What = "replaced"
	case ev.Gone:
		ev.What = "deleted"
	default:
		ev.What = "moved"
	}
	nf, err := openAppend(w.path)
	if err != nil {
		ev.Err = err
		told := w.reopenTold
		w.reopenTold = true
		return ev, !told
	}
	if ev.Gone {
		if ev.Saved, err = w.save(nf, open.Size()); err != nil {
			// What could not be copied stays in the old file, which is
			// kept open and tried again at the next tick.
			nf.Close()
			ev.Err = fmt.Errorf("copying the records written into the old file: %w", err)
			told := w.reopenTold
			w.reopenTold = true
			return ev, !told
		}
	}
	old := w.f
	w.f, w.w, w.torn, w.reopenTold = nf, nf, false, false
	if st, err := nf.Stat(); err == nil {
		w.atPath = st.Size()
	}
	_ = old.Close()
	return ev, true
}

// save copies the whole lines of the open file from where the path last
// named it to size into nf, and returns how many it copied.
func (w *Writer) save(nf *os.File, size int64) (int64, error) {
	end, err := lastLineEnd(w.f, size)
	if err != nil || end <= w.atPath {
		return 0, err
	}
	var lines int64
	buf := make([]byte, 64<<10)
	for off := w.atPath; off < end; {
		chunk := buf[:min(int64(len(buf)), end-off)]
		if _, err := w.f.ReadAt(chunk, off); err != nil && err != io.EOF {
			return 0, err
		}
		for _, c := range chunk {
			if c == '\n' {
				lines++
			}
		}
		if _, err := nf.Write(chunk); err != nil {
			return 0, err
		}
		off += int64(len(chunk))
	}
	return lines, nil
}
