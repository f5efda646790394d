package platform

import (
	"testing"

	"github.com/imhook/imhook/record"
)

// A reply field that the platform does not read (the catalogue's reply
// contract and reply section say which it reads) is an info finding; one it
// reads or applies is not.
func TestUnreadReplyFields(t *testing.T) {
	for _, tc := range []struct {
		cmd, body string
		unread    []string
	}{
		// open-im-server's test/callbackexample answers content to a
		// before-send callback, whose reply struct has none.
		{"callbackBeforeSendSingleMsgCommand", callbackExample, []string{"content"}},
		// The message-modify callback applies content.
		{"callbackBeforeMsgModifyCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"content":"{\"content\":\"hi\"}"}`, nil},
		// Go's decoder matches keys case-insensitively: ErrCode is read.
		{"callbackAfterSendSingleMsgCommand", `{"actionCode":0,"ErrCode":0,"data":{}}`, []string{"data"}},
		{"C2C.CallbackAfterSendMsg", `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":[]}`, []string{"MsgBody"}},
		{"C2C.CallbackBeforeSendMsg", `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"CloudCustomData":"x","Extra":1}`, []string{"Extra"}},
	} {
		fs, _ := judge(t, tc.cmd, tc.body, "", true)
		var got []string
		for _, f := range fs {
			if f.Rule == RuleUnreadField {
				if f.Severity != record.Info || !record.FailsStrictly(f) {
					t.Errorf("%s: %+v: want an info finding that --strict fails", tc.cmd, f)
				}
				got = append(got, f.Path)
			}
		}
		if len(got) != len(tc.unread) || len(got) > 0 && got[0] != tc.unread[0] {
			t.Errorf("%s %s: unread %v, want %v (%s)", tc.cmd, tc.body, got, tc.unread, dump(fs))
		}
	}
}

const callbackExample = `{"actionCode":0,"errCode":2000,"errMsg":"Success","errDlt":"Successful","nextCode":2,"content":"ImNhbGxiYWNrIHJldHVybiBtZXNzYWdlIg=="}`
