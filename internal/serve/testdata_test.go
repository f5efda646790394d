package serve

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// The receiver records no error finding for any page sample or server-shaped
// request of the catalogue's testdata (fixtures/testdata/SOURCES.json names
// where each comes from): the Tencent samples arrive as the platform sends
// them, the OpenIM server's requests as OpenIM Server main does.
func TestTestdataIsReceivedWithoutErrors(t *testing.T) {
	const dir = "../../fixtures/testdata"
	b, err := os.ReadFile(filepath.Join(dir, "SOURCES.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Files map[string]struct {
			Command string `json:"command"`
			Source  string `json:"source"`
		} `json:"files"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	srv, records := start(t, Config{})
	n := 0
	for name, s := range doc.Files {
		body, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var p platform.Params
		if strings.HasPrefix(name, "server/") {
			p.OpenIMVersion = "main"
		}
		e := entry(t, s.Command)
		if status, reply := send(t, srv, e.Command, body, p); status != 200 {
			t.Errorf("%s: HTTP %d %s", name, status, reply)
		}
		n++
		recs := records()
		if len(recs) != n {
			t.Fatalf("%s: %d records after %d requests", name, len(recs), n)
		}
		r := recs[n-1]
		if record.HasErrors(r.Findings) || r.Command != e.Command {
			t.Errorf("%s (%s): %s %s", name, s.Source, r.Command, rules(r))
		}
		if e.Vendor == fixtures.OpenIM && !strings.Contains(r.Request.URL, "/"+e.Command) {
			t.Errorf("%s: URL %s", name, r.Request.URL)
		}
	}
	if n < 50 {
		t.Errorf("only %d testdata files", n)
	}
}
