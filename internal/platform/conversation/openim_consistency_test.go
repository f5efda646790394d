package conversation_test

import (
	"strings"
	"testing"

	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/platform/conversation"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
)

// Each of OpenIM's consistency rules finds a story broken its way, with
// the rule, the path and words that say why; the story as told has no
// finding, as payloads and as records.
func TestOpenIMConsistencyRules(t *testing.T) {
	cat := fixtures.Default()
	story, err := openimConversation(cat, wire.ScenarioOptions{Seed: 11, Now: generate.SeedEpoch, Count: 60})
	if err != nil {
		t.Fatal(err)
	}
	check := func(bodies [][]byte, asRecords bool) []record.Finding {
		c := conversation.OpenIM.NewConsistency()
		var fs []record.Finding
		for _, b := range bodies {
			if asRecords {
				rec := append(append([]byte(`{"vendor":"openim","request":{"body":`), b...), "}}"...)
				fs = append(fs, c.Record(rec)...)
			} else {
				fs = append(fs, c.Payload(b)...)
			}
		}
		return fs
	}
	bodies := func() [][]byte {
		out := make([][]byte, len(story))
		for i, p := range story {
			out[i] = append([]byte(nil), p.Body...)
		}
		return out
	}
	if fs := check(bodies(), false); len(fs) > 0 {
		t.Fatalf("the story has findings: %v", fs)
	}
	if fs := check(bodies(), true); len(fs) > 0 {
		t.Fatalf("the story as records has findings: %v", fs)
	}
	// index finds the i-th callback of a command (and a condition).
	index := func(cmd string, nth int, cond func([]byte) bool) int {
		for i, p := range story {
			if p.Entry.Command == cmd && (cond == nil || cond(p.Body)) {
				if nth == 0 {
					return i
				}
				nth--
			}
		}
		t.Fatalf("no %s #%d in the story", cmd, nth)
		return -1
	}
	set := func(b []byte, path string, v any) []byte {
		out, err := sjson.SetBytes(b, path, v)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	get := func(i int, path string) any { return jsonValue(t, story[i].Body, path) }
	single := func(b []byte) bool { return jsonValue(t, b, "sessionType") == float64(1) }
	group := func(b []byte) bool { return jsonValue(t, b, "sessionType") == float64(3) }
	for _, tc := range []struct {
		name  string
		edit  func(bs [][]byte) [][]byte
		rule  string
		path  string
		sev   record.Severity
		words string
	}{
		{"registered twice", func(bs [][]byte) [][]byte {
			i := index("callbackAfterUserRegisterCommand", 0, nil)
			return append(bs[:i+1], append([][]byte{bs[i]}, bs[i+1:]...)...)
		}, conversation.RuleUser, "users.0.userID", record.Error, "registered already"},
		{"an agreement without its application", func(bs [][]byte) [][]byte {
			i := index("callbackAfterAddFriendCommand", 0, nil)
			return append(bs[:i], bs[i+1:]...)
		}, conversation.RuleFriend, "blackUserID", record.Error, "does not have"},
		{"a save that is not the message sent", func(bs [][]byte) [][]byte {
			i := index("callbackAfterMsgSaveDBCommand", 0, nil)
			bs[i] = set(bs[i], "content", `{"content":"something else"}`)
			return bs
		}, conversation.RuleMessage, "content", record.Error, "when message"},
		{"a seq given twice", func(bs [][]byte) [][]byte {
			i := index("callbackAfterMsgSaveDBCommand", 0, single)
			j := index("callbackAfterMsgSaveDBCommand", 1, func(b []byte) bool {
				return single(b) && jsonValue(t, b, "sendID") == get(i, "sendID") && jsonValue(t, b, "recvID") == get(i, "recvID")
			})
			bs[j] = set(bs[j], "seq", get(i, "seq"))
			return bs
		}, conversation.RuleSeq, "seq", record.Error, "its own seq"},
		{"a seq of 0 saved", func(bs [][]byte) [][]byte {
			i := index("callbackAfterMsgSaveDBCommand", 0, nil)
			bs[i] = set(bs[i], "seq", 0)
			return bs
		}, conversation.RuleSeq, "seq", record.Error, "seq is 0"},
		{"a read beyond the last saved message", func(bs [][]byte) [][]byte {
			i := index("callbackAfterSingleMsgReadCommand", 0, nil)
			bs[i] = set(bs[i], "Seqs.0", 999999)
			return bs
		}, conversation.RuleRead, "Seqs.0", record.Error, "last message saved"},
		{"a reader of another conversation", func(bs [][]byte) [][]byte {
			i := index("callbackAfterSingleMsgReadCommand", 0, nil)
			bs[i] = set(bs[i], "userID", "1000000001")
			return bs
		}, conversation.RuleRead, "userID", record.Error, "conversation"},
		{"a group read beyond the group's messages", func(bs [][]byte) [][]byte {
			i := index("callbackAfterGroupMsgReadCommand", 0, nil)
			bs[i] = set(bs[i], "unreadMsgNum", 999999)
			return bs
		}, conversation.RuleRead, "unreadMsgNum", record.Error, "read up to seq 999999"},
		{"a stranger in the group", func(bs [][]byte) [][]byte {
			i := index("callbackAfterSendGroupMsgCommand", 0, nil)
			bs[i] = set(bs[i], "sendID", "1000000001")
			return bs
		}, conversation.RuleMember, "sendID", record.Error, "not one of its members"},
		{"a message before its sender registered", func(bs [][]byte) [][]byte {
			i := index("callbackAfterSendSingleMsgCommand", 0, nil)
			bs[i] = set(bs[i], "sendTime", 1000)
			return bs
		}, conversation.RuleTimeOrder, "sendTime", record.Error, "registered"},
		{"seqs saved out of order", func(bs [][]byte) [][]byte {
			i := index("callbackAfterMsgSaveDBCommand", 0, group)
			j := index("callbackAfterMsgSaveDBCommand", 1, group)
			bs[i], bs[j] = bs[j], bs[i]
			return bs
		}, conversation.RuleSeq, "seq", record.Warning, "may swap neighbours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, asRecords := range []bool{false, true} {
				fs := check(tc.edit(bodies()), asRecords)
				path := tc.path
				if asRecords {
					path = "request.body." + path
				}
				found := false
				for _, f := range fs {
					if f.Rule == tc.rule && f.Path == path && f.Severity == tc.sev && strings.Contains(f.Message, tc.words) {
						found = true
					}
				}
				if !found {
					t.Errorf("records %t: no %s %s at %s saying %q: %v", asRecords, tc.sev, tc.rule, path, tc.words, fs)
				}
			}
		})
	}
}

// Items of Tencent take no part in OpenIM's check, and the other way round;
// a recording that starts mid-story has no finding for what it lacks.
func TestOpenIMConsistencyMidStory(t *testing.T) {
	cat := fixtures.Default()
	story, _ := openimConversation(cat, wire.ScenarioOptions{Seed: 5, Now: generate.SeedEpoch, Count: 60})
	tencent, _ := tencentConversation(cat, wire.ScenarioOptions{Seed: 5, Now: generate.SeedEpoch, Count: 30})
	c := platform.NewConsistency()
	for i, p := range story[len(story)/2:] {
		if fs := c.Payload(p.Body); len(fs) > 0 {
			t.Errorf("#%d %s: %v", i, p.Entry.Command, fs)
		}
		if i < len(tencent) {
			if fs := c.Payload(tencent[i].Body); len(fs) > 0 {
				t.Errorf("tencent #%d: %v", i, fs)
			}
		}
	}
}
