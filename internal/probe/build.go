package probe

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// Gen makes the i-th valid payload of a callback.
type Gen func(e *fixtures.Entry, i int) ([]byte, error)

// Builder builds probes for one target.
type Builder struct {
	Target string
	Params platform.Params // SdkAppid, token and the rest, as for simulate
	Gen    Gen
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

func (b *Builder) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Builder) request(e *fixtures.Entry, command string, body []byte, p platform.Params) (Exchange, error) {
	req, err := platform.For(e.Vendor).NewRequest(b.Target, command, body, p)
	if err != nil {
		return Exchange{}, fmt.Errorf("the target %q is not a usable URL: %w", b.Target, err)
	}
	return Exchange{Req: req, Body: body}, nil
}

// Baseline is a valid, signed callback: a backend must accept it, or the
// refusals of the other probes mean nothing.
func (b *Builder) Baseline(e *fixtures.Entry) (*Probe, error) {
	body, err := b.Gen(e, 0)
	if err != nil {
		return nil, err
	}
	ex, err := b.request(e, e.Command, body, b.Params)
	if err != nil {
		return nil, err
	}
	return &Probe{Name: "baseline.valid", Vendor: e.Vendor, Command: e.Command, Entry: e, Exchanges: []Exchange{ex},
		Risk: "a valid callback must be accepted"}, nil
}

// Security builds the vendor's security probes of a callback: each of the
// vendor's forgeries (platform's Vendor.Forgeries) of an otherwise valid
// callback. A vendor whose requests carry nothing to forge has none.
func (b *Builder) Security(e *fixtures.Entry) ([]*Probe, error) {
	var out []*Probe
	for _, fg := range platform.For(e.Vendor).Forgeries(b.Target, b.Params, b.now()) {
		body, err := b.Gen(e, len(out)+1)
		if err != nil {
			return nil, err
		}
		ex, err := b.request(e, e.Command, body, fg.Params)
		if err != nil {
			return nil, err
		}
		if fg.Edit != nil {
			fg.Edit(ex.Req)
		}
		out = append(out, &Probe{Name: "security." + fg.Name, Kind: Security, Vendor: e.Vendor, Command: e.Command, Entry: e,
			Exchanges: []Exchange{ex}, Risk: fg.Risk})
	}
	return out, nil
}

// Robustness builds the probes of a callback: malformed JSON, missing
// required fields, wrong types, an unknown command, a body over 1 MiB,
// unicode, emoji and control characters in strings, the same message twice,
// a retried delivery (Tencent after-callbacks: the same body again after a
// gap as long as the budget) and messages out of order.
func (b *Builder) Robustness(e *fixtures.Entry) ([]*Probe, error) {
	var out []*Probe
	robustRisk := platform.For(e.Vendor).ProbeWords().BadInput
	valid := func(i int) ([]byte, error) { return b.Gen(e, 100+i) }
	add := func(name string, bodies ...[]byte) error {
		p := &Probe{Name: "robustness." + name, Kind: Robustness, Vendor: e.Vendor, Command: e.Command, Entry: e, Risk: robustRisk}
		for _, body := range bodies {
			ex, err := b.request(e, e.Command, body, b.Params)
			if err != nil {
				return err
			}
			p.Exchanges = append(p.Exchanges, ex)
		}
		out = append(out, p)
		return nil
	}
	body, err := valid(0)
	if err != nil {
		return nil, err
	}
	if err := add("malformed_json", body[:len(body)/2]); err != nil {
		return nil, err
	}
	missing := body
	for _, f := range e.Fields {
		if f.Required && f.Name != e.CommandField {
			missing, _ = sjson.DeleteBytes(missing, gjsonEscape(f.Name))
		}
	}
	if err := add("missing_required", missing); err != nil {
		return nil, err
	}
	if err := add("wrong_types", wrongTypes(body, e.CommandField)); err != nil {
		return nil, err
	}
	// An unknown command, named in the URL and in the body.
	unknown := platform.For(e.Vendor).UnknownCommand()
	ub, _ := sjson.SetBytes(body, gjsonEscape(e.CommandField), unknown)
	ex, err := b.request(e, unknown, ub, b.Params)
	if err != nil {
		return nil, err
	}
	out = append(out, &Probe{Name: "robustness.unknown_command", Kind: Robustness, Vendor: e.Vendor, Command: unknown, Exchanges: []Exchange{ex}, Risk: robustRisk})
	big, _ := sjson.SetBytes(body, "ImhookProbePadding", strings.Repeat("x", 1<<20+4096))
	if err := add("oversized_body", big); err != nil {
		return nil, err
	}
	if err := add("unicode_strings", decorateStrings(body, e.CommandField)); err != nil {
		return nil, err
	}
	// The same message twice: a platform retries, so a backend sees
	// duplicates and must answer each.
	if err := add("duplicate_message", body, body); err != nil {
		return nil, err
	}
	// A retried delivery, where the platform resends the callback after a
	// timeout (platform's Vendor.Retry): a backend must take the second
	// copy as it took the first.
	if platform.For(e.Vendor).Retry(e) != "" {
		if err := add("retried_delivery", body, body); err != nil {
			return nil, err
		}
		out[len(out)-1].Exchanges[1].AfterTimeout = true
	}
	// Messages out of order: the second is older than the first.
	second, err := valid(1)
	if err != nil {
		return nil, err
	}
	if first, second, ok := outOfOrder(body, second); ok {
		if err := add("out_of_order", first, second); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// NullFields is the probe of a callback with nullable fields: a valid
// callback with every one of them null, as the platform sends them (Go
// marshals a nil slice or an unset wrapper value as null: OpenIM sends a
// message without @-mentions with atUserIDList null). A backend must accept
// it; one that fails on a null (a handler that ranges over a list it takes
// for granted) fails the probe. nil when the callback has no nullable
// field.
func (b *Builder) NullFields(e *fixtures.Entry) (*Probe, error) {
	body, err := b.Gen(e, 200)
	if err != nil {
		return nil, err
	}
	var paths []string
	nullPaths(e.Fields, gjson.ParseBytes(body), "", &paths)
	if len(paths) == 0 {
		return nil, nil
	}
	for _, p := range paths {
		if body, err = sjson.SetRawBytes(body, p, []byte("null")); err != nil {
			return nil, err
		}
	}
	ex, err := b.request(e, e.Command, body, b.Params)
	if err != nil {
		return nil, err
	}
	return &Probe{Name: "robustness.null_fields", Kind: Robustness, Valid: true, Vendor: e.Vendor, Command: e.Command, Entry: e, Exchanges: []Exchange{ex},
		Risk: fmt.Sprintf("a valid callback whose nullable fields are null (%s), as %s sends them, must be accepted: a backend that fails on a null fails on real traffic",
			strings.Join(paths, ", "), platform.For(e.Vendor).Title())}, nil
}

// nullPaths collects the paths of the nullable fields present in v (the
// items of arrays of objects included).
func nullPaths(fields []*fixtures.Field, v gjson.Result, prefix string, out *[]string) {
	for _, f := range fields {
		c := v.Get(gjsonEscape(f.Name))
		if !c.Exists() {
			continue
		}
		path := gjsonEscape(f.Name)
		if prefix != "" {
			path = prefix + "." + path
		}
		switch {
		case f.Nullable:
			*out = append(*out, path)
		case f.Type == "object" && c.IsObject():
			nullPaths(f.Fields, c, path, out)
		case f.Type == "array" && f.Items != nil && f.Items.Type == "object" && c.IsArray():
			for i, item := range c.Array() {
				nullPaths(f.Items.Fields, item, fmt.Sprintf("%s.%d", path, i), out)
			}
		}
	}
}

// gjsonEscape escapes a field name for a gjson/sjson path.
func gjsonEscape(name string) string {
	r := strings.NewReplacer(".", `\.`, "*", `\*`, "?", `\?`, "|", `\|`, "#", `\#`, "@", `\@`)
	return r.Replace(name)
}

// wrongTypes gives every top-level field (but the command) a value of
// another JSON type.
func wrongTypes(body []byte, keep string) []byte {
	out := body
	gjson.ParseBytes(body).ForEach(func(k, v gjson.Result) bool {
		if k.Str == keep {
			return true
		}
		var nv any
		switch v.Type {
		case gjson.String:
			nv = 12345
		case gjson.Number:
			nv = "not a number"
		case gjson.True, gjson.False:
			nv = "yes"
		default:
			if v.IsArray() {
				nv = map[string]any{"not": "an array"}
			} else {
				nv = "not an object"
			}
		}
		out, _ = sjson.SetBytes(out, gjsonEscape(k.Str), nv)
		return true
	})
	return out
}

// Strange is what unicode_strings appends to every string: accents, CJK, an
// emoji with a skin tone and a ZWJ sequence, a right-to-left override, a NUL
// and other control characters, and a lone surrogate escape.
const strange = " ünïcødé 中文 👍🏽 👨\u200d👩\u200d👧 \u202ertl \x00\x07\x1b\x7f"

// decorateStrings appends strange text to every string value but the
// command, at any depth.
func decorateStrings(body []byte, keep string) []byte {
	var v any
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return body
	}
	var walk func(any, string) any
	walk = func(x any, key string) any {
		switch t := x.(type) {
		case string:
			if key == keep {
				return t
			}
			return t + strange
		case map[string]any:
			for k, c := range t {
				t[k] = walk(c, k)
			}
		case []any:
			for i, c := range t {
				t[i] = walk(c, key)
			}
		}
		return x
	}
	out, err := json.Marshal(walk(v, ""))
	if err != nil {
		return body
	}
	// A lone surrogate escape is valid JSON syntax that strict decoders
	// reject.
	return []byte(strings.Replace(string(out), `rtl`, `rtl \ud800`, -1))
}

// orderFields are the fields that order messages; the first ones found in
// a body are made to go backwards.
var orderFields = []string{"MsgTime", "MsgSeq", "EventTime", "sendTime", "createTime", "seq"}

// outOfOrder makes second older than first in every ordering field both
// carry; ok is false when they carry none.
func outOfOrder(first, second []byte) ([]byte, []byte, bool) {
	ok := false
	for _, f := range orderFields {
		a, b := gjson.GetBytes(first, f), gjson.GetBytes(second, f)
		if a.Type != gjson.Number || b.Type != gjson.Number {
			continue
		}
		n := a.Int()
		if n < 2 {
			first, _ = sjson.SetBytes(first, f, 1000)
			n = 1000
		}
		second, _ = sjson.SetBytes(second, f, n-1)
		ok = true
	}
	return first, second, ok
}

// List is the probes of kind (Security or Robustness) for entries: each
// callback's baseline, then its probes of the kind (with Robustness its
// null-fields probe too); then, with Robustness, the null-fields probes of
// the nullable callbacks. builder gives the Builder of a callback (its
// target, parameters and payloads).
func List(kind string, entries, nullable []*fixtures.Entry, builder func(*fixtures.Entry) *Builder) ([]*Probe, error) {
	var probes []*Probe
	for _, e := range entries {
		b := builder(e)
		base, err := b.Baseline(e)
		if err != nil {
			return nil, err
		}
		var ps []*Probe
		if kind == Security {
			base.Notes = []record.Finding{{Severity: record.Info, Rule: RuleAuthentication, Message: platform.For(e.Vendor).ProbeWords().Authentication}}
			ps, err = b.Security(e)
		} else {
			ps, err = b.Robustness(e)
			if err == nil {
				var np *Probe
				if np, err = b.NullFields(e); np != nil {
					ps = append(ps, np)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		probes = append(append(probes, base), ps...)
	}
	for _, e := range nullable {
		np, err := builder(e).NullFields(e)
		if err != nil {
			return nil, err
		}
		if np != nil {
			probes = append(probes, np)
		}
	}
	return probes, nil
}
