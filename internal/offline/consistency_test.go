package offline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/offline"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/stream"
)

// conversation is a scenario's payloads, one per line.
func conversation(t *testing.T, seed uint64, n int) [][]byte {
	t.Helper()
	cbs, err := platform.Tencent.(platform.Storyteller).Scenario(fixtures.Default(), platform.ScenarioConversation, platform.ScenarioOptions{Seed: seed, Now: generate.SeedEpoch, Count: n})
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(cbs))
	for i, cb := range cbs {
		out[i] = cb.Body
	}
	return out
}

func checkConsistency(t *testing.T, lines [][]byte) []stream.Finding {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	var fs []stream.Finding
	offline.Stream(context.Background(), []stream.Source{{Name: "-"}},
		offline.Options{Consistency: true, Workers: 3, Read: stream.Options{Stdin: strings.NewReader(b.String())}},
		func(f stream.Finding) { fs = append(fs, f) })
	return fs
}

func set(t *testing.T, body []byte, path string, v any) []byte {
	t.Helper()
	b, err := sjson.SetBytes(body, path, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// find returns the index of the n-th (0-based) line of a command matching ok.
func find(lines [][]byte, cmd string, n int, ok func(i int) bool) int {
	for i, l := range lines {
		if gjson.GetBytes(l, "CallbackCommand").String() == cmd && (ok == nil || ok(i)) {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return -1
}

func TestConversationIsConsistent(t *testing.T) {
	for seed := uint64(0); seed < 30; seed++ {
		if fs := checkConsistency(t, conversation(t, seed, 80)); len(fs) > 0 {
			t.Errorf("seed %d: %v", seed, fs)
		}
	}
}

func TestConsistencyBroken(t *testing.T) {
	get := func(b []byte, p string) int64 { return gjson.GetBytes(b, p).Int() }
	cases := []struct {
		rule   string
		path   string
		break_ func(t *testing.T, lines [][]byte) int // edits one line, returns its index
	}{
		{platform.RuleUnread, "UnreadMsgNum", func(t *testing.T, l [][]byte) int {
			// a message to a user whose count is known: it received one before
			i := find(l, "C2C.CallbackAfterSendMsg", 0, func(i int) bool {
				return find(l[:i], "C2C.CallbackAfterSendMsg", 0, func(j int) bool {
					return gjson.GetBytes(l[j], "To_Account").String() == gjson.GetBytes(l[i], "To_Account").String()
				}) >= 0
			})
			l[i] = set(t, l[i], "UnreadMsgNum", get(l[i], "UnreadMsgNum")+3)
			return i
		}},
		{platform.RuleUnread, "UnreadMsgNum", func(t *testing.T, l [][]byte) int {
			i := find(l, "C2C.CallbackAfterMsgReport", 0, nil)
			l[i] = set(t, l[i], "UnreadMsgNum", get(l[i], "UnreadMsgNum")+1)
			return i
		}},
		{platform.RuleReadTime, "LastReadTime", func(t *testing.T, l [][]byte) int {
			i := find(l, "C2C.CallbackAfterMsgReport", 0, nil)
			l[i] = set(t, l[i], "LastReadTime", get(l[0], "MsgTime")-1)
			return i
		}},
		{platform.RuleReadReceipt, "GroupMsgReceiptList.0.UnreadNum", func(t *testing.T, l [][]byte) int {
			i := find(l, "Group.CallbackAfterReadReceipt", 1, nil)
			l[i] = set(t, l[i], "GroupMsgReceiptList.0.UnreadNum", get(l[i], "GroupMsgReceiptList.0.UnreadNum")+1)
			return i
		}},
		{platform.RuleReadReceipt, "GroupMsgReceiptList.0.ReadNum", func(t *testing.T, l [][]byte) int {
			// a later receipt of a message already reported: its ReadNum falls
			first := find(l, "Group.CallbackAfterReadReceipt", 0, nil)
			seq := get(l[first], "GroupMsgReceiptList.0.MsgSeq")
			i := find(l, "Group.CallbackAfterReadReceipt", 0, func(i int) bool { return i > first })
			item := fmt.Sprintf(`{"MsgSeq":%d,"ReadNum":0,"UnreadNum":%d,"ReadReceiptMembers":[]}`, seq,
				get(l[first], "GroupMsgReceiptList.0.ReadNum")+get(l[first], "GroupMsgReceiptList.0.UnreadNum"))
			b, _ := sjson.SetRawBytes(l[i], "GroupMsgReceiptList", []byte("["+item+"]"))
			l[i] = b
			return i
		}},
		{platform.RuleTimeOrder, "MsgTime", func(t *testing.T, l [][]byte) int {
			first := find(l, "Group.CallbackAfterSendMsg", 0, nil)
			i := find(l, "Group.CallbackAfterSendMsg", 1, nil)
			l[i] = set(t, l[i], "MsgTime", get(l[first], "MsgTime")-1)
			return i
		}},
		{platform.RuleTimeOrder, "MsgTime", func(t *testing.T, l [][]byte) int {
			// a later message of the first conversation
			pair := func(b []byte) string {
				a, c := gjson.GetBytes(b, "From_Account").String(), gjson.GetBytes(b, "To_Account").String()
				return min(a, c) + "/" + max(a, c)
			}
			i := find(l, "C2C.CallbackAfterSendMsg", 1, func(i int) bool { return pair(l[i]) == pair(l[0]) })
			l[i] = set(t, l[i], "MsgTime", get(l[0], "MsgTime")-1)
			return i
		}},
		{platform.RuleMsgSeq, "MsgSeq", func(t *testing.T, l [][]byte) int {
			first := find(l, "Group.CallbackAfterSendMsg", 0, nil)
			i := find(l, "Group.CallbackAfterSendMsg", 1, nil)
			l[i] = set(t, l[i], "MsgSeq", get(l[first], "MsgSeq"))
			return i
		}},
	}
	for n, tc := range cases {
		t.Run(fmt.Sprintf("%d_%s", n, tc.rule), func(t *testing.T) {
			for _, seed := range []uint64{3, 11, 27} {
				lines := conversation(t, seed, 60)
				i := tc.break_(t, lines)
				fs := checkConsistency(t, lines)
				ok := false
				for _, f := range fs {
					if f.Rule == tc.rule && f.Line == i+1 && f.Path == tc.path && f.Severity == "error" {
						ok = true
					}
					if f.Line < i+1 {
						t.Errorf("a finding before the edited line %d: %v", i+1, f)
					}
				}
				if !ok {
					t.Errorf("seed %d: no %s %s at line %d: %v", seed, tc.rule, tc.path, i+1, fs)
				}
			}
		})
	}
}

func TestConsistencyByHand(t *testing.T) {
	lines := [][]byte{
		// first sighting of bob: a new message counts, so at least 1
		[]byte(`{"CallbackCommand":"C2C.CallbackAfterSendMsg","From_Account":"al","To_Account":"bob","MsgTime":100,"SendMsgResult":0,"UnreadMsgNum":0}`),
		// bob had 0 (resynced); a failed send changes nothing
		[]byte(`{"CallbackCommand":"C2C.CallbackAfterSendMsg","From_Account":"al","To_Account":"bob","MsgTime":101,"SendMsgResult":80001,"UnreadMsgNum":-1}`),
		[]byte(`{"CallbackCommand":"C2C.CallbackAfterSendMsg","From_Account":"al","To_Account":"bob","MsgTime":102,"SendMsgResult":0,"UnreadMsgNum":1}`),
		[]byte(`{"CallbackCommand":"C2C.CallbackAfterSendMsg","From_Account":"cy","To_Account":"bob","MsgTime":103,"SendMsgResult":0,"UnreadMsgNum":2}`),
		// bob reads al: 2 - 1 = 1
		[]byte(`{"CallbackCommand":"C2C.CallbackAfterMsgReport","Report_Account":"bob","Peer_Account":"al","LastReadTime":104,"UnreadMsgNum":1}`),
		// then cy, but before cy's message
		[]byte(`{"CallbackCommand":"C2C.CallbackAfterMsgReport","Report_Account":"bob","Peer_Account":"cy","LastReadTime":102,"UnreadMsgNum":0}`),
		[]byte(`{"CallbackCommand":"Group.CallbackAfterSendMsg","GroupId":"g","From_Account":"al","MsgSeq":7,"MsgTime":110,"EventTime":"110500"}`),
		[]byte(`{"CallbackCommand":"Group.CallbackAfterReadReceipt","GroupId":"g","GroupMsgReceiptList":[{"MsgSeq":7,"ReadNum":1,"UnreadNum":2,"ReadReceiptMembers":[{"Member_Account":"bob"}]}],"EventTime":111000}`),
		// the sender among the readers; a receipt beyond the last message
		[]byte(`{"CallbackCommand":"Group.CallbackAfterReadReceipt","GroupId":"g","GroupMsgReceiptList":[{"MsgSeq":7,"ReadNum":2,"UnreadNum":1,"ReadReceiptMembers":[{"Member_Account":"bob"},{"Member_Account":"al"}]},{"MsgSeq":8,"ReadNum":1,"UnreadNum":2,"ReadReceiptMembers":[]}],"EventTime":112000}`),
		// an EventTime that goes back (a numeric string, as the samples show)
		[]byte(`{"CallbackCommand":"Group.CallbackAfterSendMsg","GroupId":"g","From_Account":"bob","MsgSeq":8,"MsgTime":112,"EventTime":"111999"}`),
	}
	var got []string
	for _, f := range checkConsistency(t, lines) {
		if !strings.HasPrefix(f.Rule, "consistency.") {
			continue // the hand-made payloads leave out fields
		}
		got = append(got, fmt.Sprintf("%d %s %s", f.Line, f.Rule, f.Path))
	}
	want := []string{
		"1 consistency.unread UnreadMsgNum",
		"6 consistency.read_time LastReadTime",
		"9 consistency.read_receipt GroupMsgReceiptList.0.ReadReceiptMembers.1.Member_Account",
		"9 consistency.msg_seq GroupMsgReceiptList.1.MsgSeq",
		"10 consistency.time_order EventTime",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
