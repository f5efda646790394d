package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
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
	body, err := b.Gen(e, genBaseline)
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
		body, err := b.Gen(e, genSecurity+len(out))
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

// The generator's indexes of a callback's probes (Builder.Gen), one range
// each, so that no two probes of a callback send the same message: the
// baseline 0, the security probes from 1, the robustness probes from 100
// (each with a fresh body), null_fields 200.
const (
	genBaseline   = 0
	genSecurity   = 1
	genRobustness = 100
	genNullFields = 200
)

// Robustness builds the probes of a callback: malformed JSON, missing
// required fields, wrong types, an unknown command, a body over 1 MiB,
// unicode, emoji and control characters in strings, the same message twice,
// a retried delivery (Tencent after-callbacks: the same body again after a
// gap as long as the budget) and messages out of order. Each probe's body
// is generated afresh (its own generator index), so that each carries a
// message of its own (its MsgKey, clientMsgID, operationID: the vendor's
// ProbeWords.Identity); duplicate_message and retried_delivery are the
// only ones that repeat a body, and say so.
//
// It is long because it lists the probes in order, each in a few lines.
func (b *Builder) Robustness(e *fixtures.Entry) ([]*Probe, error) {
	var out []*Probe
	v := platform.For(e.Vendor)
	robustRisk := v.ProbeWords().BadInput
	k := genRobustness
	fresh := func() ([]byte, error) {
		k++
		return b.Gen(e, k)
	}
	add := func(name, risk string, bodies ...[]byte) (*Probe, error) {
		p := &Probe{Name: "robustness." + name, Kind: Robustness, Vendor: e.Vendor, Command: e.Command, Entry: e, Risk: risk}
		for _, body := range bodies {
			ex, err := b.request(e, e.Command, body, b.Params)
			if err != nil {
				return nil, err
			}
			p.Exchanges = append(p.Exchanges, ex)
		}
		out = append(out, p)
		return p, nil
	}
	// Each bad body is made from a fresh valid one.
	bad := []struct {
		name string
		make func([]byte) []byte
	}{
		{"malformed_json", func(body []byte) []byte { return body[:len(body)/2] }},
		{"missing_required", func(body []byte) []byte {
			for _, f := range e.Fields {
				if f.Required && f.Name != e.CommandField {
					body, _ = sjson.DeleteBytes(body, gjsonEscape(f.Name))
				}
			}
			return body
		}},
		{"wrong_types", func(body []byte) []byte { return wrongTypes(body, e.CommandField) }},
	}
	for _, x := range bad {
		body, err := fresh()
		if err != nil {
			return nil, err
		}
		if _, err := add(x.name, robustRisk, x.make(body)); err != nil {
			return nil, err
		}
	}
	// An unknown command, named in the URL and in the body.
	body, err := fresh()
	if err != nil {
		return nil, err
	}
	unknown := v.UnknownCommand()
	ub, _ := sjson.SetBytes(body, gjsonEscape(e.CommandField), unknown)
	ex, err := b.request(e, unknown, ub, b.Params)
	if err != nil {
		return nil, err
	}
	out = append(out, &Probe{Name: "robustness.unknown_command", Kind: Robustness, Vendor: e.Vendor, Command: unknown, Exchanges: []Exchange{ex}, Risk: robustRisk})
	if body, err = fresh(); err != nil {
		return nil, err
	}
	big, _ := sjson.SetBytes(body, "ImhookProbePadding", strings.Repeat("x", 1<<20+4096))
	if _, err := add("oversized_body", robustRisk, big); err != nil {
		return nil, err
	}
	if body, err = fresh(); err != nil {
		return nil, err
	}
	if _, err := add("unicode_strings", robustRisk, decorateStrings(e, body)); err != nil {
		return nil, err
	}
	// The same message twice: a platform retries, so a backend sees
	// duplicates and must answer each.
	if body, err = fresh(); err != nil {
		return nil, err
	}
	same := repeated(e, body)
	p, err := add("duplicate_message", fmt.Sprintf("the same message delivered twice: request 2 repeats request 1's %s; a backend sees copies when a message is delivered again, and must answer each, the copy as the first (a refusal is fine)", same), body, body)
	if err != nil {
		return nil, err
	}
	p.Exchanges[1].Repeats = "a repeat of request 1"
	// A retried delivery, where the platform resends the callback after a
	// timeout (platform's Vendor.Retry): a backend must take the second
	// copy as it took the first.
	if retry := v.Retry(e); retry != "" {
		if body, err = fresh(); err != nil {
			return nil, err
		}
		same := repeated(e, body)
		p, err := add("retried_delivery", fmt.Sprintf("a retried delivery (%s): request 2, sent after a gap as long as the budget, repeats request 1's %s; a backend must answer the copy as it answered the first (a refusal is fine)", retry, same), body, body)
		if err != nil {
			return nil, err
		}
		p.Exchanges[1].AfterTimeout = true
		p.Exchanges[1].Repeats = "a repeat of request 1 after the budget"
	}
	// Messages out of order: the second is older than the first; two
	// messages, each of its own.
	first, err := fresh()
	if err != nil {
		return nil, err
	}
	second, err := fresh()
	if err != nil {
		return nil, err
	}
	if first, second, ok := outOfOrder(e, first, second); ok {
		if _, err := add("out_of_order", robustRisk, first, second); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// repeated names what a repeated body repeats: its identity fields (the
// vendor's ProbeWords.Identity) with their values, or "body" when it
// carries none.
func repeated(e *fixtures.Entry, body []byte) string {
	ids := Identities(e, body)
	if len(ids) == 0 {
		return "body (the callback carries no message ID)"
	}
	if len(ids) > 3 {
		ids = ids[:3]
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.Path + " " + id.Value
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// ID is one identity field of a body: its path and its value (a string's
// text, a number's digits).
type ID struct{ Path, Value string }

// Identities are the identity fields of body (the vendor's
// ProbeWords.Identity, at any depth the catalogue describes, in the
// order the vendor names them) that the catalogue does not fix to one
// value (OpenIM's seq, 0 before the send): what tells one message from
// another.
func Identities(e *fixtures.Entry, body []byte) []ID {
	var out []ID
	root := gjson.ParseBytes(body)
	for _, name := range platform.For(e.Vendor).ProbeWords().Identity {
		identities(e.Fields, root, "", name, &out)
	}
	return out
}

func identities(fields []*fixtures.Field, v gjson.Result, prefix, name string, out *[]ID) {
	walkFields(fields, v, prefix, func(f *fixtures.Field, c gjson.Result, path string) bool {
		if f.Name != name {
			return false
		}
		if !fixed(f) && (c.Type == gjson.String || c.Type == gjson.Number) {
			val := c.Raw
			if c.Type == gjson.String {
				val = c.Str
			}
			*out = append(*out, ID{path, val})
		}
		return true
	})
}

// walkFields calls visit with each field of fields present in v, its value
// and its path (prefix, then the field's escaped name), and goes into the
// objects and the items of arrays of objects the catalogue describes unless
// visit took the field (returned true).
func walkFields(fields []*fixtures.Field, v gjson.Result, prefix string, visit func(f *fixtures.Field, c gjson.Result, path string) bool) {
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
		case visit(f, c, path):
		case f.Type == "object" && c.IsObject():
			walkFields(f.Fields, c, path, visit)
		case f.Type == "array" && f.Items != nil && f.Items.Type == "object" && c.IsArray():
			for i, item := range c.Array() {
				walkFields(f.Items.Fields, item, fmt.Sprintf("%s.%d", path, i), visit)
			}
		}
	}
}

// fixed says whether the catalogue gives a field one value only (a const,
// an enum of one, a generator's single choice): the platform sends that
// value in every callback.
func fixed(f *fixtures.Field) bool {
	if len(f.Const) > 0 || len(f.Enum) == 1 {
		return true
	}
	if f.Gen == nil || len(f.Gen.Choice) == 0 {
		return false
	}
	for _, c := range f.Gen.Choice[1:] {
		if string(c) != string(f.Gen.Choice[0]) {
			return false
		}
	}
	return true
}

// NullFields is the probe of a callback with nullable fields: a valid
// callback with every one of them null, as the platform sends them (Go
// marshals a nil slice or an unset wrapper value as null: OpenIM sends a
// message without @-mentions with atUserIDList null). A backend must accept
// it; one that fails on a null (a handler that ranges over a list it takes
// for granted) fails the probe. nil when the callback has no nullable
// field.
func (b *Builder) NullFields(e *fixtures.Entry) (*Probe, error) {
	body, err := b.Gen(e, genNullFields)
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
	walkFields(fields, v, prefix, func(f *fixtures.Field, _ gjson.Result, path string) bool {
		if f.Nullable {
			*out = append(*out, path)
		}
		return f.Nullable
	})
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
// emoji with a skin tone and a ZWJ sequence, a right-to-left override, a
// lone surrogate escape (valid JSON syntax that strict decoders reject;
// written where surrogate stands) and control characters, among them a NUL.
const (
	strange   = " ünïcødé 中文 👍🏽 👨\u200d👩\u200d👧 \u202ertl " + surrogate + " \x00\x07\x1b\x7f"
	surrogate = "\ufdd0" // a noncharacter, replaced by the escape \ud800 once encoded
)

// decorateStrings appends strange text to every string value of body but
// the command, at any depth, keeping the order of its fields.
//
// A string the platform always sends as JSON text (OpenIM's message
// content: the server posts string(MsgData.Content), which is the JSON the
// SDKs write or, for the REST API's send_msg, jsonutil.StructToJsonString
// of the request's content: open-im-server internal/api/msg.go,
// newUserSendMsgReq; internal/rpc/msg/callback.go, GetContent; notification
// types carry their tips' JsonDetail) stays JSON text: its strings are
// decorated inside it and the text is encoded again, as a client's own
// strange text would arrive (the lone surrogate as the escape a JavaScript
// client's JSON.stringify writes). Appending to the text itself would make
// a body the server never sends: open-im-server's test/webhook/msgmodify
// json-decodes content and answers 500 when that fails. The catalogue marks
// such a field by a text role whose text lives at a path inside the
// string's JSON (fixtures.TextSpec.JSON).
func decorateStrings(e *fixtures.Entry, body []byte) []byte {
	return decorate(body, e.Fields, e.CommandField)
}

// decorate appends strange text to the strings of the JSON document doc,
// the fields of the catalogue's fields, but those named keep.
func decorate(doc []byte, fields []*fixtures.Field, keep string) []byte {
	out := doc
	var walk func(v gjson.Result, fields []*fixtures.Field, path string)
	walk = func(v gjson.Result, fields []*fixtures.Field, path string) {
		switch {
		case v.IsObject():
			v.ForEach(func(k, c gjson.Result) bool {
				if k.Str == keep {
					return true
				}
				f := fieldNamed(fields, k.Str)
				p := join(path, gjsonEscape(k.Str))
				if f != nil && f.Text != nil && f.Text.JSON != "" && c.Type == gjson.String && gjson.Valid(c.Str) {
					raw, _ := json.Marshal(string(decorate([]byte(c.Str), nil, "")))
					out, _ = sjson.SetRawBytes(out, p, raw)
					return true
				}
				walk(c, subfields(f), p)
				return true
			})
		case v.IsArray():
			var items []*fixtures.Field
			if f := fieldOf(fields); f != nil {
				items = subfields(f.Items)
			}
			i := 0
			v.ForEach(func(_, c gjson.Result) bool {
				walk(c, items, join(path, strconv.Itoa(i)))
				i++
				return true
			})
		case v.Type == gjson.String:
			raw, _ := json.Marshal(v.Str + strange)
			raw = bytes.ReplaceAll(raw, []byte(surrogate), []byte(`\ud800`))
			out, _ = sjson.SetRawBytes(out, path, raw)
		}
	}
	walk(gjson.ParseBytes(doc), fields, "")
	return out
}

// fieldNamed is the field of fields named name (searching the cases of a
// switch object too), nil when the catalogue does not know it.
func fieldNamed(fields []*fixtures.Field, name string) *fixtures.Field {
	for _, f := range fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// subfields are the fields a value of f holds: an object's fields (and
// its switch cases'), or f itself for an array (its items), nil when
// unknown.
func subfields(f *fixtures.Field) []*fixtures.Field {
	if f == nil {
		return nil
	}
	if f.Type == "array" {
		return []*fixtures.Field{f}
	}
	fs := f.Fields
	for _, c := range f.Cases {
		fs = append(fs[:len(fs):len(fs)], c...)
	}
	return fs
}

// fieldOf is the array field subfields gave for an array's items.
func fieldOf(fields []*fixtures.Field) *fixtures.Field {
	if len(fields) == 1 && fields[0].Type == "array" {
		return fields[0]
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// orderFields are the fields that order messages; the first ones found in
// a body are made to go backwards.
var orderFields = []string{"MsgTime", "MsgSeq", "EventTime", "sendTime", "createTime", "seq"}

// outOfOrder makes second older than first in every ordering field both
// carry at the top (but those the catalogue fixes to one value, as
// OpenIM's seq of 0 before the send); ok is false when they carry none.
func outOfOrder(e *fixtures.Entry, first, second []byte) ([]byte, []byte, bool) {
	ok := false
	for _, name := range orderFields {
		f := fieldNamed(e.Fields, name)
		a, b := gjson.GetBytes(first, name), gjson.GetBytes(second, name)
		if f == nil || fixed(f) || a.Type != gjson.Number || b.Type != gjson.Number {
			continue
		}
		n := a.Int()
		if n < 2 {
			first, _ = sjson.SetBytes(first, name, 1000)
			n = 1000
		}
		second, _ = sjson.SetBytes(second, name, n-1)
		ok = true
	}
	return templated(e, first), templated(e, second), ok
}

// templated fills again the entry's template rules (MsgKey is
// MsgSeq_MsgRandom_MsgTime) that body carries, after outOfOrder changed
// the fields they are made of: the platform sends them consistent.
func templated(e *fixtures.Entry, body []byte) []byte {
	for _, r := range e.Rules {
		if r.Kind != "template" {
			continue
		}
		fill := func(prefix string) {
			at := join(prefix, r.Path)
			if !gjson.GetBytes(body, at).Exists() {
				return
			}
			want := r.Expand(func(p string) gjson.Result { return gjson.GetBytes(body, join(prefix, p)) })
			body, _ = sjson.SetBytes(body, at, want)
		}
		if r.Each == "" {
			fill("")
			continue
		}
		for i := range gjson.GetBytes(body, r.Each).Array() {
			fill(r.Each + "." + strconv.Itoa(i))
		}
	}
	return body
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
