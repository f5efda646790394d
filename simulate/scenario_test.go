package simulate

import (
	"bytes"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
)

func TestConversationValidAndDeterministic(t *testing.T) {
	cat := fixtures.Default()
	for seed := uint64(0); seed < 40; seed++ {
		o := ScenarioOptions{Seed: seed, Now: SeedEpoch, Count: 30}
		a, err := Conversation(cat, o)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Conversation(cat, o)
		if len(a) != 30 || len(b) != 30 {
			t.Fatalf("seed %d: %d and %d callbacks", seed, len(a), len(b))
		}
		kinds := map[string]int{}
		for i := range a {
			kinds[a[i].Entry.Command]++
			if !bytes.Equal(a[i].Body, b[i].Body) {
				t.Fatalf("seed %d #%d: not deterministic:\n%s\n%s", seed, i, a[i].Body, b[i].Body)
			}
			if record.HasErrors(a[i].Findings) {
				t.Errorf("seed %d #%d %s: %v\n%s", seed, i, a[i].Entry.Command, a[i].Findings, a[i].Body)
			}
			for _, f := range a[i].Findings {
				if f.Severity == record.Warning {
					t.Errorf("seed %d #%d %s: warning %v", seed, i, a[i].Entry.Command, f)
				}
			}
		}
		for _, c := range []string{cmdC2CSend, cmdC2CReport, cmdGroupSend, cmdReceipt} {
			if kinds[c] == 0 {
				t.Errorf("seed %d: no %s in %v", seed, c, kinds)
			}
		}
	}
	if _, err := Conversation(cat, ScenarioOptions{Count: 3, Now: time.Now()}); err == nil {
		t.Error("a 3-callback conversation was made")
	}
}
