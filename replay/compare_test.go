package replay

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
)

func TestCompare(t *testing.T) {
	msg := func(status int, body string) *record.Message {
		return &record.Message{Status: status, Body: []byte(body)}
	}
	cases := []struct {
		vendor       string
		rec, got     *record.Message
		recErr, want string
	}{
		{"tencent", msg(200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`), msg(200, `{"ErrorCode":0.0,"ErrorInfo":"","ActionStatus":"OK","extra":1}`), "", ""},
		{"tencent", msg(200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`), msg(500, `{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":"0"}`), "",
			"status ActionStatus ErrorCode ErrorInfo"},
		{"openim", msg(200, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`), msg(200, `{"actionCode":0,"errCode":0,"errMsg":"","nextCode":1}`), "",
			"errDlt nextCode"},
		{"openim", msg(200, `<html>`), msg(200, `<html>`), "", ""},
		{"openim", msg(200, `<html>`), msg(200, `{}`), "", "(body)"},
		{"tencent", nil, msg(200, `{}`), "connection refused", "(body)"},
		{"tencent", msg(200, `{}`), nil, "", "(body)"},
		{"tencent", nil, nil, "timeout", ""},
	}
	for i, c := range cases {
		var got []string
		for _, f := range CompareReplies(c.vendor, nil, c.rec, c.recErr, c.got) {
			if f.Rule != RuleDiff || f.Severity != record.Error {
				t.Errorf("case %d: %v", i, f)
			}
			p := f.Path
			if p == "" {
				p = "(body)"
			}
			got = append(got, p)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("case %d: diffs at %v, want %s", i, got, c.want)
		}
	}
}

// The fields a before-callback's reply section names are compared too, and
// the outcome.
func TestCompareReplyFieldsAndOutcome(t *testing.T) {
	e, _, _ := fixtures.Default().Lookup("callbackBeforeSetGroupInfoCommand")
	msg := func(body string) *record.Message { return &record.Message{Status: 200, Body: []byte(body)} }
	rec := msg(`{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"groupID":"g1","groupName":"n","faceURL":"f","introduction":"i"}`)
	got := msg(`{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"groupName":"n","faceURL":"f","introduction":"i","ex":"x"}`)
	var paths []string
	for _, f := range CompareReplies("openim", e, rec, "", got) {
		paths = append(paths, f.Path)
		if f.Path == "groupID" && !strings.Contains(f.Message, "always copies back") || f.Path == "ex" && !strings.Contains(f.Message, "applies") {
			t.Errorf("%s: %s", f.Path, f.Message)
		}
	}
	if strings.Join(paths, " ") != "groupID ex" {
		t.Errorf("diffs at %v", paths)
	}
	if fs := CompareOutcome(record.OutcomeContinue, record.OutcomeModify); len(fs) != 1 || fs[0].Path != "outcome" || !strings.Contains(fs[0].Message, "recorded continue, replayed modify") {
		t.Errorf("%v", fs)
	}
	if fs := CompareOutcome(record.OutcomeContinue, ""); len(fs) != 1 || !strings.Contains(fs[0].Message, "replayed none") {
		t.Errorf("%v", fs)
	}
	if fs := CompareOutcome(record.OutcomeStop, record.OutcomeStop); fs != nil {
		t.Errorf("%v", fs)
	}
}

// An error of the replayed reply's judgement that the recording had too
// is unchanged: a warning; a new one stays an error.
func TestComparedKeepsTheJudgement(t *testing.T) {
	e, _, _ := fixtures.Default().Lookup("callbackBeforeSendSingleMsgCommand")
	typeErr := record.Finding{Severity: record.Error, Rule: "response.type", Path: "nextCode", Message: "expected an int32 ... 90007"}
	body := []byte(`{"nextCode":""}`)
	rec := &record.Record{Response: &record.Message{Status: 200, Body: body}, Findings: []record.Finding{typeErr}}
	out := &record.Record{Response: &record.Message{Status: 200, Body: body}, Findings: []record.Finding{typeErr,
		{Severity: record.Error, Rule: "expect.outcome", Message: "expected the outcome"}}}
	fs := compared(e, rec, out)
	if len(fs) != 1 || fs[0].Severity != record.Warning || !strings.HasPrefix(fs[0].Message, "unchanged since the recording: ") || !strings.Contains(fs[0].Message, "90007") {
		t.Errorf("%v", fs)
	}
	rec.Findings = nil
	rec.Response = &record.Message{Status: 200, Body: []byte(`{"nextCode":0}`)}
	rec.Outcome = record.OutcomeContinue
	fs = compared(e, rec, out)
	var rules []string
	for _, f := range fs {
		rules = append(rules, string(f.Severity)+" "+f.Rule+" "+f.Path)
	}
	if strings.Join(rules, ", ") != "error response.type nextCode, error replay.diff nextCode, error replay.diff outcome" {
		t.Errorf("%v", rules)
	}
}

// A difference's path names the field; its message does not repeat it.
func TestCompareMessagesNameTheFieldOnce(t *testing.T) {
	rec := &record.Message{Status: 200, Body: []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)}
	got := &record.Message{Status: 500, Body: []byte(`{"ActionStatus":"FAIL","ErrorInfo":"","ErrorCode":1}`)}
	want := map[string]string{
		"status":       "recorded 200, replayed 500",
		"ActionStatus": `recorded the string "OK", replayed the string "FAIL"`,
		"ErrorCode":    "recorded the number 0, replayed the number 1",
	}
	fs := CompareReplies("tencent", nil, rec, "", got)
	if len(fs) != len(want) {
		t.Fatalf("%d differences: %+v", len(fs), fs)
	}
	for _, f := range fs {
		if f.Message != want[f.Path] {
			t.Errorf("%s: %q, want %q", f.Path, f.Message, want[f.Path])
		}
	}
}

// A reply field whose structure changed is reported where it changed, with
// the values there, not as "recorded an array, replayed an array"; a field
// that differs in many places reports the first few and how many more.
func TestCompareByPath(t *testing.T) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackBeforeSendMsg")
	msg := func(body string) *record.Message { return &record.Message{Status: 200, Body: []byte(body)} }
	head := `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,`
	rec := msg(head + `"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}},{"MsgType":"TIMFaceElem","MsgContent":{"Index":1,"Data":"x"}}]}`)
	got := msg(head + `"MsgBody":[{"MsgType":"TIMTextElem"},{"MsgType":"TIMFaceElem","MsgContent":{"Index":2,"Data":"x"}},{"MsgType":"TIMTextElem","MsgContent":{"Text":"new"}}]}`)
	var lines []string
	for _, f := range CompareReplies("tencent", e, rec, "", got) {
		lines = append(lines, f.Path+": "+f.Message)
	}
	want := []string{
		"MsgBody.0.MsgContent: a field the platform applies: recorded an object, replayed nothing (absent)",
		"MsgBody.1.MsgContent.Index: a field the platform applies: recorded the number 1, replayed the number 2",
		"MsgBody.2: a field the platform applies: recorded nothing (absent), replayed an object",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	// A body replaced everywhere: the first places, then a count.
	var a, b []string
	for i := 0; i < 20; i++ {
		a = append(a, `{"MsgType":"TIMTextElem","MsgContent":{"Text":"a"}}`)
		b = append(b, `{"MsgType":"TIMTextElem","MsgContent":{"Text":"b"}}`)
	}
	fs := CompareReplies("tencent", e, msg(head+`"MsgBody":[`+strings.Join(a, ",")+`]}`), "", msg(head+`"MsgBody":[`+strings.Join(b, ",")+`]}`))
	if len(fs) != maxPathDiffs+1 || fs[0].Path != "MsgBody.0.MsgContent.Text" || !strings.Contains(fs[maxPathDiffs].Message, "and 12 more differences") {
		t.Errorf("%d findings: %v", len(fs), fs)
	}
	// Keys that gjson would read as syntax are escaped in the path.
	ds := diffPaths("X", gjson.Parse(`{"a.b":1}`), gjson.Parse(`{"a.b":2}`), 4)
	if len(ds) != 1 || ds[0].path != `X.a\.b` {
		t.Errorf("%v", ds)
	}
}
