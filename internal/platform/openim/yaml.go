package openim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A reader for the subset of YAML that OpenIM Server's configuration files
// use: block mappings and sequences by indentation (spaces), flow mappings
// {a: 1} and sequences [1, 2] of scalars, plain, 'single' and "double"
// quoted scalars, comments, and a leading --- . Anchors, aliases, tags,
// block scalars (| and >) and multi-line flow collections are refused with
// the line, so that nothing is read otherwise than the server reads it.

type yamlKind int

const (
	yamlNull yamlKind = iota
	yamlScalar
	yamlMap
	yamlSeq
)

type yamlNode struct {
	kind   yamlKind
	value  string // a scalar's text
	quoted bool
	keys   []string // a mapping's keys, in order
	vals   map[string]*yamlNode
	items  []*yamlNode
	line   int
}

func (n *yamlNode) kindName() string {
	switch n.kind {
	case yamlScalar:
		return "scalar (" + strconv.Quote(n.value) + ")"
	case yamlMap:
		return "mapping"
	case yamlSeq:
		return "sequence"
	}
	return "null"
}

// boolean reads true or false (any case, as YAML 1.2's core schema); null
// is false, the zero value the server's decoder leaves.
func (n *yamlNode) boolean() (bool, error) {
	switch {
	case n.kind == yamlNull:
		return false, nil
	case n.kind != yamlScalar || n.quoted:
		return false, fmt.Errorf("expected true or false, found a %s", n.kindName())
	}
	switch n.value {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("expected true or false, found %q", n.value)
}

// integer reads a decimal integer; null is 0.
func (n *yamlNode) integer() (int64, error) {
	switch {
	case n.kind == yamlNull:
		return 0, nil
	case n.kind != yamlScalar || n.quoted:
		return 0, fmt.Errorf("expected a whole number of seconds, found a %s", n.kindName())
	}
	v, err := strconv.ParseInt(strings.TrimPrefix(n.value, "+"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("expected a whole number of seconds, found %q", n.value)
	}
	return v, nil
}

type yamlLine struct {
	num    int
	indent int
	text   string // without indentation and comment
}

// parseYAML reads a document into a tree.
func parseYAML(data []byte) (*yamlNode, error) {
	var lines []yamlLine
	for i, raw := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		num := i + 1
		if i == 0 {
			raw = strings.TrimPrefix(raw, "\ufeff")
		}
		body := strings.TrimLeft(raw, " ")
		if strings.HasPrefix(body, "\t") {
			return nil, fmt.Errorf("line %d: a tab indents this line; YAML indents with spaces", num)
		}
		text, err := stripComment(body, num)
		if err != nil {
			return nil, err
		}
		text = strings.TrimRight(text, " \t")
		if text == "" {
			continue
		}
		if len(raw)-len(body) == 0 && (text == "---" || text == "...") {
			if len(lines) > 0 && text == "---" {
				return nil, fmt.Errorf("line %d: a second YAML document; the file holds one", num)
			}
			continue
		}
		lines = append(lines, yamlLine{num: num, indent: len(raw) - len(body), text: text})
	}
	if len(lines) == 0 {
		return &yamlNode{kind: yamlNull, line: 1}, nil
	}
	p := &yamlParser{lines: lines}
	n, err := p.block(lines[0].indent)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.lines) {
		l := p.lines[p.i]
		return nil, fmt.Errorf("line %d: unexpected indentation (%d spaces)", l.num, l.indent)
	}
	return n, nil
}

// stripComment cuts a comment (# at the start or after a space, outside
// quotes) from a line.
func stripComment(s string, num int) (string, error) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '"' && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				if quote == '\'' && i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				quote = 0
			}
		case c == '"' || c == '\'':
			if i == 0 || strings.ContainsRune(" :,[{-", rune(s[i-1])) {
				quote = c
			}
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return s[:i], nil
		}
	}
	if quote != 0 {
		return "", fmt.Errorf("line %d: a quoted string does not end on its line (multi-line strings are not supported)", num)
	}
	return s, nil
}

type yamlParser struct {
	lines []yamlLine
	i     int
}

// block reads a block mapping or sequence whose lines are indented by
// indent.
func (p *yamlParser) block(indent int) (*yamlNode, error) {
	first := p.lines[p.i]
	if first.text == "-" || strings.HasPrefix(first.text, "- ") {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func (p *yamlParser) mapping(indent int) (*yamlNode, error) {
	n := &yamlNode{kind: yamlMap, vals: map[string]*yamlNode{}, line: p.lines[p.i].num}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation (%d spaces, the mapping's keys have %d)", l.num, l.indent, indent)
		}
		if l.text == "-" || strings.HasPrefix(l.text, "- ") {
			return nil, fmt.Errorf("line %d: a sequence item among the keys of a mapping", l.num)
		}
		key, rest, err := splitKey(l.text, l.num)
		if err != nil {
			return nil, err
		}
		if _, dup := n.vals[key]; dup {
			return nil, fmt.Errorf("line %d: the key %s is given twice", l.num, key)
		}
		p.i++
		var v *yamlNode
		if rest == "" {
			v = &yamlNode{kind: yamlNull, line: l.num}
			if p.i < len(p.lines) {
				next := p.lines[p.i]
				isItem := next.text == "-" || strings.HasPrefix(next.text, "- ")
				if next.indent > indent || next.indent == indent && isItem {
					if v, err = p.block(next.indent); err != nil {
						return nil, err
					}
				}
			}
		} else if v, err = flowValue(rest, l.num); err != nil {
			return nil, err
		}
		n.keys = append(n.keys, key)
		n.vals[key] = v
	}
	return n, nil
}

func (p *yamlParser) sequence(indent int) (*yamlNode, error) {
	n := &yamlNode{kind: yamlSeq, line: p.lines[p.i].num}
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.indent < indent || !(l.text == "-" || strings.HasPrefix(l.text, "- ")) {
			if l.indent > indent {
				return nil, fmt.Errorf("line %d: unexpected indentation", l.num)
			}
			break
		}
		rest := strings.TrimSpace(strings.TrimPrefix(l.text, "-"))
		p.i++
		if rest == "" {
			if p.i < len(p.lines) && p.lines[p.i].indent > indent {
				v, err := p.block(p.lines[p.i].indent)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
				continue
			}
			n.items = append(n.items, &yamlNode{kind: yamlNull, line: l.num})
			continue
		}
		if _, _, err := splitKey(rest, l.num); err == nil && !strings.HasPrefix(rest, "{") && !strings.HasPrefix(rest, "[") && !isQuoted(rest) {
			return nil, fmt.Errorf("line %d: a mapping inside a sequence item is not supported here; OpenIM's webhooks.yml has lists of scalars", l.num)
		}
		v, err := flowValue(rest, l.num)
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
	}
	return n, nil
}

func isQuoted(s string) bool { return strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "'") }

// splitKey splits "key: value" (a plain or quoted key).
func splitKey(s string, num int) (key, rest string, err error) {
	if isQuoted(s) {
		v, n, err := quoted(s, num)
		if err != nil {
			return "", "", err
		}
		after := s[n:]
		if !strings.HasPrefix(after, ":") {
			return "", "", fmt.Errorf("line %d: expected key: value, found %q", num, s)
		}
		return v, strings.TrimSpace(after[1:]), nil
	}
	i := strings.Index(s, ": ")
	if i < 0 {
		if strings.HasSuffix(s, ":") {
			i = len(s) - 1
		} else {
			return "", "", fmt.Errorf("line %d: expected key: value, found %q", num, s)
		}
	}
	key = strings.TrimSpace(s[:i])
	if key == "" || strings.ContainsAny(key[:1], "&*!|>%@`?") {
		return "", "", fmt.Errorf("line %d: %q is not a key this reader supports (anchors, aliases, tags and complex keys are not)", num, key)
	}
	return key, strings.TrimSpace(s[i+1:]), nil
}

// flowValue reads the value after "key:" or "- ": a scalar, or a flow
// collection on one line.
func flowValue(s string, num int) (*yamlNode, error) {
	r := &flowReader{s: s, num: num}
	v, err := r.value()
	if err != nil {
		return nil, err
	}
	r.space()
	if r.i < len(r.s) {
		return nil, fmt.Errorf("line %d: unexpected %q after the value", num, r.s[r.i:])
	}
	return v, nil
}

type flowReader struct {
	s   string
	i   int
	num int
}

func (r *flowReader) space() {
	for r.i < len(r.s) && r.s[r.i] == ' ' {
		r.i++
	}
}

func (r *flowReader) value() (*yamlNode, error) {
	r.space()
	if r.i >= len(r.s) {
		return &yamlNode{kind: yamlNull, line: r.num}, nil
	}
	switch c := r.s[r.i]; c {
	case '{':
		return r.flowMap()
	case '[':
		return r.flowSeq()
	case '"', '\'':
		v, n, err := quoted(r.s[r.i:], r.num)
		if err != nil {
			return nil, err
		}
		r.i += n
		return &yamlNode{kind: yamlScalar, value: v, quoted: true, line: r.num}, nil
	case '&', '*', '!', '|', '>', '%', '@', '`':
		return nil, fmt.Errorf("line %d: %q starts something this reader does not support (anchors, aliases, tags, block scalars)", r.num, string(c))
	}
	return r.plain(), nil
}

// plain reads a plain scalar up to the end, or in a flow collection up to
// , ] or }.
func (r *flowReader) plain() *yamlNode {
	start := r.i
	for r.i < len(r.s) {
		c := r.s[r.i]
		if c == ',' || c == ']' || c == '}' {
			break
		}
		r.i++
	}
	v := strings.TrimSpace(r.s[start:r.i])
	if v == "null" || v == "Null" || v == "NULL" || v == "~" || v == "" {
		return &yamlNode{kind: yamlNull, line: r.num}
	}
	return &yamlNode{kind: yamlScalar, value: v, line: r.num}
}

func (r *flowReader) flowSeq() (*yamlNode, error) {
	n := &yamlNode{kind: yamlSeq, line: r.num}
	r.i++ // [
	for {
		r.space()
		if r.i >= len(r.s) {
			return nil, fmt.Errorf("line %d: a [ sequence does not end on its line", r.num)
		}
		if r.s[r.i] == ']' {
			r.i++
			return n, nil
		}
		v, err := r.value()
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
		r.space()
		switch {
		case r.i >= len(r.s):
			return nil, fmt.Errorf("line %d: a [ sequence does not end on its line", r.num)
		case r.s[r.i] == ',':
			r.i++
		case r.s[r.i] != ']':
			return nil, fmt.Errorf("line %d: expected , or ] in a sequence", r.num)
		}
	}
}

func (r *flowReader) flowMap() (*yamlNode, error) {
	n := &yamlNode{kind: yamlMap, vals: map[string]*yamlNode{}, line: r.num}
	r.i++ // {
	for {
		r.space()
		if r.i >= len(r.s) {
			return nil, fmt.Errorf("line %d: a { mapping does not end on its line", r.num)
		}
		if r.s[r.i] == '}' {
			r.i++
			return n, nil
		}
		var key string
		if isQuoted(r.s[r.i:]) {
			v, m, err := quoted(r.s[r.i:], r.num)
			if err != nil {
				return nil, err
			}
			key, r.i = v, r.i+m
		} else {
			start := r.i
			for r.i < len(r.s) && r.s[r.i] != ':' && r.s[r.i] != ',' && r.s[r.i] != '}' {
				r.i++
			}
			key = strings.TrimSpace(r.s[start:r.i])
		}
		r.space()
		if r.i >= len(r.s) || r.s[r.i] != ':' {
			return nil, fmt.Errorf("line %d: expected key: value in a { mapping", r.num)
		}
		r.i++
		v, err := r.value()
		if err != nil {
			return nil, err
		}
		if _, dup := n.vals[key]; dup {
			return nil, fmt.Errorf("line %d: the key %s is given twice", r.num, key)
		}
		n.keys = append(n.keys, key)
		n.vals[key] = v
		r.space()
		switch {
		case r.i >= len(r.s):
			return nil, fmt.Errorf("line %d: a { mapping does not end on its line", r.num)
		case r.s[r.i] == ',':
			r.i++
		case r.s[r.i] != '}':
			return nil, fmt.Errorf("line %d: expected , or } in a mapping", r.num)
		}
	}
}

// quoted reads a 'single' or "double" quoted scalar at the start of s and
// returns its value and length.
func quoted(s string, num int) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case q == '\'' && c == '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, nil
		case q == '"' && c == '"':
			return b.String(), i + 1, nil
		case q == '"' && c == '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("line %d: a \\ ends the line inside a quoted string", num)
			}
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'u':
				if i+4 >= len(s) {
					return "", 0, fmt.Errorf("line %d: a short \\u escape", num)
				}
				r, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
				if err != nil {
					return "", 0, fmt.Errorf("line %d: a bad \\u escape", num)
				}
				b.WriteRune(rune(r))
				i += 4
			default:
				return "", 0, fmt.Errorf("line %d: the escape \\%c is not supported", num, e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errors.New("line " + strconv.Itoa(num) + ": a quoted string does not end")
}
