package openim

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
)

// judgeBodies are replies of every kind the judge tells apart, for every
// release's rules.
var judgeBodies = []string{
	"", "  \n", "null", " null ", "[]", "1", `"x"`, "<html><body>502</body></html>", "{", "\n\n {\"actionCode\":", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`,
	`{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":1}`, `{"actionCode":1,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`,
	`{"actionCode":0,"errCode":5000,"errMsg":"no","errDlt":"","nextCode":1}`, `{"actionCode":0,"errCode":2000,"errMsg":"","errDlt":"","nextCode":2}`,
	`{"actionCode":1,"errCode":1,"nextCode":1}`, `{"actionCode":"0","errCode":0,"nextCode":""}`, `{"actionCode":0.5}`, `{"errCode":1e3}`,
	`{"actionCode":2147483648}`, `{"actionCode":9223372036854775808}`, `{"actionCode":-2147483649,"errCode":0}`, `{"errMsg":5,"errDlt":true}`,
	`{"ActionCode":1,"actioncode":0,"actionCode":0}`, `{"ERRCODE":3}`, `{"nextcode":1}`, `{}`, `{"foo":1}`, `{"actionCode":null,"errCode":null,"nextCode":null}`,
	`{"actionCode":0,"errCode":0,"nextCode":"1"}`, `{"actionCode":0,"errCode":0,"nextCode":0,"content":"x"}`,
	`{"actionCode":0,"errCode":0,"nextCode":0,"content":"{\"content\":\"hi\"}"}`, `{"actionCode":0,"errCode":0,"nextCode":0,"content":{"a":1}}`,
	`{"actionCode":0,"errCode":0,"nextCode":0,"nickName":"n","faceURL":null,"ex":"e"}`, `{"actionCode":0,"errCode":0,"nextCode":1,"nickName":"n"}`,
	`{"actionCode":0,"errCode":0,"nextCode":0,"groupInfo":{"groupName":5}}`, `{"actionCode":0,"errCode":0,"nextCode":0,"userIDs":["u1"]}`,
	`{"actionCode":0,"errCode":0,"nextCode":0,"recvID":"r","sendID":"s","msgFrom":5}`, `{"actionCode":[],"errCode":{}}`,
}

var judgeVersions = []string{"", FormDocs, "v3.0", "v3.4.0", "v3.4.2", "v3.5", "v3.6", "v3.7", "v3.8"}

// judgings are the settings a reply is judged with: after and
// before-callbacks, with and without a reply section, every release's
// rules, failedContinue set or not, valid and invalid payloads, an
// expected outcome or none.
func judgings(t testing.TB) []wire.Judging {
	cat := fixtures.Default()
	base := []wire.Judging{{Kind: fixtures.After}, {Kind: fixtures.Before}}
	for _, cmd := range []string{"callbackBeforeSendSingleMsgCommand", "callbackBeforeMsgModifyCommand", "callbackBeforeUpdateUserInfoExCommand",
		"callbackBeforeSetGroupInfoCommand", "callbackBeforeInviteJoinGroupCommand", "callbackBeforeCreateSingleChatConversationsCommand", "callbackAfterSendSingleMsgCommand"} {
		e, _, ok := cat.Lookup(cmd)
		if !ok {
			t.Fatalf("no entry %s", cmd)
		}
		base = append(base, wire.JudgingFor(e, e.Sample, true, Vendor.Timeout(), ""))
	}
	yes, no := true, false
	var out []wire.Judging
	for _, b := range base {
		for _, v := range judgeVersions {
			for _, fc := range []*bool{nil, &yes, &no} {
				for _, expect := range []record.Outcome{"", record.OutcomeContinue, record.OutcomeStop} {
					j := b
					j.Version, j.FailedContinue, j.Expect, j.PayloadValid, j.Budget = v, fc, expect, expect != record.OutcomeStop, 5*time.Second
					out = append(out, j)
				}
			}
		}
	}
	return out
}

func checkAgainstLegacy(t *testing.T, r wire.Reply, j wire.Judging) {
	t.Helper()
	// The shape step and the unread fields came after the judge the
	// pipeline replaced.
	c := contract
	c.Shapes = false
	fs, o := wire.Judge(&c, r, j)
	fs = slices.DeleteFunc(fs, func(f record.Finding) bool { return f.Rule == wire.RuleUnreadField })
	lfs, lo := legacyJudgeReply(r, j)
	if o != lo || !reflect.DeepEqual(fs, lfs) && (len(fs) != 0 || len(lfs) != 0) {
		t.Fatalf("%d %q (%s %s %q valid %v expect %q):\n pipeline %q %+v\n legacy   %q %+v", r.Status, r.Body, j.Kind, j.Command, j.Version, j.PayloadValid, j.Expect, o, fs, lo, lfs)
	}
}

// TestJudgeMatchesLegacy holds the judging pipeline (wire.Judge with
// OpenIM's contract) to the judge it replaced: the same findings, in the
// same order, and the same outcome, for every release.
func TestJudgeMatchesLegacy(t *testing.T) {
	js := judgings(t)
	for _, body := range judgeBodies {
		for _, r := range []wire.Reply{
			{Status: 200, Body: []byte(body)},
			{Status: 500, Body: []byte(body), Latency: 6 * time.Second, Truncated: true},
		} {
			for _, j := range js {
				checkAgainstLegacy(t, r, j)
			}
		}
	}
}

func FuzzJudgeMatchesLegacy(f *testing.F) {
	for i, b := range judgeBodies {
		f.Add([]byte(b), 200, uint16(i*37))
	}
	js := judgings(f)
	f.Fuzz(func(t *testing.T, body []byte, status int, sel uint16) {
		checkAgainstLegacy(t, wire.Reply{Status: status, Body: body}, js[int(sel)%len(js)])
	})
}
