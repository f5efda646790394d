package platform

import (
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
)

// AnswerOf reads accepting and refusing with the vendor's judge for the
// release in force, an after-callback's reply as a before-callback's: what
// a probe counts as a refusal is what the platform would refuse on.
func TestAnswerOf(t *testing.T) {
	for _, tc := range []struct {
		vendor  Vendor
		kind    string
		version string
		status  int
		body    string
		accepts bool
		outcome record.Outcome
		what    string
	}{
		{Tencent, fixtures.After, "", 200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, true, record.OutcomeOK, "ActionStatus OK, ErrorCode 0"},
		{Tencent, fixtures.After, "", 200, `{"ActionStatus":"OK","ErrorInfo":"bad sign","ErrorCode":1}`, false, record.OutcomeReject, "ActionStatus OK, ErrorCode 1, ErrorInfo bad sign"},
		{Tencent, fixtures.After, "", 200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":7}`, false, record.OutcomeReject, "ErrorCode 7"},
		{Tencent, fixtures.Before, "", 200, `{"ActionStatus":"FAIL","ErrorInfo":"no","ErrorCode":1}`, false, record.OutcomeFail, "ActionStatus FAIL"},
		{Tencent, fixtures.After, "", 403, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, false, record.OutcomeOK, "HTTP 403 Forbidden; ActionStatus OK"},
		{Tencent, fixtures.After, "", 401, ``, false, "", "HTTP 401 Unauthorized; an empty body"},
		{Tencent, fixtures.After, "", 200, `<html></html>`, false, "", "a body that is not JSON"},
		{Tencent, fixtures.After, "", 200, `{"ActionStatus":"OK"}`, false, "", "ActionStatus OK"},
		// open-im-server's test/callbackexample: the server continues.
		{OpenIM, fixtures.After, "", 200, `{"actionCode":0,"errCode":2000,"errMsg":"Success","errDlt":"Successful","nextCode":2}`, true, record.OutcomeContinue, "actionCode 0, errCode 2000, errMsg Success, errDlt Successful, nextCode 2"},
		{OpenIM, fixtures.After, "v3.5", 200, `{"actionCode":0,"errCode":2000,"nextCode":2}`, true, record.OutcomeContinue, "errCode 2000"},
		// v3.0 to v3.4.0 stopped on a non-zero errCode.
		{OpenIM, fixtures.After, "v3.0", 200, `{"actionCode":0,"errCode":2000,"nextCode":2}`, false, record.OutcomeStop, "errCode 2000"},
		{OpenIM, fixtures.After, "", 200, `{"actionCode":0,"errCode":401,"errMsg":"no","nextCode":1}`, false, record.OutcomeStop, "nextCode 1"},
		// The server ignores the status, and reads no stop in errCode alone.
		{OpenIM, fixtures.After, "", 401, `{"actionCode":0,"errCode":401,"nextCode":0}`, true, record.OutcomeContinue, "HTTP 401 Unauthorized; actionCode 0, errCode 401, nextCode 0"},
		{OpenIM, fixtures.After, "", 401, `Unauthorized`, false, "", "HTTP 401 Unauthorized; a body that is not JSON"},
		{OpenIM, fixtures.Before, "v3.6", 200, `{"actionCode":0,"errCode":1,"nextCode":1}`, true, record.OutcomeContinue, "nextCode 1"},
		{OpenIM, fixtures.After, "", 200, `{"actionCode":"0"}`, false, "", "actionCode"},
	} {
		j := Judging{Kind: tc.kind, PayloadValid: true, Budget: tc.vendor.Timeout(), Command: tc.vendor.ProbeCommand(), Version: tc.version}
		a := AnswerOf(tc.vendor, Reply{Status: tc.status, Body: []byte(tc.body), Latency: 10 * tc.vendor.Timeout()}, j)
		if a.Accepts != tc.accepts || a.Outcome != tc.outcome || !strings.Contains(a.What, tc.what) {
			t.Errorf("%s %s %d %s: %+v, want accepts %v, outcome %q, what with %q", tc.vendor.Name(), tc.version, tc.status, tc.body, a, tc.accepts, tc.outcome, tc.what)
		}
	}
}
