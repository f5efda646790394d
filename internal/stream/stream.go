// Package stream reads the inputs of replay and validate as a stream of JSON
// values, each with its file, line and column: record files (JSON Lines),
// payload files (one JSON value, a JSON array of values, JSON Lines, or
// pretty-printed values one after another), directories of them, and stdin.
// Memory is bounded by the longest value (MaxItem), never by the file.
//
// A file is read in one of two ways, chosen from its first line:
//
//   - line mode (JSON Lines): each non-blank line is one value. A file whose
//     first line is a whole object ({...}) or anything but the start of a
//     value, and every *.jsonl and *.ndjson file, is read this way. A corrupt
//     line (not JSON, truncated, binary) spoils only itself.
//   - value mode: values are split by their brackets, so they may span lines;
//     a top-level array is opened and its elements are the values. A file
//     that starts with [ or whose first line opens an object without closing
//     it is read this way.
package stream

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/internal/located"
	"github.com/imhook/imhook/record"
)

// MaxItem is the longest value (or line, its newline included) a Reader
// accepts: record.MaxLine, the longest line the record writer writes, so
// that every record written is read.
const MaxItem = record.MaxLine

// Rule names of the reader's findings.
const (
	RuleJSON    = "input.json"     // not one valid JSON value
	RuleTooLong = "input.too_long" // a value longer than MaxItem
	RuleRead    = "input.read"     // the file could not be read (exit 2)
	RuleBinary  = "input.binary"   // the file is not JSON text: binary, UTF-16, compressed (exit 2)
	RuleEmpty   = "input.empty"    // the input holds no JSON value at all (exit 2)
)

// Unusable reports a finding that makes a whole input unusable: it could
// not be read, it is not JSON text, or it is empty. Commands count such
// inputs and exit 2 (an input error), where a corrupt line is a finding
// like any other.
func Unusable(f *record.Finding) bool {
	return f != nil && (f.Rule == RuleRead || f.Rule == RuleBinary || f.Rule == RuleEmpty)
}

// Finding is a finding located in an input (located.Finding).
type Finding = located.Finding

// Item is one value of an input.
type Item struct {
	File      string
	Line, Col int // where the value starts (1-based)
	// Raw is the value's bytes; the Reader reuses it on the next call.
	Raw []byte
	// Err is set (and Raw empty) when the reader could not cut a value out
	// of the input here: a value too long, a stray token between values, an
	// unreadable file.
	Err *record.Finding
}

// Check returns the finding of an item that is not one valid JSON value,
// and the line of the file it is on, or nil. Positions are the file's, not
// the value's.
func (it *Item) Check() (*record.Finding, int) {
	if it.Err != nil {
		return it.Err, it.Line
	}
	se := jsonx.Check(it.Raw)
	if se == nil {
		return nil, it.Line
	}
	se = se.Relocate(it.Line, it.Col)
	return &record.Finding{Severity: record.Error, Rule: RuleJSON,
		Message: "not valid JSON: " + se.Error()}, se.Line
}

// Source is one input: a file, or stdin ("-").
type Source struct {
	Name string // as shown in findings; "-" for stdin
	Path string // "" for stdin
	Size int64  // -1 when unknown
}

// Extensions of the files a directory argument contributes.
var Extensions = []string{".json", ".jsonl", ".ndjson"}

// Expand turns command-line arguments into sources: "-" is stdin (once), a
// directory gives its *.json, *.jsonl and *.ndjson files (recursively, in
// lexical order, skipping hidden ones), a file itself. A missing or
// unreadable argument is an error.
func Expand(args []string) ([]Source, error) {
	var out []Source
	stdin := false
	for _, a := range args {
		if a == "-" {
			if stdin {
				return nil, errors.New("- (stdin) given twice")
			}
			stdin = true
			out = append(out, Source{Name: "-", Size: -1})
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if err := readable(a); err != nil {
				return nil, err
			}
			out = append(out, Source{Name: a, Path: a, Size: st.Size()})
			continue
		}
		var found []Source
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != a && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !hasExt(p) {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			found = append(found, Source{Name: p, Path: p, Size: info.Size()})
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no %s files in this directory", a, strings.Join(Extensions, ", "))
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
		out = append(out, found...)
	}
	return out, nil
}

func readable(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	return f.Close()
}

func hasExt(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	for _, e := range Extensions {
		if ext == e {
			return true
		}
	}
	return false
}

// Options configure Walk.
type Options struct {
	// Stdin is read for the source "-".
	Stdin io.Reader
	// Progress, when set, is told how many bytes were read.
	Progress func(n int)
}

// Walk reads every source in order and calls fn with each item; the item's
// Raw is valid only during the call. A source that cannot be opened or read
// gives an item with an Err of rule RuleRead and the walk goes on. Walk stops
// early when fn returns an error, and returns it.
func Walk(sources []Source, o Options, fn func(*Item) error) error {
	for _, s := range sources {
		var r io.Reader
		var closer io.Closer
		if s.Path == "" {
			r = o.Stdin
			if r == nil {
				r = os.Stdin
			}
		} else {
			f, err := os.Open(s.Path)
			if err != nil {
				if err := fn(readError(s.Name, 0, err)); err != nil {
					return err
				}
				continue
			}
			r, closer = f, f
		}
		if o.Progress != nil {
			r = &progressReader{r: r, f: o.Progress}
		}
		rd := NewReader(s.Name, r)
		var err error
		for {
			var it *Item
			it, err = rd.Next()
			if err != nil {
				break
			}
			if err = fn(it); err != nil {
				break
			}
		}
		if closer != nil {
			closer.Close()
		}
		if errors.Is(err, io.EOF) {
			continue
		}
		var re *ReadError
		if errors.As(err, &re) {
			if err := fn(readError(s.Name, re.Line, re.Err)); err != nil {
				return err
			}
			continue
		}
		return err
	}
	return nil
}

func readError(name string, line int, err error) *Item {
	return &Item{File: name, Line: line, Err: &record.Finding{Severity: record.Error, Rule: RuleRead,
		Message: "cannot read the file: " + err.Error()}}
}

type progressReader struct {
	r io.Reader
	f func(int)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.f(n)
	}
	return n, err
}

// ReadError is an I/O error of the underlying reader; the rest of the input
// is lost.
type ReadError struct {
	Line int
	Err  error
}

func (e *ReadError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *ReadError) Unwrap() error { return e.Err }

const (
	modeUnknown = iota
	modeLine
	modeValue
)

// Reader cuts one input into items.
type Reader struct {
	name string
	br   *bufio.Reader
	mode int
	buf  []byte
	item Item

	// line mode
	lineNo int

	// value mode: the position of the next byte, a one-byte push-back, the
	// array being read, and an item held back behind a finding.
	line, col    int
	back         int
	backL, backC int
	inArray      bool
	arrayLine    int
	arrayCol     int
	prev         byte // in an array: '[' , ',' or 'v' (a value)
	pending      *Item
	stopped      bool

	// notText says why the input is not JSON text ("" when it may be),
	// once sniffed; any is set once an item was returned; done once the
	// input ended.
	notText            string
	sniffed, any, done bool
}

// NewReader reads r; name is the file name items carry.
func NewReader(name string, r io.Reader) *Reader {
	rd := &Reader{name: name, br: bufio.NewReaderSize(r, 1<<20), line: 1, col: 1, back: -1}
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".jsonl" || ext == ".ndjson" {
		rd.mode = modeLine
	}
	return rd
}

// Next returns the next item; io.EOF at the end; a *ReadError when the
// input could not be read. An input that is not JSON text (a binary file,
// UTF-16, compressed data) is one item with a RuleBinary finding, and an
// input without any value (empty, or only blanks) one with RuleEmpty.
func (r *Reader) Next() (*Item, error) {
	if r.done {
		return nil, io.EOF
	}
	if !r.sniffed {
		r.sniffed = true
		if r.mode == modeUnknown {
			r.detect()
		} else {
			// A read error here is met again, and reported, by the first read.
			_, _ = r.br.Peek(1)
		}
		head, _ := r.br.Peek(r.br.Buffered())
		if r.notText = jsonx.NotText(head); r.notText != "" {
			r.done = true
			r.item = Item{File: r.name, Line: 1, Col: 1, Err: &record.Finding{Severity: record.Error, Rule: RuleBinary,
				Message: "not JSON text: " + r.notText + ". imhook reads JSON: records, payloads, JSON Lines"}}
			return &r.item, nil
		}
	}
	var it *Item
	var err error
	if r.mode == modeLine {
		it, err = r.nextLine()
	} else {
		it, err = r.nextValue()
	}
	switch {
	case err == nil:
		r.any = true
	case errors.Is(err, io.EOF) && !r.any:
		r.any, r.done = true, true
		msg := "the input is empty: no JSON value in it (expected records, payloads or JSON Lines)"
		if r.arrayLine > 0 {
			msg = "the input is an empty JSON array: no value in it (expected records, payloads or JSON Lines)"
		}
		r.item = Item{File: r.name, Line: 1, Col: 1, Err: &record.Finding{Severity: record.Error, Rule: RuleEmpty, Message: msg}}
		return &r.item, nil
	}
	return it, err
}

// detect chooses the mode from the first line (see the package comment).
func (r *Reader) detect() {
	r.mode = modeLine
	// Peek one read more at a time, so that a live stream (a pipe) is not
	// held up waiting for a buffer's worth. A read error here is met again,
	// and reported, by the first read.
	for {
		// Wait for one read more than what is buffered, then look at all.
		_, err := r.br.Peek(min(r.br.Buffered()+1, r.br.Size()))
		peek, _ := r.br.Peek(r.br.Buffered())
		peek = bytes.TrimPrefix(peek, []byte("\xef\xbb\xbf"))
		start := bytes.TrimLeft(peek, " \t\r\n")
		if len(start) > 0 {
			switch start[0] {
			case '[':
				r.mode = modeValue
				return
			case '{':
				if nl := bytes.IndexByte(start, '\n'); nl >= 0 {
					if first := bytes.TrimSpace(start[:nl]); first[len(first)-1] != '}' {
						r.mode = modeValue
					}
					return
				}
			default:
				return
			}
		}
		if err != nil || len(peek) >= r.br.Size()-3 {
			return // one line, or a first line longer than the buffer
		}
	}
}

func (r *Reader) nextLine() (*Item, error) {
	for {
		line, tooLong, err := r.readLine()
		if err != nil {
			return nil, err
		}
		r.lineNo++
		if r.lineNo == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if tooLong {
			r.item = Item{File: r.name, Line: r.lineNo, Col: 1, Err: &record.Finding{Severity: record.Error, Rule: RuleTooLong,
				Message: fmt.Sprintf("the line is longer than %d bytes; it is skipped", MaxItem)}}
			return &r.item, nil
		}
		trimmed := bytes.TrimLeft(line, " \t\r\n")
		col := len(line) - len(trimmed) + 1
		trimmed = bytes.TrimRight(trimmed, " \t\r\n")
		if len(trimmed) == 0 {
			continue
		}
		r.item = Item{File: r.name, Line: r.lineNo, Col: col, Raw: trimmed}
		return &r.item, nil
	}
}

// readLine returns the next line without its newline; io.EOF when there is
// none. A line longer than MaxItem is consumed and reported as tooLong.
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	chunk, err := r.br.ReadSlice('\n')
	if err == nil {
		return chunk[:len(chunk)-1], false, nil
	}
	r.buf = r.buf[:0]
	for {
		if !tooLong {
			if len(r.buf)+len(chunk) > MaxItem {
				tooLong, r.buf = true, r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(r.buf, []byte("\n")), tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			chunk, err = r.br.ReadSlice('\n')
		case errors.Is(err, io.EOF):
			if len(r.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return r.buf, tooLong, nil
		default:
			return nil, false, &ReadError{Line: r.lineNo + 1, Err: err}
		}
	}
}

// readByte reads one byte, keeping the position of the next.
func (r *Reader) readByte() (byte, error) {
	var c byte
	if r.back >= 0 {
		c, r.back = byte(r.back), -1
	} else {
		var err error
		c, err = r.br.ReadByte()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return 0, &ReadError{Line: r.line, Err: err}
			}
			return 0, err
		}
	}
	r.backL, r.backC = r.line, r.col
	if c == '\n' {
		r.line, r.col = r.line+1, 1
	} else if c < 0x80 || c >= 0xC0 {
		r.col++ // count characters, not UTF-8 continuation bytes
	}
	return c, nil
}

func (r *Reader) unread(c byte) {
	r.back = int(c)
	r.line, r.col = r.backL, r.backC
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// problem makes an item for a mistake between values.
func (r *Reader) problem(line, col int, rule, msg, hint string) *Item {
	se := &jsonx.SyntaxError{Line: line, Col: col, Msg: msg, Hint: hint}
	r.item = Item{File: r.name, Line: line, Col: col, Err: &record.Finding{Severity: record.Error, Rule: rule,
		Message: "not valid JSON: " + se.Error()}}
	return &r.item
}

// nextValue cuts the next value out of the input: past whitespace, a BOM,
// a comment (a finding) and the brackets and commas of a top-level array
// (a finding for one out of place). It has many branches because each is one kind of
// byte that may stand there, in one pass over a buffered stream; apart
// they would each need the reader's whole state.
func (r *Reader) nextValue() (*Item, error) {
	if r.pending != nil {
		it := r.pending
		r.pending = nil
		return it, nil
	}
	if r.stopped {
		return nil, io.EOF
	}
	for {
		c, err := r.readByte()
		if errors.Is(err, io.EOF) {
			if r.inArray {
				r.inArray = false
				return r.problem(r.line, r.col, RuleJSON, "unexpected end of JSON input",
					fmt.Sprintf("the array opened at line %d, column %d is not closed with ]", r.arrayLine, r.arrayCol)), nil
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		line, col := r.backL, r.backC
		switch {
		case isSpace(c) || (c == 0xEF && line == 1 && col == 1 && r.skipBOM()):
			continue
		case c == '/':
			next, _ := r.readByte()
			if next != '/' && next != '*' {
				return r.rest(line, col, c, next)
			}
			r.skipComment(next)
			return r.problem(line, col, RuleJSON, "invalid character '/' looking for beginning of value",
				jsonx.Hint([]byte{'/', next}, 1, "")), nil
		case r.inArray && c == ',':
			prev := r.prev
			r.prev = ','
			if prev != 'v' {
				return r.problem(line, col, RuleJSON, "invalid character ',' looking for beginning of value",
					"a comma must stand between two elements"), nil
			}
		case r.inArray && c == ']':
			r.inArray = false
			if r.prev == ',' {
				return r.problem(line, col, RuleJSON, "invalid character ']' looking for beginning of value",
					jsonx.Hint([]byte(",]"), 2, "")), nil
			}
		case !r.inArray && c == '[':
			r.inArray, r.prev, r.arrayLine, r.arrayCol = true, '[', line, col
		default:
			missingComma := r.inArray && r.prev == 'v'
			if r.inArray {
				r.prev = 'v'
			}
			it, err := r.value(c, line, col)
			if err != nil {
				return nil, err
			}
			if missingComma {
				held := *it
				r.pending = &held
				r.pending.Raw = append([]byte(nil), it.Raw...)
				return r.problem(line, col, RuleJSON, "invalid character "+quoteChar(c)+" after array element",
					jsonx.Hint([]byte{c}, 1, "after array element")), nil
			}
			return it, nil
		}
	}
}

func quoteChar(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("%q", string([]byte{c}))
	}
	return "'" + string(c) + "'"
}

func (r *Reader) skipBOM() bool {
	b, err := r.br.Peek(2)
	if err == nil && b[0] == 0xBB && b[1] == 0xBF {
		_, _ = r.br.Discard(2)
		r.col = 1
		return true
	}
	return false
}

func (r *Reader) skipComment(kind byte) {
	var prev byte
	for {
		c, err := r.readByte()
		if err != nil {
			return
		}
		if kind == '/' && c == '\n' {
			return
		}
		if kind == '*' && prev == '*' && c == '/' {
			return
		}
		prev = c
	}
}

// rest takes what is left of the line as one corrupt item.
func (r *Reader) rest(line, col int, first ...byte) (*Item, error) {
	r.buf = append(r.buf[:0], first...)
	if len(first) > 0 && first[len(first)-1] == '\n' {
		r.buf = r.buf[:len(r.buf)-1]
	} else {
		for {
			c, err := r.readByte()
			if err != nil || c == '\n' {
				break
			}
			if len(r.buf) < MaxItem {
				r.buf = append(r.buf, c)
			}
		}
	}
	r.item = Item{File: r.name, Line: line, Col: col, Raw: bytes.TrimRight(r.buf, " \t\r\x00")}
	return &r.item, nil
}

// value reads one value that starts with c, by its brackets and strings
// (the JSON inside is checked later, by Item.Check). A value cut short by
// the end of the input is returned as it is, and fails that check.
//
// It is long because it scans brackets, strings and escapes byte by byte
// from the reader's buffered input and bounds the value (MaxItem) as it
// goes: one loop whose state is the scan's.
func (r *Reader) value(c byte, line, col int) (*Item, error) {
	r.buf = append(r.buf[:0], c)
	switch {
	case c == '{' || c == '[':
		depth, inStr, esc := 1, false, false
		for depth > 0 {
			c, err := r.readByte()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			if len(r.buf) >= MaxItem {
				r.stopped, r.inArray = true, false
				return r.problem(line, col, RuleTooLong, fmt.Sprintf("a value longer than %d bytes", MaxItem),
					"the rest of the file is skipped"), nil
			}
			r.buf = append(r.buf, c)
			switch {
			case esc:
				esc = false
			case inStr && c == '\\':
				esc = true
			case c == '"':
				inStr = !inStr
			case inStr:
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
			}
		}
	case c == '"':
		esc := false
		for {
			c, err := r.readByte()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			if c == '\n' {
				r.unread(c)
				break
			}
			if len(r.buf) < MaxItem {
				r.buf = append(r.buf, c)
			}
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				break
			}
		}
	case c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n':
		for {
			c, err := r.readByte()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			if isSpace(c) || c == ',' || c == ']' || c == '}' || c == '[' || c == '{' || c == '"' {
				r.unread(c)
				break
			}
			if len(r.buf) < MaxItem {
				r.buf = append(r.buf, c)
			}
		}
	default:
		return r.rest(line, col, c)
	}
	r.item = Item{File: r.name, Line: line, Col: col, Raw: r.buf}
	return &r.item, nil
}
