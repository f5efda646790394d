package jsonx

import (
	"testing"
	"unicode/utf8"
)

func TestFirstInvalidUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", -1}, {"plain ascii", -1}, {"你好 😀", -1}, {"a\xffb", 1}, {"ok\xc3(", 2},
		{"你\xe5\xa5", 3}, {"\xed\xa0\x80", 0}, {"abcdefgh\x80", 8},
	} {
		if got := FirstInvalidUTF8([]byte(tc.in)); got != tc.want {
			t.Errorf("%q: %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestPathAt(t *testing.T) {
	doc := "{\"a\": 1, \"b\": {\"c\": [\"x\", \"y\xff\"], \"d.e\": \"z\"}, \"f\xff\": 2}"
	for _, tc := range []struct {
		find string
		want string
	}{
		{"1", "a"}, {`"x"`, "b.c.0"}, {"y\xff", "b.c.1"}, {`"z"`, `b.d\.e`}, {"f\xff", "f\uFFFD"},
	} {
		off := indexOf(doc, tc.find)
		if got := PathAt([]byte(doc), off); got != tc.want {
			t.Errorf("at %q (offset %d): %q, want %q", tc.find, off, got, tc.want)
		}
	}
	if got := PathAt([]byte(doc), 0); got != "" {
		t.Errorf("at the root: %q", got)
	}
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// FuzzFirstInvalidUTF8 holds FirstInvalidUTF8 to utf8.Valid.
func FuzzFirstInvalidUTF8(f *testing.F) {
	f.Add([]byte("a\xffb"))
	f.Fuzz(func(t *testing.T, b []byte) {
		off := FirstInvalidUTF8(b)
		if (off < 0) != utf8.Valid(b) {
			t.Fatalf("%q: %d, utf8.Valid %v", b, off, utf8.Valid(b))
		}
		if off >= 0 && (!utf8.Valid(b[:off]) || utf8.FullRune(b[off:]) && utf8.Valid(b[off:off+1]) && b[off] < utf8.RuneSelf) {
			t.Fatalf("%q: %d is not the first bad byte", b, off)
		}
	})
}
