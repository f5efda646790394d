// Package validate holds imhook's contract rules for request payloads: a body
// is checked against its catalogue entry (types, required fields, bounds,
// const and enum values, cross-field rules, the documents' quirks), and an
// exchange's findings are combined into a verdict. The reply contracts of
// each vendor live with the vendor's wire rules in package platform.
package validate

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// Rule names of payload findings. Catalogue rules are "payload.rule.<id>" and
// accepted quirks carry the rule their catalogue entry names.
const (
	RuleEmpty       = "payload.empty"
	RuleJSON        = "payload.json"
	RuleObject      = "payload.object"
	RuleRequired    = "payload.required"
	RuleType        = "payload.type"
	RuleConst       = "payload.const"
	RuleEnum        = "payload.enum"
	RuleDiscouraged = "payload.discouraged"
	RuleRange       = "payload.range"
	RuleUnit        = "payload.unit"
	RuleLength      = "payload.length"
	RuleItems       = "payload.items"
	RuleUnknown     = "payload.unknown_field"
	RuleDuplicate   = "payload.duplicate_key"
	RulePrefix      = "payload.rule."
)

// Timestamps below this many units are taken for seconds, above for
// milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
const secondsOrMillis = 100_000_000_000

// Payload checks a request body against its catalogue entry and returns the
// findings in document order.
//
// The body is read in one pass that both checks its JSON syntax (agreeing
// with encoding/json, as the fuzz tests hold it to) and walks it against the
// entry's fields; when the syntax turns out wrong somewhere, the findings
// met so far are dropped and the one syntax error is reported instead.
func Payload(e *fixtures.Entry, body []byte) []record.Finding {
	c := checkers.Get().(*checker)
	defer c.release()
	if len(bytes.TrimSpace(body)) == 0 {
		c.add(record.Error, RuleEmpty, "", "the body is empty; expected a JSON object")
		return c.out
	}
	c.s = unsafe.String(unsafe.SliceData(body), len(body))
	c.ws()
	isObject := c.peek() == '{'
	if isObject {
		c.collect = len(e.Rules) > 0
		c.object(e.Root, nil, -1)
	} else {
		c.skip()
	}
	c.ws()
	if c.i != len(c.s) {
		c.bad = true
	}
	if c.bad {
		c.out = c.out[:0]
		msg := "nesting deeper than " + strconv.Itoa(maxDepth) + " levels"
		if se := jsonx.Check(body); se != nil {
			msg = se.Error()
		}
		c.add(record.Error, RuleJSON, "", "the body is not valid JSON: "+msg)
		return c.out
	}
	root := jsonx.Parse(body)
	if !isObject {
		c.add(record.Error, RuleObject, "", "expected a JSON object, found "+jsonx.Describe(root.Raw))
		return c.out
	}
	for _, r := range e.Rules {
		c.rule(root, r)
	}
	return c.out
}

var checkers = sync.Pool{New: func() any { return new(checker) }}

// release returns c to the pool; the findings (c.out) are the caller's now,
// and nothing else of c may hold on to the body.
func (c *checker) release() {
	top := c.top[:0]
	clear(c.top)
	*c = checker{top: top}
	checkers.Put(c)
}

// maxDepth is the deepest nesting accepted, as encoding/json accepts it.
const maxDepth = 10000

type checker struct {
	out []record.Finding
	// s is the body and i the reading position in it; bad is set at the
	// first syntax error, after which the walk only unwinds.
	s     string
	i     int
	depth int
	bad   bool
	// top holds the body's top-level values as the walk met them, so that
	// rules read them without scanning the body again.
	top     []topValue
	collect bool
	// sel hands a switch object its selector from the enclosing walk.
	sel gjson.Result
}

type topValue struct {
	key string
	v   gjson.Result
}

// plainKey reports a path that is one top-level key, without gjson syntax.
func plainKey(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '.', '\\', '*', '?', '#', '|', '@':
			return false
		}
	}
	return true
}

// get reads a rule's path: top-level names from the walk, the rest (and
// paths below an array item) with gjson.
func (c *checker) get(base gjson.Result, isRoot bool, p string) gjson.Result {
	if isRoot && plainKey(p) {
		for _, t := range c.top { // the first occurrence, as gjson finds it
			if t.key == p {
				return t.v
			}
		}
		return gjson.Result{}
	}
	return base.Get(p)
}

func (c *checker) add(sev, rule, path, msg string) {
	c.out = append(c.out, record.Finding{Severity: sev, Rule: rule, Path: path, Message: msg})
}

// object reads the object at c.i and checks it against f's fields;
// parent is where the enclosing object (or array) starts, -1 for none: a
// switch field finds its selector there when the walk has not met it.
func (c *checker) object(f *fixtures.Field, path *where, parent int) {
	start := c.i
	spec := f
	if f.Switch != "" {
		sel := c.sel // the selector, when the parent's walk has met it
		c.sel = gjson.Result{}
		if !sel.Exists() && parent >= 0 {
			sel = gjson.Get(c.s[parent:], jsonx.Escape(f.Switch))
		}
		spec = f.Case(sel.String())
		if spec == nil {
			c.skip() // the selector's own enum finding says what is wrong
			return
		}
	}
	if !c.enter() {
		return
	}
	defer c.leave()
	var seenBuf [32]bool
	seen := seenBuf[:0]
	if len(spec.Fields) <= len(seenBuf) {
		seen = seenBuf[:len(spec.Fields)]
	} else {
		seen = make([]bool, len(spec.Fields))
	}
	var unknown []string
	// vals remembers the values met so far, for a switch sibling's selector.
	var vals [8]gjson.Result
	root := c.collect && path == nil && parent < 0
	next := 0 // members usually come in the document's order
	c.i++     // {
	c.ws()
	if c.peek() == '}' {
		c.i++
	} else {
		for !c.bad {
			c.ws()
			if c.peek() != '"' {
				c.bad = true
				return
			}
			name := c.str().Str
			c.ws()
			if c.peek() != ':' {
				c.bad = true
				return
			}
			c.i++
			c.ws()
			at := where{up: path, key: name}
			idx := -1
			if next < len(spec.Fields) && spec.Fields[next].Name == name {
				idx = next
			} else {
				idx = spec.ChildIndex(name)
			}
			var v gjson.Result
			if idx < 0 {
				v = c.any()
				if slices.Contains(unknown, name) {
					c.add(record.Warning, RuleDuplicate, at.String(), fmt.Sprintf("the key %q appears twice; receivers differ on which value wins", name))
				}
				unknown = append(unknown, name)
				if !f.Additional && !spec.Additional {
					c.add(record.Info, RuleUnknown, at.String(), fmt.Sprintf("%s is not a field of this object in the document", name))
				}
			} else {
				next = idx + 1
				if seen[idx] {
					c.add(record.Warning, RuleDuplicate, at.String(), fmt.Sprintf("the key %q appears twice; receivers differ on which value wins", name))
				}
				seen[idx] = true
				child := spec.Fields[idx]
				if child.Switch != "" {
					if si := spec.ChildIndex(child.Switch); si >= 0 && si < len(vals) && seen[si] {
						c.sel = vals[si]
					}
				}
				v = c.value(child, at, start)
				if idx < len(vals) {
					vals[idx] = v
				}
			}
			if root {
				c.top = append(c.top, topValue{name, v})
			}
			c.ws()
			switch c.peek() {
			case ',':
				c.i++
				continue
			case '}':
				c.i++
			default:
				c.bad = true
				return
			}
			break
		}
	}
	if c.bad {
		return
	}
	for i, sf := range spec.Fields {
		if sf.Required && !seen[i] {
			c.add(record.Error, RuleRequired, where{up: path, key: sf.Name}.String(),
				fmt.Sprintf("the required field %s (%s) is missing", sf.Name, sf.TypeLabel()))
		}
	}
}

// array reads the array at c.i and checks its items against f.Items.
func (c *checker) array(f *fixtures.Field, at *where) {
	start := c.i
	if !c.enter() {
		return
	}
	defer c.leave()
	n := 0
	c.i++ // [
	c.ws()
	if c.peek() == ']' {
		c.i++
	} else {
		for !c.bad {
			c.ws()
			c.value(f.Items, where{up: at, idx: n, index: true}, start)
			n++
			c.ws()
			switch c.peek() {
			case ',':
				c.i++
				continue
			case ']':
				c.i++
			default:
				c.bad = true
				return
			}
			break
		}
	}
	if c.bad {
		return
	}
	if f.MinItems > 0 && n < f.MinItems {
		c.add(record.Error, RuleItems, at.String(), fmt.Sprintf("expected at least %d item(s), found %d", f.MinItems, n))
	}
	if f.MaxItems > 0 && n > f.MaxItems {
		c.add(record.Error, RuleItems, at.String(), fmt.Sprintf("expected at most %d item(s), found %d", f.MaxItems, n))
	}
}

// where is a value's place, turned into a gjson path only when a finding
// needs it: most values never do. The place above is up (nil at the top),
// or else the path parent.
type where struct {
	up     *where
	parent string
	key    string
	idx    int
	index  bool
}

func (w where) String() string {
	parent := w.parent
	if w.up != nil {
		parent = w.up.String()
	}
	if w.index {
		return jsonx.Index(parent, w.idx)
	}
	return jsonx.PathJoin(parent, w.key)
}

// value reads the value at c.i, checks it against f and returns it; parent
// is where the enclosing object or array starts.
func (c *checker) value(f *fixtures.Field, at where, parent int) gjson.Result {
	start := c.i
	switch c.peek() {
	case '{':
		if f.Type == "object" {
			c.object(f, &at, parent)
			return gjson.Result{Type: gjson.JSON, Raw: c.s[start:c.i]}
		}
	case '[':
		if f.Type == "array" {
			c.array(f, &at)
			return gjson.Result{Type: gjson.JSON, Raw: c.s[start:c.i]}
		}
	}
	v := c.any()
	if !c.bad {
		c.leaf(v, f, at)
	}
	return v
}

// leaf checks a value that is not an object or array of the field's own
// type: a scalar, or a container where the field wants something else.
func (c *checker) leaf(v gjson.Result, f *fixtures.Field, at where) {
	typeErr := func() {
		c.add(record.Error, RuleType, at.String(), fmt.Sprintf("expected %s, found %s", article(f.TypeLabel()), jsonx.Describe(v.Raw)))
	}
	if v.Type == gjson.Null && f.Nullable {
		return
	}
	switch f.Type {
	case "any":
		return
	case "string":
		if v.Type != gjson.String {
			typeErr()
			return
		}
		c.choices(v, f, at)
		n := utf8.RuneCountInString(v.Str)
		if f.MinLen > 0 && n < f.MinLen {
			c.add(record.Error, RuleLength, at.String(), fmt.Sprintf("expected at least %d characters, found %d", f.MinLen, n))
		}
		if f.MaxLen > 0 && n > f.MaxLen {
			c.add(record.Error, RuleLength, at.String(), fmt.Sprintf("expected at most %d characters, found %d", f.MaxLen, n))
		}
	case "integer":
		raw := v.Raw
		if v.Type == gjson.String {
			a := accepted(f, "numeric_string")
			if a == nil || !isDigits(v.Str) {
				typeErr()
				return
			}
			c.add(a.Severity, a.Rule, at.String(), a.Message)
			raw = v.Str
		} else if v.Type != gjson.Number {
			typeErr()
			return
		}
		if !plainInteger(raw) {
			c.add(record.Error, RuleType, at.String(), fmt.Sprintf("expected an integer, found the number %s (JSON integers have no fraction or exponent)", raw))
			return
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			c.add(record.Error, RuleRange, at.String(), fmt.Sprintf("expected %s in %s, found %s, which does not fit in 64 bits",
				f.TypeLabel(), f.Bounds.RangeLabel(true), raw))
			return
		}
		b := f.Bounds
		// The unit check comes before the range check: a millisecond time in
		// a seconds field is also out of unix_s's uint32 range, and "looks
		// like milliseconds" is the finding that helps.
		switch {
		case b.Unit == "s" && n >= secondsOrMillis:
			c.add(record.Error, RuleUnit, at.String(), fmt.Sprintf("expected Unix seconds, found %d, which looks like milliseconds (divide by 1000)", n))
			return
		case b.Unit == "ms" && n > 0 && n < secondsOrMillis:
			c.add(record.Error, RuleUnit, at.String(), fmt.Sprintf("expected Unix milliseconds, found %d, which looks like seconds (multiply by 1000)", n))
			return
		}
		if (b.HasMin && n < b.MinI) || (b.HasMax && n > b.MaxI) {
			c.add(record.Error, RuleRange, at.String(), fmt.Sprintf("expected %s in %s, found %d", f.TypeLabel(), b.RangeLabel(true), n))
			return
		}
		c.choices(v, f, at)
	case "number":
		if v.Type != gjson.Number {
			typeErr()
			return
		}
		x := v.Float()
		if x < f.Bounds.MinF || x > f.Bounds.MaxF {
			c.add(record.Error, RuleRange, at.String(), fmt.Sprintf("expected a number in %s, found %s", f.Bounds.RangeLabel(false), v.Raw))
		}
		c.choices(v, f, at)
	case "boolean":
		if v.Type != gjson.True && v.Type != gjson.False {
			typeErr()
		}
	case "object", "array":
		typeErr() // value() walks the ones of the right type
	}
}

// choices checks const and enum values, and accepted alternatives to them.
func (c *checker) choices(v gjson.Result, f *fixtures.Field, at where) {
	if len(f.Const) > 0 && !sameJSON(v, f.ConstValue()) {
		if a := acceptedValue(f, v); a != nil {
			c.add(a.Severity, a.Rule, at.String(), a.Message)
			return
		}
		c.add(record.Error, RuleConst, at.String(), fmt.Sprintf("expected %s, found %s", f.Const, clipRaw(v.Raw)))
		return
	}
	if len(f.Enum) > 0 {
		ok := false
		for _, e := range f.EnumValues() {
			if sameJSON(v, e) {
				ok = true
				break
			}
		}
		if !ok {
			if a := acceptedValue(f, v); a != nil {
				c.add(a.Severity, a.Rule, at.String(), a.Message)
				return
			}
			vals := make([]string, len(f.Enum))
			for i, e := range f.Enum {
				vals[i] = string(e)
			}
			hint := ""
			for _, e := range f.Enum {
				if v.Type == gjson.String && strings.EqualFold(strings.Trim(string(e), `"`), v.Str) {
					hint = fmt.Sprintf(" (values are case-sensitive: did you mean %s?)", e)
				}
			}
			c.add(record.Error, RuleEnum, at.String(), fmt.Sprintf("expected one of %s, found %s%s", strings.Join(vals, ", "), clipRaw(v.Raw), hint))
			return
		}
	}
	if msg, ok := f.Discouraged[v.String()]; ok && v.Type == gjson.String {
		c.add(record.Warning, RuleDiscouraged, at.String(), fmt.Sprintf("%s: %s", clipRaw(v.Raw), msg))
	}
}

func accepted(f *fixtures.Field, form string) *fixtures.Accept {
	for _, a := range f.Accept {
		if a.Form == form {
			return a
		}
	}
	return nil
}

func acceptedValue(f *fixtures.Field, v gjson.Result) *fixtures.Accept {
	for _, a := range f.Accept {
		if a.Form == "value" && sameJSON(v, a.ValueParsed()) {
			return a
		}
	}
	return nil
}

// sameJSON compares a value with raw JSON: numbers by value, the rest by
// their decoded form.
func sameJSON(v, w gjson.Result) bool {
	if v.Type != w.Type {
		return false
	}
	switch v.Type {
	case gjson.Number:
		if !plainInteger(v.Raw) || !plainInteger(w.Raw) {
			return v.Float() == w.Float()
		}
		return v.Raw == w.Raw || v.Int() == w.Int()
	case gjson.String:
		return v.Str == w.Str
	default:
		return strings.TrimSpace(v.Raw) == strings.TrimSpace(w.Raw)
	}
}

// plainInteger reports a JSON number without fraction or exponent.
func plainInteger(raw string) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '.', 'e', 'E':
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func clipRaw(raw string) string {
	if utf8.RuneCountInString(raw) > 80 {
		return string([]rune(raw)[:80]) + "…"
	}
	return raw
}

func article(label string) string {
	if label == "" {
		return "a value"
	}
	switch label[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + label
	}
	return "a " + label
}

// rule evaluates a cross-field rule of the catalogue.
func (c *checker) rule(root gjson.Result, r *fixtures.Rule) {
	if r.Each == "" {
		c.ruleAt(root, "", r)
		return
	}
	arr := c.get(root, true, r.Each)
	if !arr.IsArray() {
		return
	}
	if r.Kind == "max_count" {
		var hits []string
		i := 0
		arr.ForEach(func(_, item gjson.Result) bool {
			if ok, known := c.cond(item, false, r.If); known && ok {
				hits = append(hits, jsonx.Index(r.Each, i))
			}
			i++
			return true
		})
		if len(hits) > r.Max {
			c.add(r.Severity, RulePrefix+r.ID, hits[r.Max], fmt.Sprintf("%s; found %d items where %s (%s)",
				r.Doc, len(hits), r.If, strings.Join(hits, ", ")))
		}
		return
	}
	i := 0
	arr.ForEach(func(_, item gjson.Result) bool {
		c.ruleAt(item, jsonx.Index(r.Each, i), r)
		i++
		return true
	})
}

func (c *checker) ruleAt(base gjson.Result, prefix string, r *fixtures.Rule) {
	isRoot := prefix == ""
	at := func(p string) string {
		if prefix == "" {
			return p
		}
		return prefix + "." + p
	}
	switch r.Kind {
	case "template":
		got := c.get(base, isRoot, r.Path)
		if !got.Exists() || got.Type != gjson.String {
			return
		}
		// Compare part by part; the expected string is built only for the
		// message, when it differs.
		rest, same := got.Str, true
		for _, p := range r.Parts {
			text := p.Literal
			if p.Path != "" {
				ref := c.get(base, isRoot, p.Path)
				if !ref.Exists() {
					return
				}
				text = ref.Raw
				if ref.Type == gjson.String {
					text = ref.Str
				}
			}
			if same && strings.HasPrefix(rest, text) {
				rest = rest[len(text):]
			} else {
				same = false
			}
		}
		if same && rest == "" {
			return
		}
		var sb strings.Builder
		for _, p := range r.Parts {
			if p.Path == "" {
				sb.WriteString(p.Literal)
				continue
			}
			if ref := c.get(base, isRoot, p.Path); ref.Type == gjson.String {
				sb.WriteString(ref.Str)
			} else {
				sb.WriteString(ref.Raw)
			}
		}
		if want := sb.String(); got.Str != want {
			c.add(r.Severity, RulePrefix+r.ID, at(r.Path), fmt.Sprintf("%s: expected %q, found %q", r.Doc, want, got.Str))
		}
	case "iff", "implies":
		a, knownA := c.cond(base, isRoot, r.If)
		b, knownB := c.cond(base, isRoot, r.Then)
		if !knownA || !knownB {
			return
		}
		broken := a && !b
		if r.Kind == "iff" && !a && b {
			broken = true
		}
		if broken {
			c.add(r.Severity, RulePrefix+r.ID, at(r.Then.Path), fmt.Sprintf("%s; found %s = %s and %s = %s",
				r.Doc, r.If.Path, clipRaw(c.get(base, isRoot, r.If.Path).Raw), r.Then.Path, clipRaw(c.get(base, isRoot, r.Then.Path).Raw)))
		}
	}
}

// cond evaluates a condition; known is false when the value is missing or of
// another type than the condition's operand.
func (ck *checker) cond(base gjson.Result, isRoot bool, c *fixtures.Cond) (ok, known bool) {
	v := ck.get(base, isRoot, c.Path)
	w := c.ValueParsed()
	if !v.Exists() {
		return false, false
	}
	var cmp int
	switch {
	case v.Type == gjson.Number && w.Type == gjson.Number:
		x, y := v.Float(), w.Float()
		switch {
		case x < y:
			cmp = -1
		case x > y:
			cmp = 1
		}
	case v.Type == gjson.String && w.Type == gjson.String:
		cmp = strings.Compare(v.Str, w.Str)
	default:
		return false, false
	}
	switch c.Op {
	case "eq":
		return cmp == 0, true
	case "ne":
		return cmp != 0, true
	case "lt":
		return cmp < 0, true
	case "le":
		return cmp <= 0, true
	case "gt":
		return cmp > 0, true
	case "ge":
		return cmp >= 0, true
	}
	return false, false
}

// The reader. Each function reads from c.i and leaves c.i after what it
// read; at a syntax error it sets c.bad and the walk unwinds.

func (c *checker) peek() byte {
	if c.i < len(c.s) {
		return c.s[c.i]
	}
	return 0
}

// ws skips JSON's whitespace.
func (c *checker) ws() {
	for c.i < len(c.s) {
		switch c.s[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *checker) enter() bool {
	c.depth++
	if c.depth > maxDepth {
		c.bad = true
		return false
	}
	return true
}

func (c *checker) leave() { c.depth-- }

// any reads one value of any kind; objects and arrays are read as a whole
// (and checked for syntax only).
func (c *checker) any() gjson.Result {
	start := c.i
	switch ch := c.peek(); {
	case ch == '"':
		return c.str()
	case ch == '-' || ch >= '0' && ch <= '9':
		n := c.number()
		return gjson.Result{Type: gjson.Number, Raw: c.s[start:c.i], Num: n}
	case ch == 't':
		c.literal("true")
		return gjson.Result{Type: gjson.True, Raw: c.s[start:c.i]}
	case ch == 'f':
		c.literal("false")
		return gjson.Result{Type: gjson.False, Raw: c.s[start:c.i]}
	case ch == 'n':
		c.literal("null")
		return gjson.Result{Type: gjson.Null, Raw: c.s[start:c.i]}
	case ch == '{' || ch == '[':
		c.skip()
		return gjson.Result{Type: gjson.JSON, Raw: c.s[start:c.i]}
	}
	c.bad = true
	return gjson.Result{}
}

// skip reads one value and only checks its syntax.
func (c *checker) skip() {
	switch c.peek() {
	case '{', '[':
	default:
		c.any()
		return
	}
	if !c.enter() {
		return
	}
	defer c.leave()
	closer := byte('}')
	if c.s[c.i] == '[' {
		closer = ']'
	}
	c.i++
	c.ws()
	if c.peek() == closer {
		c.i++
		return
	}
	for !c.bad {
		c.ws()
		if closer == '}' {
			if c.peek() != '"' {
				c.bad = true
				return
			}
			c.str()
			c.ws()
			if c.peek() != ':' {
				c.bad = true
				return
			}
			c.i++
			c.ws()
		}
		c.skip()
		c.ws()
		switch c.peek() {
		case ',':
			c.i++
		case closer:
			c.i++
			return
		default:
			c.bad = true
			return
		}
	}
}

func (c *checker) literal(word string) {
	if strings.HasPrefix(c.s[c.i:], word) {
		c.i += len(word)
		return
	}
	c.bad = true
}

// number reads a number as JSON spells one,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and returns its value as
// strconv.ParseFloat (and so gjson) gives it.
func (c *checker) number() float64 {
	s, i := c.s, c.i
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
		c.bad = true
		return 0
	}
	if i-digits <= 15 && (i == len(s) || s[i] != '.' && s[i] != 'e' && s[i] != 'E') {
		// An integer of up to 15 digits is exact in a float64.
		c.i = i
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
			c.bad = true
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
			c.bad = true
			return 0
		}
	}
	start := c.i
	c.i = i
	x, _ := strconv.ParseFloat(s[start:i], 64)
	return x
}

// str reads a string; its Str is the decoded text (gjson's decoding, for
// the rare string with escapes).
func (c *checker) str() gjson.Result {
	s := c.s
	start := c.i
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
			c.i = i
			raw := s[start:i]
			if esc {
				return gjson.Parse(raw)
			}
			return gjson.Result{Type: gjson.String, Raw: raw, Str: raw[1 : len(raw)-1]}
		case ch == '\\':
			esc = true
			if i+1 >= len(s) {
				c.bad = true
				return gjson.Result{}
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex4(s[i+2:i+6]) {
					c.bad = true
					return gjson.Result{}
				}
				i += 6
			default:
				c.bad = true
				return gjson.Result{}
			}
		case ch < 0x20:
			c.bad = true
			return gjson.Result{}
		default:
			i++
		}
	}
	c.bad = true
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
