package validate

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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
	RuleUnknown     = record.RuleUnknownField
	RuleDuplicate   = "payload.duplicate_key"
	RulePrefix      = "payload.rule."
	RuleUTF8        = "payload.utf8"
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
	c.entry = e
	c.Reset(body)
	c.WS()
	isObject := c.Peek() == '{'
	if isObject {
		c.collect = len(e.Rules) > 0
		c.object(e.Root, nil, -1)
	} else {
		c.Skip()
	}
	if !c.Done() {
		c.out = c.out[:0]
		msg := "nesting deeper than " + strconv.Itoa(jsonx.MaxDepth) + " levels"
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
	c.checkUTF8(body)
	return c.out
}

// checkUTF8 adds a finding for the first byte of a JSON body (valid JSON
// otherwise) that is not UTF-8: it can only be inside a string or a key.
// encoding/json and gjson take such bytes; the platforms send UTF-8, and a
// strict reader (Python's json module, a database column) refuses them.
func (c *checker) checkUTF8(body []byte) {
	if off := jsonx.FirstInvalidUTF8(body); off >= 0 {
		line, col := jsonx.Position(body, off)
		c.add(record.Error, RuleUTF8, jsonx.PathAt(body, off), fmt.Sprintf("the text is not valid UTF-8: byte 0x%02x at line %d, column %d (offset %d). The platforms send UTF-8 JSON; a backend may refuse or mangle this text", body[off], line, col, off))
	}
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

type checker struct {
	out []record.Finding
	// entry is the callback being checked (its root holds its forms).
	entry *fixtures.Entry
	// The body, read in one pass.
	jsonx.Scanner
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
		for i := range c.top { // the first occurrence, as gjson finds it
			if t := &c.top[i]; t.key == p {
				return t.v
			}
		}
		return gjson.Result{}
	}
	return base.Get(p)
}

func (c *checker) add(sev record.Severity, rule, path, msg string) {
	c.out = append(c.out, record.Finding{Severity: sev, Rule: rule, Path: path, Message: msg})
}

// object reads the object at c.I and checks it against f's fields;
// parent is where the enclosing object (or array) starts, -1 for none: a
// switch field finds its selector there when the walk has not met it.
//
// It is long because it walks the object's members once with the scanner,
// resolving a switch object's case, matching each member to its field,
// recursing and marking what was seen, so that a body is read one time
// (BenchmarkPayload; TestPayloadAgreesWithReference holds it to a plain walk).
func (c *checker) object(f *fixtures.Field, path *where, parent int) {
	start := c.I
	spec := f
	if f.Switch != "" {
		sel := c.sel // the selector, when the parent's walk has met it
		c.sel = gjson.Result{}
		if !sel.Exists() && parent >= 0 {
			sel = gjson.Get(c.S[parent:], jsonx.Escape(f.Switch))
		}
		spec = f.Case(sel.String())
		if spec == nil {
			c.Skip() // the selector's own enum finding says what is wrong
			return
		}
	}
	if !c.Enter() {
		return
	}
	defer c.Leave()
	var seenBuf [32]bool
	var seen []bool
	if len(spec.Fields) <= len(seenBuf) {
		seen = seenBuf[:len(spec.Fields)]
	} else {
		seen = make([]bool, len(spec.Fields))
	}
	var unknown []string
	// at remembers where the values met so far start (plus one), for a
	// switch sibling's selector.
	var valAt [8]int
	root := c.collect && path == nil && parent < 0
	next := 0 // members usually come in the document's order
	if c.Open('}') {
		for {
			name, _, ok := c.Name()
			if !ok {
				return
			}
			at := where{up: path, key: name}
			idx := -1
			if next < len(spec.Fields) && spec.Fields[next].Name == name {
				idx = next
			} else {
				idx = spec.ChildIndex(name)
			}
			var v gjson.Result
			if idx < 0 {
				v = c.Value()
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
					if si := spec.ChildIndex(child.Switch); si >= 0 && si < len(valAt) && seen[si] {
						c.sel = c.ValueAt(valAt[si] - 1)
					}
				}
				vstart := c.I
				v = c.value(child, at, start)
				if idx < len(valAt) {
					valAt[idx] = vstart + 1
				}
			}
			if root {
				c.top = append(c.top, topValue{name, v})
			}
			if c.Bad || !c.Next('}') {
				break
			}
		}
	}
	if c.Bad {
		return
	}
	c.required(spec, seen, func(name string) string { return where{up: path, key: name}.String() })
}

// required reports the required fields of an object that are missing. A
// field of one of the entry's forms (the fields one page has and the other
// not) is required only in its form: the payload takes the form whose own
// fields it carries, or else the one it misses least of.
func (c *checker) required(spec *fixtures.Field, seen []bool, at func(name string) string) {
	var forms []*fixtures.Form
	if c.entry != nil && spec == c.entry.Root {
		forms = c.entry.Forms
	}
	for i, sf := range spec.Fields {
		if sf.Required && !seen[i] && (sf.Form == "" || len(forms) == 0) {
			c.add(record.Error, RuleRequired, at(sf.Name), fmt.Sprintf("the required field %s (%s) is missing", sf.Name, sf.TypeLabel()))
		}
	}
	if len(forms) == 0 {
		return
	}
	// The payload is in a form whose own fields it carries (any of them, when
	// it carries none of any form's: a form may have no fields of its own).
	has := make([]int, len(forms))
	missing := make([][]*fixtures.Field, len(forms))
	carries := false
	for k, fm := range forms {
		for i, sf := range spec.Fields {
			switch {
			case sf.Form != fm.Name:
			case seen[i]:
				has[k]++
			case sf.Required:
				missing[k] = append(missing[k], sf)
			}
		}
		carries = carries || has[k] > 0
	}
	var best *fixtures.Form
	var bestMissing []*fixtures.Field
	bestHas := -1
	for k, fm := range forms {
		if carries && has[k] == 0 {
			continue
		}
		if len(missing[k]) == 0 {
			return // the payload is in this form
		}
		if has[k] > bestHas || has[k] == bestHas && len(missing[k]) < len(bestMissing) {
			best, bestMissing, bestHas = fm, missing[k], has[k]
		}
	}
	var others []string
	for _, fm := range forms {
		if fm != best {
			others = append(others, fmt.Sprintf("the %s page (%s) has %s", fm.Name, fm.Doc, orNothing(fm.Fields)))
		}
	}
	for _, sf := range bestMissing {
		c.add(record.Error, RuleRequired, at(sf.Name), fmt.Sprintf("the required field %s (%s) of the %s page (%s) is missing, and the payload is not in another page's form either: %s",
			sf.Name, sf.TypeLabel(), best.Name, best.Doc, strings.Join(others, "; ")))
	}
}

func orNothing(fields []string) string {
	if len(fields) == 0 {
		return "none of these fields"
	}
	return strings.Join(fields, ", ")
}

// array reads the array at c.I and checks its items against f.Items.
func (c *checker) array(f *fixtures.Field, at *where) {
	start := c.I
	if !c.Enter() {
		return
	}
	defer c.Leave()
	n := 0
	if c.Open(']') {
		for {
			c.value(f.Items, where{up: at, idx: n, index: true}, start)
			n++
			if c.Bad || !c.Next(']') {
				break
			}
		}
	}
	if c.Bad {
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

// value reads the value at c.I, checks it against f and returns it; parent
// is where the enclosing object or array starts.
func (c *checker) value(f *fixtures.Field, at where, parent int) gjson.Result {
	start := c.I
	switch c.Peek() {
	case '{':
		if f.Type == "object" {
			c.object(f, &at, parent)
			return gjson.Result{Type: gjson.JSON, Raw: c.S[start:c.I]}
		}
	case '[':
		if f.Type == "array" {
			c.array(f, &at)
			return gjson.Result{Type: gjson.JSON, Raw: c.S[start:c.I]}
		}
	}
	v := c.Value()
	if !c.Bad {
		c.leaf(v, f, at)
	}
	return v
}

// leaf checks a value that is not an object or array of the field's own
// type: a scalar, or a container where the field wants something else.
//
// It is long because it is one switch over the catalogue's value types
// (string, integer, number, boolean, any; formats, bounds, enums, accepted
// forms), each case a few checks, on the checker's one pass over a body
// (BenchmarkPayload); the cases share its error wording.
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
		if f.MinLen == 0 && f.MaxLen == 0 {
			return
		}
		// Count as the document counts: UTF-8 bytes (a UserID is "a string
		// of up to 32 bytes") or characters.
		n, unit := utf8.RuneCountInString(v.Str), fixtures.LenCharacters
		if f.LenUnit == fixtures.LenBytes {
			n, unit = len(v.Str), fixtures.LenBytes
		}
		if f.MinLen > 0 && n < f.MinLen {
			c.add(record.Error, RuleLength, at.String(), fmt.Sprintf("expected at least %d %s, found %d", f.MinLen, unit, n))
		}
		if f.MaxLen > 0 && n > f.MaxLen {
			msg := fmt.Sprintf("expected at most %d %s, found %d", f.MaxLen, unit, n)
			if unit == fixtures.LenBytes && n != utf8.RuneCountInString(v.Str) {
				msg += fmt.Sprintf(" (%d characters: the document counts UTF-8 bytes, and each character outside ASCII takes 2 to 4)", utf8.RuneCountInString(v.Str))
			}
			c.add(record.Error, RuleLength, at.String(), msg)
		}
	case "integer":
		raw := v.Raw
		if v.Type == gjson.String {
			a := accepted(f, "numeric_string")
			if a == nil || !isDigits(v.Str) {
				typeErr()
				return
			}
			c.add(record.Severity(a.Severity), a.Rule, at.String(), a.Message)
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
			c.add(record.Severity(a.Severity), a.Rule, at.String(), a.Message)
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
				c.add(record.Severity(a.Severity), a.Rule, at.String(), a.Message)
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
	if len(f.Discouraged) == 0 || v.Type != gjson.String {
		return
	}
	if msg, ok := f.Discouraged[v.Str]; ok {
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
		c.ruleAt(root, "", 0, r)
		return
	}
	arr := c.get(root, true, r.Each)
	if !arr.IsArray() {
		return
	}
	if r.Kind == "max_count" {
		var hits []int // the items' indices; their paths only for a finding
		i := 0
		arr.ForEach(func(_, item gjson.Result) bool {
			if ok, known := c.cond(item, false, r.If); known && ok {
				hits = append(hits, i)
			}
			i++
			return true
		})
		if len(hits) > r.Max {
			paths := make([]string, len(hits))
			for k, h := range hits {
				paths[k] = jsonx.Index(r.Each, h)
			}
			c.add(record.Severity(r.Severity), RulePrefix+r.ID, paths[r.Max], fmt.Sprintf("%s; found %d items where %s (%s)",
				r.Doc, len(hits), r.If, strings.Join(paths, ", ")))
		}
		return
	}
	i := 0
	arr.ForEach(func(_, item gjson.Result) bool {
		c.ruleAt(item, r.Each, i, r)
		i++
		return true
	})
}

// ruleAt checks r at base: the body's root when each is "", else the
// idx-th item of the array each (whose path is built only for a finding).
func (c *checker) ruleAt(base gjson.Result, each string, idx int, r *fixtures.Rule) {
	isRoot := each == ""
	at := func(p string) string {
		if isRoot {
			return p
		}
		return jsonx.Index(each, idx) + "." + p
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
		want := r.Expand(func(p string) gjson.Result { return c.get(base, isRoot, p) })
		if got.Str != want {
			c.add(record.Severity(r.Severity), RulePrefix+r.ID, at(r.Path), fmt.Sprintf("%s: expected %q, found %q", r.Doc, want, got.Str))
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
			c.add(record.Severity(r.Severity), RulePrefix+r.ID, at(r.Then.Path), fmt.Sprintf("%s; found %s = %s and %s = %s",
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
