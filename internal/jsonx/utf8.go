package jsonx

import (
	"strings"
	"unicode/utf8"
)

// FirstInvalidUTF8 returns the offset of the first byte of b that does not
// begin a valid UTF-8 sequence (as utf8.Valid judges: surrogates and
// overlong forms are invalid), or -1 when b is valid UTF-8.
func FirstInvalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// Position returns the 1-based line and column (in characters, an invalid
// byte counting as one) of the byte at off in b.
func Position(b []byte, off int) (line, col int) {
	return position(b, int64(off)+1)
}

// PathAt returns the gjson path of the innermost member or item of the JSON
// document b whose key or value holds the byte at off: "" for the document
// itself, or when b is not valid JSON up to there. Keys are shown with
// invalid UTF-8 replaced by U+FFFD.
func PathAt(b []byte, off int) string {
	var c Scanner
	c.Reset(b)
	c.WS()
	path, _ := pathAt(&c, off, "")
	return path
}

// pathAt reads the value at c.I, which holds off, and returns the path of
// the innermost member or item holding it; found is false when off is not
// inside a member or item of it.
func pathAt(c *Scanner, off int, path string) (string, bool) {
	closer := byte(0)
	switch c.Peek() {
	case '{':
		closer = '}'
	case '[':
		closer = ']'
	default:
		return path, false
	}
	if !c.Enter() {
		return path, false
	}
	defer c.Leave()
	if !c.Open(closer) {
		return path, false
	}
	for i := 0; ; i++ {
		here := Index(path, i)
		if closer == '}' {
			c.WS()
			start := c.I
			name, _, ok := c.Name()
			if !ok {
				return path, false
			}
			here = PathJoin(path, strings.ToValidUTF8(name, "\uFFFD"))
			if off < c.I && off >= start {
				return here, true
			}
		}
		start := c.I
		c.Skip()
		if c.Bad {
			return path, false
		}
		if off >= start && off < c.I {
			c.I = start
			if p, found := pathAt(c, off, here); found {
				return p, true
			}
			return here, true
		}
		if !c.Next(closer) {
			return path, false
		}
	}
}
