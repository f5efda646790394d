package platform

import (
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

func entry(t *testing.T, cmd string) *fixtures.Entry {
	t.Helper()
	e, _, ok := fixtures.Default().Lookup(cmd)
	if !ok {
		t.Fatalf("no entry %s", cmd)
	}
	return e
}

func judge(t *testing.T, cmd, body string, expect record.Outcome, valid bool) ([]record.Finding, record.Outcome) {
	t.Helper()
	e := entry(t, cmd)
	v := For(e.Vendor)
	return v.JudgeReply(Reply{Status: 200, Body: []byte(body)}, JudgingFor(e, e.Sample, valid, 0, expect))
}

func TestOutcomes(t *testing.T) {
	const c2c, grp, sns, invite = "C2C.CallbackBeforeSendMsg", "Group.CallbackBeforeCreateGroup", "Sns.CallbackPrevFriendAdd", "Group.CallbackBeforeInviteJoinGroup"
	c2cSampleBody := gjson.GetBytes(entry(t, c2c).Sample, "MsgBody").Raw
	tok := func(code int, extra string) string {
		return `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":` + strconv.Itoa(code) + extra + `}`
	}
	for _, tc := range []struct {
		name, cmd, body string
		outcome         record.Outcome
		want            []want
	}{
		{"allow", c2c, tok(0, ""), "ok", nil},
		{"fail", c2c, `{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":1}`, "fail", []want{{record.Error, RuleRefused, "ActionStatus", nil}}},
		{"reject", c2c, tok(1, ""), "reject", []want{{record.Error, RuleRefused, "ErrorCode", []string{"--expect reject"}}}},
		{"discard", c2c, tok(2, ""), "discard", []want{{record.Error, RuleRefused, "ErrorCode", []string{"discards"}}}},
		{"custom C2C code", c2c, tok(120500, ""), "reject", []want{{record.Error, RuleRefused, "ErrorCode", nil}}},
		{"group code outside the range", grp, tok(120500, ""), "reject", []want{{record.Warning, RuleErrorCode, "ErrorCode", []string{"10100..10200"}}}},
		{"group custom code", grp, tok(10150, ""), "reject", []want{{record.Error, RuleRefused, "ErrorCode", nil}}},
		{"discard undocumented for groups", grp, tok(2, ""), "reject", []want{{record.Warning, RuleErrorCode, "ErrorCode", nil}}},
		{"modify MsgBody", c2c, tok(0, `,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]`), "modify", nil},
		{"modify CloudCustomData", c2c, tok(0, `,"CloudCustomData":"new"`), "modify", nil},
		{"echoed MsgBody is no change", c2c, tok(0, `,"MsgBody":`+c2cSampleBody), "ok", nil},
		{"MsgBody with code 1 rejects", c2c, tok(1, `,"MsgBody":[]`), "reject", []want{{record.Error, RuleRefused, "ErrorCode", nil}}},
		{"MsgBody of the wrong type", c2c, tok(0, `,"MsgBody":"hi"`), "", []want{{record.Error, RuleType, "MsgBody", []string{"an array", `"hi"`}}}},
		{"MsgContent of the wrong type", c2c, tok(0, `,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":5}}]`), "", []want{{record.Error, RuleType, "MsgBody.0.MsgContent.Text", []string{"a string"}}}},
		{"CloudCustomData null", c2c, tok(0, `,"CloudCustomData":null`), "", []want{{record.Error, RuleType, "CloudCustomData", []string{"null"}}}},
		{"refused invitees", invite, tok(0, `,"RefusedMembers_Account":["bob"]`), "modify", nil},
		{"no refused invitees", invite, tok(0, `,"RefusedMembers_Account":[]`), "ok", nil},
		{"refused invitees not strings", invite, tok(0, `,"RefusedMembers_Account":[1]`), "", []want{{record.Error, RuleType, "RefusedMembers_Account.0", nil}}},
		{"Sns without ResultItem", sns, tok(0, ""), "ok", []want{{record.Warning, RuleMissing, "ResultItem", nil}}},
		{"Sns allows all", sns, tok(0, `,"ResultItem":[{"To_Account":"a","ResultCode":0,"ResultInfo":""}]`), "ok", nil},
		{"Sns refuses one", sns, tok(0, `,"ResultItem":[{"To_Account":"a","ResultCode":38001,"ResultInfo":"no"}]`), "modify", nil},
		{"Sns app failure is ignored", sns, tok(38001, `,"ResultItem":[]`), "ok", nil},
		{"Sns ResultCode a string", sns, tok(0, `,"ResultItem":[{"To_Account":"a","ResultCode":"1"}]`), "", []want{{record.Error, RuleType, "ResultItem.0.ResultCode", nil}}},
		{"chatbot data", "Chatbot.OnC2CSignalMessage", tok(0, `,"RspData":"{}"`), "modify", nil},
		{"after-callback", "C2C.CallbackAfterSendMsg", tok(1, ""), "ok", []want{{record.Warning, RuleErrorCode, "ErrorCode", nil}}},
		{"not JSON", c2c, `<html>`, "", []want{{record.Error, RuleJSON, "", nil}}},

		{"continue", "callbackBeforeSendSingleMsgCommand", openimOK, "continue", nil},
		{"stop", "callbackBeforeSendSingleMsgCommand", `{"actionCode":0,"errCode":20001,"errMsg":"no","errDlt":"","nextCode":1}`, "stop", []want{{record.Error, RuleRefused, "nextCode", []string{"--expect stop"}}}},
		{"actionCode 1 continues", "callbackBeforeSendSingleMsgCommand", `{"actionCode":1,"nextCode":1}`, "continue", []want{{record.Warning, RuleActionCode, "actionCode", nil}, {record.Info, RuleMissing, "", nil}}},
		{"nextCode 1 on an after-callback", "callbackAfterSendSingleMsgCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":1}`, "continue", []want{{record.Warning, RuleNextCode, "nextCode", nil}}},
		{"modify nickName", "callbackBeforeUpdateUserInfoCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"nickName":"Zed"}`, "modify", nil},
		{"null nickName applies nothing", "callbackBeforeUpdateUserInfoCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"nickName":null}`, "continue", nil},
		{"nickName a number", "callbackBeforeUpdateUserInfoCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"nickName":5}`, "", []want{{record.Error, RuleType, "nickName", []string{"90007"}}}},
		{"roleLevel out of int32", "callbackBeforeSetGroupMemberInfoCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"roleLevel":4294967296}`, "", []want{{record.Error, RuleRange, "roleLevel", []string{"90007"}}}},
		{"empty remark applies nothing", "callbackBeforeSetFriendRemarkCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"remark":""}`, "continue", nil},
		{"push targets", "callbackBeforeOfflinePushCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"userIDList":["u1"]}`, "modify", nil},
		{"push info of the wrong type", "callbackBeforeOfflinePushCommand", `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"offlinePushInfo":{"iOSBadgeCount":"yes"}}`, "", []want{{record.Error, RuleType, "offlinePushInfo.iOSBadgeCount", []string{"a boolean"}}}},
		// The server copies the four back whatever the reply holds: the
		// group's ID and name are blanked, so the operation is broken.
		{"set group info without echo", "callbackBeforeSetGroupInfoCommand", openimOK, "modify", []want{
			{record.Error, RuleEcho, "groupID", []string{"copies groupID back from every reply", "names no group"}}, {record.Error, RuleEcho, "groupName", nil},
			{record.Error, RuleEcho, "faceURL", nil}, {record.Error, RuleEcho, "introduction", nil}}},
		{"set group info stopped without echo", "callbackBeforeSetGroupInfoCommand", `{"actionCode":0,"errCode":20001,"errMsg":"no","errDlt":"","nextCode":1}`, "stop", []want{{record.Error, RuleRefused, "nextCode", nil}}},
		{"undecodable", "callbackBeforeSendSingleMsgCommand", `{"nextCode":""}`, "", []want{{record.Error, RuleType, "nextCode", nil}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, outcome := judge(t, tc.cmd, tc.body, "", true)
			if outcome != tc.outcome {
				t.Errorf("outcome %q, want %q (%v)", outcome, tc.outcome, fs)
			}
			checkFindings(t, fs, tc.want)
			// Expecting the outcome found removes the refusal and adds nothing.
			efs, _ := judge(t, tc.cmd, tc.body, tc.outcome, true)
			if tc.outcome != "" && (hasRule(efs, record.Error, RuleRefused) || hasRule(efs, record.Error, RuleExpect)) {
				t.Errorf("--expect %s: %v", tc.outcome, efs)
			}
			other := record.OutcomeModify
			if tc.outcome == other {
				other = record.OutcomeOK
			}
			efs, _ = judge(t, tc.cmd, tc.body, other, true)
			if !hasRule(efs, record.Error, RuleExpect) {
				t.Errorf("--expect %s with outcome %q: no %s: %v", other, tc.outcome, RuleExpect, efs)
			}
		})
	}
}

func TestExpectMessage(t *testing.T) {
	fs, _ := judge(t, "C2C.CallbackBeforeSendMsg", tencentOK, "reject", true)
	checkFindings(t, fs, []want{{record.Error, RuleExpect, "", []string{"expected the outcome reject, found ok"}}})
	fs, _ = judge(t, "C2C.CallbackBeforeSendMsg", "", "reject", true)
	checkFindings(t, fs, []want{{record.Error, RuleEmpty, "", nil}, {record.Error, RuleExpect, "", []string{"found no outcome"}}})
}

// The receiver's answers have the outcomes of their modes for every
// before-callback of the catalogue, with no error or warning.
func TestAnswerBodies(t *testing.T) {
	for _, e := range fixtures.Default().Entries() {
		if e.Kind != fixtures.Before {
			continue
		}
		v := For(e.Vendor)
		for _, mode := range ReplyModes {
			want := record.Outcome(mode)
			switch {
			case e.Vendor == fixtures.OpenIM && mode == ReplyOK, e.Vendor == fixtures.OpenIM && mode == ReplyFail:
				want = record.OutcomeContinue
			case e.Vendor == fixtures.OpenIM && (mode == ReplyReject || mode == ReplyDiscard):
				want = record.OutcomeStop
			case mode == ReplyModify && len(e.Reply.Fields) == 0:
				want = fixtures.VendorOutcomes(e.Vendor)[0]
			case e.Vendor == fixtures.Tencent && mode == ReplyReject:
				want, _ = e.Reply.CodeOutcome(1)
			case e.Vendor == fixtures.Tencent && mode == ReplyDiscard:
				want, _ = e.Reply.CodeOutcome(2)
			}
			body := AnswerBody(v, mode, e, e.Sample, "")
			fs, outcome := v.JudgeReply(Reply{Status: 200, Body: body}, JudgingFor(e, e.Sample, true, 0, want))
			if outcome != want {
				t.Errorf("%s %s: outcome %q, want %q: %s %v", e.Command, mode, outcome, want, body, fs)
			}
			for _, f := range fs {
				if f.Severity == record.Error || (mode == ReplyOK || mode == ReplyModify) && f.Severity == record.Warning {
					t.Errorf("%s %s: %s: %v", e.Command, mode, body, f)
				}
			}
		}
	}
}

func TestOpenIMVersionRequests(t *testing.T) {
	body := []byte(`{"callbackCommand":"callbackAfterGroupMsgReadCommand","groupID":"g"}`)
	for _, tc := range []struct{ version, uri, name string }{
		{"", "/cb/callbackAfterGroupMsgReadCommand?contenttype=json", "callbackAfterGroupMsgReadCommand"},
		{"docs", "/cb/callbackAfterGroupMsgReadCommand?contenttype=json", "callbackAfterGroupMsgReadCommand"},
		{"v3.7", "/cb/callbackAfterGroupMsgReadCommand", "callbackAfterGroupMsgReadCommand"},
		{"main", "/cb/callbackAfterGroupMsgReadCommand", "callbackAfterGroupMsgReadCommand"},
		{"v3.8.3-patch.16", "/cb/callbackAfterGroupMsgReadCommand", "callbackAfterGroupMsgReadCommand"},
		{"v3.6", "/cb/callbackGroupMsgReadCommand", "callbackGroupMsgReadCommand"},
		{"3.4.2", "/cb/callbackGroupMsgReadCommand", "callbackGroupMsgReadCommand"},
		{"v3.4.0", "/cb?command=callbackAfterGroupMsgReadCommand", "callbackAfterGroupMsgReadCommand"},
	} {
		req, err := OpenIM.NewRequest("http://127.0.0.1:1/cb", "callbackAfterGroupMsgReadCommand", body, Params{OpenIMVersion: tc.version})
		if err != nil {
			t.Fatalf("%s: %v", tc.version, err)
		}
		got, _ := io.ReadAll(req.Body)
		if req.URL.RequestURI() != tc.uri || gjson.GetBytes(got, "callbackCommand").Str != tc.name || gjson.GetBytes(got, "groupID").Str != "g" {
			t.Errorf("%s: %s %s", tc.version, req.URL.RequestURI(), got)
		}
		// The receiver recognises it and says which release it looks like.
		in := httptest.NewRequest("POST", req.URL.String(), strings.NewReader(string(got)))
		if cmd := OpenIM.Identify(in); !strings.EqualFold(cmd, tc.name) {
			t.Errorf("%s: Identify = %q", tc.version, cmd)
		}
	}
	// Older releases used the older names: v3.0 to v3.6 callbackUserOnlineCommand.
	req, _ := OpenIM.NewRequest("http://h/cb", "callbackAfterUserOnlineCommand", []byte(`{"callbackCommand":"callbackAfterUserOnlineCommand"}`), Params{OpenIMVersion: "v3.0"})
	if req.URL.RequestURI() != "/cb?command=callbackUserOnlineCommand" {
		t.Errorf("v3.0 user online: %s", req.URL.RequestURI())
	}
	for _, bad := range []string{"v2.3.3", "latest-ish", "3"} {
		if _, err := OpenIM.NewRequest("http://h/cb", "callbackAfterGroupMsgReadCommand", body, Params{OpenIMVersion: bad}); err == nil {
			t.Errorf("version %q accepted", bad)
		}
	}
}

func TestOpenIMReleaseFinding(t *testing.T) {
	e := entry(t, "callbackAfterGroupMsgReadCommand")
	for uri, words := range map[string]string{
		"/cb/callbackAfterGroupMsgReadCommand?contenttype=json": "documents' form",
		"/cb/callbackAfterGroupMsgReadCommand":                  "later than v3.6.x",
		"/cb/callbackGroupMsgReadCommand":                       "v3.4.2 to v3.6.x",
		"/cb?command=callbackAfterGroupMsgReadCommand":          "v3.0 to v3.4.0",
		"/cb/callbackAfterGroupMsgReadCommand?key=abc":          "main after 2025-02",
	} {
		r := httptest.NewRequest("POST", "http://h"+uri, nil)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("operationID", "1")
		fs := OpenIM.CheckRequest(r, []byte(`{"callbackCommand":"callbackAfterGroupMsgReadCommand"}`), e, Expect{})
		checkFindings(t, fs, []want{{record.Info, RuleOpenIMVersion, "", []string{words}}})
	}
	r := httptest.NewRequest("POST", "http://h/cb/callbackAfterSendSingleMsgCommand", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("operationID", "1")
	fs := OpenIM.CheckRequest(r, nil, entry(t, "callbackAfterSendSingleMsgCommand"), Expect{})
	checkFindings(t, fs, []want{{record.Info, RuleOpenIMVersion, "", []string{"v3.4.2 or later"}}})
}

// The judge runs per request in load mode: reading the reply section costs
// no allocation on an allowing reply.
func TestJudgeAllocations(t *testing.T) {
	for _, cmd := range []string{"C2C.CallbackBeforeSendMsg", "callbackBeforeSetGroupMemberInfoCommand"} {
		e := entry(t, cmd)
		v := For(e.Vendor)
		body := v.ReplyBody(ReplyOK, "")
		j := JudgingFor(e, e.Sample, true, v.Timeout(), "")
		base := testing.AllocsPerRun(100, func() {
			v.JudgeReply(Reply{Status: 200, Body: body}, Judging{Kind: fixtures.After, PayloadValid: true})
		})
		n := testing.AllocsPerRun(100, func() { v.JudgeReply(Reply{Status: 200, Body: body}, j) })
		if n > base {
			t.Errorf("%s: %v allocations with the reply section, %v without", cmd, n, base)
		}
	}
}

// The reply section's checks judge applied fields as the server applies
// them: msgModify's content must be the text of a JSON object (the server
// fails the send with ErrArgs otherwise, and --expect modify fails on it),
// userInfoEx's nickName and faceURL need the request's value not null (the
// server writes through its pointer), and the fields whose fate the request
// cannot show give a warning.
func TestReplyChecks(t *testing.T) {
	const modify, infoEx = "callbackBeforeMsgModifyCommand", "callbackBeforeUpdateUserInfoExCommand"
	ok := func(extra string) string {
		return `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0` + extra + `}`
	}
	withNull := `{"callbackCommand":"callbackBeforeUpdateUserInfoExCommand","userID":"1","nickName":null,"faceURL":"https://x/a.png","ex":null}`
	for _, tc := range []struct {
		name, cmd, request, body string
		outcome                  record.Outcome
		want                     []want
	}{
		{"content an array", modify, "", ok(`,"content":"[1]"`), "", []want{{record.Error, RuleApply, "content", []string{`"[1]"`, "ErrArgs", "not the text of a JSON object"}}}},
		{"content plain text", modify, "", ok(`,"content":"hello"`), "", []want{{record.Error, RuleApply, "content", []string{"ErrArgs"}}}},
		{"content empty", modify, "", ok(`,"content":""`), "", []want{{record.Error, RuleApply, "content", []string{"ErrArgs"}}}},
		{"content an object", modify, "", ok(`,"content":"{\"content\":\"[masked]\"}"`), "modify", nil},
		{"content null applies nothing", modify, "", ok(`,"content":null`), "continue", nil},
		{"push info may not apply", modify, "", ok(`,"offlinePushInfo":{"title":"t"}`), "modify", []want{{record.Warning, RuleApply, "offlinePushInfo", []string{"dereferences nil"}}}},
		{"nickName over a null request value", infoEx, withNull, ok(`,"nickName":"Zed"`), "", []want{{record.Error, RuleApply, "nickName", []string{"request's nickName is null", "dereferences"}}}},
		{"faceURL over a set request value", infoEx, withNull, ok(`,"faceURL":"https://x/b.png"`), "modify", nil},
		{"null nickName over a null request value", infoEx, withNull, ok(`,"nickName":null`), "continue", nil},
		{"ex may not apply", infoEx, withNull, ok(`,"ex":"{}"`), "modify", []want{{record.Warning, RuleApply, "ex", []string{"never shows"}}}},
		{"offline push info null applies nothing", "callbackBeforeOfflinePushCommand", "", ok(`,"offlinePushInfo":null`), "continue", nil},
		{"offline push info replaces", "callbackBeforeOfflinePushCommand", "", ok(`,"offlinePushInfo":{"title":"t","desc":"d"}`), "modify", nil},
		{"empty push targets apply nothing", "callbackBeforeOfflinePushCommand", "", ok(`,"userIDList":[]`), "continue", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := entry(t, tc.cmd)
			req := e.Sample
			if tc.request != "" {
				req = []byte(tc.request)
			}
			j := func(expect record.Outcome) ([]record.Finding, record.Outcome) {
				return OpenIM.JudgeReply(Reply{Status: 200, Body: []byte(tc.body)}, JudgingFor(e, req, true, 0, expect))
			}
			fs, outcome := j("")
			if outcome != tc.outcome {
				t.Errorf("outcome %q, want %q (%v)", outcome, tc.outcome, fs)
			}
			checkFindings(t, fs, tc.want)
			if tc.outcome == "" {
				efs, _ := j(record.OutcomeModify)
				checkFindings(t, efs, append(tc.want, want{record.Error, RuleExpect, "", []string{"expected the outcome modify, found no outcome"}}))
			}
		})
	}
	// serve --respond modify leaves out what the server could not apply.
	e := entry(t, infoEx)
	body := AnswerBody(OpenIM, ReplyModify, e, []byte(withNull), "")
	if gjson.GetBytes(body, "nickName").Exists() || gjson.GetBytes(body, "ex").Exists() || !gjson.GetBytes(body, "faceURL").Exists() {
		t.Errorf("modify answer to a request with a null nickName: %s", body)
	}
	if fs, outcome := OpenIM.JudgeReply(Reply{Status: 200, Body: body}, JudgingFor(e, []byte(withNull), true, 0, "")); outcome != record.OutcomeModify || len(fs) != 0 {
		t.Errorf("the modify answer %s: outcome %q, %v", body, outcome, fs)
	}
}
