package validate_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/validate"
)

// FuzzPayload feeds arbitrary bytes to the checker of every entry: it must
// never panic, every finding is well formed, and a body that is not JSON is
// an error. The corpus starts from the samples and generated payloads.
func FuzzPayload(f *testing.F) {
	entries := fixtures.Default().Entries()
	for _, e := range entries {
		f.Add([]byte(e.Sample))
		for seed := uint64(0); seed < 5; seed++ {
			b, err := generate.Generate(e, generate.GenOptions{Seed: seed, Now: generate.SeedEpoch})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
		for _, v := range e.Variants {
			b, err := generate.Generate(e, generate.GenOptions{Seed: 1, Now: generate.SeedEpoch, Variant: v.Name})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, s := range []string{"", "null", "[]", "{", `{"MsgBody":[{"MsgType":"TIMCustomElem"},{"MsgType":"TIMCustomElem"}]}`,
		`{"MsgBody":[{"MsgContent":{}}]}`, `{"GroupMsgReceiptList":[{"ReadReceiptMembers":[{}]}]}`, "{\"a\":1 // x\n}", `{"a\\.b":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, e := range entries {
			fs := validate.Payload(e, body)
			for _, x := range fs {
				if x.Rule == "" || x.Message == "" {
					t.Fatalf("%s: finding without rule or message: %+v", e.Command, x)
				}
				switch x.Severity {
				case record.Error, record.Warning, record.Info:
				default:
					t.Fatalf("%s: bad severity in %+v", e.Command, x)
				}
			}
			if !json.Valid(body) && (len(fs) != 1 || fs[0].Severity != record.Error ||
				(fs[0].Rule != validate.RuleJSON && fs[0].Rule != validate.RuleEmpty)) {
				t.Fatalf("%s: %q is not JSON but gave %v", e.Command, body, fs)
			}
		}
	})
}

// Generated payloads stay clean at any clock (the unit checks depend on
// magnitudes, not on now).
func TestGeneratedPayloadsAtOtherClocks(t *testing.T) {
	for _, now := range []time.Time{time.Unix(1e9, 0), time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)} {
		for _, e := range fixtures.Default().Entries() {
			for seed := uint64(0); seed < 50; seed++ {
				b, err := generate.Generate(e, generate.GenOptions{Seed: seed, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				if fs := validate.Payload(e, b); record.HasErrors(fs) {
					t.Fatalf("%s seed %d at %s: %s\n%v", e.Command, seed, now, b, fs)
				}
			}
		}
	}
}
