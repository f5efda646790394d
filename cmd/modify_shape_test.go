package cmd

import (
	"strings"
	"testing"
)

// A before-send reply that modifies the message with elements of the wrong
// shape fails --expect modify, naming the element, as the catalogue's
// reply schema (imhook fixtures schema --reply) rejects it.
func TestModifyWithBrokenElementsFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ msgBody, path string }{
		{`[{"MsgType":"TIMTextElem","Text":"d**n it"}]`, "MsgBody.0.MsgContent"},
		{`[{"MsgType":"TIMTextElemX","MsgContent":{"Text":5}}]`, "MsgBody.0.MsgType"},
		{`[]`, "MsgBody"},
	} {
		b := newBackend(t, reply{body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":` + tc.msgBody + `}`})
		r := runCmd(t, nil, "", "simulate", "C2C.CallbackBeforeSendMsg", "--target", b.URL, "--expect", "modify", "--strict")
		if r.code != 1 || !strings.Contains(r.stdout, " "+tc.path+": ") || !strings.Contains(r.stdout, "expected the outcome modify, found no outcome") {
			t.Errorf("%s:\n%s", tc.msgBody, r)
		}
	}
	// A well-shaped one passes.
	b := newBackend(t, reply{body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"d**n it"}}]}`})
	if r := runCmd(t, nil, "", "simulate", "C2C.CallbackBeforeSendMsg", "--target", b.URL, "--expect", "modify", "--strict"); r.code != 0 {
		t.Errorf("%s", r)
	}
}
