package junit

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/internal/junit/xsd"
	"github.com/imhook/imhook/record"
)

// Every shape of report holds to junit-10.xsd (testdata/README.md): empty,
// one suite, suites by part with passed, failed, errored and skipped cases
// and text that XML forbids; the suites and the totals add up.
func TestReportsMeetTheSchema(t *testing.T) {
	schema, err := xsd.Load("testdata/junit-10.xsd")
	if err != nil {
		t.Fatal(err)
	}
	pass := &record.Record{Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg", Verdict: record.Pass,
		Response: &record.Message{Status: 200, Body: []byte(`{"ActionStatus":"OK"}`), LatencyMS: 1.5}}
	fail := &record.Record{Vendor: "openim", Command: "callbackBeforeSendSingleMsgCommand", Verdict: record.Fail,
		Response: &record.Message{Status: 500, Body: []byte("\x00\x01]]>"), LatencyMS: 2},
		Findings: []record.Finding{{Severity: record.Error, Rule: "response.status", Message: "500\nhere"}}}
	none := &record.Record{Vendor: "tencent", Command: "C2C.CallbackBeforeSendMsg", Verdict: record.NoReply, Error: "timeout", WaitedMS: 2000}
	empty := New("imhook simulate")
	one := New("imhook simulate")
	one.AddRecord("simulate #1", pass)
	one.AddRecord("simulate #2", fail)
	parts := New("imhook check")
	parts.AddTo("callbacks tencent", FromRecord("callbacks #1", pass))
	parts.AddTo("probes tencent", FromRecord("probe #1", none))
	parts.AddTo("callbacks tencent", FromRecord("callbacks #2", fail))
	parts.AddTo("probes tencent", Case{Classname: "tencent", Name: "security.bad_sign", Skipped: &Problem{Message: "the baseline failed"}, Time: time.Millisecond})
	parts.SetTime("probes tencent", 2500*time.Millisecond)
	for name, r := range map[string]*Report{"empty": empty, "one suite": one, "parts": parts} {
		var buf bytes.Buffer
		if err := r.Encode(&buf); err != nil {
			t.Fatal(err)
		}
		if errs := schema.Validate(bytes.NewReader(buf.Bytes())); errs != nil {
			t.Errorf("%s: the report does not meet junit-10.xsd: %v\n%s", name, errs, buf.String())
		}
	}
	var buf bytes.Buffer
	_ = parts.Encode(&buf)
	var doc struct {
		Tests  int `xml:"tests,attr"`
		Suites []struct {
			Name    string `xml:"name,attr"`
			Tests   int    `xml:"tests,attr"`
			Skipped int    `xml:"skipped,attr"`
			Errors  int    `xml:"errors,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 2 || doc.Suites[0].Name != "callbacks tencent" || doc.Suites[0].Tests != 2 ||
		doc.Suites[1].Name != "probes tencent" || doc.Suites[1].Tests != 2 || doc.Suites[1].Skipped != 1 || doc.Suites[1].Errors != 1 ||
		!strings.Contains(buf.String(), `<testsuites name="imhook check" tests="4" failures="1" errors="1" time="2.503500"`) ||
		!strings.Contains(buf.String(), `<testsuite name="probes tencent" tests="2" failures="0" errors="1" skipped="1" time="2.500000"`) {
		t.Errorf("suites by part:\n%s", buf.String())
	}
}
