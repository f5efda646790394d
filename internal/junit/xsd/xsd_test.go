package xsd

import (
	"strings"
	"testing"
)

func junit10(t *testing.T) *Schema {
	t.Helper()
	s, err := Load("../testdata/junit-10.xsd")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The checker accepts what junit-10.xsd allows and names what it does not:
// an undeclared attribute (skipped on <testsuites>, which Jenkins refuses),
// an element out of place, a missing required attribute, a time that is
// not SUREFIRE_TIME, text where the content is elements only.
func TestJUnit10(t *testing.T) {
	s := junit10(t)
	valid := `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="n" tests="2" failures="1" errors="0" time="0.001000">
  <testsuite name="n" tests="2" failures="1" errors="0" skipped="0" time="1,234.5" timestamp="2026-01-01T00:00:00">
    <testcase classname="tencent" name="a" time="0.1"><failure message="m" type="t"><![CDATA[text]]></failure><system-out>out</system-out></testcase>
    <testcase name="b"><skipped message="why"/></testcase>
  </testsuite>
</testsuites>`
	if errs := s.Validate(strings.NewReader(valid)); errs != nil {
		t.Fatalf("a valid report: %v", errs)
	}
	for _, c := range []struct{ doc, want string }{
		{`<testsuites skipped="0"/>`, "line 1: <testsuites> has the attribute skipped, which the schema does not declare"},
		{`<testsuites><testcase name="a"/></testsuites>`, "<testcase> inside <testsuites>, which takes only testsuite"},
		{`<testsuite name="n" tests="1"/>`, "<testsuite> lacks the required attribute(s) errors, failures"},
		{`<testsuite name="n" tests="1" failures="0" errors="0" time="1.5s"/>`, `<testsuite time="1.5s">: not a SUREFIRE_TIME`},
		{`<testsuites>words</testsuites>`, "text inside <testsuites>"},
		{`<testsuite name="n" tests="1" failures="0" errors="0"><system-out><b/></system-out></testsuite>`, "<b> inside <system-out>, whose content is text only"},
		{`<report/>`, "the root <report> is no element of the schema"},
	} {
		errs := s.Validate(strings.NewReader(c.doc))
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.doc, errs, c.want)
		}
	}
}
