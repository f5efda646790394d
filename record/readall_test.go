package record

import (
	"bufio"
	"bytes"
	"io"
	"testing"
)

// readAll decodes every record line of r (blank lines skipped), as the
// stream reader of imhook's commands would; a line that is no record
// fails the test with its line number.
func readAll(t testing.TB, name string, r io.Reader) []*Record {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	var out []*Record
	for n := 1; sc.Scan(); n++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		rec := new(Record)
		if err := Unmarshal(b, rec); err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}
