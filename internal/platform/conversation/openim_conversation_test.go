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
	"github.com/tidwall/gjson"
)

func openimConversation(cat *fixtures.Catalogue, o wire.ScenarioOptions) ([]generate.Payload, error) {
	return conversation.OpenIM.Scenario(cat, conversation.ScenarioConversation, o)
}

// OpenIM's conversation: the same seed gives the same callbacks, each
// valid without a warning, of every kind the model has, and the model's
// own consistency check finds nothing in it.
func TestOpenIMConversationValidAndDeterministic(t *testing.T) {
	cat := fixtures.Default()
	for _, count := range []int{4, 5, 9, 13, 24, 60} {
		for seed := uint64(0); seed < 25; seed++ {
			o := wire.ScenarioOptions{Seed: seed, Now: generate.SeedEpoch, Count: count}
			a, err := openimConversation(cat, o)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := openimConversation(cat, o)
			if len(a) != count || len(b) != count {
				t.Fatalf("count %d seed %d: %d and %d callbacks", count, seed, len(a), len(b))
			}
			kinds := map[string]int{}
			c := conversation.OpenIM.NewConsistency()
			for i := range a {
				kinds[a[i].Entry.Command]++
				if !bytes.Equal(a[i].Body, b[i].Body) {
					t.Fatalf("seed %d #%d: not deterministic:\n%s\n%s", seed, i, a[i].Body, b[i].Body)
				}
				for _, f := range validate.Payload(a[i].Entry, a[i].Body) {
					if f.Severity != record.Info {
						t.Errorf("count %d seed %d #%d %s: %v\n%s", count, seed, i, a[i].Entry.Command, f, a[i].Body)
					}
				}
				if fs := c.Payload(a[i].Body); len(fs) > 0 {
					t.Errorf("count %d seed %d #%d %s: %v\n%s", count, seed, i, a[i].Entry.Command, fs, a[i].Body)
				}
			}
			if count >= 24 {
				for _, cmd := range []string{"callbackAfterUserRegisterCommand", "callbackAfterAddFriendCommand", "callbackAfterAddFriendAgreeCommand",
					"callbackAfterCreateGroupCommand", "callbackAfterSendSingleMsgCommand", "callbackAfterSendGroupMsgCommand",
					"callbackAfterMsgSaveDBCommand", "callbackAfterSingleMsgReadCommand", "callbackAfterGroupMsgReadCommand"} {
					if kinds[cmd] == 0 && (count >= 60 || cmd != "callbackAfterGroupMsgReadCommand" && cmd != "callbackAfterSingleMsgReadCommand") {
						t.Errorf("count %d seed %d: no %s in %v", count, seed, cmd, kinds)
					}
				}
			}
		}
	}
	if _, err := openimConversation(cat, wire.ScenarioOptions{Count: 3, Now: time.Now()}); err == nil {
		t.Error("a 3-callback conversation was made")
	}
}

func jsonValue(t *testing.T, b []byte, path string) any {
	t.Helper()
	return gjson.GetBytes(b, path).Value()
}
