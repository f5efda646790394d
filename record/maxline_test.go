package record

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// lineOf is a record whose line, its newline included, is n bytes long.
func lineOf(t *testing.T, n int) *Record {
	t.Helper()
	r := &Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Vendor: "tencent", Command: "C2C.X",
		Request: &Message{Method: "POST", Body: []byte("x")}}
	base := len(AppendJSON(nil, r)) + 1 // one byte of body, the newline
	r.Request.Body = bytes.Repeat([]byte("x"), n-base+1)
	if got := len(AppendJSON(nil, r)) + 1; got != n {
		t.Fatalf("built a line of %d bytes, want %d", got, n)
	}
	return r
}

// The writer writes a line of exactly MaxLine bytes (newline included) and
// it decodes back (package stream's reader reads it: its own test); a
// byte more, the writer refuses with LineTooLongError and writes nothing.
func TestMaxLineShared(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lines of MaxLine bytes")
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Write(lineOf(t, MaxLine)); err != nil {
		t.Fatalf("a line of exactly MaxLine bytes: %v", err)
	}
	if buf.Len() != MaxLine {
		t.Fatalf("wrote %d bytes, want %d", buf.Len(), MaxLine)
	}
	var rec Record
	if err := Unmarshal(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), &rec); err != nil || len(rec.Request.Body) != MaxLine-len(AppendJSON(nil, &Record{Time: rec.Time, Vendor: "tencent", Command: "C2C.X", Request: &Message{Method: "POST"}}))-1 {
		t.Fatalf("reading it back: %v", err)
	}

	over := lineOf(t, MaxLine+1)
	buf.Reset()
	err := w.Write(over)
	var tl *LineTooLongError
	if !errors.As(err, &tl) || tl.Len != MaxLine+1 || !strings.Contains(err.Error(), "replay and validate") {
		t.Fatalf("a line of MaxLine+1 bytes: %v", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("wrote %d bytes of a refused record", buf.Len())
	}
	// The writer goes on after a refusal.
	if err := w.Write(lineOf(t, 200)); err != nil || buf.Len() != 200 {
		t.Fatalf("after a refusal: %v, %d bytes", err, buf.Len())
	}
}
