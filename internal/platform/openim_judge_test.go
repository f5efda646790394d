package platform

import (
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform/openim"
	"github.com/imhook/imhook/record"
)

// --openim-version judges a reply as that release treats it: what stops an
// operation, what it cannot decode, whether failedContinue is read, and
// the messages name the release.
func TestOpenIMJudgeByRelease(t *testing.T) {
	yes, no := true, false
	const (
		action1   = `{"actionCode":1,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`
		errCode   = `{"actionCode":0,"errCode":20001,"errMsg":"no","errDlt":"","nextCode":0}`
		stop      = `{"actionCode":0,"errCode":20001,"errMsg":"no","errDlt":"","nextCode":1}`
		docs      = `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":""}`
		bigAction = `{"actionCode":3000000000,"errCode":0,"errMsg":"","errDlt":""}`
	)
	for _, tc := range []struct {
		name, version, body string
		fc                  *bool
		outcome             record.Outcome
		want                []want
	}{
		{"actionCode 1, default", "", action1, nil, record.OutcomeContinue,
			[]want{{record.Warning, RuleActionCode, "actionCode", []string{"OpenIM Server v3.7 and later", "carries on"}}}},
		{"actionCode 1, main", "main", action1, nil, record.OutcomeContinue,
			[]want{{record.Warning, RuleActionCode, "actionCode", []string{"v3.7 and later"}}}},
		{"actionCode 1, v3.6", "v3.6", action1, nil, record.OutcomeContinue,
			[]want{{record.Warning, RuleActionCode, "actionCode", []string{"OpenIM Server v3.6.x", "only logs", "goes on"}}}},
		{"actionCode 1, v3.5", "v3.5", action1, nil, record.OutcomeStop,
			[]want{{record.Error, RuleRefused, "actionCode", []string{"OpenIM Server v3.4.2 to v3.5.x", "actionCode is not 0"}}}},
		{"actionCode 1, v3.0", "v3.0", action1, nil, record.OutcomeStop,
			[]want{{record.Error, RuleRefused, "actionCode", []string{"OpenIM Server v3.0 to v3.4.0"}}}},
		{"errCode alone, v3.0", "v3.0", errCode, nil, record.OutcomeStop,
			[]want{{record.Error, RuleRefused, "errCode", []string{"v3.0 to v3.4.0", "errCode is not 0", `"no"`}}}},
		{"errCode alone, default", "", errCode, nil, record.OutcomeContinue, nil},
		{"stop, v3.6", "v3.6", stop, nil, record.OutcomeContinue,
			[]want{{record.Warning, RuleActionCode, "nextCode", []string{"v3.6.x", "goes on"}}}},
		{"stop, v3.4.2", "v3.4.2", stop, nil, record.OutcomeStop,
			[]want{{record.Error, RuleRefused, "nextCode", []string{"v3.4.2 to v3.5.x"}}}},
		{"the document's sample, default", "", docs, nil, "",
			[]want{{record.Error, RuleType, "nextCode", []string{"90007", "OpenIM Server v3.7 and later aborts the operation", "failedContinue is not read"}}}},
		{"the document's sample, v3.6 as shipped", "v3.6", docs, nil, record.OutcomeContinue,
			[]want{{record.Error, RuleType, "nextCode", []string{"90007", "v3.6.x goes on as if no callback were configured", "failedContinue: true in the shipped webhooks.yml"}}}},
		{"the document's sample, v3.6 with failedContinue false", "v3.6", docs, &no, "",
			[]want{{record.Error, RuleType, "nextCode", []string{"v3.6.x aborts the operation", "failedContinue: false"}}}},
		{"the document's sample, v3.5 with failedContinue true", "v3.5", docs, &yes, record.OutcomeContinue,
			[]want{{record.Error, RuleType, "nextCode", []string{"goes on", "failedContinue: true"}}}},
		{"the document's sample, v3.0: no nextCode yet", "v3.0", docs, nil, record.OutcomeContinue,
			[]want{{record.Warning, RuleNextCode, "nextCode", []string{"v3.0 to v3.4.0 has no nextCode", "v3.4.2"}}}},
		{"actionCode beyond int32, v3.0 (a Go int)", "v3.0", bigAction, nil, record.OutcomeStop,
			[]want{{record.Error, RuleRefused, "actionCode", nil}}},
		{"actionCode beyond int32, default", "", bigAction, nil, "",
			[]want{{record.Error, RuleRange, "actionCode", []string{"int32", "90007"}}}},
		{"html, v3.6 as shipped", "v3.6", htmlPage, nil, record.OutcomeContinue,
			[]want{{record.Error, RuleJSON, "", []string{"HTML", "goes on"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _, _ := fixtures.Default().Lookup("callbackBeforeSendSingleMsgCommand")
			j := JudgingFor(e, nil, true, 5*time.Second, "")
			j.Version, j.FailedContinue = tc.version, tc.fc
			fs, outcome := OpenIM.JudgeReply(Reply{Status: 200, Body: []byte(tc.body)}, j)
			if outcome != tc.outcome {
				t.Errorf("outcome %q, want %q; findings:\n%s", outcome, tc.outcome, dump(fs))
			}
			checkFindings(t, fs, tc.want)
		})
	}
}

// A timeout says what set the budget and what the release then does to
// the operation, in the vendor's words.
func TestMissed(t *testing.T) {
	yes := true
	before, _, _ := fixtures.Default().Lookup("callbackBeforeSendSingleMsgCommand")
	after, _, _ := fixtures.Default().Lookup("callbackAfterSendSingleMsgCommand")
	c2c, _, _ := fixtures.Default().Lookup("C2C.CallbackBeforeSendMsg")
	for _, tc := range []struct {
		v       Vendor
		e       *fixtures.Entry
		version string
		from    string
		fc      *bool
		words   []string
		not     []string
	}{
		{OpenIM, before, "", "--timeout", nil, []string{"no reply within 2s (--timeout)", "v3.7 and later aborts the operation", "90004", "failedContinue is not read"}, []string{"retr", "FAIL"}},
		{OpenIM, before, "", "", nil, []string{"within 2s (OpenIM's default, timeout: 5 in the shipped webhooks.yml)"}, nil},
		{OpenIM, after, "", "", nil, []string{"drops it", "queue"}, []string{"aborts"}},
		{OpenIM, before, "v3.6", "webhooks.yml beforeSendSingleMsg: timeout 2", nil, []string{"(webhooks.yml beforeSendSingleMsg: timeout 2)", "v3.6.x goes on as if no callback were configured", "failedContinue: true in the shipped"}, nil},
		{OpenIM, before, "v3.0", "", &[]bool{false}[0], []string{"v3.0 to v3.4.0 aborts the operation", "failedContinue: false"}, nil},
		{OpenIM, before, "v3.5", "", &yes, []string{"goes on"}, nil},
		{OpenIM, after, "v3.6", "", nil, []string{"v3.6.x logs it", "has happened already"}, nil},
		{Tencent, c2c, "", "", nil, []string{"within 2s (Tencent's 2 s, not adjustable)", "counts the callback as failed", "lets the operation go on", "does not retry"}, nil},
		{Tencent, after, "", "--timeout", nil, []string{"(--timeout)", "retry on timeout"}, nil},
	} {
		j := JudgingFor(tc.e, nil, true, 2*time.Second, "")
		j.Version, j.BudgetFrom, j.FailedContinue = tc.version, tc.from, tc.fc
		msg := tc.v.Missed(j)
		for _, w := range tc.words {
			if !strings.Contains(msg, w) {
				t.Errorf("%s %s %q: %q does not say %q", tc.v.Name(), tc.e.Command, tc.version, msg, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(msg, w) {
				t.Errorf("%s %s %q: %q says %q", tc.v.Name(), tc.e.Command, tc.version, msg, w)
			}
		}
	}
}

func TestOpenIMBudget(t *testing.T) {
	for _, tc := range []struct {
		version string
		seconds int64
		want    time.Duration
		words   string
	}{
		{"", 5, 5 * time.Second, "timeout 5"},
		{"", 30, 15 * time.Second, "capped at 15s"},
		{"v3.4.0", 0, 15 * time.Second, "client's 15s"},
		{"v3.3", 30, 30 * time.Second, "timeout 30"},
		{"v3.0", 0, time.Minute, "without a limit"},
		{"v3.7", -1, 15 * time.Second, "no deadline of its own"},
	} {
		d, words := openim.Budget(tc.version, tc.seconds)
		if d != tc.want || !strings.Contains(words, tc.words) {
			t.Errorf("%q %d: %s %q, want %s and %q", tc.version, tc.seconds, d, words, tc.want, tc.words)
		}
	}
}
