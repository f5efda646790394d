package jsonx

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		in        string
		line, col int
		hint      string // a word of the hint; "" for none
	}{
		{"{\"a\": 1 // one\n}", 1, 9, "no comments"},
		{"{\n/* c */ \"a\": 1}", 2, 1, "no comments"},
		{`{"a": 1,}`, 1, 9, "trailing comma"},
		{"[1,\n 2,\n ]", 3, 2, "trailing comma"},
		{`{"a": 'x'}`, 1, 7, "double quotes"},
		{"{\"a\": 1\n \"b\": 2}", 2, 2, "comma is missing"},
		{`[1 2]`, 1, 4, "comma is missing"},
		{`{a: 1}`, 1, 2, "double-quoted"},
		{`{"a" }`, 1, 6, ""},
		{`{"a": 1`, 1, 7, ""},
		{"", 1, 1, ""},
		{"   ", 1, 3, ""},
		{"{\"é\": 1,}", 1, 9, "trailing comma"},
		{`{"a":1} x`, 1, 9, ""},
	}
	for _, tc := range cases {
		se := Check([]byte(tc.in))
		if se == nil {
			t.Errorf("%q: no error", tc.in)
			continue
		}
		if se.Line != tc.line || se.Col != tc.col {
			t.Errorf("%q: line %d column %d, want %d %d (%s)", tc.in, se.Line, se.Col, tc.line, tc.col, se)
		}
		if tc.hint == "" && se.Hint != "" || !strings.Contains(se.Hint, tc.hint) {
			t.Errorf("%q: hint %q, want %q", tc.in, se.Hint, tc.hint)
		}
		if !strings.HasPrefix(se.Error(), "line ") {
			t.Errorf("%q: %s", tc.in, se)
		}
	}
	for _, ok := range []string{`{}`, `null`, ` [1, {"a": "b"}] `, `"x"`} {
		if se := Check([]byte(ok)); se != nil {
			t.Errorf("%q: %v", ok, se)
		}
	}
	if se := Check(nil); se == nil || !strings.Contains(se.Msg, "empty input") {
		t.Errorf("empty input: %v", se)
	}
}

func TestDescribeAndSnippet(t *testing.T) {
	for in, want := range map[string]string{
		`"0"`: `the string "0"`, `1.5`: "the number 1.5", `{"a":1}`: "an object", `[]`: "an array",
		`true`: "the boolean true", `null`: "null", ``: "nothing", ` 7 `: "the number 7",
	} {
		if got := Describe(in); got != want {
			t.Errorf("Describe(%q) = %q, want %q", in, got, want)
		}
	}
	long := `"` + strings.Repeat("x", 100) + `"`
	if got := Describe(long); utf8.RuneCountInString(got) > 80 || !strings.HasSuffix(got, "…") {
		t.Errorf("Describe of a long string: %q", got)
	}
	if got := Snippet([]byte("  <html>\n"), 80); got != `"<html>"` {
		t.Errorf("Snippet = %s", got)
	}
	if got := Snippet([]byte("ab\xffcd"), 80); !utf8.ValidString(got) {
		t.Errorf("Snippet of invalid UTF-8 = %q", got)
	}
	if got := Snippet([]byte(strings.Repeat("é", 10)), 3); got != `"ééé…"` {
		t.Errorf("Snippet clip = %s", got)
	}
}

func TestPaths(t *testing.T) {
	if got := PathJoin("", "a.b"); got != `a\.b` {
		t.Errorf("PathJoin = %s", got)
	}
	if got := PathJoin("x", "y"); got != "x.y" {
		t.Errorf("PathJoin = %s", got)
	}
	if Index("", 3) != "3" || Index("MsgBody", 0) != "MsgBody.0" {
		t.Error("Index")
	}
}

// findsKey reports whether gjson finds key (at the top level and nested
// under "o") through the paths Escape and PathJoin make.
func findsKey(key string) (bool, string) {
	top, _ := json.Marshal(map[string]int{key: 1})
	if r := gjson.GetBytes(top, Escape(key)); r.Raw != "1" {
		return false, string(top) + " at " + Escape(key) + " gave " + r.Raw
	}
	nested, _ := json.Marshal(map[string]any{"o": []map[string]int{{key: 2}}})
	p := PathJoin(Index("o", 0), key)
	if r := gjson.GetBytes(nested, p); r.Raw != "2" {
		return false, string(nested) + " at " + p + " gave " + r.Raw
	}
	return true, ""
}

// Every key gjson can hold is found through Escape: finding paths must
// point at the field they name.
func TestEscapeFindsKeys(t *testing.T) {
	for _, k := range []string{"a", "a.b", "{x}", "[x]", "@this", "#", "a|b", "..a", "a*", "a?", `x\y`, "!x", "=", "<>", "%", "a b", "é", `"q"`, "~x", "a,b"} {
		if ok, why := findsKey(k); !ok {
			t.Errorf("key %q: %s", k, why)
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, k := range []string{"a", "a.b", "{x}", "[x]", "@this", "#", "a|b", "..a", `x\y`} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if key == "" || !utf8.ValidString(key) || strings.ContainsAny(key, "\x00") {
			t.Skip()
		}
		if ok, why := findsKey(key); !ok {
			t.Fatalf("key %q: %s", key, why)
		}
	})
}

// FuzzCheck: Check agrees with encoding/json and its positions are inside
// the input.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,}`, "{\n// c\n}", `[1 2]`, `{'a':1}`, "", "\xff", `{"a":"\u00"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		se := Check(b)
		if (se == nil) != json.Valid(b) {
			t.Fatalf("Check(%q) = %v but json.Valid = %v", b, se, json.Valid(b))
		}
		if se == nil {
			return
		}
		lines := 1 + bytes.Count(b, []byte{'\n'})
		if se.Line < 1 || se.Line > lines || se.Col < 1 {
			t.Fatalf("Check(%q): line %d column %d out of the input (%d lines)", b, se.Line, se.Col, lines)
		}
		_ = se.Error()
		_ = Snippet(b, 80)
	})
}

// AppendCompact, given valid JSON, writes what encoding/json.Compact writes.
func FuzzAppendCompact(f *testing.F) {
	for _, s := range []string{`{"a": 1, "b" : [1, 2 ,3]}`, `"a \" b"`, "{\n \"t\": \"x\\\\\" y\"\n}", `[ ]`, `{"s":"tab\tin"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, b); err != nil {
			t.Fatal(err)
		}
		if got := AppendCompact(nil, b); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("AppendCompact(%q) = %q, want %q", b, got, want.Bytes())
		}
	})
}
