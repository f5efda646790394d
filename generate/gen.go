package generate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/imhook/imhook/fixtures"
)

// SeedEpoch anchors the timestamps of seeded payloads when no clock is given,
// so that the same seed gives the same bytes on every run.
var SeedEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Payload is a generated callback body and the catalogue entry it is of.
type Payload struct {
	Entry *fixtures.Entry
	Body  []byte
}

// GenOptions control one generated payload.
type GenOptions struct {
	Seed uint64
	// Now anchors timestamps (they fall in the few minutes before it).
	Now time.Time
	// Variant picks a named variant of the entry; empty picks by weight.
	Variant string
	// Release, when set, generates what that OpenIM Server release sends:
	// the entry's release shapes that cover it (values the release gives
	// where the document says otherwise) apply after the variant. Nil
	// generates the documents' form.
	Release *fixtures.Release
}

// Generate builds a payload for e from the catalogue alone: per-field
// generators, then a variant's consistent values, then derived fields
// (template rules such as MsgKey). The result is compact JSON in the
// document's field order and always passes the entry's own rules.
func Generate(e *fixtures.Entry, o GenOptions) ([]byte, error) {
	return planFor(e).generate(o)
}

// VariantNames lists an entry's variants.
func VariantNames(e *fixtures.Entry) []string {
	var out []string
	for _, v := range e.Variants {
		out = append(out, v.Name)
	}
	return out
}

func pickVariant(rng *rand.Rand, e *fixtures.Entry, name string) (*fixtures.Variant, error) {
	if name != "" {
		for _, v := range e.Variants {
			if strings.EqualFold(v.Name, name) {
				return v, nil
			}
		}
		if len(e.Variants) == 0 {
			return nil, fmt.Errorf("%s has no variants", e.Command)
		}
		return nil, fmt.Errorf("%s has no variant %q; it has %s", e.Command, name, strings.Join(VariantNames(e), ", "))
	}
	if len(e.Variants) == 0 {
		return nil, nil
	}
	total := 0
	for _, v := range e.Variants {
		total += v.Weight
	}
	n := rng.IntN(total)
	for _, v := range e.Variants {
		if n < v.Weight {
			return v, nil
		}
		n -= v.Weight
	}
	return nil, nil
}

func rangeOr(h *fixtures.Gen, lo, hi, defLo, defHi float64) (float64, float64) {
	if math.IsInf(lo, 0) || math.IsNaN(lo) {
		lo = defLo
	}
	if math.IsInf(hi, 0) || math.IsNaN(hi) {
		hi = defHi
	}
	if h.Min != nil {
		lo = *h.Min
	}
	if h.Max != nil {
		hi = *h.Max
	}
	return lo, hi
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

var userNames = []string{"jared", "Jonh", "user0", "alice", "bob_lee", "cathy.w", "david_88", "emma", "frank", "grace_h",
	"li_lei", "han_meimei", "zhangwei", "wangfang", "sato_k", "maria.g", "olu", "priya", "tom-ng", "xiaoming"}

var texts = []string{
	"red packet", "See you at 8 tonight 🙂", "收到，马上处理", "Can you send me the file?", "👍", "ok",
	"The build is green again", "会议改到下午三点", "Happy birthday! 🎉🎂", "Where are you?",
	"He said \"hi\" and left \\ no reply", "line one\nline two", "今天的订单已经发货了，请注意查收。",
	"Très bien, à demain !", "<b>not html</b> & friends", "Сообщение получено",
	"Let's move the stand-up to 10:30; the deploy window is 11:00–12:00 UTC and QA needs the first half hour.",
}

var places = []string{"Tencent Building, Shenzhen", "Shanghai Tower", "West Lake, Hangzhou", "Marina Bay, Singapore", "Shibuya Crossing, Tokyo"}

var fileNames = []string{"report-2026Q3.pdf", "IMG_4021.HEIC", "meeting-notes.docx", "invoice_8841.xlsx", "设计稿v2.fig", "logs.tar.gz"}

var words = []string{"alpha", "beta", "gamma", "delta", "note", "hello", "sync", "demo"}

func sortedKeys2(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rawString decodes a JSON string value (a catalogue choice), quickly for
// the common case without escapes.
func rawString(raw json.RawMessage) string {
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}
