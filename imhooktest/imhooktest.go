package imhooktest

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/ui"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// A Harness sends callbacks to one backend, an http.Handler in this
// process (New) or a URL (NewURL), and fails the test that calls it when a
// reply breaks the platform's contract. Its methods run one after another:
// a Harness is not for concurrent use.
type Harness struct {
	target string
	base   settings
	// inproc is the in-process transport (New), nil for a URL.
	inproc *handlerTransport
}

// New is a Harness for a handler served in this process: each callback is
// handed to h as net/http's server would hand it over, with no listener
// and no socket. Options set the vendor, the app ID and token, the seed and
// the rest for every send (Path when h serves its callbacks at a path of
// its own). New logs the seed with t.Logf.
func New(t testing.TB, h http.Handler, opts ...Option) *Harness {
	t.Helper()
	tr := &handlerTransport{h: h}
	hs := newHarness(t, opts)
	hs.inproc = tr
	if hs.base.client == nil {
		hs.base.client = &http.Client{Transport: tr, CheckRedirect: noRedirect}
	}
	path := hs.base.path
	if path == "" {
		path = "/"
	} else if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	hs.target = "http://" + inProcessHost + path
	return hs
}

// NewURL is a Harness for a backend that listens at url (the URL its
// platform's console is given: http://127.0.0.1:8080/im). Callbacks are
// sent with imhook's client: no redirect followed, no proxy (Client
// replaces it).
func NewURL(t testing.TB, url string, opts ...Option) *Harness {
	t.Helper()
	hs := newHarness(t, opts)
	if hs.base.client == nil {
		hs.base.client = simulate.NewClient(nil)
	}
	hs.target = url
	return hs
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func newHarness(t testing.TB, opts []Option) *Harness {
	t.Helper()
	s := settings{params: platform.Params{SdkAppID: platform.DefaultSdkAppID, ClientIP: platform.DefaultClientIP, OptPlatform: platform.DefaultOptPlatform}}
	s = s.with(opts)
	if len(s.errs) > 0 {
		t.Fatalf("imhooktest: %s", strings.Join(s.errs, "; "))
	}
	if !s.seeded {
		var b [8]byte
		_, _ = crand.Read(b[:])
		s.seed, s.seeded = binary.LittleEndian.Uint64(b[:]), true
	}
	if s.now.IsZero() {
		s.now = generate.SeedEpoch
	}
	t.Logf("imhooktest: seed %d (imhooktest.Seed(%d) makes the same payloads)", s.seed, s.seed)
	return &Harness{base: s}
}

// Seed is the seed the Harness's payloads are generated with.
func (h *Harness) Seed() uint64 { return h.base.seed }

// Target is the URL callbacks are sent to (for New, a URL on a host that
// only the in-process transport answers).
func (h *Harness) Target() string { return h.target }

// Send generates one callback of command (C2C.CallbackBeforeSendMsg), sends
// it as the platform does, judges the reply and returns the exchange's
// record. A reply that breaks the contract, or whose outcome is not the one
// Expect asks for, fails t with the lines imhook's command line prints for
// the exchange: the exchange, each finding (severity, rule, path,
// message) and the reply. An unknown command, an option that does not fit
// the callback, or a target that cannot be reached stop t (t.Fatalf).
func (h *Harness) Send(t testing.TB, command string, opts ...Option) *record.Record {
	t.Helper()
	s := h.settings(t, opts)
	e := lookup(t, command)
	rec, err := h.send(t, s, e, 0)
	if err != nil {
		t.Fatalf("%s", err)
	}
	return rec
}

// RunAll sends every callback of the Harness's vendors (Vendor; Commands
// names some), one subtest each, named after the callback's command, and
// judges each reply as Send does. When t is not a *testing.T or
// *testing.B (a recorder of a test of a test), the callbacks run in turn
// in t and each failure begins with the callback's name.
func (h *Harness) RunAll(t testing.TB, opts ...Option) {
	t.Helper()
	s := h.settings(t, opts)
	entries := h.entries(t, s)
	for i, e := range entries {
		var down error
		subtest(t, e.Command, func(t testing.TB) {
			t.Helper()
			_, down = h.send(t, s, e, i)
		})
		if down != nil {
			t.Fatalf("%s; the other %d callback(s) were not sent", down, len(entries)-i-1)
		}
	}
}

// settings are the Harness's options with opts added; an option's mistake
// stops t.
func (h *Harness) settings(t testing.TB, opts []Option) settings {
	t.Helper()
	s := h.base.with(opts)
	if len(s.errs) > 0 {
		t.Fatalf("imhooktest: %s", strings.Join(s.errs, "; "))
	}
	return s
}

// entries are the callbacks of s's vendors (or its commands).
func (h *Harness) entries(t testing.TB, s settings) []*fixtures.Entry {
	t.Helper()
	var out []*fixtures.Entry
	if len(s.commands) > 0 {
		for _, c := range s.commands {
			out = append(out, lookup(t, c))
		}
		return out
	}
	for _, e := range fixtures.Default().Entries() {
		if len(s.vendors) == 0 || slices.Contains(s.vendors, e.Vendor) {
			out = append(out, e)
		}
	}
	return out
}

// lookup is command's catalogue entry; an unknown command stops t with the
// closest ones.
func lookup(t testing.TB, command string) *fixtures.Entry {
	t.Helper()
	e, _, ok := fixtures.Default().Lookup(command)
	if !ok {
		msg := fmt.Sprintf("imhooktest: %q is not a callback of imhook's catalogue", command)
		if near := fixtures.Default().Suggest(command); len(near) > 0 {
			msg += "; did you mean " + strings.Join(near, ", ") + "?"
		}
		t.Fatalf("%s", msg)
	}
	return e
}

// payload is the i-th payload of e under s: generated, then Text, then the
// sets.
func (h *Harness) payload(t testing.TB, s settings, e *fixtures.Entry, i int) []byte {
	t.Helper()
	o := generate.GenOptions{Seed: s.seed + uint64(i), Now: s.now, Variant: s.variant, Release: s.release()}
	b, err := generate.Generate(e, o)
	if err == nil && s.text != "" {
		if e.Text() == nil {
			t.Fatalf("imhooktest: %s carries no message text to put %q in", e.Command, s.text)
		}
		b, err = generate.Text(e, b, s.text, o)
	}
	for _, set := range s.sets {
		if msg := e.Path(set.Path).Message(); msg != "" {
			if s.strict {
				t.Fatalf("imhooktest: set %s: %s", set.Path, msg)
			}
			t.Logf("imhooktest: set %s: %s (set anyway)", set.Path, msg)
		}
	}
	if err == nil {
		b, err = generate.Apply(e, b, s.sets, o)
	}
	if err != nil {
		t.Fatalf("imhooktest: %s: %v", e.Command, err)
	}
	return b
}

// words name this package's options in the advice of findings.
var words = &simulate.Words{
	Timeout:  "imhooktest.Timeout",
	CACert:   "the RootCAs of the TLS configuration of imhooktest.Client's client",
	Insecure: "InsecureSkipVerify in the TLS configuration of imhooktest.Client's client",
	Cert:     "the Certificates of the TLS configuration of imhooktest.Client's client",
}

// sender is the simulate.Sender of s.
func (h *Harness) sender(s settings) *simulate.Sender {
	return &simulate.Sender{Target: h.target, Params: s.params, Timeout: s.timeout, Client: s.client, Expect: s.expect, Strict: s.strict, Words: words}
}

// send sends the i-th payload of e and judges the reply; the error is the
// target's being unreachable (the exchange has failed t by then).
func (h *Harness) send(t testing.TB, s settings, e *fixtures.Entry, i int) (*record.Record, error) {
	t.Helper()
	if s.expect != "" {
		v := platform.For(e.Vendor)
		if !slices.Contains(v.Outcomes(), s.expect) {
			t.Fatalf("imhooktest: %q is not an outcome of %s callbacks; use one of %s", s.expect, v.Title(), outcomes(v))
		}
	}
	c := simulate.NewCallback(e, h.payload(t, s, e, i))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec, err := h.sender(s).Send(ctx, c)
	h.judged(t, rec, s.strict)
	return rec, err
}

// judged fails t with the record's lines when its verdict is not a pass,
// and logs them when it passed with warnings.
func (h *Harness) judged(t testing.TB, rec *record.Record, strict bool) {
	t.Helper()
	if h.inproc != nil {
		if stack := h.inproc.takePanic(); stack != nil {
			t.Logf("imhooktest: the handler panicked:\n%s", stack)
		}
	}
	if rec.Verdict == record.Pass {
		if warned(rec) {
			t.Logf("%s", lines(rec, strict))
		}
		return
	}
	t.Errorf("%s", lines(rec, strict))
}

func warned(rec *record.Record) bool {
	for _, f := range rec.Findings {
		if f.Severity == record.Warning {
			return true
		}
	}
	return false
}

// lines are the record as imhook's command line prints it (no colour): the
// exchange, its findings and the reply.
func lines(rec *record.Record, strict bool) string {
	var b bytes.Buffer
	p := ui.NewPrinter(&b, "text", false, ui.NewPalette(false))
	p.ShowReply, p.Strict = true, strict
	p.Record(rec)
	return strings.TrimRight(b.String(), "\n")
}

func outcomes(v platform.Vendor) string {
	var names []string
	for _, o := range v.Outcomes() {
		names = append(names, string(o))
	}
	return strings.Join(names, ", ")
}

// subtest runs f as a subtest of t named name; a t that runs no subtests
// (a recorder) runs f in itself, each failure led by name.
func subtest(t testing.TB, name string, f func(testing.TB)) {
	t.Helper()
	switch tt := t.(type) {
	case *testing.T:
		tt.Run(name, func(t *testing.T) { t.Helper(); f(t) })
	case *testing.B:
		tt.Run(name, func(b *testing.B) { b.Helper(); f(b) })
	default:
		// In a goroutine of its own, as t.Run runs a subtest: a Fatalf or
		// Skipf (runtime.Goexit) ends f, not the callbacks after it.
		done := make(chan struct{})
		go func() {
			defer close(done)
			f(&named{TB: t, name: name})
		}()
		<-done
	}
}

// named is a testing.TB whose failures and logs begin with a name.
type named struct {
	testing.TB
	name string
}

func (n *named) Errorf(format string, args ...any) {
	n.TB.Helper()
	n.TB.Errorf("%s: %s", n.name, fmt.Sprintf(format, args...))
}

func (n *named) Fatalf(format string, args ...any) {
	n.TB.Helper()
	n.TB.Fatalf("%s: %s", n.name, fmt.Sprintf(format, args...))
}

func (n *named) Logf(format string, args ...any) {
	n.TB.Helper()
	n.TB.Logf("%s: %s", n.name, fmt.Sprintf(format, args...))
}

func (n *named) Skipf(format string, args ...any) {
	n.TB.Helper()
	n.TB.Skipf("%s: %s", n.name, fmt.Sprintf(format, args...))
}

func quote(s string) string { return strconv.Quote(s) }

func join(names []string) string { return strings.Join(names, ", ") }
