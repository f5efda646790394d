package generate_test

import (
	"bytes"
	"encoding/json"
	"github.com/imhook/imhook/generate"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/validate"
	"github.com/tidwall/gjson"
)

// Every generated payload of every entry passes the entry's own rules, with
// no finding at all (not even a warning), over many seeds.
func TestGeneratedPayloadsPassTheirRules(t *testing.T) {
	now := time.Now()
	for _, e := range fixtures.Default().Entries() {
		t.Run(e.Command, func(t *testing.T) {
			for seed := uint64(0); seed < 2000; seed++ {
				b, err := generate.Generate(e, generate.GenOptions{Seed: seed, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				if fs := validate.Payload(e, b); len(fs) > 0 {
					t.Fatalf("seed %d: %s\n%v", seed, b, fs)
				}
			}
		})
	}
}

func TestEveryVariantPasses(t *testing.T) {
	for _, e := range fixtures.Default().Entries() {
		for _, v := range e.Variants {
			for seed := uint64(0); seed < 200; seed++ {
				b, err := generate.Generate(e, generate.GenOptions{Seed: seed, Variant: v.Name})
				if err != nil {
					t.Fatal(err)
				}
				if fs := validate.Payload(e, b); record.HasErrors(fs) {
					t.Fatalf("%s variant %s seed %d: %s\n%v", e.Command, v.Name, seed, b, fs)
				}
				for p, want := range v.Set {
					if got := gjson.GetBytes(b, p).Raw; !jsonEqual(got, string(want)) {
						t.Fatalf("%s variant %s: %s = %s, want %s", e.Command, v.Name, p, got, want)
					}
				}
			}
		}
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && fmtJSON(x) == fmtJSON(y)
}

func fmtJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestSameSeedSameBytes(t *testing.T) {
	for _, e := range fixtures.Default().Entries() {
		a, _ := generate.Generate(e, generate.GenOptions{Seed: 42, Now: generate.SeedEpoch})
		b, _ := generate.Generate(e, generate.GenOptions{Seed: 42, Now: generate.SeedEpoch})
		c, _ := generate.Generate(e, generate.GenOptions{Seed: 43, Now: generate.SeedEpoch})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: seed 42 gave two payloads:\n%s\n%s", e.Command, a, b)
		}
		if bytes.Equal(a, c) {
			t.Errorf("%s: seeds 42 and 43 gave the same payload", e.Command)
		}
	}
}

// Payloads are varied: over many seeds each message-element type and both
// variants turn up, and user IDs and group IDs look real.
func TestGeneratedPayloadsAreVaried(t *testing.T) {
	cat := fixtures.Default()
	send, _, _ := cat.Lookup("C2C.CallbackAfterSendMsg")
	types := map[string]int{}
	failures := 0
	for seed := uint64(0); seed < 500; seed++ {
		b, _ := generate.Generate(send, generate.GenOptions{Seed: seed})
		gjson.GetBytes(b, "MsgBody.#.MsgType").ForEach(func(_, v gjson.Result) bool { types[v.Str]++; return true })
		if gjson.GetBytes(b, "SendMsgResult").Int() != 0 {
			failures++
		}
	}
	for _, want := range []string{"TIMTextElem", "TIMFaceElem", "TIMImageElem", "TIMCustomElem", "TIMLocationElem", "TIMSoundElem", "TIMFileElem", "TIMVideoFileElem"} {
		if types[want] == 0 {
			t.Errorf("no %s in 500 payloads: %v", want, types)
		}
	}
	if failures < 20 || failures > 100 {
		t.Errorf("%d of 500 sends failed; want about 10%%", failures)
	}
	rr, _, _ := cat.Lookup("Group.CallbackAfterReadReceipt")
	b, _ := generate.Generate(rr, generate.GenOptions{Seed: 1})
	if id := gjson.GetBytes(b, "GroupId").Str; len(id) != 14 || id[:5] != "@TGS#" {
		t.Errorf("GroupId %q does not look like @TGS#2TTV7VSII", id)
	}
	now := time.Now()
	if ms := gjson.GetBytes(b, "EventTime").Int(); ms > now.UnixMilli() || ms < now.Add(-10*time.Minute).UnixMilli() {
		t.Errorf("EventTime %d is not near now", ms)
	}
}
