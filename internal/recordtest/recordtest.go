// Package recordtest reads record files in tests: every line a record, as
// the commands' stream reader takes them (blank lines skipped, a line at
// most record.MaxLine), failing the test at the first line that is none.
package recordtest

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/imhook/imhook/record"
)

// Read decodes every record of r; name names it in failures.
func Read(t testing.TB, name string, r io.Reader) []*record.Record {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), record.MaxLine)
	var out []*record.Record
	for n := 1; sc.Scan(); n++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		rec := new(record.Record)
		if err := record.Unmarshal(b, rec); err != nil {
			t.Fatalf("%s:%d: not a record: %v", name, n, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// ReadFile decodes every record of the file at path.
func ReadFile(t testing.TB, path string) []*record.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Read(t, path, f)
}
