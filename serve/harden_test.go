package serve

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/record"
)

// lockedBuffer is a bytes.Buffer for a writer and a reader in turn.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) records(t *testing.T) []*record.Record {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*record.Record
	r := record.NewReader(bytes.NewReader(l.b.Bytes()))
	for {
		rec, line, err := r.Next()
		if err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("line %d of the records: %v", line, err)
		}
		out = append(out, rec)
	}
}

// A body within --max-body whose record would pass MaxLine (12 MiB of
// control bytes, each escaped to six in body_text) is refused with 413 and a
// message that says why; the refusal is recorded, readably, without the
// body; a body whose record fits is answered as usual.
func TestRefusesWhatItCannotRecord(t *testing.T) {
	var out lockedBuffer
	w := record.NewWriter(&out)
	srv, err := Start("127.0.0.1:0", NewHandler(Config{Record: w.Write, MaxBody: 16 << 20}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	st, got := send(t, srv, sendMsg, bytes.Repeat([]byte{1}, 12<<20), platform.Params{})
	if st != http.StatusRequestEntityTooLarge || !strings.Contains(string(got), "replay and validate") || !strings.Contains(string(got), "not recorded") {
		t.Fatalf("status %d, %.300s; want 413 saying the record would be too long", st, got)
	}
	st, _ = send(t, srv, sendMsg, body(t, sendMsg), platform.Params{})
	if st != http.StatusOK {
		t.Fatalf("a normal callback after the refusal: %d", st)
	}
	recs := out.records(t)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	r := recs[0]
	if r.Response == nil || r.Response.Status != http.StatusRequestEntityTooLarge || len(r.Request.Body) != 0 || !strings.Contains(rules(r), "error:"+RuleTooLarge) || r.Verdict != record.Fail {
		t.Fatalf("the refusal's record: %+v, findings %s", r, rules(r))
	}
	if recs[1].Response.Status != http.StatusOK {
		t.Fatalf("the second record: %+v", recs[1])
	}
}
