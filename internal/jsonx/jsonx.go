// Package jsonx has the small JSON helpers that several checkers share:
// describing a syntax error with its position and a hint, escaping gjson path
// segments, and quoting a value for a message.
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// SyntaxError is a JSON syntax error with a 1-based line and column.
type SyntaxError struct {
	Offset    int64
	Line, Col int
	Msg       string
	Hint      string
}

func (e *SyntaxError) Error() string {
	s := fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Check returns nil when b is one valid JSON value, else a *SyntaxError that
// says where and, for the usual mistakes of hand-written JSON (comments,
// trailing commas, missing commas, single quotes), what JSON allows.
func Check(b []byte) *SyntaxError {
	// gjson's validator is about twice as fast as encoding/json's and agrees
	// with it (FuzzValidAgrees); encoding/json explains the failures.
	if gjson.ValidBytes(b) {
		return nil
	}
	var raw json.RawMessage
	err := json.Unmarshal(b, &raw)
	var se *json.SyntaxError
	off := int64(len(b))
	msg := "unexpected end of JSON input"
	if errors.As(err, &se) {
		off, msg = se.Offset, se.Error()
	} else if err != nil {
		msg = err.Error()
	}
	if len(bytes.TrimSpace(b)) == 0 {
		msg = "empty input; expected a JSON value"
	}
	e := &SyntaxError{Offset: off, Msg: msg}
	e.Line, e.Col = position(b, off)
	e.Hint = hint(b, off, msg)
	return e
}

// position converts a byte offset (the one after the bad byte, as
// encoding/json reports it) to a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	at := int(off)
	if at > 0 {
		at-- // encoding/json points just past the offending byte
	}
	line = 1 + bytes.Count(b[:at], []byte{'\n'})
	start := bytes.LastIndexByte(b[:at], '\n') + 1
	col = utf8.RuneCount(b[start:at]) + 1
	return line, col
}

// Hint says what JSON allows for the usual mistakes of hand-written JSON
// found at off (the offset just past the bad byte) in b, given the decoder's
// message; "" when it has nothing to add. Readers that split a stream into
// values use it for the mistakes between values.
func Hint(b []byte, off int64, msg string) string { return hint(b, off, msg) }

// Relocate returns e as seen from a larger text in which b starts at line
// and col (1-based): a value read from the middle of a file reports its
// position in the file.
func (e *SyntaxError) Relocate(line, col int) *SyntaxError {
	out := *e
	if out.Line == 1 {
		out.Col += col - 1
	}
	out.Line += line - 1
	return &out
}

func hint(b []byte, off int64, msg string) string {
	at := int(off) - 1
	if at < 0 {
		at = 0
	}
	if at >= len(b) {
		at = len(b) - 1
	}
	if at < 0 {
		return ""
	}
	rest := b[at:]
	switch {
	case bytes.HasPrefix(rest, []byte("//")) || bytes.HasPrefix(rest, []byte("/*")):
		return "JSON allows no comments: remove the // or /* */ comments, as the documents' samples need"
	case rest[0] == '\'':
		return "JSON strings take double quotes, not single quotes"
	case rest[0] == '}' || rest[0] == ']':
		if prev := lastNonSpace(b[:at]); prev == ',' {
			return "JSON allows no trailing comma before a closing } or ]"
		}
	case strings.Contains(msg, "after object key:value pair") || strings.Contains(msg, "after array element"):
		return "a comma is missing between two members"
	case strings.Contains(msg, "looking for beginning of object key string"):
		return "object keys must be double-quoted strings"
	}
	return ""
}

func lastNonSpace(b []byte) byte {
	for i := len(b) - 1; i >= 0; i-- {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b[i]
	}
	return 0
}

// PathJoin appends a key to a gjson path, escaping gjson's special characters.
// The result never shares memory with key, which may be a view of a body
// (see Parse).
func PathJoin(parent, key string) string {
	k := Escape(key)
	if parent == "" {
		return strings.Clone(k)
	}
	return parent + "." + k
}

// Escape escapes a single gjson path segment.
func Escape(key string) string {
	if !strings.ContainsAny(key, ".*?|#@\\!=<>%[{") {
		return key
	}
	var sb strings.Builder
	for _, r := range key {
		if strings.ContainsRune(".*?|#@\\!=<>%[{", r) {
			sb.WriteByte('\\')
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// Index appends an array index to a gjson path.
func Index(parent string, i int) string {
	if parent == "" {
		return strconv.Itoa(i)
	}
	return parent + "." + strconv.Itoa(i)
}

// Snippet quotes up to n characters of raw text for a message.
func Snippet(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		s = string(r[:n]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Describe names the JSON kind of raw JSON text for a message ("the string
// \"0\"", "the number 1.5", "an object", "null").
func Describe(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "the string " + clip(raw, 60)
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "the boolean " + raw
	case 'n':
		return "null"
	}
	return "the number " + clip(raw, 40)
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// AppendCompact appends valid JSON without insignificant whitespace; JSON
// that has none is copied as it is.
//
// src must be valid JSON: one pass drops the whitespace outside strings
// without validating again. Two tight loops, one outside strings and one
// inside, look each byte up in a table; that is about twice as fast as one
// loop that switches on the state.
func AppendCompact(dst, src []byte) []byte {
	if compactAlready(src) {
		return append(dst, src...)
	}
	start, i, n := 0, 0, len(src)
	for i < n {
		for i < n && compactClass[src[i]]&outsideSpecial == 0 {
			i++
		}
		if i >= n {
			break
		}
		if src[i] != '"' { // whitespace
			dst = append(dst, src[start:i]...)
			i++
			start = i
			continue
		}
		for i++; i < n; {
			for i < n && compactClass[src[i]]&insideSpecial == 0 {
				i++
			}
			if i >= n {
				break
			}
			if src[i] == '\\' {
				i += 2 // the backslash and the byte it escapes
				continue
			}
			i++ // the closing quote
			break
		}
	}
	return append(dst, src[start:]...)
}

// compactAlready reports, for most JSON that has nothing to drop, that
// AppendCompact's loops would drop nothing: every whitespace byte is inside
// a string (a text with spaces, in compact JSON). It finds each whitespace
// byte with IndexByte, tells whether a string holds it (by the parity of
// the quotes before it, or going from string to string when a backslash
// is among them) and goes on after that string; at a whitespace byte
// outside a string it gives up (false: the loops decide).
func compactAlready(src []byte) bool {
	i := 0 // outside a string
	for {
		w := indexWS(src[i:])
		if w < 0 {
			return true
		}
		w += i
		seg := src[i:w]
		if bytes.IndexByte(seg, '\\') < 0 {
			if bytes.Count(seg, quote)%2 == 0 {
				return false
			}
			// Inside the string the last quote opened: go on after it.
			if i = stringEnd(src, w+1); i < 0 {
				return true // the string never ends: nothing after it is dropped
			}
			continue
		}
		for pos := i; ; {
			k := bytes.IndexByte(src[pos:w], '"')
			if k < 0 {
				return false // the whitespace byte is outside a string
			}
			end := stringEnd(src, pos+k+1)
			if end < 0 {
				return true
			}
			if end > w { // the string holds the whitespace byte
				i = end
				break
			}
			pos = end
		}
	}
}

// stringEnd is the index after the quote that closes the string whose
// text starts at j (a backslash escapes the byte after it), or -1 when the
// string does not end.
func stringEnd(src []byte, j int) int {
	for {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return -1
		}
		if b := bytes.IndexByte(src[j:j+k], '\\'); b >= 0 {
			if j += b + 2; j >= len(src) {
				return -1
			}
			continue
		}
		return j + k + 1
	}
}

var quote = []byte{'"'}

// indexWS is the index of the first JSON whitespace byte in s, or -1.
func indexWS(s []byte) int {
	n := -1
	for _, c := range [...]byte{' ', '\n', '\t', '\r'} {
		lim := s
		if n >= 0 {
			lim = s[:n]
		}
		if k := bytes.IndexByte(lim, c); k >= 0 {
			n = k
		}
	}
	return n
}

// compactClass marks the bytes AppendCompact stops at outside strings (a
// quote, whitespace) and inside them (a quote, a backslash).
var compactClass = func() (t [256]uint8) {
	for _, c := range []byte{'"', ' ', '\t', '\r', '\n'} {
		t[c] |= outsideSpecial
	}
	t['"'] |= insideSpecial
	t['\\'] |= insideSpecial
	return t
}()

const (
	outsideSpecial = 1 << iota
	insideSpecial
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD and
// control characters are escaped, so every line is valid JSON.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while they are plain ASCII.
		for i+8 <= len(s) && !stringSpecial(load64(s, i)) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// load64 reads s[i:i+8] as a little-endian word (one load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// stringSpecial reports whether one of the eight bytes of x needs
// AppendString's attention: a control byte, a quote, a backslash or a byte of
// a multi-byte character.
func stringSpecial(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	b := x ^ (ones * '\\')
	return ((x-ones*0x20)&^x|(q-ones)&^q|(b-ones)&^b|x)&highs != 0
}

// Parse is gjson.ParseBytes without copying b into a string. b must not
// change while the result (or anything taken from it without copying) is in
// use; the checkers read a body once and copy what their findings keep.
func Parse(b []byte) gjson.Result {
	if len(b) == 0 {
		return gjson.Result{}
	}
	return gjson.Parse(unsafe.String(unsafe.SliceData(b), len(b)))
}

// Get is gjson.GetBytes without copying the result out of b: the result's
// strings are views of b, with the same rule as Parse's.
func Get(b []byte, path string) gjson.Result {
	return gjson.Get(unsafe.String(unsafe.SliceData(b), len(b)), path)
}
