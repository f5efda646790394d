package generate

import (
	"bytes"
	"testing"
	"testing/fstest"
	"time"

	"github.com/imhook/imhook/fixtures"
)

// The compiled plans write exactly the bytes of the reference generator for
// every entry, seed and variant: seeded payloads did not change.
func TestPlanMatchesTree(t *testing.T) {
	now := time.Now()
	for _, e := range fixtures.Default().Entries() {
		variants := append([]string{""}, VariantNames(e)...)
		for _, v := range variants {
			seeds := uint64(1000)
			if v != "" {
				seeds = 100
			}
			for seed := uint64(0); seed < seeds; seed++ {
				o := GenOptions{Seed: seed, Now: now, Variant: v}
				want, werr := generateTree(e, o)
				got, gerr := Generate(e, o)
				if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
					t.Fatalf("%s variant %q seed %d:\nplan %s (%v)\ntree %s (%v)", e.Command, v, seed, got, gerr, want, werr)
				}
			}
		}
	}
	e, _, _ := fixtures.Default().Lookup("State.StateChange")
	if _, err := Generate(e, GenOptions{Variant: "nope"}); err == nil {
		t.Error("an unknown variant gave no error")
	}
}

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

func TestPlanMatchesTreeCorners(t *testing.T) {
	cat, err := fixtures.Load(fstest.MapFS{"tencent/T.Corner.json": {Data: []byte(cornerSpec)}})
	if err != nil {
		t.Fatal(err)
	}
	e, _, _ := cat.Lookup("T.Corner")
	for _, v := range []string{"", "one", "two", "three"} {
		for seed := uint64(0); seed < 2000; seed++ {
			o := GenOptions{Seed: seed, Now: SeedEpoch, Variant: v}
			want, _ := generateTree(e, o)
			got, _ := Generate(e, o)
			if !bytes.Equal(got, want) {
				t.Fatalf("variant %q seed %d:\nplan %s\ntree %s", v, seed, got, want)
			}
		}
	}
}
