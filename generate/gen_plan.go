package generate

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/tidwall/gjson"
)

// A plan is an entry compiled for generation: each field's generator with
// its constants worked out once (JSON keys, compacted choices, ranges), so
// that a payload is written straight into a buffer with no value tree. It
// draws from the random source in exactly the order the reference
// generator (generateTree, gen_tree_test.go) does, so
// the same seed gives the same bytes; variants and template rules, which
// change values after they were written, patch a flat index of the written
// values (nodes) and the payload is reassembled around the patches.
type plan struct {
	e        *fixtures.Entry
	root     *pfield
	cases    map[*fixtures.Field]*pfield
	counters int
	variants map[*fixtures.Variant][]psetv
	releases map[*fixtures.ReleaseShape]prelease
	tmpls    []ptemplate
	// Member names are interned: nodes hold a name's index, and names[i]
	// is written as keys[i] ("Name":).
	names []string
	keys  []string
	ids   map[string]int32
	// The sibling names the derived strings read.
	idMsgTime, idMsgRandom, idPlatformID, idContentType, idSessionType, idConversationType []int32
}

// prelease is a release shape compiled: the values it sets and copies.
type prelease struct {
	sets   []psetv
	copies []pcopy
}

type pcopy struct {
	to, from []int32
}

type psetv struct {
	segs []int32
	raw  json.RawMessage
	comp []byte
}

type ptemplate struct {
	each  []int32
	segs  []int32
	parts []ppart
}

type ppart struct {
	lit  string
	path []int32 // nil for a literal
}

func (p *plan) intern(name string) int32 {
	if id, ok := p.ids[name]; ok {
		return id
	}
	id := int32(len(p.names))
	p.ids[name] = id
	p.names = append(p.names, name)
	p.keys = append(p.keys, string(jsonx.AppendString(nil, name))+":")
	return id
}

// path interns a dotted path's names; nil for "" (no path).
func (p *plan) path(path string) []int32 {
	if path == "" {
		return nil
	}
	return p.segs(path)
}

// segs interns the names of a path to set, as strings.Split gives them.
func (p *plan) segs(path string) []int32 {
	var out []int32
	for _, s := range strings.Split(path, ".") {
		out = append(out, p.intern(s))
	}
	return out
}

const (
	tNone = iota
	tString
	tInteger
	tNumber
	tBoolean
	tObject
	tArray
)

// pfield is one compiled field.
type pfield struct {
	f        *fixtures.Field
	name     int32
	required bool
	omit     float64
	// form is the name of the entry's form that alone has the field.
	form string

	cnst     json.RawMessage
	cnstC    []byte
	nullable bool
	null     float64
	choice   []json.RawMessage // value choices (not for arrays)
	choiceC  [][]byte
	enum     []json.RawMessage
	enumC    [][]byte
	weights  []float64 // nil unless one weight per choice
	wtotal   float64

	typ  int
	kind string
	h    *fixtures.Gen

	// integers
	unitMS       bool
	intLo, intN  int64
	incLo, incN  int64
	counter      int
	numLo, numHi float64

	// objects
	fields []*pfield
	sw     []int32

	// arrays
	items    *pfield
	reset    []int
	lenFrom  []int32
	lenMax   int
	hasMax   bool
	nChoice  []int
	arrLo    int
	arrN     int
	minItems int
	maxItems int
	distinct []int32
}

var plans sync.Map // *fixtures.Entry -> *plan

func planFor(e *fixtures.Entry) *plan {
	if p, ok := plans.Load(e); ok {
		return p.(*plan)
	}
	p, _ := plans.LoadOrStore(e, compilePlan(e))
	return p.(*plan)
}

type compiler struct {
	p    *plan
	memo map[*fixtures.Field]*pfield
	ctr  map[*fixtures.Field]int
}

func compilePlan(e *fixtures.Entry) *plan {
	p := &plan{e: e, cases: map[*fixtures.Field]*pfield{}, ids: map[string]int32{}, variants: map[*fixtures.Variant][]psetv{}, releases: map[*fixtures.ReleaseShape]prelease{}}
	c := &compiler{p: p, memo: map[*fixtures.Field]*pfield{}, ctr: map[*fixtures.Field]int{}}
	p.idMsgTime, p.idMsgRandom, p.idPlatformID = p.path("MsgTime"), p.path("MsgRandom"), p.path("platformID")
	p.idContentType, p.idSessionType, p.idConversationType = p.path("contentType"), p.path("sessionType"), p.path("conversationType")
	p.root = &pfield{f: e.Root, typ: tObject, fields: c.fields(e.Root.Fields)}
	for _, v := range e.Variants {
		var sets []psetv
		for _, path := range sortedKeys(v.Set) {
			sets = append(sets, psetv{segs: p.segs(path), raw: v.Set[path], comp: jsonx.AppendCompact(nil, v.Set[path])})
		}
		p.variants[v] = sets
	}
	for _, rs := range e.Releases {
		var r prelease
		for _, path := range sortedKeys(rs.Set) {
			r.sets = append(r.sets, psetv{segs: p.segs(path), raw: rs.Set[path], comp: jsonx.AppendCompact(nil, rs.Set[path])})
		}
		for _, to := range sortedKeys2(rs.Copy) {
			r.copies = append(r.copies, pcopy{to: p.segs(to), from: p.segs(rs.Copy[to])})
		}
		p.releases[rs] = r
	}
	for _, r := range e.Rules {
		if r.Kind != "template" {
			continue
		}
		t := ptemplate{each: p.path(r.Each), segs: p.segs(r.Path)}
		for _, part := range r.Parts {
			t.parts = append(t.parts, ppart{lit: part.Literal, path: p.path(part.Path)})
		}
		p.tmpls = append(p.tmpls, t)
	}
	p.counters = len(c.ctr)
	p.finish(c)
	return p
}

func (c *compiler) fields(fs []*fixtures.Field) []*pfield {
	out := make([]*pfield, len(fs))
	for i, f := range fs {
		out[i] = c.field(f)
	}
	return out
}

func (c *compiler) counter(f *fixtures.Field) int {
	if n, ok := c.ctr[f]; ok {
		return n
	}
	c.ctr[f] = len(c.ctr)
	return c.ctr[f]
}

func compactAll(raws []json.RawMessage) [][]byte {
	out := make([][]byte, len(raws))
	for i, r := range raws {
		out[i] = jsonx.AppendCompact(nil, r)
	}
	return out
}

func (c *compiler) field(f *fixtures.Field) *pfield {
	if pf, ok := c.memo[f]; ok {
		return pf
	}
	h := f.Gen
	if h == nil {
		h = &fixtures.Gen{}
	}
	pf := &pfield{f: f, h: h, name: c.p.intern(f.Name), required: f.Required, kind: h.Kind, counter: -1, form: f.Form}
	c.memo[f] = pf
	pf.omit = 0.15
	if h.Omit > 0 {
		pf.omit = h.Omit
	}
	if len(f.Const) > 0 {
		pf.cnst, pf.cnstC = f.Const, jsonx.AppendCompact(nil, f.Const)
	}
	pf.nullable = f.Nullable
	pf.null = 0.1
	if h.Null > 0 {
		pf.null = h.Null
	}
	if len(h.Weights) == len(h.Choice) && len(h.Choice) > 0 {
		pf.weights = h.Weights
		for _, w := range h.Weights {
			pf.wtotal += w
		}
	}
	if len(h.Choice) > 0 && f.Type != "array" {
		pf.choice, pf.choiceC = h.Choice, compactAll(h.Choice)
	}
	if len(f.Enum) > 0 && h.Kind == "" {
		pf.enum, pf.enumC = f.Enum, compactAll(f.Enum)
	}
	b := f.Bounds
	switch f.Type {
	case "string":
		pf.typ = tString
	case "integer":
		pf.typ = tInteger
		pf.unitMS = b.Unit == "ms"
		if h.Kind == "increasing" {
			lo, hi := rangeOr(h, float64(b.MinI), float64(b.MaxI), 1, 1000)
			pf.incLo, pf.incN = int64(lo), int64((hi-lo)/2)+1
			pf.counter = c.counter(f)
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
		pf.intLo, pf.intN = int64(lo), int64(hi-lo)+1
	case "number":
		pf.typ = tNumber
		pf.numLo, pf.numHi = rangeOr(h, b.MinF, b.MaxF, 0, 100)
	case "boolean":
		pf.typ = tBoolean
	case "object":
		pf.typ = tObject
		pf.fields = c.fields(f.Fields)
		pf.sw = c.p.path(f.Switch)
		if f.Switch != "" {
			for k := range f.Cases {
				if cf := f.Case(k); cf != nil {
					if _, ok := c.p.cases[cf]; !ok {
						c.p.cases[cf] = &pfield{f: cf, typ: tObject, fields: c.fields(cf.Fields)}
					}
				}
			}
		}
	case "array":
		pf.typ = tArray
		pf.items = c.field(f.Items)
		pf.lenFrom = c.p.path(h.LenFrom)
		if h.Max != nil {
			pf.hasMax, pf.lenMax = true, int(*h.Max)
		}
		for _, ch := range h.Choice {
			n, _ := strconv.Atoi(string(ch))
			pf.nChoice = append(pf.nChoice, n)
		}
		lo, hi := float64(max(f.MinItems, 1)), float64(max(f.MinItems, 3))
		if h.Min != nil {
			lo = *h.Min
		}
		if h.Max != nil {
			hi = *h.Max
		}
		pf.arrLo, pf.arrN = int(lo), int(hi-lo)+1
		pf.minItems, pf.maxItems = f.MinItems, f.MaxItems
		pf.distinct = c.p.path(h.Distinct)
	}
	return pf
}

// finish resolves what needs every field compiled: the counters an array
// resets (its items' and their fields').
func (p *plan) finish(c *compiler) {
	for f, pf := range c.memo {
		if pf.typ != tArray || f.Items == nil {
			continue
		}
		pf.reset = pf.reset[:0]
		if ci, ok := c.ctr[f.Items]; ok {
			pf.reset = append(pf.reset, ci)
		}
		for _, sub := range f.Items.Fields {
			if ci, ok := c.ctr[sub]; ok {
				pf.reset = append(pf.reset, ci)
			}
		}
	}
}

const (
	kNil = iota
	kRaw
	kStr
	kInt
	kFloat
	kBool
	kObj
	kArr
)

// node is one written value: where its bytes are (in buf, or in ext once a
// patch replaced it), its parent and member key, and what the generators
// read back (integers, raw catalogue values).
type node struct {
	parent  int32
	start   int32
	end     int32
	name    int32 // in plan.names; -1 for an array item
	raw     int32 // in planGen.raws, for kRaw
	kind    uint8
	pending bool // being written: not yet a sibling
	dirty   bool // it or something under it was patched
	inExt   bool
	ival    int64
}

type planGen struct {
	pcg rand.PCG
	rng *rand.Rand
	now time.Time
	// form is the entry's form this payload takes ("" for an entry without
	// forms): the other forms' fields are left out.
	form     string
	buf      []byte
	ext      []byte
	tmp      []byte
	content  []byte
	out      []byte
	nodes    []node
	raws     []json.RawMessage
	counters []int64
	hasCtr   []bool
	keys     []byte
	keySpans []int32
}

var planGens = sync.Pool{New: func() any {
	g := &planGen{}
	g.rng = rand.New(&g.pcg)
	return g
}}

func (p *plan) generate(o GenOptions) ([]byte, error) {
	g := planGens.Get().(*planGen)
	defer planGens.Put(g)
	g.pcg.Seed(o.Seed, o.Seed^0x9e3779b97f4a7c15)
	g.now = o.Now
	if g.now.IsZero() {
		g.now = time.Now()
	}
	g.buf, g.ext, g.nodes, g.keys, g.keySpans = g.buf[:0], g.ext[:0], g.nodes[:0], g.keys[:0], g.keySpans[:0]
	clear(g.raws)
	g.raws = g.raws[:0]
	if cap(g.counters) < p.counters {
		g.counters, g.hasCtr = make([]int64, p.counters), make([]bool, p.counters)
	}
	g.counters, g.hasCtr = g.counters[:p.counters], g.hasCtr[:p.counters]
	clear(g.hasCtr)
	g.form = ""
	if n := len(p.e.Forms); n > 0 {
		g.form = p.e.Forms[g.rng.IntN(n)].Name
	}
	root := g.newNode(-1, -1)
	g.object(p, p.root.fields, 0, root)
	g.nodes[root].pending = false
	v, err := pickVariant(g.rng, p.e, o.Variant)
	if err != nil {
		return nil, err
	}
	if v != nil {
		for _, s := range p.variants[v] {
			start := len(g.ext)
			g.ext = append(g.ext, s.comp...)
			g.set(p, root, s.segs, kRaw, s.raw, start)
		}
	}
	if o.Release != nil {
		for _, rs := range p.e.ReleaseShapes(*o.Release) {
			r := p.releases[rs]
			for _, s := range r.sets {
				start := len(g.ext)
				g.ext = append(g.ext, s.comp...)
				g.set(p, root, s.segs, kRaw, s.raw, start)
			}
			for _, c := range r.copies {
				from := g.get(root, c.from)
				if from < 0 {
					continue
				}
				start := len(g.ext)
				g.ext = g.render(p, g.ext, from)
				raw := json.RawMessage(bytes.Clone(g.ext[start:]))
				g.set(p, root, c.to, kRaw, raw, start)
			}
		}
	}
	for i := range p.tmpls {
		t := &p.tmpls[i]
		if t.each == nil {
			g.template(p, root, t)
			continue
		}
		arr := g.get(root, t.each)
		if arr < 0 || g.nodes[arr].kind != kArr {
			continue
		}
		for j, n := arr+1, int32(len(g.nodes)); j < n; j++ {
			if g.nodes[j].parent == arr && g.nodes[j].kind == kObj {
				g.template(p, j, t)
			}
		}
	}
	if !g.nodes[root].dirty {
		return bytes.Clone(g.buf), nil
	}
	g.out = g.render(p, g.out[:0], root)
	return bytes.Clone(g.out), nil
}

func (g *planGen) newNode(parent, name int32) int32 {
	g.nodes = append(g.nodes, node{parent: parent, name: name, raw: -1, pending: true})
	return int32(len(g.nodes) - 1)
}

// get finds the member at a dotted path under the object node obj, as
// obj.get does: the first member of that name, through objects only.
func (g *planGen) get(obj int32, path []int32) int32 {
	if obj < 0 || len(path) == 0 {
		return -1
	}
	for j := obj + 1; j < int32(len(g.nodes)); j++ {
		n := &g.nodes[j]
		if n.parent != obj || n.pending || n.name != path[0] {
			continue
		}
		if len(path) == 1 {
			return j
		}
		if n.kind == kObj {
			return g.get(j, path[1:])
		}
		return -1
	}
	return -1
}

// item returns the node of the array arr's item at the index idx, or -1.
func (g *planGen) item(arr int32, idx string) int32 {
	k, _ := strconv.Atoi(idx)
	for j := arr + 1; j < int32(len(g.nodes)); j++ {
		if n := &g.nodes[j]; n.parent == arr && !n.pending {
			if k == 0 {
				return j
			}
			k--
		}
	}
	return -1
}

func (g *planGen) markDirty(id int32) {
	for id >= 0 && !g.nodes[id].dirty {
		g.nodes[id].dirty = true
		id = g.nodes[id].parent
	}
}

// set gives the member at segs under obj the value in ext[start:], as
// obj.set does: it replaces a member, descends through objects, and adds
// what is missing at the end of its object.
func (g *planGen) set(p *plan, obj int32, segs []int32, kind uint8, raw json.RawMessage, start int) {
	for j := obj + 1; j < int32(len(g.nodes)); j++ {
		n := &g.nodes[j]
		if n.parent != obj || n.pending || n.name != segs[0] {
			continue
		}
		switch {
		case len(segs) == 1:
			g.replace(j, kind, raw, start)
		case n.kind == kObj:
			g.set(p, j, segs[1:], kind, raw, start)
		case n.kind == kArr && fixtures.IsIndex(p.names[segs[1]]):
			// A path into an array item (initMemberList.0.roleLevel): an
			// item that was not generated is not made up.
			if item := g.item(j, p.names[segs[1]]); item >= 0 {
				if len(segs) == 2 {
					g.replace(item, kind, raw, start)
				} else if g.nodes[item].kind == kObj {
					g.set(p, item, segs[2:], kind, raw, start)
				}
			}
		}
		return
	}
	id := g.newNode(obj, segs[0])
	g.nodes[id].pending = false
	if len(segs) == 1 {
		g.replace(id, kind, raw, start)
		return
	}
	g.nodes[id].kind = kObj
	g.markDirty(id)
	g.set(p, id, segs[1:], kind, raw, start)
}

func (g *planGen) replace(id int32, kind uint8, raw json.RawMessage, start int) {
	n := &g.nodes[id]
	n.kind, n.raw, n.inExt, n.start, n.end = kind, g.addRaw(raw), true, int32(start), int32(len(g.ext))
	n.dirty = false
	g.markDirty(id)
}

// render writes node id as JSON: its bytes as written unless a patch
// touched it or something under it.
func (g *planGen) addRaw(raw json.RawMessage) int32 {
	if raw == nil {
		return -1
	}
	g.raws = append(g.raws, raw)
	return int32(len(g.raws) - 1)
}

func (g *planGen) render(p *plan, dst []byte, id int32) []byte {
	n := &g.nodes[id]
	switch {
	case n.inExt:
		return append(dst, g.ext[n.start:n.end]...)
	case !n.dirty:
		return append(dst, g.buf[n.start:n.end]...)
	}
	open, close := byte('{'), byte('}')
	if n.kind == kArr {
		open, close = '[', ']'
	}
	dst = append(dst, open)
	first := true
	for j := id + 1; j < int32(len(g.nodes)); j++ {
		c := &g.nodes[j]
		if c.parent != id || c.pending {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		if c.name >= 0 {
			dst = append(dst, p.keys[c.name]...)
		}
		dst = g.render(p, dst, j)
	}
	return append(dst, close)
}

// text appends the string a node holds, unquoted (a template part).
func (g *planGen) text(dst []byte, id int32) []byte {
	n := &g.nodes[id]
	b := g.buf
	if n.inExt {
		b = g.ext
	}
	s := b[n.start+1 : n.end-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return append(dst, s...)
	}
	var str string
	_ = json.Unmarshal(b[n.start:n.end], &str)
	return append(dst, str...)
}

// within finds a path whose head is a value written whole (a variant's
// object) and reads the rest of the path in that value's JSON.
func (g *planGen) within(p *plan, obj int32, path []int32) (gjson.Result, bool) {
	for k := len(path) - 1; k > 0; k-- {
		id := g.get(obj, path[:k])
		if id < 0 {
			continue
		}
		var rest []string
		for _, seg := range path[k:] {
			rest = append(rest, jsonx.Escape(p.names[seg]))
		}
		v := gjson.GetBytes(g.render(p, nil, id), strings.Join(rest, "."))
		return v, v.Exists() && v.Type != gjson.Null
	}
	return gjson.Result{}, false
}

func (g *planGen) template(p *plan, obj int32, t *ptemplate) {
	if g.get(obj, t.segs) < 0 {
		return // an optional field left out stays out (a group event has no MsgKey)
	}
	g.tmp = g.tmp[:0]
	for _, part := range t.parts {
		if part.path == nil {
			g.tmp = append(g.tmp, part.lit...)
			continue
		}
		id := g.get(obj, part.path)
		if id < 0 && len(part.path) > 1 {
			// Inside a value a variant set whole ({"Info": {"A": ...}}):
			// read it from that value's JSON, as the checker does.
			v, ok := g.within(p, obj, part.path)
			if !ok {
				return
			}
			if v.Type == gjson.String {
				g.tmp = append(g.tmp, v.Str...)
			} else {
				g.tmp = append(g.tmp, v.Raw...)
			}
			continue
		}
		if id < 0 || g.nodes[id].kind == kNil {
			return
		}
		switch n := &g.nodes[id]; {
		case n.kind == kStr:
			g.tmp = g.text(g.tmp, id)
		case n.kind == kRaw && n.raw >= 0 && len(g.raws[n.raw]) > 0 && g.raws[n.raw][0] == '"':
			// A string from a choice or a variant: its text, as the
			// checker reads a template's string parts.
			g.tmp = append(g.tmp, rawStringNoCopy(g.raws[n.raw])...)
		default:
			g.tmp = g.render(p, g.tmp, id)
		}
	}
	start := len(g.ext)
	g.ext = jsonx.AppendString(g.ext, unsafe.String(unsafe.SliceData(g.tmp), len(g.tmp)))
	g.set(p, obj, t.segs, kStr, nil, start)
}

func (g *planGen) object(p *plan, fields []*pfield, idx int, id int32) {
	g.nodes[id].kind = kObj
	g.nodes[id].start = int32(len(g.buf))
	g.buf = append(g.buf, '{')
	first := true
	for _, f := range fields {
		if f.form != "" && f.form != g.form {
			continue
		}
		if !f.required && g.rng.Float64() < f.omit {
			continue
		}
		if !first {
			g.buf = append(g.buf, ',')
		}
		first = false
		g.buf = append(g.buf, p.keys[f.name]...)
		c := g.newNode(id, f.name)
		g.value(p, f, id, idx, c)
		g.nodes[c].pending = false
	}
	g.buf = append(g.buf, '}')
	g.nodes[id].end = int32(len(g.buf))
}

func (g *planGen) raw(id int32, raw json.RawMessage, comp []byte) {
	n := &g.nodes[id]
	n.kind, n.raw, n.start = kRaw, g.addRaw(raw), int32(len(g.buf))
	g.buf = append(g.buf, comp...)
	n.end = int32(len(g.buf))
}

func (g *planGen) weighted(f *pfield, n int) int {
	if f.weights == nil {
		return g.rng.IntN(n)
	}
	x := g.rng.Float64() * f.wtotal
	for i, w := range f.weights {
		if x < w {
			return i
		}
		x -= w
	}
	return n - 1
}

// value writes one value of f as node id; sib is the object whose members
// written so far are f's siblings, idx the position in an enclosing array.
func (g *planGen) value(p *plan, f *pfield, sib int32, idx int, id int32) {
	if f.cnst != nil {
		g.raw(id, f.cnst, f.cnstC)
		return
	}
	if f.nullable && g.rng.Float64() < f.null {
		g.raw(id, nullRaw, nullRaw)
		return
	}
	if f.choice != nil {
		i := g.weighted(f, len(f.choice))
		g.raw(id, f.choice[i], f.choiceC[i])
		return
	}
	if f.enum != nil {
		i := g.rng.IntN(len(f.enum))
		g.raw(id, f.enum[i], f.enumC[i])
		return
	}
	start := int32(len(g.buf))
	switch f.typ {
	case tString:
		g.nodes[id].kind = kStr
		g.buf = g.appendStr(p, f, sib)
	case tInteger:
		v := g.integer(f, idx)
		g.nodes[id].kind, g.nodes[id].ival = kInt, v
		g.buf = strconv.AppendInt(g.buf, v, 10)
	case tNumber:
		v := math.Round((f.numLo+g.rng.Float64()*(f.numHi-f.numLo))*1e6) / 1e6
		g.nodes[id].kind = kFloat
		g.buf = strconv.AppendFloat(g.buf, v, 'f', -1, 64)
	case tBoolean:
		g.nodes[id].kind = kBool
		g.buf = strconv.AppendBool(g.buf, g.rng.IntN(2) == 0)
	case tObject:
		fields := f.fields
		if f.sw != nil {
			fields = nil
			if s := g.get(sib, f.sw); s >= 0 && g.nodes[s].kind == kRaw {
				if cf := f.f.Case(rawStringNoCopy(g.raws[g.nodes[s].raw])); cf != nil {
					fields = p.cases[cf].fields
				}
			}
		}
		g.object(p, fields, idx, id)
		return
	case tArray:
		g.array(p, f, sib, id)
		return
	default:
		g.nodes[id].kind = kNil
		g.buf = append(g.buf, "null"...)
	}
	g.nodes[id].start, g.nodes[id].end = start, int32(len(g.buf))
}

var nullRaw = json.RawMessage("null")

// rawStringNoCopy is rawString without a copy in the common case; the
// result must not outlive raw.
func rawStringNoCopy(raw json.RawMessage) string {
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 {
		return unsafe.String(unsafe.SliceData(raw[1:]), len(raw)-2)
	}
	return rawString(raw)
}

func (g *planGen) integer(f *pfield, idx int) int64 {
	switch f.kind {
	case "now":
		if f.unitMS {
			return g.now.UnixMilli() - g.rng.Int64N(300_000)
		}
		return g.now.Unix() - g.rng.Int64N(300)
	case "uint32":
		return int64(g.rng.Uint32())
	case "sequence":
		return int64(idx + 1)
	case "increasing":
		c := f.counter
		if !g.hasCtr[c] {
			g.counters[c] = f.incLo + g.rng.Int64N(f.incN)
			g.hasCtr[c] = true
		} else {
			g.counters[c] += 1 + g.rng.Int64N(4)
		}
		return g.counters[c]
	}
	return f.intLo + g.rng.Int64N(f.intN)
}

// sibInt is siblingInt over nodes.
func (g *planGen) sibInt(sib int32, name []int32) int64 {
	id := g.get(sib, name)
	if id < 0 {
		return 0
	}
	switch n := &g.nodes[id]; n.kind {
	case kInt:
		return n.ival
	case kRaw:
		raw := g.raws[n.raw]
		if v, ok := quickInt(raw); ok {
			return v
		}
		var v int64
		_ = json.Unmarshal(raw, &v)
		return v
	}
	return 0
}

// quickInt parses a plain JSON integer (no sign but -, no leading zero).
func quickInt(b []byte) (int64, bool) {
	d := b
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 || (d[0] == '0' && len(d) > 1) {
		return 0, false
	}
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	return v, err == nil
}

func (g *planGen) array(p *plan, f *pfield, sib int32, id int32) {
	n := 0
	switch {
	case f.lenFrom != nil:
		if s := g.get(sib, f.lenFrom); s >= 0 && g.nodes[s].kind == kInt {
			n = int(g.nodes[s].ival)
		}
		if f.hasMax && n > f.lenMax {
			n = f.lenMax
		}
	case len(f.nChoice) > 0:
		n = f.nChoice[g.weighted(f, len(f.nChoice))]
	default:
		n = f.arrLo + g.rng.IntN(f.arrN)
	}
	n = max(n, f.minItems)
	if f.maxItems > 0 {
		n = min(n, f.maxItems)
	}
	for _, c := range f.reset {
		g.hasCtr[c] = false
	}
	keyBase, spanBase := len(g.keys), len(g.keySpans)
	g.nodes[id].kind = kArr
	g.nodes[id].start = int32(len(g.buf))
	g.buf = append(g.buf, '[')
	count := 0
	for i := 0; i < n; i++ {
		for try := 0; try < 16; try++ {
			mark, nmark := len(g.buf), len(g.nodes)
			if count > 0 {
				g.buf = append(g.buf, ',')
			}
			it := g.newNode(id, -1)
			g.value(p, f.items, sib, i, it)
			g.nodes[it].pending = false
			ok := g.nodes[it].kind != kNil
			if f.distinct != nil {
				ok = g.nodes[it].kind == kObj && g.newKey(p, it, f.distinct, keyBase, spanBase)
			}
			if ok {
				count++
				break
			}
			g.buf, g.nodes = g.buf[:mark], g.nodes[:nmark]
			if f.distinct == nil {
				break
			}
		}
	}
	g.buf = append(g.buf, ']')
	g.nodes[id].end = int32(len(g.buf))
	g.keys, g.keySpans = g.keys[:keyBase], g.keySpans[:spanBase]
}

// newKey reports whether item's distinct key (as distinctKey makes it) is
// new among the keys since base, and records it.
func (g *planGen) newKey(p *plan, item int32, path []int32, keyBase, spanBase int) bool {
	start := len(g.keys)
	id := g.get(item, path)
	switch {
	case id < 0 || g.nodes[id].kind == kNil:
		g.keys = append(g.keys, "null"...)
	case g.nodes[id].kind == kRaw:
		g.keys = append(g.keys, g.raws[g.nodes[id].raw]...)
	case g.nodes[id].kind == kStr:
		g.keys = g.text(g.keys, id)
	default:
		g.keys = g.render(p, g.keys, id)
	}
	k := g.keys[start:]
	prev := int32(keyBase)
	for _, end := range g.keySpans[spanBase:] {
		if bytes.Equal(g.keys[prev:end], k) {
			g.keys = g.keys[:start]
			return false
		}
		prev = end
	}
	g.keySpans = append(g.keySpans, int32(len(g.keys)))
	return true
}
