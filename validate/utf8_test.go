package validate

import (
	"strings"
	"testing"

	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/record"
)

// Invalid UTF-8 inside a JSON string is an error, with the path of the
// string (or key) and the position of the byte; valid multi-byte text is
// not.
func TestInvalidUTF8(t *testing.T) {
	e := entry(t, "C2C.CallbackAfterSendMsg")
	good := e.Sample
	for _, tc := range []struct {
		name       string
		body       string
		path, line string
	}{
		{"a known field", strings.Replace(mustSet(t, good, "From_Account", "PLACE"), "PLACE", "a\xffb", 1), "From_Account", "column"},
		{"deep", strings.Replace(mustSet(t, good, "MsgBody.0.MsgContent.Text", "PLACE"), "PLACE", "ok\xc3(", 1), "MsgBody.0.MsgContent.Text", "column"},
		{"an unknown field", strings.Replace(mustSet(t, good, "Extra", "PLACE"), "PLACE", "\xe4\xbd", 1), "Extra", "column"},
		{"a key", strings.Replace(good2(t, good), "KEY", "K\xffY", 1), "K\uFFFDY", "column"},
		{"a surrogate encoded", strings.Replace(mustSet(t, good, "From_Account", "PLACE"), "PLACE", "\xed\xa0\x80", 1), "From_Account", "column"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := Payload(e, []byte(tc.body))
			var hit *record.Finding
			for i := range fs {
				if fs[i].Rule == RuleUTF8 {
					if hit != nil {
						t.Fatalf("two %s findings:\n%s", RuleUTF8, dump(fs))
					}
					hit = &fs[i]
				}
			}
			if hit == nil || hit.Severity != record.Error || hit.Path != tc.path || !strings.Contains(hit.Message, tc.line) || !strings.Contains(hit.Message, "UTF-8") {
				t.Fatalf("want one error %s at %q; got\n%s", RuleUTF8, tc.path, dump(fs))
			}
		})
	}
	ok := mustSet(t, good, "From_Account", "你好, café, 😀")
	for _, f := range Payload(e, []byte(ok)) {
		if f.Rule == RuleUTF8 {
			t.Fatalf("valid UTF-8 flagged: %s", f)
		}
	}
}

func mustSet(t *testing.T, body []byte, path, value string) string {
	t.Helper()
	b, err := sjson.SetBytes(body, path, value)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// good2 is body with a member "KEY":1 added.
func good2(t *testing.T, body []byte) string {
	b, err := sjson.SetRawBytes(body, "KEY", []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
