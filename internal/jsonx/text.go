package jsonx

import (
	"bytes"
	"fmt"
)

// sniffLine is how much of the first line NotText looks at.
const sniffLine = 1024

// NotText says what the start of an input is when it is not JSON text, or
// "" when it may be JSON text. It looks at the first line that is not blank
// (at most 1 KiB of it), so that a text file with a corrupt line further on is still
// read line by line: an executable, an archive or an image shows itself
// there with a NUL byte or a first byte that no JSON text starts with, and
// compressed data and UTF-16 text by their first bytes. Text in another
// encoding than UTF-8 (GBK, Latin-1) inside JSON strings is not taken for
// binary: the JSON checks report it. head is the start of the input.
func NotText(head []byte) string {
	switch {
	case len(head) == 0:
		return ""
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "gzip-compressed data: decompress it first (gunzip -k FILE), or pipe it in (gunzip -c FILE | imhook ... -)"
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}), bytes.HasPrefix(head, []byte{0xfe, 0xff}), utf16ish(head):
		return "UTF-16 text, where JSON is UTF-8: convert it (iconv -f UTF-16 -t UTF-8 FILE > out.json); " +
			"Windows PowerShell 5 writes UTF-16 with >: write with | Out-File -Encoding utf8 instead"
	}
	line := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if nl := bytes.IndexByte(line, '\n'); nl >= 0 {
		line = line[:nl]
	}
	if len(line) > sniffLine {
		line = line[:sniffLine]
	}
	if i := bytes.IndexByte(line, 0); i >= 0 {
		return fmt.Sprintf("a binary file (a NUL byte at byte %d)", i+1)
	}
	if len(line) > 0 && (line[0] >= 0x7f || line[0] < 0x20) {
		return fmt.Sprintf("a binary file (it starts with the byte 0x%02x, which no JSON text starts with)", line[0])
	}
	return ""
}

// utf16ish reports text whose every other byte is NUL at the start: UTF-16
// without a byte-order mark.
func utf16ish(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	even := b[0] == 0 && b[2] == 0 && b[1] != 0 && b[3] != 0
	odd := b[1] == 0 && b[3] == 0 && b[0] != 0 && b[2] != 0
	return even || odd
}
