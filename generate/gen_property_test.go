package generate_test

import (
	"testing"
	"testing/fstest"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/generate"
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
