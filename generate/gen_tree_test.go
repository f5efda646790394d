package generate

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
)

// The reference generator: the payload as a tree of values, then written.
// It was the generator before the compiled plans (gen_plan.go), which must
// give the same bytes for every seed; TestPlanMatchesTree holds them to it.

// generateTree is the reference generator: it builds the payload as a tree
// of values, then writes it. The compiled plans (gen_plan.go) must give the
// same bytes for every seed; the tests hold them to it.
func generateTree(e *fixtures.Entry, o GenOptions) ([]byte, error) {
	g := &gen{rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)), now: o.Now, counters: map[*fixtures.Field]int64{}}
	if g.now.IsZero() {
		g.now = time.Now()
	}
	root := g.object(e.Root.Fields, 0)
	v, err := pickVariant(g.rng, e, o.Variant)
	if err != nil {
		return nil, err
	}
	if v != nil {
		for _, p := range sortedKeys(v.Set) {
			root = root.set(strings.Split(p, "."), json.RawMessage(v.Set[p]))
		}
	}
	for _, r := range e.Rules {
		if r.Kind != "template" {
			continue
		}
		if r.Each == "" {
			root = applyTemplate(root, r)
			continue
		}
		if arr, ok := root.get(r.Each).([]any); ok {
			for i, it := range arr {
				if o, ok := it.(obj); ok {
					arr[i] = applyTemplate(o, r)
				}
			}
		}
	}
	return appendValue(make([]byte, 0, 512), root), nil
}

func applyTemplate(o obj, r *fixtures.Rule) obj {
	var sb strings.Builder
	for _, p := range r.Parts {
		if p.Path == "" {
			sb.WriteString(p.Literal)
			continue
		}
		switch v := o.get(p.Path).(type) {
		case string:
			sb.WriteString(v)
		case nil:
			return o
		default:
			sb.Write(appendValue(nil, v))
		}
	}
	return o.set(strings.Split(r.Path, "."), sb.String())
}

type gen struct {
	rng      *rand.Rand
	now      time.Time
	counters map[*fixtures.Field]int64
}

// obj is a JSON object that keeps its key order.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) get(path string) any {
	head, rest, more := strings.Cut(path, ".")
	for _, p := range o {
		if p.k == head {
			if !more {
				return p.v
			}
			if c, ok := p.v.(obj); ok {
				return c.get(rest)
			}
			return nil
		}
	}
	return nil
}

func (o obj) set(path []string, v any) obj {
	for i := range o {
		if o[i].k != path[0] {
			continue
		}
		if len(path) == 1 {
			o[i].v = v
		} else if c, ok := o[i].v.(obj); ok {
			o[i].v = c.set(path[1:], v)
		}
		return o
	}
	if len(path) == 1 {
		return append(o, kv{path[0], v})
	}
	return append(o, kv{path[0], obj(nil).set(path[1:], v)})
}

func (g *gen) object(fields []*fixtures.Field, idx int) obj {
	o := make(obj, 0, len(fields))
	for _, f := range fields {
		if !f.Required {
			omit := 0.15
			if f.Gen != nil && f.Gen.Omit > 0 {
				omit = f.Gen.Omit
			}
			if g.rng.Float64() < omit {
				continue
			}
		}
		o = append(o, kv{f.Name, g.value(f, o, idx)})
	}
	return o
}

// value generates one value; siblings are the fields generated so far in the
// enclosing object and idx the position in an enclosing array.
func (g *gen) value(f *fixtures.Field, siblings obj, idx int) any {
	if len(f.Const) > 0 {
		return json.RawMessage(f.Const)
	}
	h := f.Gen
	if h == nil {
		h = &fixtures.Gen{}
	}
	if f.Nullable {
		p := 0.1
		if h.Null > 0 {
			p = h.Null
		}
		if g.rng.Float64() < p {
			return json.RawMessage("null")
		}
	}
	if len(h.Choice) > 0 && f.Type != "array" {
		return json.RawMessage(h.Choice[g.weighted(len(h.Choice), h.Weights)])
	}
	if len(f.Enum) > 0 && h.Kind == "" {
		return json.RawMessage(f.Enum[g.rng.IntN(len(f.Enum))])
	}
	switch f.Type {
	case "string":
		if s, ok := g.derived(h, siblings); ok {
			return s
		}
		return g.str(h.Kind)
	case "integer":
		return g.integer(f, h, idx)
	case "number":
		lo, hi := rangeOr(h, f.Bounds.MinF, f.Bounds.MaxF, 0, 100)
		return math.Round((lo+g.rng.Float64()*(hi-lo))*1e6) / 1e6
	case "boolean":
		return g.rng.IntN(2) == 0
	case "object":
		fields := f.Fields
		if f.Switch != "" {
			sel, _ := siblings.get(f.Switch).(json.RawMessage)
			c := f.Case(rawString(sel))
			if c == nil {
				return obj{}
			}
			fields = c.Fields
		}
		return g.object(fields, idx)
	case "array":
		return g.array(f, h, siblings)
	}
	return nil
}

func (g *gen) array(f *fixtures.Field, h *fixtures.Gen, siblings obj) any {
	n := 0
	switch {
	case h.LenFrom != "":
		if v, ok := siblings.get(h.LenFrom).(int64); ok {
			n = int(v)
		}
		if h.Max != nil && n > int(*h.Max) {
			n = int(*h.Max)
		}
	case len(h.Choice) > 0:
		n, _ = strconv.Atoi(string(h.Choice[g.weighted(len(h.Choice), h.Weights)]))
	default:
		lo, hi := float64(max(f.MinItems, 1)), float64(max(f.MinItems, 3))
		if h.Min != nil {
			lo = *h.Min
		}
		if h.Max != nil {
			hi = *h.Max
		}
		n = int(lo) + g.rng.IntN(int(hi-lo)+1)
	}
	n = max(n, f.MinItems)
	if f.MaxItems > 0 {
		n = min(n, f.MaxItems)
	}
	out := make([]any, 0, n)
	used := map[string]bool{}
	delete(g.counters, f.Items)
	for _, sub := range f.Items.Fields {
		delete(g.counters, sub)
	}
	for i := 0; i < n; i++ {
		var it any
		for try := 0; try < 16; try++ {
			it = g.value(f.Items, siblings, i)
			if h.Distinct == "" {
				break
			}
			if o, ok := it.(obj); ok {
				key := distinctKey(o.get(h.Distinct))
				if !used[key] {
					used[key] = true
					break
				}
			}
			it = nil
		}
		if it != nil {
			out = append(out, it)
		}
	}
	return out
}

func (g *gen) integer(f *fixtures.Field, h *fixtures.Gen, idx int) int64 {
	b := f.Bounds
	switch h.Kind {
	case "now":
		if b.Unit == "ms" {
			return g.now.UnixMilli() - g.rng.Int64N(300_000)
		}
		return g.now.Unix() - g.rng.Int64N(300)
	case "uint32":
		return int64(g.rng.Uint32())
	case "sequence":
		return int64(idx + 1)
	case "increasing":
		lo, hi := rangeOr(h, float64(b.MinI), float64(b.MaxI), 1, 1000)
		c, ok := g.counters[f]
		if !ok {
			c = int64(lo) + g.rng.Int64N(int64((hi-lo)/2)+1)
		} else {
			c += 1 + g.rng.Int64N(4)
		}
		g.counters[f] = c
		return c
	}
	lo, hi := 0.0, 100.0
	if b.HasMin {
		lo = float64(b.MinI)
	}
	if b.HasMax && float64(b.MaxI) < hi {
		hi = float64(b.MaxI)
	}
	if lo > hi {
		hi = lo + 100
	}
	lo, hi = rangeOr(h, lo, hi, lo, hi)
	return int64(lo) + g.rng.Int64N(int64(hi-lo)+1)
}

func (g *gen) weighted(n int, weights []float64) int {
	if len(weights) != n {
		return g.rng.IntN(n)
	}
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := g.rng.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return n - 1
}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *gen) chars(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *gen) str(kind string) string {
	switch kind {
	case "user_id":
		u := g.pick(userNames)
		if g.rng.IntN(3) == 0 {
			u += strconv.Itoa(g.rng.IntN(1000))
		}
		return u
	case "group_id":
		// Tencent's generated group IDs: @TGS# then a type digit or letter
		// and eight upper-case letters and digits (@TGS#2TTV7VSII).
		return "@TGS#" + g.pick([]string{"1", "2", "3", "a"}) + g.chars(upperAlnum, 8)
	case "openim_id":
		return strconv.FormatInt(1_000_000_000+g.rng.Int64N(8_999_999_999), 10)
	case "text":
		return g.pick(texts)
	case "place":
		return g.pick(places)
	case "uuid":
		return g.chars("0123456789abcdef", 32)
	case "media_url":
		return "https://cos.ap-" + g.pick([]string{"guangzhou", "shanghai", "singapore"}) + ".myqcloud.com/" + g.chars("0123456789abcdef", 32)
	case "file_name":
		return g.pick(fileNames)
	case "custom_data":
		return fmt.Sprintf(`{"businessID":"%s","id":"%s","v":%d}`, g.pick([]string{"order", "red_packet", "call", "poll"}), g.chars(upperAlnum, 10), 1+g.rng.IntN(3))
	}
	return g.pick(words)
}

func distinctKey(v any) string {
	switch x := v.(type) {
	case json.RawMessage:
		return string(x)
	case string:
		return x
	}
	return string(appendValue(nil, v))
}

// appendValue appends v as compact JSON.
func appendValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case obj:
		dst = append(dst, '{')
		for i, p := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonx.AppendString(dst, p.k)
			dst = append(dst, ':')
			dst = appendValue(dst, p.v)
		}
		return append(dst, '}')
	case []any:
		dst = append(dst, '[')
		for i, it := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValue(dst, it)
		}
		return append(dst, ']')
	case json.RawMessage:
		return jsonx.AppendCompact(dst, x)
	case string:
		return jsonx.AppendString(dst, x)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float64:
		return strconv.AppendFloat(dst, x, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(dst, x)
	case nil:
		return append(dst, "null"...)
	}
	b, _ := json.Marshal(v)
	return append(dst, b...)
}

// derived generates the string kinds whose value depends on sibling fields
// generated before them:
//
//   - openim_platform: the platform name of the sibling platformID (UserStatusBase);
//   - openim_content: the message content JSON, as a string, for the sibling contentType;
//   - openim_conversation_id: si_<a>_<b> for a single chat, sg_<group> for a
//     group (by the sibling sessionType or conversationType, else by the hint's min);
//   - openim_json_ex: an empty string or a small JSON object as a string;
//   - msg_key: a Tencent MsgKey of a message not described by the payload,
//     <MsgSeq>_<MsgRandom>_<MsgTime> with a time in the minutes before now;
//   - tencent_msg_id: a Tencent MsgId, <18 digits>-<MsgTime>-<MsgRandom> from
//     the siblings MsgTime and MsgRandom when they exist (144115233406643804-1727580296-4026038328).
func (g *gen) derived(h *fixtures.Gen, siblings obj) (string, bool) {
	switch h.Kind {
	case "msg_key":
		return strconv.FormatUint(uint64(g.rng.Uint32()), 10) + "_" + strconv.FormatUint(uint64(g.rng.Uint32()), 10) + "_" +
			strconv.FormatInt(g.now.Unix()-g.rng.Int64N(3600), 10), true
	case "tencent_msg_id":
		t, r := siblingInt(siblings, "MsgTime"), siblingInt(siblings, "MsgRandom")
		if t == 0 {
			t = g.now.Unix() - g.rng.Int64N(300)
		}
		if r == 0 {
			r = int64(g.rng.Uint32())
		}
		return "1441152" + g.chars("0123456789", 11) + "-" + strconv.FormatInt(t, 10) + "-" + strconv.FormatInt(r, 10), true
	case "openim_platform":
		return openIMPlatforms[siblingInt(siblings, "platformID")], true
	case "openim_content":
		return g.openIMContent(siblingInt(siblings, "contentType")), true
	case "openim_conversation_id":
		t := siblingInt(siblings, "sessionType")
		if t == 0 {
			t = siblingInt(siblings, "conversationType")
		}
		if t == 0 && h.Min != nil {
			t = int64(*h.Min) // the conversation type, when the siblings come later
		}
		if t == 0 {
			t = int64(1 + 2*g.rng.IntN(2))
		}
		if t == 1 || t == 4 {
			a, b := g.str("openim_id"), g.str("openim_id")
			if a > b {
				a, b = b, a
			}
			if t == 4 {
				return "sn_" + a + "_" + b, true
			}
			return "si_" + a + "_" + b, true
		}
		return "sg_" + g.str("openim_id"), true
	case "openim_json_ex":
		if g.rng.IntN(2) == 0 {
			return "", true
		}
		return `{"source":"` + g.pick([]string{"app", "web", "admin", "bot"}) + `","v":` + strconv.Itoa(1+g.rng.IntN(3)) + `}`, true
	}
	return "", false
}

func siblingInt(o obj, name string) int64 {
	switch v := o.get(name).(type) {
	case int64:
		return v
	case json.RawMessage:
		var n int64
		_ = json.Unmarshal(v, &n)
		return n
	}
	return 0
}

// openIMContent is the content JSON of an OpenIM message of the content type
// (the SDK's element shapes: TextElem, PictureElem, SoundElem, VideoElem,
// FileElem, AtElem, LocationElem, CustomElem, QuoteElem), marshalled as the
// server puts it in the callback's content string.
func (g *gen) openIMContent(contentType int64) string {
	url := func() string {
		return "https://s3.openim.example/openim/" + g.chars("0123456789abcdef", 24)
	}
	pic := func(w, h int) map[string]any {
		return map[string]any{"uuid": g.str("uuid"), "type": "image/jpeg", "size": 20000 + g.rng.IntN(2_000_000), "width": w, "height": h, "url": url()}
	}
	var v any
	switch contentType {
	case 102:
		w, h := 640+g.rng.IntN(3000), 480+g.rng.IntN(3000)
		v = map[string]any{"sourcePath": "", "sourcePicture": pic(w, h), "bigPicture": pic(w, h), "snapshotPicture": pic(w/4, h/4)}
	case 103:
		v = map[string]any{"uuid": g.str("uuid"), "soundPath": "", "sourceUrl": url(), "dataSize": 2000 + g.rng.IntN(400_000), "duration": 1 + g.rng.IntN(60)}
	case 104:
		v = map[string]any{"videoPath": "", "videoUUID": g.str("uuid"), "videoUrl": url(), "videoType": "mp4", "videoSize": 100_000 + g.rng.IntN(50_000_000), "duration": 1 + g.rng.IntN(300),
			"snapshotPath": "", "snapshotUUID": g.str("uuid"), "snapshotSize": 5000 + g.rng.IntN(200_000), "snapshotUrl": url(), "snapshotWidth": 320, "snapshotHeight": 568}
	case 105:
		v = map[string]any{"filePath": "", "uuid": g.str("uuid"), "sourceUrl": url(), "fileName": g.str("file_name"), "fileSize": 1000 + g.rng.IntN(20_000_000)}
	case 106:
		id := g.str("openim_id")
		v = map[string]any{"text": "@" + id + " " + g.str("text"), "atUserList": []string{id}, "isAtSelf": false}
	case 109:
		v = map[string]any{"description": g.str("place"), "longitude": 100 + g.rng.Float64()*22, "latitude": 18 + g.rng.Float64()*27}
	case 110, 119, 120:
		v = map[string]any{"data": g.str("custom_data"), "description": "", "extension": ""}
	case 114:
		v = map[string]any{"text": g.str("text"), "quoteMessage": map[string]any{"clientMsgID": g.chars("0123456789abcdef", 32), "contentType": 101, "textElem": map[string]any{"content": g.str("text")}}}
	default:
		v = map[string]any{"content": g.str("text")}
	}
	b, _ := json.Marshal(v)
	return string(b)
}
