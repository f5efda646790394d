package platform

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
)

// want is one expected finding: severity, rule, path and words its message
// must hold.
type want struct {
	sev        record.Severity
	rule, path string
	contains   []string
}

type judgeCase struct {
	name    string
	status  int
	header  http.Header
	body    string
	latency time.Duration
	kind    string // fixtures.After unless set
	invalid bool   // the callback sent had payload errors
	want    []want // exactly these findings, in any order
}

func runJudge(t *testing.T, v Vendor, tc judgeCase) []record.Finding {
	t.Helper()
	status := tc.status
	if status == 0 {
		status = http.StatusOK
	}
	kind := tc.kind
	if kind == "" {
		kind = fixtures.After
	}
	hdr := tc.header
	if hdr == nil {
		hdr = http.Header{}
	}
	fs, _ := v.JudgeReply(Reply{Status: status, Header: hdr, Body: []byte(tc.body), Latency: tc.latency},
		Judging{Kind: kind, PayloadValid: !tc.invalid, Budget: v.Timeout()})
	return fs
}

// checkFindings asserts that got holds exactly the wanted findings (as a
// multiset of severity/rule/path), each with the wanted words.
func checkFindings(t *testing.T, got []record.Finding, wants []want) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range wants {
		found := false
		for i, f := range got {
			if used[i] || f.Severity != w.sev || f.Rule != w.rule || f.Path != w.path {
				continue
			}
			used[i], found = true, true
			for _, c := range w.contains {
				if !strings.Contains(f.Message, c) {
					t.Errorf("%s %s at %q: message %q does not mention %q", w.sev, w.rule, w.path, f.Message, c)
				}
			}
			break
		}
		if !found {
			t.Errorf("missing finding %s %s at %q; got:\n%s", w.sev, w.rule, w.path, dump(got))
		}
	}
	for i, f := range got {
		if !used[i] {
			t.Errorf("unexpected finding %s", f)
		}
		if f.Rule == "" || f.Message == "" {
			t.Errorf("finding without rule or message: %+v", f)
		}
		if !slices.Contains([]record.Severity{record.Error, record.Warning, record.Info}, f.Severity) {
			t.Errorf("bad severity in %+v", f)
		}
	}
}

func dump(fs []record.Finding) string {
	var sb strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&sb, "  %s\n", f)
	}
	if sb.Len() == 0 {
		return "  (none)\n"
	}
	return sb.String()
}

const (
	tencentOK   = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`
	tencentFail = `{"ActionStatus":"FAIL","ErrorInfo":"db down","ErrorCode":1}`
	openimOK    = `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`
	htmlPage    = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
)

// TencentCases are the reply kinds of the Tencent contract; the cmd
// end-to-end tests send the same replies over the wire.
var TencentCases = []judgeCase{
	{name: "ok", body: tencentOK},
	{name: "ok with whitespace and key order", body: "\n {\"ErrorCode\":0, \"ErrorInfo\":\"\", \"ActionStatus\":\"OK\"}\n"},
	{name: "fail to a valid callback", body: tencentFail,
		want: []want{{record.Error, RuleRefused, "ActionStatus", []string{"FAIL", "db down", "valid callback"}}}},
	{name: "fail to an invalid callback", body: tencentFail, invalid: true,
		want: []want{{record.Info, RuleRefused, "ActionStatus", []string{"invalid callback"}}}},
	{name: "ErrorCode string", body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":"0"}`,
		want: []want{{record.Error, RuleType, "ErrorCode", []string{"integer", `the string "0"`}}}},
	{name: "ErrorCode float", body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1.5}`,
		want: []want{{record.Error, RuleType, "ErrorCode", []string{"integer", "1.5"}}}},
	{name: "ErrorCode exponent", body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0e0}`,
		want: []want{{record.Error, RuleType, "ErrorCode", []string{"integer", "0e0"}}}},
	{name: "ErrorCode beyond 64 bits", kind: fixtures.Before, body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":99999999999999999999}`,
		want: []want{{record.Error, RuleRange, "ErrorCode", []string{"99999999999999999999", "64 bits"}}}},
	{name: "ErrorCode negative", body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":-1}`,
		want: []want{{record.Warning, RuleErrorCode, "ErrorCode", []string{"ErrorCode -1"}}}},
	{name: "ActionStatus number", body: `{"ActionStatus":1,"ErrorInfo":"","ErrorCode":0}`,
		want: []want{{record.Error, RuleType, "ActionStatus", []string{"string", "the number 1"}}}},
	{name: "ErrorInfo null", body: `{"ActionStatus":"OK","ErrorInfo":null,"ErrorCode":0}`,
		want: []want{{record.Error, RuleType, "ErrorInfo", []string{"string", "null"}}}},
	{name: "missing ActionStatus", body: `{"ErrorInfo":"","ErrorCode":0}`,
		want: []want{{record.Error, RuleRequired, "ActionStatus", []string{"ActionStatus", "missing"}}}},
	{name: "missing ErrorCode", body: `{"ActionStatus":"OK","ErrorInfo":""}`,
		want: []want{{record.Error, RuleRequired, "ErrorCode", []string{"ErrorCode", "missing"}}}},
	{name: "missing ErrorInfo", body: `{"ActionStatus":"OK","ErrorCode":0}`,
		want: []want{{record.Error, RuleRequired, "ErrorInfo", []string{"ErrorInfo", "missing"}}}},
	{name: "key case", body: `{"actionStatus":"OK","ErrorInfo":"","ErrorCode":0}`,
		want: []want{{record.Error, RuleRequired, "ActionStatus", []string{`"actionStatus"`, "case-sensitive"}}}},
	{name: "lowercase ok", body: `{"ActionStatus":"ok","ErrorInfo":"","ErrorCode":0}`,
		want: []want{{record.Error, RuleActionState, "ActionStatus", []string{`"ok"`, "case-sensitive"}}}},
	{name: "unknown ActionStatus", body: `{"ActionStatus":"DONE","ErrorInfo":"","ErrorCode":0}`,
		want: []want{{record.Error, RuleActionState, "ActionStatus", []string{`"DONE"`}}}},
	{name: "500", status: 500, body: tencentOK,
		want: []want{{record.Error, RuleStatus, "", []string{"200", "500 Internal Server Error"}}}},
	{name: "html", body: htmlPage,
		want: []want{{record.Error, RuleJSON, "", []string{"HTML"}}}},
	{name: "502 html", status: 502, body: htmlPage,
		want: []want{{record.Error, RuleStatus, "", []string{"502"}}, {record.Error, RuleJSON, "", []string{"HTML"}}}},
	{name: "plain text", body: "OK",
		want: []want{{record.Error, RuleJSON, "", []string{`"OK"`}}}},
	{name: "empty", body: "",
		want: []want{{record.Error, RuleEmpty, "", []string{"empty"}}}},
	{name: "whitespace only", body: " \r\n",
		want: []want{{record.Error, RuleEmpty, "", nil}}},
	{name: "array", body: `[` + tencentOK + `]`,
		want: []want{{record.Error, RuleObject, "", []string{"an array"}}}},
	{name: "null", body: `null`,
		want: []want{{record.Error, RuleObject, "", []string{"null"}}}},
	{name: "redirect", status: 302, header: http.Header{"Location": {"https://example.com/login"}}, body: "",
		want: []want{{record.Error, RuleStatus, "", []string{"302", "Location", "https://example.com/login"}}, {record.Error, RuleEmpty, "", nil}}},
	{name: "slow", latency: 2500 * time.Millisecond, body: tencentOK,
		want: []want{{record.Error, RuleTimeout, "", []string{"2.5s", "2s"}}}},
	{name: "just in time", latency: 2 * time.Second, body: tencentOK},
	{name: "ErrorCode 3 on an after-callback", body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":3}`,
		want: []want{{record.Warning, RuleErrorCode, "ErrorCode", []string{"ErrorCode 3", "after-callback"}}}},
	{name: "ErrorCode 1 on a before-callback", kind: fixtures.Before, body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1}`,
		want: []want{{record.Error, RuleRefused, "ErrorCode", []string{"ErrorCode 1 rejects"}}}},
	{name: "ErrorCode 2 on a before-callback", kind: fixtures.Before, body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":2}`,
		want: []want{{record.Error, RuleRefused, "ErrorCode", []string{"discards"}}}},
	{name: "ErrorCode 1 to an invalid before-callback", kind: fixtures.Before, invalid: true, body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1}`,
		want: []want{{record.Info, RuleRefused, "ErrorCode", []string{"invalid callback"}}}},
	{name: "ErrorCode 3 on a before-callback", kind: fixtures.Before, body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":3}`,
		want: []want{{record.Warning, RuleErrorCode, "ErrorCode", []string{"before-callback", "reject"}}}},
	{name: "float ErrorCode on a before-callback", kind: fixtures.Before, body: `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1.5}`,
		want: []want{{record.Error, RuleType, "ErrorCode", []string{"1.5"}}}},
}

func TestTencentJudgeReply(t *testing.T) {
	for _, tc := range TencentCases {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, runJudge(t, Tencent, tc), tc.want)
		})
	}
}

// OpenIMCases are the reply kinds of the OpenIM contract.
var OpenIMCases = []judgeCase{
	{name: "ok", body: openimOK},
	{name: "the document's sample", body: `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":""}`,
		want: []want{{record.Error, RuleType, "nextCode", []string{"int32", "document's own sample", "90007"}}}},
	{name: "nextCode string number", body: `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":"1"}`,
		want: []want{{record.Error, RuleType, "nextCode", []string{`the string "1"`}}}},
	{name: "float", body: `{"actionCode":0,"errCode":1.5,"errMsg":"","errDlt":"","nextCode":0}`,
		want: []want{{record.Error, RuleType, "errCode", []string{"1.5", "90007"}}}},
	{name: "float 1.0", body: `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":1.0}`,
		want: []want{{record.Error, RuleType, "nextCode", []string{"1.0"}}}},
	{name: "out of range", body: `{"actionCode":0,"errCode":3000000000,"errMsg":"","errDlt":"","nextCode":0}`,
		want: []want{{record.Error, RuleRange, "errCode", []string{"3000000000", "2147483647"}}}},
	{name: "int32 bounds", body: `{"actionCode":0,"errCode":-2147483648,"errMsg":"","errDlt":"","nextCode":0}`},
	{name: "errMsg number", body: `{"actionCode":0,"errCode":0,"errMsg":0,"errDlt":"","nextCode":0}`,
		want: []want{{record.Error, RuleType, "errMsg", []string{"string"}}}},
	{name: "html", body: htmlPage,
		want: []want{{record.Error, RuleJSON, "", []string{"HTML", "90007"}}}},
	{name: "500 with a good body", status: 500, body: openimOK,
		want: []want{{record.Warning, RuleStatus, "", []string{"500", "ignores the status"}}}},
	{name: "empty object", body: `{}`,
		want: []want{{record.Warning, RuleEmptyObject, "", []string{"zero"}}}},
	{name: "null", body: `null`,
		want: []want{{record.Warning, RuleEmptyObject, "", []string{"null"}}}},
	{name: "only unknown fields", body: `{"code":0,"msg":"ok"}`,
		want: []want{{record.Warning, RuleEmptyObject, "", nil},
			{record.Info, RuleUnreadField, "code", []string{"does not read code", "changes nothing", "actionCode, errCode"}}, {record.Info, RuleUnreadField, "msg", nil}}},
	{name: "some fields missing", body: `{"actionCode":0,"nextCode":0}`,
		want: []want{{record.Info, RuleMissing, "", []string{"errCode", "errMsg", "errDlt"}}}},
	{name: "actionCode 1", body: `{"actionCode":1,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`,
		want: []want{{record.Warning, RuleActionCode, "actionCode", []string{"actionCode 1", "carries on"}}}},
	{name: "nextCode 1 on an after-callback", body: `{"actionCode":0,"errCode":20001,"errMsg":"no","errDlt":"","nextCode":1}`,
		want: []want{{record.Warning, RuleNextCode, "nextCode", []string{"after-callback"}}}},
	{name: "nextCode 1 on a before-callback", kind: fixtures.Before, body: `{"actionCode":0,"errCode":20001,"errMsg":"no","errDlt":"","nextCode":1}`,
		want: []want{{record.Error, RuleRefused, "nextCode", []string{"20001", `"no"`}}}},
	{name: "nextCode 1 to an invalid before-callback", kind: fixtures.Before, invalid: true, body: `{"actionCode":0,"errCode":20001,"errMsg":"no","errDlt":"","nextCode":1}`},
	{name: "nextCode 7", body: `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":7}`,
		want: []want{{record.Warning, RuleNextCode, "nextCode", []string{"nextCode 7"}}}},
	{name: "key case", body: `{"ActionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`,
		want: []want{{record.Warning, RuleKeyCase, "ActionCode", []string{`"ActionCode"`, `"actionCode"`}}}},
	{name: "empty", body: "",
		want: []want{{record.Error, RuleEmpty, "", []string{"empty", "90007"}}}},
	{name: "array", body: `[]`,
		want: []want{{record.Error, RuleObject, "", []string{"an array"}}}},
	{name: "redirect", status: 302, header: http.Header{"Location": {"/elsewhere"}}, body: openimOK,
		want: []want{{record.Warning, RuleStatus, "", []string{"302"}}}},
	{name: "slow", latency: 6 * time.Second, body: openimOK,
		want: []want{{record.Error, RuleTimeout, "", []string{"6s", "5s"}}}},
	{name: "nulls", body: `{"actionCode":null,"errCode":null,"errMsg":null,"errDlt":null,"nextCode":null}`},
}

func TestOpenIMJudgeReply(t *testing.T) {
	for _, tc := range OpenIMCases {
		t.Run(tc.name, func(t *testing.T) {
			fs := runJudge(t, OpenIM, tc)
			checkFindings(t, fs, tc.want)
		})
	}
}

// The 500-with-a-good-body reply passes: OpenIM ignores the status.
func TestOpenIM500IsAPass(t *testing.T) {
	fs, _ := OpenIM.JudgeReply(Reply{Status: 500, Body: []byte(openimOK)}, Judging{Kind: fixtures.After, PayloadValid: true})
	if v := record.VerdictOf(true, fs); v != record.Pass {
		t.Fatalf("verdict %s, want pass: %v", v, fs)
	}
	fs, _ = Tencent.JudgeReply(Reply{Status: 500, Body: []byte(tencentOK)}, Judging{Kind: fixtures.After, PayloadValid: true})
	if v := record.VerdictOf(true, fs); v != record.Fail {
		t.Fatalf("Tencent 500: verdict %s, want fail: %v", v, fs)
	}
}

func TestTruncatedReply(t *testing.T) {
	for _, v := range []Vendor{Tencent, OpenIM} {
		fs, _ := v.JudgeReply(Reply{Status: 200, Body: []byte(`{"ActionStatus":"OK","ErrorInfo":"`), Truncated: true}, Judging{Kind: fixtures.After, PayloadValid: true})
		if !hasRule(fs, record.Error, RuleTooLarge) {
			t.Errorf("%s: no %s for a truncated reply: %v", v.Name(), RuleTooLarge, fs)
		}
	}
}

func hasRule(fs []record.Finding, sev record.Severity, rule string) bool {
	for _, f := range fs {
		if f.Severity == sev && f.Rule == rule {
			return true
		}
	}
	return false
}

// Each vendor's own replies (what serve answers) pass its judge as the
// modes intend.
func TestReplyBodiesRoundTrip(t *testing.T) {
	for _, v := range []Vendor{Tencent, OpenIM} {
		for _, mode := range ReplyModes {
			body := v.ReplyBody(mode, `say "hi"`)
			fs, _ := v.JudgeReply(Reply{Status: 200, Body: body}, Judging{Kind: fixtures.After, PayloadValid: false})
			if record.HasErrors(fs) {
				t.Errorf("%s %s: %s gives errors: %v", v.Name(), mode, body, fs)
			}
			if mode == ReplyOK && len(fs) != 0 {
				t.Errorf("%s ok reply %s has findings: %v", v.Name(), body, fs)
			}
		}
	}
}
