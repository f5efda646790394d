package platform

import (
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
)

// BenchmarkJudge judges the replies a run judges most: an after-callback's
// acceptance, a before-callback's allowing reply (with its reply section),
// a modifying one and one that breaks the contract, for each vendor.
func BenchmarkJudge(b *testing.B) {
	cat := fixtures.Default()
	for _, tc := range []struct {
		name, cmd, body string
	}{
		{"tencent/after_ok", "C2C.CallbackAfterSendMsg", `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`},
		{"tencent/before_ok", "C2C.CallbackBeforeSendMsg", `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`},
		{"tencent/before_modify", "C2C.CallbackBeforeSendMsg", `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"d**n"}}]}`},
		{"tencent/broken", "C2C.CallbackBeforeSendMsg", `{"ActionStatus":"ok","ErrorCode":"0"}`},
		{"openim/after_ok", "callbackAfterSendSingleMsgCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`},
		{"openim/before_ok", "callbackBeforeSendSingleMsgCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`},
		{"openim/before_stop", "callbackBeforeSendSingleMsgCommand", `{"actionCode":0,"errCode":5000,"errMsg":"no","errDlt":"","nextCode":1}`},
		{"openim/broken", "callbackBeforeSendSingleMsgCommand", `{"actionCode":"0","errCode":0,"nextCode":""}`},
	} {
		e, _, ok := cat.Lookup(tc.cmd)
		if !ok {
			b.Fatalf("no entry %s", tc.cmd)
		}
		v := For(e.Vendor)
		j := JudgingFor(e, e.Sample, true, v.Timeout(), "")
		r := Reply{Status: 200, Body: []byte(tc.body), Latency: time.Millisecond}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v.JudgeReply(r, j)
			}
		})
	}
}
