package generate

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/tidwall/gjson"
)

// OpenIM payloads: content is a JSON string shaped by contentType, platform
// names platformID, conversation IDs follow the session type.
func TestOpenIMDerivedValues(t *testing.T) {
	cat := fixtures.Default()
	names := map[int64]string{1: "IOS", 2: "Android", 3: "Windows", 4: "OSX", 5: "Web", 6: "MiniWeb", 7: "Linux", 8: "APad", 9: "IPad", 10: "Admin", 11: "HarmonyOS"}
	for _, e := range cat.Entries() {
		if e.Vendor != fixtures.OpenIM {
			continue
		}
		for seed := uint64(0); seed < 100; seed++ {
			b, err := Generate(e, GenOptions{Seed: seed, Now: SeedEpoch})
			if err != nil {
				t.Fatal(err)
			}
			if c := gjson.GetBytes(b, "content"); c.Exists() {
				var v map[string]any
				if err := json.Unmarshal([]byte(c.Str), &v); err != nil {
					t.Fatalf("%s seed %d: content is not a JSON object: %q", e.Command, seed, c.Str)
				}
				ct := gjson.GetBytes(b, "contentType").Int()
				if ct == 101 && v["content"] == nil || ct == 102 && v["sourcePicture"] == nil || ct == 105 && v["fileName"] == nil {
					t.Fatalf("%s seed %d: content %s does not fit contentType %d", e.Command, seed, c.Str, ct)
				}
			}
			if p := gjson.GetBytes(b, "platformID"); p.Exists() {
				if got := gjson.GetBytes(b, "platform").Str; got != names[p.Int()] {
					t.Fatalf("%s seed %d: platform %q for platformID %d", e.Command, seed, got, p.Int())
				}
			}
			if c := gjson.GetBytes(b, "conversationId"); c.Exists() {
				want := map[int64]string{1: "si_", 3: "sg_"}[gjson.GetBytes(b, "conversationType").Int()]
				if !strings.HasPrefix(c.Str, want) {
					t.Fatalf("%s seed %d: conversationId %q for conversationType %d", e.Command, seed, c.Str, gjson.GetBytes(b, "conversationType").Int())
				}
			}
		}
	}
}

// Tencent MsgId is <digits>-<MsgTime>-<MsgRandom>; msg_key is seq_random_time.
func TestTencentDerivedValues(t *testing.T) {
	cat := fixtures.Default()
	before, _, _ := cat.Lookup("C2C.CallbackBeforeSendMsg")
	withdraw, _, _ := cat.Lookup("C2C.CallbackAfterMsgWithDraw")
	seen := 0
	for seed := uint64(0); seed < 200; seed++ {
		b, _ := Generate(before, GenOptions{Seed: seed, Now: SeedEpoch})
		if id := gjson.GetBytes(b, "MsgId"); id.Exists() {
			seen++
			want := "-" + gjson.GetBytes(b, "MsgTime").Raw + "-" + gjson.GetBytes(b, "MsgRandom").Raw
			if !strings.HasSuffix(id.Str, want) {
				t.Fatalf("MsgId %q does not end with %q", id.Str, want)
			}
		}
		k := gjson.GetBytes(mustGen(t, withdraw, seed), "MsgKey").Str
		if parts := strings.Split(k, "_"); len(parts) != 3 || !isDigits(parts[0]) || !isDigits(parts[1]) || !isDigits(parts[2]) {
			t.Fatalf("MsgKey %q is not seq_random_time", k)
		}
	}
	if seen == 0 {
		t.Error("no MsgId in 200 payloads")
	}
}

func mustGen(t *testing.T, e *fixtures.Entry, seed uint64) []byte {
	t.Helper()
	b, err := Generate(e, GenOptions{Seed: seed, Now: SeedEpoch})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
