package generate_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/generate"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/validate"
	"github.com/tidwall/gjson"
)

// A synthetic entry reaches the corners the catalogue does not: optional
// objects a variant sets into (added when left out), nullable objects,
// templates over strings with escapes and over values a variant set,
// templates over optional members of array items, distinct integers.
const cornerSpec = `{"command":"T.Corner","vendor":"tencent","kind":"after","title":"t","doc":"https://example.com/x",
 "fields":[{"name":"CallbackCommand","type":"string","required":true,"role":"command"},
   {"name":"Info","type":"object","gen":{"omit":0.5},"fields":[{"name":"A","type":"string","gen":"text"},{"name":"B","type":"integer","format":"int32"}]},
   {"name":"Nul","type":"object","nullable":true,"gen":{"null":0.5},"fields":[{"name":"X","type":"integer","format":"int32"}]},
   {"name":"S","type":"string","gen":"text"},
   {"name":"C","type":"string","gen":{"choice":["a\"b","c"]}},
   {"name":"F","type":"number","gen":{"min":1,"max":2}},
   {"name":"Ok","type":"boolean"},
   {"name":"N","type":"integer","format":"int32","gen":{"min":0,"max":4}},
   {"name":"T","type":"string"},
   {"name":"U","type":"string"},
   {"name":"L","type":"array","items":{"type":"object","fields":[{"name":"Seq","type":"integer","format":"uint32","required":true,"gen":"sequence"},
      {"name":"V","type":"integer","format":"int32","required":true,"gen":{"min":0,"max":5}},{"name":"K","type":"string"}]},"gen":{"len_from":"N","max":3}},
   {"name":"D","type":"array","items":{"type":"object","fields":[{"name":"V","type":"integer","format":"int32","required":true,"gen":{"min":0,"max":3}}]},"gen":{"min":1,"max":4,"distinct":"V"}}],
 "rules":[{"id":"t1","kind":"template","doc":"d","path":"T","template":"{S}|{C}|{Info.A}|{F}|{Ok}|{Info}"},
   {"id":"t2","kind":"template","doc":"d","each":"L","path":"K","template":"k{Seq}_{V}"},
   {"id":"t3","kind":"template","doc":"d","path":"U","template":"{Nul.X}-{Info.B}"}],
 "variants":[{"name":"one","weight":1,"set":{"Info.A":"set \"A\"","Nul.X":7}},{"name":"two","weight":2,"set":{"Info":{"A":"whole"},"C":"d"}},
   {"name":"three","weight":1,"set":{"Info.B":3}}],
 "basis":{"kind":"table","source":"https://example.com/corner"},
 "sample":{"CallbackCommand":"T.Corner"}}`

// The corner entry's payloads pass its own rules (templates over escaped
// strings, over values a variant set, over optional members of array
// items), and each variant's values hold, over many seeds.
func TestCornersPassTheirRules(t *testing.T) {
	cat, err := fixtures.Load(fstest.MapFS{"tencent/T.Corner.json": {Data: []byte(cornerSpec)}})
	if err != nil {
		t.Fatal(err)
	}
	e, _, _ := cat.Lookup("T.Corner")
	nulls, omitted := 0, 0
	for _, v := range []string{"", "one", "two", "three"} {
		for seed := uint64(0); seed < 2000; seed++ {
			b, err := generate.Generate(e, generate.GenOptions{Seed: seed, Now: generate.SeedEpoch, Variant: v})
			if err != nil {
				t.Fatal(err)
			}
			if fs := validate.Payload(e, b); len(fs) > 0 {
				t.Fatalf("variant %q seed %d: %s\n%v", v, seed, b, fs)
			}
			r := gjson.ParseBytes(b)
			switch v {
			case "one":
				if r.Get("Info.A").Str != `set "A"` || r.Get("Nul").IsObject() && r.Get("Nul.X").Int() != 7 {
					t.Fatalf("variant one seed %d: %s", seed, b)
				}
			case "two":
				if r.Get("Info").Raw != `{"A":"whole"}` || r.Get("C").Str != "d" {
					t.Fatalf("variant two seed %d: %s", seed, b)
				}
			}
			if r.Get("Nul").Type == gjson.Null {
				nulls++
			}
			if v == "one" && !r.Get("Info.B").Exists() {
				omitted++ // Info was left out, and the variant added it
			}
		}
	}
	if nulls == 0 || omitted == 0 {
		t.Errorf("in 8000 payloads Nul was null %d times and Info added by a variant %d times", nulls, omitted)
	}
}

// reach records what generated payloads reached, by field path (array
// items as [], a switch case as <case>): each optional field present and
// left out, each nullable field null and not, each switch case taken.
type reach struct {
	present, absent, null, nonNull, cases map[string]bool
}

func newReach() *reach {
	return &reach{present: map[string]bool{}, absent: map[string]bool{}, null: map[string]bool{}, nonNull: map[string]bool{}, cases: map[string]bool{}}
}

func (r *reach) object(f *fixtures.Field, v gjson.Result, path string) {
	members := map[string]gjson.Result{}
	v.ForEach(func(k, m gjson.Result) bool {
		members[k.Str] = m
		return true
	})
	for _, c := range f.Fields {
		p := path + "." + c.Name
		cv, ok := members[c.Name]
		if !ok {
			r.absent[p] = true
			continue
		}
		r.present[p] = true
		r.walk(c, cv, v, p)
	}
}

func (r *reach) walk(f *fixtures.Field, v, parent gjson.Result, path string) {
	if v.Type == gjson.Null {
		r.null[path] = true
		return
	}
	r.nonNull[path] = true
	switch {
	case f.Type == "object" && f.Switch != "":
		sel := parent.Get(gjsonKey(f.Switch)).String()
		if cs := f.Case(sel); cs != nil {
			r.cases[path+"<"+sel+">"] = true
			r.object(cs, v, path+"<"+sel+">")
		}
	case f.Type == "object":
		r.object(f, v, path)
	case f.Type == "array":
		v.ForEach(func(_, item gjson.Result) bool {
			r.walk(f.Items, item, v, path+"[]")
			return true
		})
	}
}

func gjsonKey(name string) string {
	return strings.NewReplacer(".", `\.`, "*", `\*`, "?", `\?`, "#", `\#`, "|", `\|`, "@", `\@`).Replace(name)
}

// want lists what the spec says generation must reach: optional fields
// present and left out (a field of one form is optional in effect), nullable
// fields null and not, every switch case.
func (r *reach) want(f *fixtures.Field, path string, add func(kind, path string)) {
	for _, c := range f.Fields {
		p := path + "." + c.Name
		omit := c.Gen != nil && c.Gen.Omit >= 1
		if omit {
			add("never", p)
			continue
		}
		if !c.Required || c.Form != "" {
			add("present", p)
			add("absent", p)
		} else {
			add("present", p)
		}
		if c.Nullable {
			add("null", p)
			if c.Gen == nil || c.Gen.Null < 1 {
				add("value", p)
			}
		}
		r.wantValue(c, p, add)
	}
}

func (r *reach) wantValue(f *fixtures.Field, path string, add func(kind, path string)) {
	switch {
	case f.Type == "object" && f.Switch != "":
		for k := range f.Cases {
			add("case", path+"<"+k+">")
			r.want(f.Case(k), path+"<"+k+">", add)
		}
	case f.Type == "object":
		r.want(f, path, add)
	case f.Type == "array" && f.Items != nil:
		r.wantValue(f.Items, path+"[]", add)
	}
}

// Over many seeds, generation reaches every optional field (present and left
// out), every nullable field (null and not), every switch case (every
// message element type) and every variant, of every entry. The fields it
// never sends are the ones the catalogue marks so (gen omit 1), listed here.
func TestEveryFieldIsReached(t *testing.T) {
	never := map[string]bool{}
	for _, e := range fixtures.Default().Entries() {
		r := newReach()
		seeds := uint64(1000)
		for _, v := range append([]string{""}, generate.VariantNames(e)...) {
			n := seeds
			if v != "" {
				n = 40
			}
			for seed := uint64(0); seed < n; seed++ {
				b, err := generate.Generate(e, generate.GenOptions{Seed: seed, Now: generate.SeedEpoch, Variant: v})
				if err != nil {
					t.Fatal(err)
				}
				root := gjson.ParseBytes(b)
				r.object(e.Root, root, "")
				if v != "" {
					r.cases["variant "+v] = true
				}
			}
		}
		var missing []string
		r.want(e.Root, "", func(kind, path string) {
			got := map[string]map[string]bool{"present": r.present, "absent": r.absent, "null": r.null, "value": r.nonNull, "case": r.cases}
			if kind == "never" {
				never[e.Command+path] = true
				return
			}
			if !got[kind][path] {
				missing = append(missing, kind+" "+path)
			}
		})
		for _, v := range generate.VariantNames(e) {
			if !r.cases["variant "+v] {
				missing = append(missing, "variant "+v)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: generation never reached %s", e.Command, strings.Join(missing, ", "))
		}
	}
	// The batched push callbacks name the command in each event only.
	want := map[string]bool{"Push.OfflinePush.CallbackCommand": true, "Push.AllMemberPush.CallbackCommand": true}
	if len(never) != len(want) {
		t.Errorf("fields never generated: %v, want %v", never, want)
	}
	for k := range never {
		if !want[k] {
			t.Errorf("%s is never generated", k)
		}
	}
}

// The fields the current page of C2C.CallbackAfterSendMsg adds turn up in a
// share of payloads: over 40 seeds, some carry them and some do not.
func TestAfterSendMsgCarriesTheNewFields(t *testing.T) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	for _, name := range []string{"OnlineOnlyFlag", "CloudCustomData", "MsgId"} {
		with := 0
		for seed := uint64(0); seed < 40; seed++ {
			b, _ := generate.Generate(e, generate.GenOptions{Seed: seed, Now: generate.SeedEpoch})
			if gjson.GetBytes(b, name).Exists() {
				with++
			}
		}
		if with == 0 || with == 40 {
			t.Errorf("%s is in %d of 40 payloads; want some, not all", name, with)
		}
	}
}

// A release's shapes are generated for it, and only for it: the values hold
// over many seeds, the payloads have no error (a shape that contradicts the
// document gives a warning, named by its accept rule), and the documents'
// form (no release) and releases the shape does not cover keep the
// generated values.
func TestReleaseShapesAreGenerated(t *testing.T) {
	main, v36 := fixtures.Main, fixtures.Release{3, 6, 0}
	n := 0
	for _, e := range fixtures.Default().Entries() {
		for _, rs := range e.Releases {
			if len(rs.Set) == 0 && len(rs.Copy) == 0 {
				continue
			}
			n++
			for seed := uint64(0); seed < 200; seed++ {
				b, err := generate.Generate(e, generate.GenOptions{Seed: seed, Now: generate.SeedEpoch, Release: &main})
				if err != nil {
					t.Fatal(err)
				}
				for p, want := range rs.Set {
					if got := gjson.GetBytes(b, p).Raw; !jsonEqual(got, string(want)) {
						t.Fatalf("%s (%s) seed %d: %s = %s, want %s\n%s", e.Command, rs.Versions, seed, p, got, want, b)
					}
				}
				for to, from := range rs.Copy {
					if got, want := gjson.GetBytes(b, to).Raw, gjson.GetBytes(b, from).Raw; got != want {
						t.Fatalf("%s seed %d: %s = %s, want %s's %s", e.Command, seed, to, got, from, want)
					}
				}
				for _, f := range validate.Payload(e, b) {
					if f.Severity != record.Warning || !strings.HasPrefix(f.Rule, "quirk.") {
						t.Fatalf("%s for %s seed %d: %s\n%s", e.Command, rs.Versions, seed, f, b)
					}
				}
				if rs.Covers(v36) {
					continue
				}
				for _, r := range []*fixtures.Release{nil, &v36} {
					d, _ := generate.Generate(e, generate.GenOptions{Seed: seed, Now: generate.SeedEpoch, Release: r})
					if fs := validate.Payload(e, d); len(fs) > 0 {
						t.Fatalf("%s seed %d without the release: %v", e.Command, seed, fs)
					}
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d release shapes set values", n)
	}
	e, _, _ := fixtures.Default().Lookup("callbackBeforeJoinGroupCommand")
	b, _ := generate.Generate(e, generate.GenOptions{Seed: 1, Release: &main})
	if fs := validate.Payload(e, b); len(fs) != 1 || fs[0].Rule != "quirk.group_type_rune" {
		t.Errorf("groupType U+0002: %v", fs)
	}
}
