package validate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/replay/stream"
	"github.com/imhook/imhook/simulate"
	"github.com/imhook/imhook/validate"
)

// conversation is a scenario's payloads, one per line.
func conversation(t *testing.T, seed uint64, n int) [][]byte {
	t.Helper()
	cbs, err := simulate.Conversation(fixtures.Default(), simulate.ScenarioOptions{Seed: seed, Now: simulate.SeedEpoch, Count: n})
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
	validate.Stream(context.Background(), []stream.Source{{Name: "-"}},
		validate.Options{Consistency: true, Workers: 3, Read: stream.Options{Stdin: strings.NewReader(b.String())}},
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
		{validate.RuleUnread, "UnreadMsgNum", func(t *testing.T, l [][]byte) int {
			// a message to a user whose count is known: it received one before
			i := find(l, "C2C.CallbackAfterSendMsg", 0, func(i int) bool {
				return find(l[:i], "C2C.CallbackAfterSendMsg", 0, func(j int) bool {
					return gjson.GetBytes(l[j], "To_Account").String() == gjson.GetBytes(l[i], "To_Account").String()
				}) >= 0
			})
			l[i] = set(t, l[i], "UnreadMsgNum", get(l[i], "UnreadMsgNum")+3)
			return i
		}},
		{validate.RuleUnread, "UnreadMsgNum", func(t *testing.T, l [][]byte) int {
			i := find(l, "C2C.CallbackAfterMsgReport", 0, nil)
			l[i] = set(t, l[i], "UnreadMsgNum", get(l[i], "UnreadMsgNum")+1)
			return i
		}},
		{validate.RuleReadTime, "LastReadTime", func(t *testing.T, l [][]byte) int {
			i := find(l, "C2C.CallbackAfterMsgReport", 0, nil)
			l[i] = set(t, l[i], "LastReadTime", get(l[0], "MsgTime")-1)
			return i
		}},
		{validate.RuleReadReceipt, "GroupMsgReceiptList.0.UnreadNum", func(t *testing.T, l [][]byte) int {
			i := find(l, "Group.CallbackAfterReadReceipt", 1, nil)
			l[i] = set(t, l[i], "GroupMsgReceiptList.0.UnreadNum", get(l[i], "GroupMsgReceiptList.0.UnreadNum")+1)
			return i
		}},
		{validate.RuleReadReceipt, "GroupMsgReceiptList.0.ReadNum", func(t *testing.T, l [][]byte) int {
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
		{validate.RuleTimeOrder, "MsgTime", func(t *testing.T, l [][]byte) int {
			first := find(l, "Group.CallbackAfterSendMsg", 0, nil)
			i := find(l, "Group.CallbackAfterSendMsg", 1, nil)
			l[i] = set(t, l[i], "MsgTime", get(l[first], "MsgTime")-1)
			return i
		}},
		{validate.RuleTimeOrder, "MsgTime", func(t *testing.T, l [][]byte) int {
			// a later message of the first conversation
			pair := func(b []byte) string {
				a, c := gjson.GetBytes(b, "From_Account").String(), gjson.GetBytes(b, "To_Account").String()
				return min(a, c) + "/" + max(a, c)
			}
			i := find(l, "C2C.CallbackAfterSendMsg", 1, func(i int) bool { return pair(l[i]) == pair(l[0]) })
			l[i] = set(t, l[i], "MsgTime", get(l[0], "MsgTime")-1)
			return i
		}},
		{validate.RuleMsgSeq, "MsgSeq", func(t *testing.T, l [][]byte) int {
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
