package conversation_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform/conversation"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/validate"
)

func TestConversationValidAndDeterministic(t *testing.T) {
	cat := fixtures.Default()
	for seed := uint64(0); seed < 40; seed++ {
		o := wire.ScenarioOptions{Seed: seed, Now: generate.SeedEpoch, Count: 30}
		a, err := tencentConversation(cat, o)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := tencentConversation(cat, o)
		if len(a) != 30 || len(b) != 30 {
			t.Fatalf("seed %d: %d and %d callbacks", seed, len(a), len(b))
		}
		kinds := map[string]int{}
		for i := range a {
			kinds[a[i].Entry.Command]++
			if !bytes.Equal(a[i].Body, b[i].Body) {
				t.Fatalf("seed %d #%d: not deterministic:\n%s\n%s", seed, i, a[i].Body, b[i].Body)
			}
			if record.HasErrors(validate.Payload(a[i].Entry, a[i].Body)) {
				t.Errorf("seed %d #%d %s: %v\n%s", seed, i, a[i].Entry.Command, validate.Payload(a[i].Entry, a[i].Body), a[i].Body)
			}
			for _, f := range validate.Payload(a[i].Entry, a[i].Body) {
				if f.Severity == record.Warning {
					t.Errorf("seed %d #%d %s: warning %v", seed, i, a[i].Entry.Command, f)
				}
			}
		}
		for _, c := range []string{"C2C.CallbackAfterSendMsg", "C2C.CallbackAfterMsgReport", "Group.CallbackAfterSendMsg", "Group.CallbackAfterReadReceipt"} {
			if kinds[c] == 0 {
				t.Errorf("seed %d: no %s in %v", seed, c, kinds)
			}
		}
	}
	if _, err := tencentConversation(cat, wire.ScenarioOptions{Count: 3, Now: time.Now()}); err == nil {
		t.Error("a 3-callback conversation was made")
	}
}

func tencentConversation(cat *fixtures.Catalogue, o wire.ScenarioOptions) ([]generate.Payload, error) {
	return conversation.Tencent.Scenario(cat, conversation.ScenarioConversation, o)
}
