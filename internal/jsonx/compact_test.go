package jsonx

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// legacyAppendCompact is AppendCompact as it was at b0a9e81 (a byte loop),
// the reference for the one that skips strings with IndexByte.
func legacyAppendCompact(dst, src []byte) []byte {
	start, inString := 0, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			dst = append(dst, src[start:i]...)
			start = i + 1
		}
	}
	return append(dst, src[start:]...)
}

var compactCases = []string{
	``, ` `, `"`, `\`, `"\`, `"\"`, `"\\"`, `"\\\"`, `" \" "  x`, `"a\\" b "c d"`, `{"a": "b\"c", "d" : [1, 2]}`,
	"{\n\t\"a\": \"x\\\\\\\" y\",\r\n \"b\":[1, 2]}", `"\` + "\n" + `" x`, `"abc`, `"a\ b" c`, `x "\"\"\"" y "`,
	`{"a":"` + strings.Repeat(`\n`, 1000) + ` "} `, `{"a":"` + strings.Repeat(`\"`, 100) + `" , "b" : "` + strings.Repeat("x ", 100) + `"}`,
	"\xff \"\xfe \" \x00 ", `{"a":"b c","d":"e\"f g"}`, `{"a":"b c","d":"e\"f g"} `, `"a b`, `"a b\`, `"a b\"`, `{"a":"x y","b" :1}`,
	`{"a":"x y"}` + "\n", `x\ "y z"`, `"p q" "r\\" s`, `{"d":"{\"k\":1}","t":"a b"}`, `{"d":"{\"k\":1}", "t":"a b"}`,
	`{"t":"a\" b","u":"c d"}`, `{"t":"a\\" b}`, `{"t":"a\ b"}`, `"\`, `{"t":"\"\" x", "y"}`, `x\"y z`, `{"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi there"}}], "n" :1}`,
}

// AppendCompact writes what the byte loop wrote, for any input.
func TestAppendCompactMatchesLegacy(t *testing.T) {
	for _, c := range compactCases {
		if got, want := AppendCompact([]byte("p"), []byte(c)), legacyAppendCompact([]byte("p"), []byte(c)); !bytes.Equal(got, want) {
			t.Errorf("AppendCompact(%q) = %q, want %q", c, got, want)
		}
	}
}

func FuzzAppendCompactMatchesLegacy(f *testing.F) {
	for _, c := range compactCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := AppendCompact(nil, b), legacyAppendCompact(nil, b); !bytes.Equal(got, want) {
			t.Fatalf("AppendCompact(%q) = %q, want %q", b, got, want)
		}
	})
}

func BenchmarkAppendCompact(b *testing.B) {
	for _, tc := range []struct{ name, src string }{
		{"compact", `{"CallbackCommand":"C2C.CallbackAfterSendMsg","From_Account":"li_lei683","To_Account":"alice","MsgSeq":717861086,"MsgRandom":2767791155,"MsgTime":1767225404,"MsgKey":"717861086_2767791155_1767225404","SendMsgResult":0,"ErrorInfo":"send msg succeed","UnreadMsgNum":71,"MsgBody":[{"MsgType":"TIMSoundElem","MsgContent":{"Url":"https://cos.ap-singapore.myqcloud.com/b95dd4c7a152f73b6d9126624276254e","UUID":"46e24386bb76fe7d9fa24819800646a1","Size":8946,"Second":14}}]}`},
		{"nospace", `{"CallbackCommand":"C2C.CallbackAfterSendMsg","From_Account":"li_lei683","To_Account":"alice","MsgSeq":717861086,"MsgRandom":2767791155,"MsgTime":1767225404,"MsgKey":"717861086_2767791155_1767225404","SendMsgResult":0,"ErrorInfo":"send_msg_succeed","UnreadMsgNum":71,"MsgBody":[{"MsgType":"TIMSoundElem","MsgContent":{"Url":"https://cos.ap-singapore.myqcloud.com/b95dd4c7a152f73b6d9126624276254e","UUID":"46e24386bb76fe7d9fa24819800646a1","Size":8946,"Second":14}}]}`},
		{"escaped", `{"CallbackCommand":"C2C.CallbackAfterSendMsg","From_Account":"li_lei683","To_Account":"alice","MsgSeq":717861086,"MsgRandom":2767791155,"MsgTime":1767225404,"MsgKey":"717861086_2767791155_1767225404","CloudCustomData":"{\"k\":\"v w\"}","ErrorInfo":"send msg succeed","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"line one\nline two"}}]}`},
		{"indented", "{\n  \"CallbackCommand\": \"C2C.CallbackAfterSendMsg\",\n  \"From_Account\": \"li_lei683\",\n  \"MsgBody\": [\n    {\n      \"MsgType\": \"TIMTextElem\",\n      \"MsgContent\": {\"Text\": \"hello there, how are you?\"}\n    }\n  ]\n}"},
	} {
		src := []byte(tc.src)
		dst := make([]byte, 0, 2*len(src))
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				dst = AppendCompact(dst[:0], src)
			}
		})
		b.Run(tc.name+"/legacy", func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				dst = legacyAppendCompact(dst[:0], src)
			}
		})
	}
}

// legacyAppendString is AppendString as it was at b0a9e81 (a byte loop).
func legacyAppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
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

var stringCases = []string{"", "a", "abcdefgh", "abcdefghi", "http://127.0.0.1:9302/?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json",
	"1234567\"", "12345678\\", "\x00\x01\x1f\x20\x7f\x80", "héllo wörld 中文 \u2028\u2029 x", "\xff\xfe\xfd", "abcdefg\xe2\x80", "abcdefg\xe2\x80\xa8", "tab\there\nnew\rline",
	strings.Repeat("abcdefg", 20) + "\"" + strings.Repeat("z", 9), "~~~~~~~~!!!!!!!!", "\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f", "        "}

// AppendString writes what the byte loop wrote, for any input.
func TestAppendStringMatchesLegacy(t *testing.T) {
	for _, c := range stringCases {
		for i := 0; i <= len(c); i++ {
			if got, want := AppendString([]byte("p"), c[i:]), legacyAppendString([]byte("p"), c[i:]); !bytes.Equal(got, want) {
				t.Errorf("AppendString(%q) = %q, want %q", c[i:], got, want)
			}
		}
	}
	for b := 0; b < 256; b++ {
		for pos := 0; pos < 9; pos++ {
			s := []byte("abcdefghij")
			s[pos] = byte(b)
			if got, want := AppendString(nil, string(s)), legacyAppendString(nil, string(s)); !bytes.Equal(got, want) {
				t.Errorf("AppendString(%q) = %q, want %q", s, got, want)
			}
		}
	}
}

func FuzzAppendStringMatchesLegacy(f *testing.F) {
	for _, c := range stringCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := AppendString(nil, s), legacyAppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %q, want %q", s, got, want)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	for _, tc := range []struct{ name, s string }{
		{"url", "http://127.0.0.1:9302/?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"},
		{"short", "application/json"},
		{"escapes", "expected \"an integer\"\n, found \u4e2d\u6587"},
	} {
		dst := make([]byte, 0, 256)
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				dst = AppendString(dst[:0], tc.s)
			}
		})
		b.Run(tc.name+"/legacy", func(b *testing.B) {
			for b.Loop() {
				dst = legacyAppendString(dst[:0], tc.s)
			}
		})
	}
}

// Get finds what gjson.GetBytes finds.
func TestGetMatchesGetBytes(t *testing.T) {
	for _, b := range []string{"", `{"callbackCommand":"callbackX"}`, ` {"callbackCommand" : "a\"b"} `, `{"callbackCommand":1}`, `[1]`, `"s"`, `{"a":{"callbackCommand":"x"}}`, `{"callbackCommand":"x","callbackCommand":"y"}`, `{`} {
		for _, in := range [][]byte{[]byte(b), nil} {
			got, want := Get(in, "callbackCommand"), gjson.GetBytes(in, "callbackCommand")
			if got.Type != want.Type || got.Str != want.Str || got.Raw != want.Raw || got.Num != want.Num || got.Index != want.Index || got.Exists() != want.Exists() {
				t.Errorf("Get(%q) = %+v, want %+v", in, got, want)
			}
		}
	}
}
