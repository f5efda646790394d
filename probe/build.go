package probe

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/platform"
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

// editQuery replaces (or, with drop, removes) a query parameter in place,
// keeping the order the platform sends.
func editQuery(req *http.Request, name string, value string, drop bool) {
	parts := strings.Split(req.URL.RawQuery, "&")
	out := parts[:0]
	for _, kv := range parts {
		k, _, _ := strings.Cut(kv, "=")
		if k == name {
			if drop {
				continue
			}
			kv = name + "=" + value
		}
		out = append(out, kv)
	}
	req.URL.RawQuery = strings.Join(out, "&")
}

// wrongSdkAppID is an app ID that is not the one given.
func wrongSdkAppID(id string) string {
	if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		return strconv.FormatUint(n+1, 10)
	}
	return "1400000001"
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

// Security builds the probes of a Tencent callback: a wrong SdkAppid, and
// with a token no Sign, a bad Sign and a RequestTime ten minutes old. Each
// is otherwise valid.
func (b *Builder) Security(e *fixtures.Entry) ([]*Probe, error) {
	if e.Vendor != fixtures.Tencent {
		return nil, fmt.Errorf("security probes forge Tencent's SdkAppid and Sign; %s is an %s callback (OpenIM callbacks carry no signature)", e.Command, e.Vendor)
	}
	var out []*Probe
	add := func(name, risk string, p platform.Params, edit func(*http.Request)) error {
		body, err := b.Gen(e, len(out)+1)
		if err != nil {
			return err
		}
		ex, err := b.request(e, e.Command, body, p)
		if err != nil {
			return err
		}
		if edit != nil {
			edit(ex.Req)
		}
		out = append(out, &Probe{Name: "security." + name, Kind: Security, Vendor: e.Vendor, Command: e.Command, Entry: e,
			Exchanges: []Exchange{ex}, Risk: risk})
		return nil
	}
	app := b.Params.SdkAppID
	if app == "" {
		app = platform.DefaultSdkAppID
	}
	wrong := b.Params
	wrong.SdkAppID = wrongSdkAppID(app)
	if err := add("wrong_sdkappid", fmt.Sprintf("a callback for another app (SdkAppid %s, not %s) must be refused, or another app's traffic (or anyone's) is taken as yours", wrong.SdkAppID, app), wrong, nil); err != nil {
		return nil, err
	}
	if b.Params.Token == "" {
		return out, nil
	}
	if err := add("no_sign", "a callback without Sign must be refused when callback authentication is on, or anyone who knows the URL can forge callbacks", b.Params,
		func(r *http.Request) { editQuery(r, "Sign", "", true) }); err != nil {
		return nil, err
	}
	if err := add("bad_sign", "a callback whose Sign does not match sha256(token + RequestTime) must be refused, or anyone can forge callbacks", b.Params,
		func(r *http.Request) {
			rt := r.URL.Query().Get("RequestTime")
			editQuery(r, "Sign", platform.Sign("not-the-token", rt), false)
		}); err != nil {
		return nil, err
	}
	stale := b.Params
	then := b.now().Add(-10 * time.Minute)
	stale.Now = func() time.Time { return then }
	if err := add("stale_request_time", "a correctly signed callback with a RequestTime ten minutes old must be refused (Tencent's window is 60 s), or a captured callback can be replayed", stale, nil); err != nil {
		return nil, err
	}
	return out, nil
}

const robustRisk = "a backend must answer bad or unusual input in the platform's reply shape (FAIL is fine), or the platform counts the callback as failed and retries it"

// Robustness builds the probes of a callback: malformed JSON, missing
// required fields, wrong types, an unknown command, a body over 1 MiB,
// unicode, emoji and control characters in strings, the same message twice
// and messages out of order.
func (b *Builder) Robustness(e *fixtures.Entry) ([]*Probe, error) {
	var out []*Probe
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
	unknown := "C2C.CallbackAfterImhookProbe"
	if e.Vendor == fixtures.OpenIM {
		unknown = "callbackAfterImhookProbeCommand"
	}
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
