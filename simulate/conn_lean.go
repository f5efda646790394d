package simulate

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
)

// leanHead parses the status line and header of the reply buffered in br
// the way http.ReadResponse does, for the common case only: HTTP/1.0 or
// HTTP/1.1, a status from 200 to 599 other than 204 and 304, plain
// "Name: value" lines ending in CRLF with names of letters, digits and
// hyphens and printable ASCII values, and exactly one Content-Length.
// Anything else (chunked or no Content-Length, 1xx, obsolete line folding,
// Transfer-Encoding, Trailer, Pragma, a header not yet wholly received)
// returns ok false with nothing consumed, and the caller uses
// http.ReadResponse. On success n is the length of the head; the body
// follows it in br.
//
// With a scratch, the response, its header map and the value slices are
// the scratch's, reused from call to call: for a reply nothing keeps.
//
// It is long because it parses the status line and every header of a reply
// head in one pass over the buffered bytes, on the load engine's hot path
// (BenchmarkReadReply, held to http.ReadResponse by its tests), and each
// header that sends the reply to net/http is a branch of its own.
func leanHead(br *bufio.Reader, req *http.Request, sc *leanScratch) (resp *http.Response, n int, ok bool) {
	b, _ := br.Peek(br.Buffered())
	if req.Method == http.MethodHead {
		return nil, 0, false
	}
	// A reply whose head is byte for byte the last one's parses as that one
	// did (leanHead reads nothing but the head's bytes and the method): a
	// server sends the same head reply after reply, but for its Date line
	// once a second.
	if sc != nil && sc.head != "" && len(b) >= len(sc.head) && string(b[:len(sc.head)]) == sc.head {
		sc.resp.Request = req
		return sc.resp, len(sc.head), true
	}
	end := bytes.Index(b, crlfcrlf)
	if end < 0 {
		return nil, 0, false
	}
	if sc != nil {
		sc.head = "" // set again below once this head is taken
	}
	head := b[:end+2] // every line with its CRLF
	line, rest, _ := bytes.Cut(head, crlf)
	if len(line) < 12 || !bytes.HasPrefix(line, http10) || (line[7] != '0' && line[7] != '1') || line[8] != ' ' {
		return nil, 0, false
	}
	d0, d1, d2 := line[9], line[10], line[11]
	if d0 < '2' || d0 > '5' || d1 < '0' || d1 > '9' || d2 < '0' || d2 > '9' || len(line) > 12 && line[12] != ' ' {
		return nil, 0, false
	}
	code := int(d0-'0')*100 + int(d1-'0')*10 + int(d2-'0')
	if code == 204 || code == 304 || !printable(line) {
		return nil, 0, false
	}
	// Count the lines to size the header once.
	lines := bytes.Count(rest, crlf)
	// One string holds the head; the map's slices point into it.
	whole := string(b[:end+4])
	text := whole[len(line)+2 : end+2]
	var h http.Header
	var strs []string
	if sc != nil {
		if sc.resp == nil {
			sc.resp = &http.Response{Header: make(http.Header, lines)}
		}
		resp, h = sc.resp, sc.resp.Header
		clear(h)
		if cap(sc.strs) < lines {
			sc.strs = make([]string, lines)
		}
		strs = sc.strs[:lines]
	} else {
		resp, h, strs = new(http.Response), make(http.Header, lines), make([]string, lines)
	}
	var cl int64 = -1
	var conn []string
	off := 0
	for off < len(text) {
		i := off + indexCRLF(text[off:])
		kv := text[off:i]
		off = i + 2
		colon := -1
		for j := 0; j < len(kv); j++ {
			c := kv[j]
			if c == ':' {
				colon = j
				break
			}
			if !isNameByte(c) {
				return nil, 0, false
			}
		}
		if colon <= 0 || !printable([]byte(kv[colon+1:])) {
			return nil, 0, false
		}
		key := canonicalKey(kv[:colon])
		v := trimOWS(kv[colon+1:])
		switch key {
		case "Transfer-Encoding", "Trailer", "Pragma":
			return nil, 0, false
		case "Content-Length":
			if cl >= 0 {
				return nil, 0, false
			}
			if cl = parseLength(v); cl < 0 {
				return nil, 0, false
			}
		}
		if vv, dup := h[key]; dup {
			h[key] = append(vv, v)
		} else {
			strs[0] = v
			h[key], strs = strs[:1:1], strs[1:]
		}
		if key == "Connection" {
			conn = h[key]
		}
	}
	if cl < 0 {
		return nil, 0, false
	}
	*resp = http.Response{Status: statusText(line[9:]), StatusCode: code, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: http.NoBody, ContentLength: cl, Request: req}
	hasClose := headerHasToken(conn, "close")
	if line[7] == '0' {
		resp.Proto, resp.ProtoMinor = "HTTP/1.0", 0
		resp.Close = hasClose || !headerHasToken(conn, "keep-alive")
	} else {
		resp.Close = hasClose
		if hasClose {
			delete(h, "Connection")
		}
	}
	if sc != nil {
		sc.head = whole
	}
	return resp, end + 4, true
}

// leanScratch is what leanHead reuses for replies nothing keeps: the
// response, and head, the head it was parsed from ("" when resp holds
// none whole).
type leanScratch struct {
	resp *http.Response
	strs []string
	head string
}

var (
	crlf     = []byte("\r\n")
	crlfcrlf = []byte("\r\n\r\n")
	http10   = []byte("HTTP/1.")
)

func indexCRLF(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\r' && s[i+1] == '\n' {
			return i
		}
	}
	return len(s)
}

// printable reports a line of printable ASCII and tabs only.
func printable(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t') || c > 0x7e {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

// commonKeys spares the usual header names an allocation.
var commonKeys = map[string]string{}

func init() {
	for _, k := range []string{"Content-Type", "Content-Length", "Date", "Server", "Connection", "Keep-Alive",
		"Cache-Control", "Vary", "X-Request-Id", "Access-Control-Allow-Origin", "Location", "Set-Cookie", "Etag", "Expires"} {
		commonKeys[k] = k
	}
}

// canonicalKey is textproto's canonical form of a name of letters, digits
// and hyphens.
func canonicalKey(k string) string {
	switch k { // servers mostly send these as they are
	case "Content-Type":
		return "Content-Type"
	case "Content-Length":
		return "Content-Length"
	case "Date":
		return "Date"
	case "Server":
		return "Server"
	case "Connection":
		return "Connection"
	case "Keep-Alive":
		return "Keep-Alive"
	}
	var buf [64]byte
	if len(k) > len(buf) {
		return http.CanonicalHeaderKey(k)
	}
	b := buf[:len(k)]
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
	if s, ok := commonKeys[string(b)]; ok {
		return s
	}
	if string(b) == k {
		return k
	}
	return string(b)
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parseLength parses a Content-Length of 1 to 18 digits, else -1.
func parseLength(s string) int64 {
	if len(s) == 0 || len(s) > 18 {
		return -1
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// headerHasToken is httpguts.HeaderValuesContainsToken.
func headerHasToken(values []string, token string) bool {
	for _, v := range values {
		for {
			item, more, found := cutByte(v, ',')
			if asciiEqualFold(trimOWS(item), token) {
				return true
			}
			if !found {
				break
			}
			v = more
		}
	}
	return false
}

func cutByte(s string, c byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// statusText is the status line after the protocol, without an allocation
// for the usual ones.
func statusText(s []byte) string {
	switch string(s) {
	case "200 OK":
		return "200 OK"
	case "500 Internal Server Error":
		return "500 Internal Server Error"
	case "404 Not Found":
		return "404 Not Found"
	}
	return string(s)
}

// readBody reads a Content-Length body of cl bytes into buf, at most
// limit+1 of them, as reading http.ReadResponse's body through
// io.LimitReader(body, limit+1) does (a body cut short is
// io.ErrUnexpectedEOF).
func readBody(br *bufio.Reader, buf *bytes.Buffer, cl, limit int64) error {
	want := min(cl, limit+1)
	for want > 0 {
		// Grow as the bytes come, not by what the header claims.
		buf.Grow(int(min(want, 32<<10)))
		b := buf.AvailableBuffer()
		b = b[:min(int64(cap(b)), want)]
		n, err := br.Read(b)
		buf.Write(b[:n])
		want -= int64(n)
		if err != nil && want > 0 {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}
