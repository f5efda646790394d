package record

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/imhook/imhook/internal/jsonx"
)

// Unmarshal decodes one record (a line of a record file) into a zero r, with
// the result and errors of json.Unmarshal. Records in the shape imhook
// writes them (exact field names, each once, no nulls) are read in one pass;
// anything else is left to encoding/json, whose rules (case-insensitive
// names, nulls, duplicates) then apply as they always did.
func Unmarshal(b []byte, r *Record) error {
	*r = Record{}
	d := decoder{b: b}
	d.sc.Reset(b)
	if d.record(r) && d.sc.Done() {
		return nil
	}
	*r = Record{}
	return json.Unmarshal(b, r)
}

// decoder is the one-pass path of Unmarshal. Each method returns false
// when the input is not in the plain shape (or not JSON); Unmarshal then
// starts over with encoding/json. Strings and bodies are copied: b is
// usually a reader's buffer.
type decoder struct {
	b  []byte
	sc jsonx.Scanner
}

const untracked = 32

// object reads an object whose keys are plain (unescaped), calling member
// with the reader on each value. member returns the key's index (0..31),
// which must not come twice; untracked for a key it checks itself; -1 when
// the key or its value is not of the shape.
func (d *decoder) object(member func(key string) int) bool {
	d.sc.WS()
	if d.sc.Peek() != '{' {
		return false
	}
	if !d.sc.Open('}') {
		return true
	}
	var seen uint32
	for {
		k, esc, ok := d.sc.Name()
		if !ok || esc {
			return false
		}
		i := member(k)
		if i < 0 || d.sc.Bad || i < untracked && seen&(1<<i) != 0 {
			return false
		}
		if i < untracked {
			seen |= 1 << i
		}
		if !d.sc.Next('}') {
			return !d.sc.Bad
		}
	}
}

// array reads an array, calling item with the reader at each item; item
// returns false when the item is not of the shape.
func (d *decoder) array(item func() bool) bool {
	d.sc.WS()
	if d.sc.Peek() != '[' {
		return false
	}
	if !d.sc.Open(']') {
		return true
	}
	for {
		if !item() || d.sc.Bad {
			return false
		}
		if !d.sc.Next(']') {
			return !d.sc.Bad
		}
	}
}

// str reads a string value as encoding/json decodes it.
// strAs is str for a string type of the record's (Severity, Verdict,
// Outcome).
func strAs[T ~string](d *decoder, dst *T) bool {
	var s string
	if !d.str(&s) {
		return false
	}
	*dst = T(s)
	return true
}

func (d *decoder) str(dst *string) bool {
	if d.sc.Peek() != '"' {
		return false
	}
	start := d.sc.I
	v := d.sc.Str()
	if d.sc.Bad {
		return false
	}
	if strings.IndexByte(v.Raw, '\\') < 0 && utf8.ValidString(v.Str) {
		*dst = strings.Clone(v.Str)
		return true
	}
	// Escapes and invalid UTF-8: encoding/json's own decoding, for its
	// exact replacements.
	return json.Unmarshal(d.b[start:d.sc.I], dst) == nil
}

// raw reads any value and returns its bytes (not copied).
func (d *decoder) raw() []byte {
	start := d.sc.I
	d.sc.Skip()
	return d.b[start:d.sc.I]
}

func (d *decoder) record(r *Record) bool {
	return d.object(func(key string) int {
		switch key {
		case "time":
			if d.sc.Peek() != '"' {
				return -1
			}
			if err := r.Time.UnmarshalJSON(d.raw()); err != nil || d.sc.Bad {
				return -1
			}
			return 0
		case "vendor":
			return ok(d.str(&r.Vendor), 1)
		case "command":
			return ok(d.str(&r.Command), 2)
		case "request":
			r.Request = &Message{}
			return ok(d.message(r.Request), 3)
		case "response":
			r.Response = &Message{}
			return ok(d.message(r.Response), 4)
		case "error":
			return ok(d.str(&r.Error), 5)
		case "waited_ms":
			x, err := strconv.ParseFloat(string(d.number()), 64)
			r.WaitedMS = x
			return ok(err == nil, 9)
		case "findings":
			return ok(d.findings(&r.Findings), 6)
		case "outcome":
			return ok(strAs(d, &r.Outcome), 7)
		case "verdict":
			return ok(strAs(d, &r.Verdict), 8)
		case "forward":
			r.Forward = &Forward{}
			return ok(d.forward(r.Forward), 10)
		case "seed":
			n, err := strconv.ParseUint(string(d.number()), 10, 64)
			r.Seed = &n
			return ok(err == nil, 11)
		}
		return -1
	})
}

// forward reads the forward object of a forwarded exchange.
func (d *decoder) forward(f *Forward) bool {
	return d.object(func(key string) int {
		switch key {
		case "url":
			return ok(d.str(&f.URL), 0)
		case "status":
			n, err := strconv.ParseInt(string(d.number()), 10, strconv.IntSize)
			f.Status = int(n)
			return ok(err == nil, 1)
		case "latency_ms":
			x, err := strconv.ParseFloat(string(d.number()), 64)
			f.LatencyMS = x
			return ok(err == nil, 2)
		case "error":
			return ok(d.str(&f.Error), 3)
		case "findings":
			return ok(d.findings(&f.Findings), 4)
		}
		return -1
	})
}

func ok(good bool, i int) int {
	if good {
		return i
	}
	return -1
}

// message reads a request or response as Message.UnmarshalJSON does.
func (d *decoder) message(m *Message) bool {
	var body, exact []byte
	var text *string
	good := d.object(func(key string) int {
		switch key {
		case "method":
			return ok(d.str(&m.Method), 0)
		case "url":
			return ok(d.str(&m.URL), 1)
		case "status":
			n, err := strconv.ParseInt(string(d.number()), 10, strconv.IntSize)
			m.Status = int(n)
			return ok(err == nil, 2)
		case "headers":
			return ok(d.headers(&m.Headers), 3)
		case "body":
			body = d.raw()
			return ok(len(body) > 0 && body[0] != 'n', 4) // null: encoding/json's rules
		case "body_text":
			text = new(string)
			return ok(d.str(text), 5)
		case "latency_ms":
			x, err := strconv.ParseFloat(string(d.number()), 64)
			m.LatencyMS = x
			return ok(err == nil, 6)
		case "body_base64":
			var s string
			if !d.str(&s) {
				return -1
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if len(b) > 0 { // "" leaves the body to body or body_text, as encoding/json does
				exact = b
			}
			return ok(err == nil, 7)
		}
		return -1
	})
	if !good || body != nil && text != nil {
		return false
	}
	switch {
	case exact != nil:
		m.Body = exact
	case body != nil:
		m.Body = append([]byte(nil), body...)
	case text != nil:
		m.Body = []byte(*text)
	}
	return true
}

// number reads a number's bytes; anything else fails the reader.
func (d *decoder) number() []byte {
	if c := d.sc.Peek(); c != '-' && (c < '0' || c > '9') {
		d.sc.Bad = true
		return nil
	}
	start := d.sc.I
	d.sc.Number()
	return d.b[start:d.sc.I]
}

func (d *decoder) headers(h *http.Header) bool {
	m := http.Header{}
	good := d.object(func(key string) int {
		if _, dup := m[key]; dup || !utf8.ValidString(key) {
			return -1 // encoding/json's rules: the last wins; U+FFFD for bad bytes
		}
		vals := []string{}
		if !d.array(func() bool {
			var v string
			if !d.str(&v) {
				return false
			}
			vals = append(vals, v)
			return true
		}) {
			return -1
		}
		m[strings.Clone(key)] = vals
		return untracked
	})
	*h = m
	return good
}

func (d *decoder) findings(fs *[]Finding) bool {
	out := []Finding{}
	good := d.array(func() bool {
		var f Finding
		if !d.object(func(key string) int {
			switch key {
			case "severity":
				return ok(strAs(d, &f.Severity), 0)
			case "rule":
				return ok(d.str(&f.Rule), 1)
			case "path":
				return ok(d.str(&f.Path), 2)
			case "message":
				return ok(d.str(&f.Message), 3)
			}
			return -1
		}) {
			return false
		}
		out = append(out, f)
		return true
	})
	*fs = out
	return good
}
