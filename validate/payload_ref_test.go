package validate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/record"
)

// refPayload is the checker as it was before Payload read the body itself:
// jsonx.Check for the syntax, then gjson's ForEach for the walk. It stays as
// the oracle that the one-pass reader must agree with, finding for finding.
func refPayload(e *fixtures.Entry, body []byte) []record.Finding {
	c := &checker{}
	if len(strings.TrimSpace(string(body))) == 0 {
		c.add(record.Error, RuleEmpty, "", "the body is empty; expected a JSON object")
		return c.out
	}
	if se := jsonx.Check(body); se != nil {
		c.add(record.Error, RuleJSON, "", "the body is not valid JSON: "+se.Error())
		return c.out
	}
	root := jsonx.Parse(body)
	if !root.IsObject() {
		c.add(record.Error, RuleObject, "", "expected a JSON object, found "+jsonx.Describe(root.Raw))
		return c.out
	}
	c.collect = len(e.Rules) > 0
	c.entry = e
	c.refObject(root, e.Root, "", gjson.Result{})
	for _, r := range e.Rules {
		c.rule(root, r)
	}
	c.checkUTF8(body)
	return c.out
}

func (c *checker) refObject(obj gjson.Result, f *fixtures.Field, path string, parent gjson.Result) {
	spec := f
	if f.Switch != "" {
		sel := c.sel
		c.sel = gjson.Result{}
		if !sel.Exists() {
			sel = parent.Get(jsonx.Escape(f.Switch))
		}
		spec = f.Case(sel.String())
		if spec == nil {
			return
		}
	}
	seen := make([]bool, len(spec.Fields))
	var unknown []string
	var vals [8]gjson.Result
	root := c.collect && path == "" && !parent.Exists()
	obj.ForEach(func(k, v gjson.Result) bool {
		name := k.Str
		if root {
			c.top = append(c.top, topValue{name, v})
		}
		at := where{parent: path, key: name}
		idx := spec.ChildIndex(name)
		if idx < 0 {
			if slices.Contains(unknown, name) {
				c.add(record.Warning, RuleDuplicate, at.String(), fmt.Sprintf("the key %q appears twice; receivers differ on which value wins", name))
			}
			unknown = append(unknown, name)
			if !f.Additional && !spec.Additional {
				c.add(record.Info, RuleUnknown, at.String(), fmt.Sprintf("%s is not a field of this object in the document", name))
			}
			return true
		}
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
		if idx < len(vals) {
			vals[idx] = v
		}
		c.refValue(v, child, at, obj)
		return true
	})
	c.required(spec, seen, func(name string) string { return jsonx.PathJoin(path, name) })
}

func (c *checker) refValue(v gjson.Result, f *fixtures.Field, at where, parent gjson.Result) {
	switch {
	case f.Type == "object" && v.IsObject():
		c.refObject(v, f, at.String(), parent)
	case f.Type == "array" && v.IsArray():
		i := 0
		path := at.String()
		v.ForEach(func(_, item gjson.Result) bool {
			c.refValue(item, f.Items, where{parent: path, idx: i, index: true}, v)
			i++
			return true
		})
		if f.MinItems > 0 && i < f.MinItems {
			c.add(record.Error, RuleItems, at.String(), fmt.Sprintf("expected at least %d item(s), found %d", f.MinItems, i))
		}
		if f.MaxItems > 0 && i > f.MaxItems {
			c.add(record.Error, RuleItems, at.String(), fmt.Sprintf("expected at most %d item(s), found %d", f.MaxItems, i))
		}
	default:
		c.leaf(v, f, at)
	}
}

func agree(t *testing.T, e *fixtures.Entry, body []byte) {
	t.Helper()
	got, want := Payload(e, body), refPayload(e, body)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: %q\nPayload gave:\n%sthe reference gave:\n%s", e.Command, body, dump(got), dump(want))
	}
}

// mutate spoils a body in one of the ways real payloads go wrong.
func mutate(rng *rand.Rand, body []byte) []byte {
	paths := leafPaths(gjson.ParseBytes(body), "")
	if len(paths) == 0 {
		return body
	}
	p := paths[rng.IntN(len(paths))]
	values := []any{"x", "", 12, -1, 1.5, 1e300, true, nil, []int{1}, map[string]int{"a": 1}, "1700000000", 1700000000000, "ＭＳＧ", "a\"b\\c\u0001"}
	switch rng.IntN(6) {
	case 0:
		out, _ := sjson.DeleteBytes(body, p)
		return out
	case 1:
		out, _ := sjson.SetRawBytes(body, p, []byte(`  { "Unknown" : [ 1 , "two" ] }  `))
		return out
	case 2: // a duplicated key: the same member once more at the end
		v := gjson.GetBytes(body, p)
		key := p[strings.LastIndexByte(p, '.')+1:]
		end := strings.LastIndexByte(string(body), '}')
		return []byte(string(body[:end]) + `,"` + key + `":` + v.Raw + "}")
	case 3: // pretty-printed with escapes in keys and values
		return []byte(strings.NewReplacer(`":`, "\" :\n\t", `,"`, " ,\r\n \"", `"Msg`, `"\u004dsg`).Replace(string(body)))
	default:
		out, _ := sjson.SetBytes(body, p, values[rng.IntN(len(values))])
		return out
	}
}

func leafPaths(v gjson.Result, prefix string) []string {
	var out []string
	v.ForEach(func(k, item gjson.Result) bool {
		p := k.String()
		if !k.Exists() {
			p = fmt.Sprint(len(out))
		}
		p = jsonx.Escape(p)
		if prefix != "" {
			p = prefix + "." + p
		}
		out = append(out, p)
		if item.IsObject() || item.IsArray() {
			out = append(out, leafPaths(item, p)...)
		}
		return true
	})
	return out
}

// The one-pass reader agrees with the reference on every sample and on
// thousands of spoiled bodies of every entry.
func TestPayloadAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, e := range fixtures.Default().Entries() {
		agree(t, e, e.Sample)
		body := []byte(e.Sample)
		for i := 0; i < 150; i++ {
			b := mutate(rng, body)
			agree(t, e, b)
			if rng.IntN(3) == 0 {
				body = b // pile up the damage now and then
			}
		}
	}
}

func FuzzPayloadAgrees(f *testing.F) {
	entries := fixtures.Default().Entries()
	for i, e := range entries {
		f.Add(uint16(i), []byte(e.Sample))
	}
	for _, s := range []string{"", " ", "[]", "{}", `{"a":1}x`, `{"a" 1}`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":"\u12"}`, "{\"a\":\"\t\"}", `{"a":[1,]}`, `{"a":{"b":1,}}`, `{"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":1}}]}`} {
		f.Add(uint16(0), []byte(s))
	}
	f.Fuzz(func(t *testing.T, which uint16, body []byte) {
		agree(t, entries[int(which)%len(entries)], body)
	})
}

// Nesting is accepted as deep as encoding/json accepts it (10000 levels)
// and no deeper; gjson alone would take any depth.
func TestPayloadNestingDepth(t *testing.T) {
	e := entry(t, "C2C.CallbackAfterSendMsg")
	for _, n := range []int{9999, 10000} { // the body object is one more level
		body := []byte(`{"Unknown":` + strings.Repeat("[", n) + strings.Repeat("]", n) + "}")
		fs := Payload(e, body)
		bad := len(fs) > 0 && fs[0].Rule == RuleJSON
		if bad != !json.Valid(body) {
			t.Errorf("depth %d: encoding/json valid=%v, Payload gave %s", n+1, json.Valid(body), dump(fs))
		}
	}
}
