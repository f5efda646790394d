package suite

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/record"
)

func TestExpand(t *testing.T) {
	ref := func(kind, arg string) (json.RawMessage, error) {
		switch kind + ":" + arg {
		case "env:A":
			return json.RawMessage(`"x"`), nil
		case "step:s.n":
			return json.RawMessage(`42`), nil
		case "step:s.o":
			return json.RawMessage(`{"k":[1,2]}`), nil
		}
		return json.RawMessage(`""`), nil
	}
	for in, want := range map[string]string{
		"plain":                  `"plain"`,
		"${env:A}":               `"x"`,
		"${step:s.n}":            `42`,
		"${step:s.o}":            `{"k":[1,2]}`,
		"n=${step:s.n}/${env:A}": `"n=42/x"`,
		"$ and { alone":          `"$ and { alone"`,
	} {
		got, err := expand(in, ref)
		if err != nil || string(got) != want {
			t.Errorf("expand(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"${nope:x}", "${env:A", "${}"} {
		if _, err := expand(bad, ref); err == nil {
			t.Errorf("expand(%q): no error", bad)
		}
	}
}

func TestLoadResolveCheck(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.json")
	os.WriteFile(filepath.Join(dir, "d.json"), []byte(`{"CallbackCommand":"C2C.CallbackAfterSendMsg"}`), 0o644)
	os.WriteFile(p, []byte(`{"version":1,"steps":[
	  {"name":"a","command":"C2C.CallbackAfterSendMsg","expect":{"max_latency":"${env:LAT|250ms}","reply":{"ErrorCode":0,"ErrorInfo":""}}},
	  {"name":"b","data":"d.json","set":{"X":"${step:a.response.body}"},"expect":{"verdict":"fail"}}]}`), 0o644)
	env := func(string) string { return "" }
	s, err := Load(p, env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Resolve(s.Steps[0], env, nil)
	if err != nil || a.Expect.MaxLatency != 250*time.Millisecond || a.Expect.Verdict != record.Pass || len(a.Expect.Reply) != 2 {
		t.Fatalf("%+v %v", a, err)
	}
	rec := &record.Record{Verdict: record.Pass, Response: &record.Message{Status: 200, Body: []byte(`{"ErrorCode":0,"ErrorInfo":"x"}`), LatencyMS: 300}}
	misses := a.Check(rec)
	if len(misses) != 2 || misses[0].Path != "latency" || misses[1].Path != "ErrorInfo" || !strings.Contains(misses[1].Message, `expected reply ErrorInfo = "", found "x"`) {
		t.Errorf("%+v", misses)
	}
	recJSON, _ := json.Marshal(rec)
	b, err := s.Resolve(s.Steps[1], env, map[string][]byte{"a": recJSON})
	if err != nil || b.DataFile != "d.json" || len(b.Set) != 1 || string(b.Set[0].Value) != `{"ErrorCode":0,"ErrorInfo":"x"}` || b.Expect.Verdict != record.Fail {
		t.Fatalf("%+v %v", b, err)
	}
	var e *Error
	_, err = Load(filepath.Join(dir, "none.json"), env)
	if !asError(err, &e) {
		t.Errorf("%v", err)
	}
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

// A suite file's JSON mistakes are reported with their line and column and
// what JSON allows, as validate reports them; a binary or empty file says
// what it is.
func TestLoadSyntaxErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, body string
		line, col  int
		msg        string
	}{
		{"trailing-comma.json", "{\"version\": 1,\n \"steps\": [\n   {\"name\": \"a\", \"command\": \"C2C.CallbackAfterSendMsg\",\n    \"set\": {\"From_Account\": \"alice\",},\n   }]}\n",
			4, 37, "line 4, column 37: invalid character '}' looking for beginning of object key string (JSON allows no trailing comma before a closing } or ])"},
		{"comment.json", "{\"version\": 1,\n  // the steps\n  \"steps\": []}", 2, 3, "JSON allows no comments"},
		{"truncated.json", "{\"version\": 1, \"steps\": [", 1, 25, "unexpected end of JSON input"},
		{"array.json", "[1]", 0, 0, "expected a JSON object {\"version\": 1, \"steps\": [...]}, found an array"},
		{"empty.json", " \n", 0, 0, "the file is empty"},
		{"binary.json", "\x7fELF\x02\x01\x01\x00", 0, 0, "not JSON text: a binary file"},
		// Valid JSON nested past the bound: the depth and the bound are said,
		// at the bracket past it; at the bound, the file is read (and its
		// steps then found wanting).
		{"deep.json", `{"version": 1, "steps": ` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}", 1, 25 + 10000, "nested more than 10000 levels deep"},
		{"deep-objects.json", strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000), 1, 5*10000 + 2, "nested more than 10000 levels deep"},
		{"at-the-bound.json", `{"version": 1, "steps": ` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + "}", 0, 0, "step #1: expected a JSON object"},
	} {
		p := filepath.Join(dir, c.name)
		os.WriteFile(p, []byte(c.body), 0o644)
		_, err := Load(p, func(string) string { return "" })
		var se *Error
		if !errors.As(err, &se) || se.Line != c.line || se.Col != c.col || !strings.Contains(se.Error(), c.msg) || !strings.HasPrefix(se.Error(), p+": ") {
			t.Errorf("%s: %#v\n%v\nwant line %d, column %d: %s", c.name, se, err, c.line, c.col, c.msg)
		}
	}
}
