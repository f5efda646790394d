package stream

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/imhook/imhook/record"
)

type got struct {
	line, col int
	raw       string
	rule      string // reader finding or Check finding
	msg       string
	errLine   int
}

func readAll(t testing.TB, name, input string) []got {
	t.Helper()
	r := NewReader(name, strings.NewReader(input))
	var out []got
	for {
		it, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		g := got{line: it.Line, col: it.Col, raw: string(it.Raw)}
		if f, line := it.Check(); f != nil {
			g.rule, g.msg, g.errLine = f.Rule, f.Message, line
		}
		out = append(out, g)
	}
}

func TestJSONLinesWithCorruptLines(t *testing.T) {
	in := `{"a":1}

{"a":2
not json at all
` + "\x00\x01\x02binary\xff" + `
{"a":3}
`
	items := readAll(t, "x.json", in)
	if len(items) != 5 {
		t.Fatalf("items = %+v", items)
	}
	wantLines := []int{1, 3, 4, 5, 6}
	for i, it := range items {
		if it.line != wantLines[i] {
			t.Errorf("item %d at line %d, want %d", i, it.line, wantLines[i])
		}
	}
	if items[0].rule != "" || items[4].rule != "" || items[4].raw != `{"a":3}` {
		t.Errorf("good lines: %+v %+v", items[0], items[4])
	}
	for _, i := range []int{1, 2, 3} {
		if items[i].rule != RuleJSON || items[i].errLine != wantLines[i] {
			t.Errorf("corrupt line %d: %+v", wantLines[i], items[i])
		}
	}
	if !strings.Contains(items[1].msg, "line 3") || !strings.Contains(items[1].msg, "unexpected end") {
		t.Errorf("truncated line message: %s", items[1].msg)
	}
}

func TestPrettyValuesAndComments(t *testing.T) {
	in := `{
  "CallbackCommand": "C2C.CallbackAfterSendMsg",
  // the sender
  "From_Account": "jared",
  "To_Account": "Jonh",
}
`
	items := readAll(t, "p.json", in)
	if len(items) != 1 || items[0].line != 1 {
		t.Fatalf("items = %+v", items)
	}
	if items[0].errLine != 3 || !strings.Contains(items[0].msg, "line 3, column 3") || !strings.Contains(items[0].msg, "comments") {
		t.Errorf("comment: line %d %s", items[0].errLine, items[0].msg)
	}
	in = "\n\n{\n  \"a\": 1,\n  \"b\": 2,\n}\n"
	items = readAll(t, "p.json", in)
	if len(items) != 1 || items[0].line != 3 || items[0].errLine != 6 || !strings.Contains(items[0].msg, "trailing comma") {
		t.Fatalf("trailing comma: %+v", items)
	}
}

func TestArrays(t *testing.T) {
	in := `[
  {"a": 1},
  {"a": [2, {"b": "]}"}]},
  {"a": "x\"}"}
]`
	items := readAll(t, "arr.json", in)
	if len(items) != 3 {
		t.Fatalf("items = %+v", items)
	}
	for i, want := range []int{2, 3, 4} {
		if items[i].line != want || items[i].col != 3 || items[i].rule != "" {
			t.Errorf("item %d: %+v", i, items[i])
		}
	}
	if items[1].raw != `{"a": [2, {"b": "]}"}]}` {
		t.Errorf("raw = %s", items[1].raw)
	}
	// Mistakes between elements are located and explained.
	in = "[\n {\"a\":1}\n {\"a\":2},\n {\"a\":3},\n]\n"
	items = readAll(t, "arr.json", in)
	var rules []string
	for _, it := range items {
		rules = append(rules, it.rule+"@"+itoa(it.line))
	}
	if got := strings.Join(rules, " "); got != "@2 input.json@3 @3 @4 input.json@5" {
		t.Errorf("rules = %s (%+v)", got, items)
	}
	if !strings.Contains(items[1].msg, "comma is missing") || !strings.Contains(items[4].msg, "trailing comma") {
		t.Errorf("messages: %q / %q", items[1].msg, items[4].msg)
	}
	// A value whose error is on its first line keeps its column in the file.
	items = readAll(t, "arr.json", `[{"a":1}, {"a":01}]`)
	if len(items) != 2 || !strings.Contains(items[1].msg, "line 1, column 17") {
		t.Errorf("column: %+v", items)
	}
	// An array never closed.
	items = readAll(t, "arr.json", "[\n{\"a\":1},\n")
	if len(items) != 2 || items[1].rule != RuleJSON || !strings.Contains(items[1].msg, "not closed") {
		t.Errorf("unclosed: %+v", items)
	}
}

func TestTruncatedPrettyValue(t *testing.T) {
	items := readAll(t, "t.json", "{\n  \"a\": 1,\n  \"b\": ")
	if len(items) != 1 || items[0].rule != RuleJSON || !strings.Contains(items[0].msg, "unexpected end") {
		t.Fatalf("items = %+v", items)
	}
}

func TestLongLine(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates MaxItem")
	}
	in := `{"a":"` + strings.Repeat("x", MaxItem) + `"}` + "\n{\"a\":2}\n"
	items := readAll(t, "l.jsonl", in)
	if len(items) != 2 || items[0].rule != RuleTooLong || items[1].raw != `{"a":2}` || items[1].line != 2 {
		t.Fatalf("items = %d %+v", len(items), items[0])
	}
}

// In line mode a value's column is where it starts on its line (after
// spaces and tabs), and a syntax error inside it is located at its column
// in the file.
func TestLineModeColumns(t *testing.T) {
	in := "{\"a\":1}\n   {\"a\":2}\n\t{\"a\" 3}\n  \t [1,2]  \n"
	items := readAll(t, "cols.jsonl", in)
	if len(items) != 4 {
		t.Fatalf("items = %+v", items)
	}
	for i, want := range []int{1, 4, 2, 5} {
		if items[i].line != i+1 || items[i].col != want {
			t.Errorf("item %d at line %d, column %d; want line %d, column %d", i, items[i].line, items[i].col, i+1, want)
		}
	}
	// {"a" 3} after a tab: the bad character, 3, is the 7th of line 3.
	if items[2].rule != RuleJSON || items[2].errLine != 3 || !strings.Contains(items[2].msg, "line 3, column 7") {
		t.Errorf("the error: %+v", items[2])
	}
}

// A line of exactly MaxItem bytes, its newline included (the longest the
// record writer writes, record.MaxLine), is read; a byte more is too long.
func TestLineAtMaxItem(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates MaxItem")
	}
	line := func(n int) string { // a JSON line of n bytes with its newline
		return `{"a":"` + strings.Repeat("x", n-len(`{"a":""}`)-1) + `"}` + "\n"
	}
	in := line(MaxItem) + line(MaxItem+1) + "{\"a\":2}\n"
	items := readAll(t, "l.jsonl", in)
	if len(items) != 3 {
		t.Fatalf("%d items, want 3", len(items))
	}
	if items[0].rule != "" || len(items[0].raw) != MaxItem-1 || items[0].line != 1 {
		t.Errorf("the line of exactly MaxItem bytes: rule %q, %d bytes, line %d", items[0].rule, len(items[0].raw), items[0].line)
	}
	if items[1].rule != RuleTooLong || items[1].line != 2 {
		t.Errorf("the line of MaxItem+1 bytes: rule %q, line %d", items[1].rule, items[1].line)
	}
	if items[2].raw != `{"a":2}` || items[2].line != 3 {
		t.Errorf("the line after: %+v", items[2])
	}
}

func TestSmallReadsSameItems(t *testing.T) {
	in := "{\"a\":1}\n{\"a\":2}\n[1,\n2]\n"
	want := readAll(t, "x.jsonl", in)
	r := NewReader("x.jsonl", iotest.OneByteReader(strings.NewReader(in)))
	for i := 0; ; i++ {
		it, err := r.Next()
		if errors.Is(err, io.EOF) {
			if i != len(want) {
				t.Fatalf("%d items, want %d", i, len(want))
			}
			break
		}
		if string(it.Raw) != want[i].raw || it.Line != want[i].line {
			t.Fatalf("item %d = %q@%d, want %q@%d", i, it.Raw, it.Line, want[i].raw, want[i].line)
		}
	}
}

func TestReadErrorReported(t *testing.T) {
	r := NewReader("x", io.MultiReader(strings.NewReader("{\"a\":1}\n"), iotest.ErrReader(errors.New("disk gone"))))
	it, err := r.Next()
	if err != nil || string(it.Raw) != `{"a":1}` {
		t.Fatalf("first: %v %v", it, err)
	}
	_, err = r.Next()
	var re *ReadError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v", err)
	}
}

func TestExpandAndWalk(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.jsonl", "{\"n\":2}\n{\"n\":3}\n")
	write("a.json", "[{\"n\":1}]")
	write("sub/c.json", "{\"n\":4}")
	write("notes.txt", "ignored")
	write(".hidden.json", "{\"n\":99}")
	srcs, err := Expand([]string{dir, "-"})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	err = Walk(srcs, Options{Stdin: strings.NewReader(`{"n":5}`)}, func(it *Item) error {
		seen = append(seen, filepath.Base(it.File)+":"+string(it.Raw))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `a.json:{"n":1} b.jsonl:{"n":2} b.jsonl:{"n":3} c.json:{"n":4} -:{"n":5}`
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("walk = %s\nwant   %s", got, want)
	}
	if _, err := Expand([]string{filepath.Join(dir, "missing.json")}); err == nil {
		t.Error("a missing file is an error")
	}
	if _, err := Expand([]string{"-", "-"}); err == nil {
		t.Error("stdin twice is an error")
	}
}

func TestClassify(t *testing.T) {
	cases := map[string]string{
		`{"time":"2026-01-01T00:00:00Z","request":{"url":"/"},"vendor":"tencent"}`: KindRecord + "/",
		`{"CallbackCommand":"C2C.CallbackAfterSendMsg"}`:                           KindPayload + "/tencent",
		`{"callbackCommand":"callbackAfterGroupMsgReadCommand"}`:                   KindPayload + "/openim",
		`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`:                       KindResponse + "/tencent",
		`{"actionCode":0,"nextCode":0}`:                                            KindResponse + "/openim",
		`{"hello":1}`:                                                              "/",
		`[1,2]`:                                                                    "/",
	}
	for in, want := range cases {
		k, v := Classify([]byte(in))
		if k+"/"+v != want {
			t.Errorf("Classify(%s) = %s/%s, want %s", in, k, v, want)
		}
	}
}

func TestOrderedKeepsOrder(t *testing.T) {
	in := make(chan int)
	go func() {
		for i := range 200 {
			in <- i
		}
		close(in)
	}()
	var out []int
	Ordered(context.Background(), 4, 8, in, func(i int) int {
		if i%7 == 0 {
			for range 1000 {
				_ = i * i
			}
		}
		return i * 2
	}, func(r int) { out = append(out, r) })
	if len(out) != 200 {
		t.Fatalf("%d results", len(out))
	}
	for i, r := range out {
		if r != 2*i {
			t.Fatalf("out[%d] = %d", i, r)
		}
	}
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+n)))
}

// A live stream (a pipe that stays open) yields each line as it comes: the
// reader does not wait for a buffer's worth before choosing its mode.
func TestLiveStream(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader("-", pr)
	got := make(chan string)
	go func() {
		for {
			it, err := r.Next()
			if err != nil {
				close(got)
				return
			}
			got <- string(it.Raw)
		}
	}()
	for _, line := range []string{`{"a":1}`, `{"a":2}`} {
		go pw.Write([]byte(line + "\n"))
		select {
		case g := <-got:
			if g != line {
				t.Fatalf("got %s, want %s", g, line)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not come through", line)
		}
	}
	pw.Close()
	if _, ok := <-got; ok {
		t.Error("more items after the end")
	}
}

// An input that is not JSON text is one finding, however long it is, and an
// input with no value at all is one finding too; both make it unusable.
func TestNotTextAndEmptyInputs(t *testing.T) {
	binary := "\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00\x01garbage\n{\"a\":1}\n\xff\xfe", 5000)
	for _, c := range []struct {
		name, input, rule, msg string
	}{
		{"binary.json", binary, RuleBinary, "not JSON text: a binary file (a NUL byte at byte 8)"},
		{"binary.jsonl", binary, RuleBinary, "not JSON text: a binary file"},
		{"calls.jsonl.gz", "\x1f\x8b\x08\x00rest", RuleBinary, "not JSON text: gzip-compressed data: decompress it first"},
		{"utf16.json", "\xff\xfe{\x00\"\x00a\x00\"\x00:\x001\x00}\x00", RuleBinary, "not JSON text: UTF-16 text"},
		{"empty.json", "", RuleEmpty, "the input is empty"},
		{"blank.jsonl", "\n  \n\t\n", RuleEmpty, "the input is empty"},
		{"bom.json", "\xef\xbb\xbf\n", RuleEmpty, "the input is empty"},
		{"empty-array.json", " [\n]\n", RuleEmpty, "the input is an empty JSON array"},
		{"array.json", "[{}]", "", ""},
	} {
		items := readAll(t, c.name, c.input)
		switch {
		case c.rule == "" && (len(items) != 1 || items[0].rule != ""):
			t.Errorf("%s: %+v, want one good item", c.name, items)
		case c.rule == "":
		case len(items) != 1 || items[0].rule != c.rule || !strings.HasPrefix(items[0].msg, c.msg) || items[0].errLine != 1:
			t.Errorf("%s: %+v, want one %s item: %s", c.name, items, c.rule, c.msg)
		case !Unusable(&record.Finding{Rule: items[0].rule}):
			t.Errorf("%s: %s is not unusable", c.name, items[0].rule)
		}
	}
	// Walk reports each unusable input and goes on with the next.
	dir := t.TempDir()
	bin, empty, good := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "c.json")
	os.WriteFile(bin, []byte(binary), 0o644)
	os.WriteFile(empty, nil, 0o644)
	os.WriteFile(good, []byte(`{"a":1}`), 0o644)
	srcs, err := Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	Walk(srcs, Options{}, func(it *Item) error {
		f, _ := it.Check()
		if f == nil {
			rules = append(rules, "ok")
		} else {
			rules = append(rules, f.Rule)
		}
		return nil
	})
	if strings.Join(rules, " ") != "input.binary input.empty ok" {
		t.Errorf("walk: %v", rules)
	}
}
