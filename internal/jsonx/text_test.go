package jsonx

import (
	"strings"
	"testing"
)

func TestNotText(t *testing.T) {
	for _, c := range []struct {
		name, head, want string
	}{
		{"empty", "", ""},
		{"object", `{"CallbackCommand":"C2C.CallbackAfterSendMsg"}`, ""},
		{"pretty", "{\n  \"a\": 1\n}\n", ""},
		{"bom", "\xef\xbb\xbf{\"a\":1}", ""},
		{"multi-byte text", `{"Text":"收到，马上处理 🙂"}`, ""},
		// The head may end inside a character; that is not a binary file.
		// Only the first line decides: a corrupt line further on is the
		// reader's finding for that line, not a binary file.
		{"corrupt later line", "{\"a\":1}\n\x00\x01\x02binary\xff\n{\"a\":3}\n", ""},
		{"elf", "\x7fELF\x02\x01\x01\x00\x00\x00", "a binary file (a NUL byte at byte 8)"},
		{"png", "\x89PNG\r\n\x1a\n", "a binary file (it starts with the byte 0x89"},
		// GBK or Latin-1 inside strings is JSON text in the wrong
		// encoding, for the JSON checks to report.
		{"gbk in a string", "{\"Text\":\"\xca\xd5\xb5\xbd\"}\n", ""},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip-compressed data"},
		{"utf-16le bom", "\xff\xfe{\x00\"\x00", "UTF-16 text"},
		{"utf-16be bom", "\xfe\xff\x00{\x00\"", "UTF-16 text"},
		{"utf-16le", "{\x00\"\x00a\x00", "UTF-16 text"},
	} {
		got := NotText([]byte(c.head))
		if (c.want == "") != (got == "") || !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: NotText(%q) = %q, want %q...", c.name, c.head, got, c.want)
		}
	}
}

func FuzzNotText(f *testing.F) {
	f.Add([]byte(`{"a":"收到"}`))
	f.Add([]byte("\x7fELF\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Valid JSON is never taken for anything else.
		if Check(b) == nil && NotText(b) != "" {
			t.Fatalf("valid JSON %q taken for %s", b, NotText(b))
		}
	})
}
