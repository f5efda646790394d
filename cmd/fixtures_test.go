package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/ui"
)

func runImhook(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := &ui.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }}
	code := Run(context.Background(), s, args)
	return out.String(), errOut.String(), code
}

// fixtures list -o json shows at least 40 entries of each vendor, each with
// its kind.
func TestFixturesListJSON(t *testing.T) {
	out, errOut, code := runImhook(t, "fixtures", "list", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	count := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var row struct{ Command, Vendor, Kind, Title, Doc string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if row.Command == "" || (row.Kind != "before" && row.Kind != "after") || row.Title == "" || !strings.HasPrefix(row.Doc, "https://") {
			t.Errorf("incomplete row %s", line)
		}
		count[row.Vendor]++
	}
	for _, v := range []string{"tencent", "openim"} {
		if count[v] < 40 {
			t.Errorf("%d %s entries; want at least 40", count[v], v)
		}
	}
}

func TestFixturesSchema(t *testing.T) {
	out, errOut, code := runImhook(t, "fixtures", "schema", "C2C.CallbackAfterSendMsg")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" || s["type"] != "object" {
		t.Errorf("unexpected schema head: %v %v", s["$schema"], s["type"])
	}
	out, _, code = runImhook(t, "fixtures", "schema", "callbackAfterGroupMsgReadCommand", "--reply", "-o", "json")
	if code != 0 || !strings.Contains(out, `"nextCode"`) || strings.Contains(out, `"required"`) {
		t.Errorf("openim reply schema: exit %d, %s", code, out)
	}
	out, _, _ = runImhook(t, "fixtures", "schema", "C2C.CallbackAfterSendMsg", "--reply")
	if !strings.Contains(out, `"ActionStatus"`) || !strings.Contains(out, `"required"`) {
		t.Errorf("tencent reply schema: %s", out)
	}
	if _, _, code := runImhook(t, "fixtures", "schema", "NoSuchCommand"); code == 0 {
		t.Error("an unknown command exits 0")
	}
}

// fixtures show --doc names the flags beside the parts they generate; the
// catalogue's own description names none.
func TestShowDocNamesTheFlags(t *testing.T) {
	var variants, releases *fixtures.Entry
	for _, e := range fixtures.Default().Entries() {
		if variants == nil && len(e.Variants) > 0 {
			variants = e
		}
		if releases == nil && len(e.Releases) > 0 {
			releases = e
		}
	}
	for e, want := range map[*fixtures.Entry]string{variants: "\nVariants (--variant):\n", releases: "\nWhat server releases send (--openim-version generates it):\n"} {
		r := runCmd(t, nil, "", "fixtures", "show", e.Command, "--doc")
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("%s --doc: want %q\n%s", e.Command, want, r)
		}
		if doc := fixtures.Describe(e, nil, nil); strings.Contains(doc, "--") {
			t.Errorf("the catalogue's description of %s names a flag:\n%s", e.Command, doc)
		}
	}
}
