// Package junit writes JUnit XML reports (the format CI systems read) from
// exchange records: one test case per exchange, a failure with what was
// expected, what was found and the findings, and the time from the reply's
// latency. Every string is cleaned of what XML 1.0 forbids (control
// characters, invalid UTF-8), so a reply's bytes can never make the report
// unreadable.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/imhook/imhook/record"
)

// Case is one test case.
type Case struct {
	Classname string
	Name      string
	Time      time.Duration
	// Failure is set when the exchange broke the contract (or a check's
	// expectation); Error when no reply came.
	Failure *Problem
	Error   *Problem
	// Skipped is set when the check was not made (a probe whose baseline
	// failed): its message says why.
	Skipped *Problem
	// Out is extra text for <system-out> (the request and reply in short).
	Out string
}

// Problem is a failure or an error of a case.
type Problem struct {
	Message string // one line
	Type    string // a rule name
	Text    string // expected, found, findings
}

// Report collects cases, in test suites; it is safe for concurrent use.
type Report struct {
	Name  string
	start time.Time
	mu    sync.Mutex
	cases []Case
	// suites names each case's suite ("" the report's own), and order
	// lists the suites as they first appeared.
	suites []string
	order  []string
	// took is a suite's wall time, when the caller knows it (SetTime); a
	// suite without one takes the sum of its cases' times.
	took map[string]time.Duration
}

// SetTime sets the time a suite took, in place of its cases' sum (a part
// of a run that waited between exchanges).
func (r *Report) SetTime(suite string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.took == nil {
		r.took = map[string]time.Duration{}
	}
	r.took[suite] = d
}

// New starts a report for the suite name ("imhook simulate").
func New(name string) *Report { return &Report{Name: name, start: time.Now()} }

// Add appends a case to the report's own suite.
func (r *Report) Add(c Case) { r.AddTo("", c) }

// AddTo appends a case to the named test suite ("" the report's own); the
// suites come out in the order they first got a case.
func (r *Report) AddTo(suite string, c Case) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.order, suite) {
		r.order = append(r.order, suite)
	}
	r.cases = append(r.cases, c)
	r.suites = append(r.suites, suite)
}

// Len is the number of cases so far.
func (r *Report) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.cases)
}

// AddRecord appends the case of one exchange: classname the vendor, name as
// given (the command and its index), time the reply's latency.
func (r *Report) AddRecord(name string, rec *record.Record) {
	r.Add(FromRecord(name, rec))
}

// Expected is what an exchange is held to when no other expectation is
// given.
const Expected = "a reply that meets the platform's reply contract (no error findings)"

// FromRecord makes the case of one exchange.
func FromRecord(name string, rec *record.Record) Case {
	return FromRecordExpect(name, rec, Expected)
}

// FromRecordExpect is FromRecord with the expectation stated in failures.
func FromRecordExpect(name string, rec *record.Record, expected string) Case {
	c := Case{Classname: rec.Vendor, Name: name}
	if c.Classname == "" {
		c.Classname = "unknown"
	}
	if rec.Response != nil {
		c.Time = time.Duration(rec.Response.LatencyMS * float64(time.Millisecond))
	}
	c.Out = Found(rec)
	var errs []record.Finding
	for _, f := range rec.Findings {
		if f.Severity == record.Error {
			errs = append(errs, f)
		}
	}
	switch {
	case rec.Verdict == record.NoReply || (rec.Response == nil && rec.Error != ""):
		p := &Problem{Message: "no reply: " + rec.Error, Type: "response.none", Text: detail(expected, rec)}
		if len(errs) > 0 {
			p.Type = errs[len(errs)-1].Rule
		}
		c.Error = p
	case rec.Verdict == record.Fail || len(errs) > 0:
		p := &Problem{Message: "no error findings", Type: "contract", Text: detail(expected, rec)}
		if len(errs) > 0 {
			p.Message, p.Type = errs[0].Message, errs[0].Rule
		}
		c.Failure = p
	}
	return c
}

// Found describes what came back, in one line.
func Found(rec *record.Record) string {
	if rec.Response == nil {
		if rec.Error != "" {
			return "no reply: " + rec.Error
		}
		return "no reply"
	}
	body := string(rec.Response.Body)
	if len(body) > 512 {
		body = body[:512] + "…"
	}
	return fmt.Sprintf("HTTP %d in %.2f ms: %s", rec.Response.Status, rec.Response.LatencyMS, body)
}

func detail(expected string, rec *record.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "expected: %s\nfound:    %s\n", expected, Found(rec))
	if len(rec.Findings) > 0 {
		b.WriteString("findings:\n")
		for _, f := range rec.Findings {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	return b.String()
}

// Clean makes s valid XML 1.0 character data: invalid UTF-8 and the
// characters XML forbids (C0 controls other than tab, newline and carriage
// return, surrogates, U+FFFE and U+FFFF) become U+FFFD.
func Clean(s string) string {
	ok := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !allowed(r) {
			ok = false
			break
		}
		i += n
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !allowed(r) {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func allowed(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// xmlSuites is the root. The common schema (junit-10.xsd, which Jenkins
// checks: internal/junit/testdata) gives <testsuites> no skipped attribute;
// each <testsuite> has one.
type xmlSuites struct {
	XMLName  xml.Name   `xml:"testsuites"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Time     string     `xml:"time,attr"`
	Suites   []xmlSuite `xml:"testsuite"`
}

type xmlSuite struct {
	Name      string    `xml:"name,attr"`
	Tests     int       `xml:"tests,attr"`
	Failures  int       `xml:"failures,attr"`
	Errors    int       `xml:"errors,attr"`
	Skipped   int       `xml:"skipped,attr"`
	Time      string    `xml:"time,attr"`
	Timestamp string    `xml:"timestamp,attr"`
	Cases     []xmlCase `xml:"testcase"`
}

type xmlCase struct {
	Classname string      `xml:"classname,attr"`
	Name      string      `xml:"name,attr"`
	Time      string      `xml:"time,attr"`
	Failure   *xmlProblem `xml:"failure,omitempty"`
	Error     *xmlProblem `xml:"error,omitempty"`
	Skipped   *xmlSkipped `xml:"skipped,omitempty"`
	SystemOut *cdata      `xml:"system-out,omitempty"`
}

type xmlSkipped struct {
	Message string `xml:"message,attr"`
}

type xmlProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// cdata is an element whose text is written as CDATA (readable multi-line
// text; encoding/xml splits a "]]>" inside it).
type cdata struct {
	Text string `xml:",cdata"`
}

func out(s string) *cdata {
	if s == "" {
		return nil
	}
	return &cdata{Text: Clean(s)}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }

func problem(p *Problem) *xmlProblem {
	if p == nil {
		return nil
	}
	msg := strings.ReplaceAll(p.Message, "\n", " ")
	return &xmlProblem{Message: Clean(msg), Type: Clean(p.Type), Text: Clean(p.Text)}
}

// Encode writes the report as JUnit XML: one <testsuite> per suite (the
// report's own is named after the report), in <testsuites>.
func (r *Report) Encode(w io.Writer) error {
	r.mu.Lock()
	cases := append([]Case(nil), r.cases...)
	suites := append([]string(nil), r.suites...)
	order := append([]string(nil), r.order...)
	took := maps.Clone(r.took)
	r.mu.Unlock()
	if len(order) == 0 {
		order = []string{""}
	}
	doc := xmlSuites{Name: Clean(r.Name)}
	var total time.Duration
	for _, name := range order {
		s := xmlSuite{Name: Clean(r.Name), Timestamp: r.start.UTC().Format("2006-01-02T15:04:05")}
		if name != "" {
			s.Name = Clean(name)
		}
		var sum time.Duration
		for i, c := range cases {
			if suites[i] != name {
				continue
			}
			s.Tests++
			sum += c.Time
			if c.Failure != nil {
				s.Failures++
			}
			if c.Error != nil {
				s.Errors++
			}
			var skipped *xmlSkipped
			if c.Skipped != nil {
				s.Skipped++
				skipped = &xmlSkipped{Message: Clean(strings.ReplaceAll(c.Skipped.Message, "\n", " "))}
			}
			s.Cases = append(s.Cases, xmlCase{Classname: Clean(c.Classname), Name: Clean(c.Name), Time: secs(c.Time),
				Failure: problem(c.Failure), Error: problem(c.Error), Skipped: skipped, SystemOut: out(c.Out)})
		}
		if d, ok := took[name]; ok {
			sum = d
		}
		s.Time = secs(sum)
		total += sum
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = secs(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteFile writes the report to path (replacing it).
func (r *Report) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r.Encode(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
