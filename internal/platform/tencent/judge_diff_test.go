package tencent

import (
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
)

// judgeBodies are replies of every kind the judge tells apart.
var judgeBodies = []string{
	"", "   ", "null", "[]", "1", `"OK"`, "<!DOCTYPE html><html></html>", "{", `{"ActionStatus":"OK"`, "\n {\"ErrorCode\":0, \"ErrorInfo\":\"\", \"ActionStatus\":\"OK\"}\n",
	`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, `{"ActionStatus":"FAIL","ErrorInfo":"db down","ErrorCode":1}`,
	`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1}`, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":2}`, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":3}`,
	`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":120001}`, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":-1}`,
	`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":"0"}`, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1.5}`, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0e0}`,
	`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":99999999999999999999}`, `{"ActionStatus":1,"ErrorInfo":"","ErrorCode":0}`, `{"ActionStatus":"ok","ErrorInfo":"","ErrorCode":0}`,
	`{"ActionStatus":"Fail","ErrorInfo":"","ErrorCode":0}`, `{"ActionStatus":"MAYBE","ErrorInfo":"","ErrorCode":0}`, `{"ActionStatus":"OK","ErrorInfo":null,"ErrorCode":0}`,
	`{"ErrorInfo":"","ErrorCode":0}`, `{"actionstatus":"OK","errorcode":0}`, `{}`, `{"ActionStatus":"OK","ErrorCode":0,"ActionStatus":"FAIL"}`,
	`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"d**n"}}]}`,
	`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":"x"}`, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":null,"CloudCustomData":"c"}`,
	`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"CloudCustomData":5}`, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1,"MsgBody":[]}`,
	`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"RefusedMembers_Account":["a"]}`, `{"ActionStatus":"FAIL","ErrorInfo":"","ErrorCode":0,"MsgBody":5}`,
}

// judgings are the settings a reply is judged with: after and
// before-callbacks, with and without a reply section, valid and invalid
// payloads, an expected outcome or none.
func judgings(t testing.TB) []wire.Judging {
	cat := fixtures.Default()
	var out []wire.Judging
	base := []wire.Judging{{Kind: fixtures.After}, {Kind: fixtures.Before}}
	for _, cmd := range []string{"C2C.CallbackBeforeSendMsg", "Group.CallbackBeforeSendMsg", "Group.CallbackBeforeApplyJoinGroup", "Sns.CallbackPrevFriendAdd", "C2C.CallbackAfterSendMsg"} {
		e, _, ok := cat.Lookup(cmd)
		if !ok {
			t.Fatalf("no entry %s", cmd)
		}
		base = append(base, wire.JudgingFor(e, e.Sample, true, Vendor.Timeout(), ""))
	}
	for _, b := range base {
		for _, valid := range []bool{true, false} {
			for _, expect := range []record.Outcome{"", record.OutcomeOK, record.OutcomeModify, record.OutcomeReject} {
				j := b
				j.PayloadValid, j.Expect, j.Budget = valid, expect, 2*time.Second
				out = append(out, j)
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
		t.Fatalf("%d %q (%s %s valid %v expect %q):\n pipeline %q %+v\n legacy   %q %+v", r.Status, r.Body, j.Kind, j.Command, j.PayloadValid, j.Expect, o, fs, lo, lfs)
	}
}

// TestJudgeMatchesLegacy holds the judging pipeline (wire.Judge with
// Tencent's contract) to the judge it replaced: the same findings, in the
// same order, and the same outcome.
func TestJudgeMatchesLegacy(t *testing.T) {
	js := judgings(t)
	for _, body := range judgeBodies {
		for _, r := range []wire.Reply{
			{Status: 200, Body: []byte(body)},
			{Status: 302, Header: http.Header{"Location": {"/x"}}, Body: []byte(body), Latency: 3 * time.Second},
			{Status: 500, Body: []byte(body), Truncated: true},
		} {
			for _, j := range js {
				checkAgainstLegacy(t, r, j)
			}
		}
	}
}

func FuzzJudgeMatchesLegacy(f *testing.F) {
	for i, b := range judgeBodies {
		f.Add([]byte(b), 200, uint16(i))
	}
	js := judgings(f)
	f.Fuzz(func(t *testing.T, body []byte, status int, sel uint16) {
		checkAgainstLegacy(t, wire.Reply{Status: status, Body: body}, js[int(sel)%len(js)])
	})
}
