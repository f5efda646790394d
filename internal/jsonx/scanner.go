package jsonx

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Scanner reads JSON in one pass, for readers that check or decode a
// document while they read it: it checks the syntax as it goes (agreeing with
// encoding/json, which the fuzz tests hold it to, nesting limit included) and
// hands out values as zero-copy gjson.Results. Each method reads from I and
// leaves I after what it read; at a syntax error it sets Bad, and the caller
// unwinds (and, to explain the error, asks Check).
type Scanner struct {
	S     string // the document
	I     int    // the reading position
	Bad   bool   // a syntax error was met
	depth int
}

// MaxDepth is the deepest nesting accepted, as encoding/json accepts it.
const MaxDepth = 10000

// Reset starts reading b (which must not change while it is read).
func (c *Scanner) Reset(b []byte) {
	*c = Scanner{S: unsafe.String(unsafe.SliceData(b), len(b))}
}

// Open reads the opening bracket at I of a container that closes with
// closer, and reports whether items follow; for an empty container it
// reads the closing bracket too and reports false.
func (c *Scanner) Open(closer byte) bool {
	c.I++
	c.WS()
	if c.Peek() == closer {
		c.I++
		return false
	}
	return true
}

// Name reads an object member's key and colon and leaves I at the value:
// the key's decoded text, and whether it was spelled with escapes. ok is
// false at a syntax error.
func (c *Scanner) Name() (name string, esc, ok bool) {
	c.WS()
	start := c.I
	if c.Peek() != '"' {
		c.Bad = true
		return "", false, false
	}
	i := start + 1
	for i < len(c.S) && plainStringByte[c.S[i]] {
		i++
	}
	if i < len(c.S) && c.S[i] == '"' {
		c.I = i + 1
		name = c.S[start+1 : i]
	} else {
		name, esc = c.Str().Str, true // escapes, or an error
	}
	if c.Bad || !c.expect(':') {
		return "", esc, false
	}
	c.WS()
	return name, esc, true
}

// Next reads what follows an item of a container that closes with closer:
// a comma (true; I is then at the next item) or the closing bracket
// (false). Anything else is a syntax error (false, and Bad).
func (c *Scanner) Next(closer byte) bool {
	c.WS()
	switch c.Peek() {
	case ',':
		c.I++
		c.WS()
		return true
	case closer:
		c.I++
	default:
		c.Bad = true
	}
	return false
}

// ValueAt reads the value that starts at off (read before) without moving.
func (c *Scanner) ValueAt(off int) gjson.Result {
	at := *c
	at.I = off
	return at.Value()
}

// Done skips trailing whitespace and reports whether the document was one
// well-formed value.
func (c *Scanner) Done() bool {
	c.WS()
	if c.I != len(c.S) {
		c.Bad = true
	}
	return !c.Bad
}

// expect skips whitespace and then the byte ch, which must be there.
func (c *Scanner) expect(ch byte) bool {
	c.WS()
	if c.Peek() != ch {
		c.Bad = true
		return false
	}
	c.I++
	return true
}

// Peek returns the byte at I, or 0 at the end.
func (c *Scanner) Peek() byte {
	if c.I < len(c.S) {
		return c.S[c.I]
	}
	return 0
}

// WS skips JSON's whitespace.
func (c *Scanner) WS() {
	for c.I < len(c.S) {
		switch c.S[c.I] {
		case ' ', '\t', '\n', '\r':
			c.I++
		default:
			return
		}
	}
}

// Enter goes one level deeper, failing beyond MaxDepth; Leave comes back.
func (c *Scanner) Enter() bool {
	c.depth++
	if c.depth > MaxDepth {
		c.Bad = true
		return false
	}
	return true
}

func (c *Scanner) Leave() { c.depth-- }

// Value reads one value of any kind; objects and arrays are read as a whole
// (and checked for syntax only).
func (c *Scanner) Value() gjson.Result {
	start := c.I
	switch ch := c.Peek(); {
	case ch == '"':
		return c.Str()
	case ch == '-' || ch >= '0' && ch <= '9':
		n := c.Number()
		return gjson.Result{Type: gjson.Number, Raw: c.S[start:c.I], Num: n}
	case ch == 't':
		c.literal("true")
		return gjson.Result{Type: gjson.True, Raw: c.S[start:c.I]}
	case ch == 'f':
		c.literal("false")
		return gjson.Result{Type: gjson.False, Raw: c.S[start:c.I]}
	case ch == 'n':
		c.literal("null")
		return gjson.Result{Type: gjson.Null, Raw: c.S[start:c.I]}
	case ch == '{' || ch == '[':
		c.Skip()
		return gjson.Result{Type: gjson.JSON, Raw: c.S[start:c.I]}
	}
	c.Bad = true
	return gjson.Result{}
}

// Skip reads one value and only checks its syntax.
func (c *Scanner) Skip() {
	switch c.Peek() {
	case '{', '[':
	default:
		c.Value()
		return
	}
	if !c.Enter() {
		return
	}
	defer c.Leave()
	closer := byte('}')
	if c.S[c.I] == '[' {
		closer = ']'
	}
	if !c.Open(closer) {
		return
	}
	for {
		if closer == '}' {
			if _, _, ok := c.Name(); !ok {
				return
			}
		}
		c.Skip()
		if c.Bad || !c.Next(closer) {
			return
		}
	}
}

func (c *Scanner) literal(word string) {
	if strings.HasPrefix(c.S[c.I:], word) {
		c.I += len(word)
		return
	}
	c.Bad = true
}

// Number reads a number as JSON spells one,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and returns its value as
// strconv.ParseFloat (and so gjson) gives it.
//
// It has many branches because it follows that grammar one byte at a time,
// in one pass and without allocating (the payload checker's hot path); a
// helper per part would cost a call per digit run.
func (c *Scanner) Number() float64 {
	s, i := c.S, c.I
	neg := i < len(s) && s[i] == '-'
	if neg {
		i++
	}
	digits := i
	var n uint64
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + uint64(s[i]-'0')
			i++
		}
	default:
		c.Bad = true
		return 0
	}
	if i-digits <= 15 && (i == len(s) || s[i] != '.' && s[i] != 'e' && s[i] != 'E') {
		// An integer of up to 15 digits is exact in a float64.
		c.I = i
		if neg {
			return -float64(n)
		}
		return float64(n)
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			c.Bad = true
			return 0
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			c.Bad = true
			return 0
		}
	}
	start := c.I
	c.I = i
	x, _ := strconv.ParseFloat(s[start:i], 64)
	return x
}

// Str reads a string; its Str is the decoded text (gjson's decoding, for
// the rare string with escapes).
func (c *Scanner) Str() gjson.Result {
	s := c.S
	start := c.I
	i := start + 1
	esc := false
	for i < len(s) {
		for i < len(s) && plainStringByte[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		ch := s[i]
		switch {
		case ch == '"':
			i++
			c.I = i
			raw := s[start:i]
			if esc {
				return gjson.Parse(raw)
			}
			return gjson.Result{Type: gjson.String, Raw: raw, Str: raw[1 : len(raw)-1]}
		case ch == '\\':
			esc = true
			if i+1 >= len(s) {
				c.Bad = true
				return gjson.Result{}
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex4(s[i+2:i+6]) {
					c.Bad = true
					return gjson.Result{}
				}
				i += 6
			default:
				c.Bad = true
				return gjson.Result{}
			}
		case ch < 0x20:
			c.Bad = true
			return gjson.Result{}
		default:
			i++
		}
	}
	c.Bad = true
	return gjson.Result{}
}

// plainStringByte holds the bytes a string may hold as they are: not the
// quote, not the backslash, not a control character.
var plainStringByte = func() (t [256]bool) {
	for i := 0x20; i < 256; i++ {
		t[i] = i != '"' && i != '\\'
	}
	return t
}()

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		ch := s[i]
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F') {
			return false
		}
	}
	return true
}
