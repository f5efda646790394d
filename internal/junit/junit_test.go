package junit

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/imhook/imhook/record"
)

type parsed struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Time     string `xml:"time,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestReportParsesBack(t *testing.T) {
	r := New("imhook simulate")
	r.AddRecord("simulate #1", &record.Record{Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg", Verdict: record.Pass,
		Response: &record.Message{Status: 200, Body: []byte(`{"ActionStatus":"OK"}`), LatencyMS: 1500}})
	r.AddRecord("simulate #2", &record.Record{Vendor: "openim", Verdict: record.Fail,
		Response: &record.Message{Status: 500, Body: []byte("bad\x00\x01\x1b[31m\xff\xfe reply \U0001F600"), LatencyMS: 2},
		Findings: []record.Finding{{Severity: record.Error, Rule: "response.json", Message: "not JSON: \x07\xc3"}}})
	r.AddRecord("cdata ]]> inside", &record.Record{Vendor: "tencent", Verdict: record.Fail,
		Response: &record.Message{Status: 200, Body: []byte("<![CDATA[ x ]]> y ]]>")},
		Findings: []record.Finding{{Severity: record.Error, Rule: "response.json", Message: "]]>"}}})
	r.AddRecord("simulate #3", &record.Record{Vendor: "tencent", Verdict: record.NoReply, Error: "no reply within 2s",
		Findings: []record.Finding{{Severity: record.Error, Rule: "response.timeout", Message: "no reply"}}})
	var buf bytes.Buffer
	if err := r.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	var p parsed
	if err := xml.Unmarshal(buf.Bytes(), &p); err != nil {
		t.Fatalf("not XML: %v\n%s", err, buf.String())
	}
	if p.Tests != 4 || p.Failures != 2 || p.Errors != 1 || len(p.Suites) != 1 {
		t.Fatalf("counts: %+v", p)
	}
	s := p.Suites[0]
	if s.Tests != 4 || s.Failures != 2 || s.Errors != 1 || s.Time != "1.502000" {
		t.Fatalf("suite: %+v", s)
	}
	c := s.Cases
	if c[0].Classname != "tencent" || c[0].Name != "simulate #1" || c[0].Time != "1.500000" || c[0].Failure != nil {
		t.Errorf("case 1: %+v", c[0])
	}
	if c[1].Failure == nil || c[1].Failure.Type != "response.json" || !strings.Contains(c[1].Failure.Text, "expected: ") ||
		!strings.Contains(c[1].Failure.Text, "found:    HTTP 500") || !strings.Contains(c[1].Failure.Text, "error response.json") ||
		!strings.Contains(c[1].Failure.Text, "\U0001F600") {
		t.Errorf("case 2: %+v", c[1].Failure)
	}
	if c[2].Failure == nil || !strings.Contains(c[2].Failure.Text, "<![CDATA[ x ]]> y ]]>") {
		t.Errorf("case with ]]>: %+v", c[2].Failure)
	}
	if c[3].Error == nil || !strings.Contains(c[3].Error.Message, "no reply within 2s") {
		t.Errorf("case 4: %+v", c[3])
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         "plain",
		"tab\tnl\ncr\r": "tab\tnl\ncr\r",
		"nul\x00":       "nul\uFFFD",
		"esc\x1b[0m":    "esc\uFFFD[0m",
		"bad\xff":       "bad\uFFFD",
		"emoji 😀 中文":    "emoji 😀 中文",
		"nonchar\uFFFF": "nonchar\uFFFD",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// A check that was not made is a skipped case with its reason, counted as
// skipped in its suite (the common schema gives <testsuites> no skipped
// attribute).
func TestSkippedCase(t *testing.T) {
	r := New("probes")
	r.Add(Case{Classname: "tencent", Name: "security.bad_sign C2C.CallbackAfterSendMsg", Skipped: &Problem{Message: "not judged: the baseline\nfailed \x00"}})
	var buf bytes.Buffer
	if err := r.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<skipped message=\"not judged: the baseline failed \uFFFD\"></skipped>") ||
		!strings.Contains(buf.String(), `<testsuites name="probes" tests="1" failures="0" errors="0" time=`) ||
		!strings.Contains(buf.String(), `<testsuite name="probes" tests="1" failures="0" errors="0" skipped="1" time=`) {
		t.Errorf("%s", buf.String())
	}
}
