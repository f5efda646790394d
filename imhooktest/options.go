package imhooktest

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// An Option sets how callbacks are made, sent and judged. Options given to
// New or NewURL hold for every send of the Harness; options given to
// Harness.Send, Harness.RunAll or Harness.Probes add to them (and win over
// them) for that call alone.
type Option func(*settings)

// settings are the options in force for one call.
type settings struct {
	vendors  []string
	commands []string
	path     string
	client   *http.Client
	params   platform.Params
	seed     uint64
	seeded   bool
	now      time.Time
	timeout  time.Duration
	strict   bool
	text     string
	sets     []generate.Set
	variant  string
	expect   record.Outcome
	parts    []string
	// errs are the options' own mistakes (an unknown vendor, a value that
	// is not JSON), reported by the call that applies them.
	errs []string
}

// with is a copy of s with opts applied.
func (s settings) with(opts []Option) settings {
	s.vendors = append([]string(nil), s.vendors...)
	s.commands = append([]string(nil), s.commands...)
	s.sets = append([]generate.Set(nil), s.sets...)
	s.parts = append([]string(nil), s.parts...)
	s.errs = nil
	for _, o := range opts {
		o(&s)
	}
	return s
}

// Vendor limits RunAll and Probes to the callbacks of the named vendors (a
// backend usually serves one): a name of the platform registry, as in
// imhook's catalogue ("tencent", "openim"). An unknown name fails the test
// with the names there are. Without Vendor every vendor's callbacks are
// sent.
func Vendor(names ...string) Option {
	return func(s *settings) {
		for _, n := range names {
			if _, ok := platform.Lookup(n); !ok {
				s.errs = append(s.errs, "vendor "+quote(n)+" is not one of imhook's vendors ("+join(platform.Names())+")")
				continue
			}
			s.vendors = append(s.vendors, n)
		}
	}
}

// Commands limits RunAll to the named callbacks (a callback's command, as
// the catalogue lists it: C2C.CallbackAfterSendMsg), in that order, and
// Probes to probing them.
func Commands(commands ...string) Option {
	return func(s *settings) { s.commands = append(s.commands, commands...) }
}

// Path is the path the in-process handler is sent callbacks at (New; a URL
// given to NewURL has its own): "/im" when the handler serves its callbacks
// there. The default is "/".
func Path(path string) Option {
	return func(s *settings) { s.path = path }
}

// Client sends the callbacks with c in place of imhook's client (a
// httptest.Server's Client for its TLS, a client with a transport of your
// own). With New it replaces the in-process transport.
func Client(c *http.Client) Option {
	return func(s *settings) { s.client = c }
}

// SdkAppID is the app ID requests carry, for vendors whose callbacks carry
// one (the SdkAppid query parameter); the default is imhook's.
func SdkAppID(id string) Option {
	return func(s *settings) { s.params.SdkAppID = id }
}

// Token is the callback token requests are signed with, for vendors whose
// callbacks are signed (Sign and RequestTime): give the backend's, so that
// valid callbacks are signed as the platform signs them and the security
// probes can forge a bad signature. Without it requests are not signed.
func Token(token string) Option {
	return func(s *settings) { s.params.Token = token }
}

// ClientIP is the client address requests carry, for vendors whose
// callbacks carry one.
func ClientIP(ip string) Option {
	return func(s *settings) { s.params.ClientIP = ip }
}

// Seed makes the payloads repeatable: the same seed gives the same bodies,
// the ones imhook's command line makes with the same seed (the i-th
// callback of RunAll is generated with seed+i, as a run of every callback
// is). Without Seed a random one is drawn, and New logs it (t.Logf), so
// that a failure can be run again with it.
func Seed(seed uint64) Option {
	return func(s *settings) { s.seed, s.seeded = seed, true }
}

// Now is the clock generated timestamps anchor at (they fall in the few
// minutes before it). The default is the seed's fixed epoch
// (2026-01-01T00:00:00Z), so that a seed gives the same bytes on every run;
// give time.Now() to a backend that refuses stale message times.
func Now(now time.Time) Option {
	return func(s *settings) { s.now = now }
}

// Timeout replaces each vendor's reply budget (the time the platform waits
// for a reply) for judging the replies.
func Timeout(d time.Duration) Option {
	return func(s *settings) { s.timeout = d }
}

// Strict fails an exchange on a warning or an unknown field too, and a set
// path that is no field of the callback fails the test.
func Strict() Option {
	return func(s *settings) { s.strict = true }
}

// Text puts text in the message of a callback that carries one (the first
// text element, wherever the catalogue says the text lives, whatever
// element the generator chose). A callback without message text fails the
// test.
func Text(text string) Option {
	return func(s *settings) { s.text = text }
}

// Set sets a field of the generated payload: path is a gjson/sjson path
// (MsgBody.0.MsgContent.Text, MsgBody.-1 to append), value is encoded as
// JSON (a json.RawMessage goes in as it is). A field of a message element
// makes the element of a type that has it. Sets apply in order, after Text.
func Set(path string, value any) Option {
	return func(s *settings) {
		raw, ok := value.(json.RawMessage)
		if !ok {
			b, err := json.Marshal(value)
			if err != nil {
				s.errs = append(s.errs, "set "+path+": "+err.Error())
				return
			}
			raw = b
		}
		s.sets = append(s.sets, generate.Set{Path: path, Value: raw})
	}
}

// Variant generates the named variant of the callback (the catalogue's
// variants: a group system message, a friend request from a search, ...).
func Variant(name string) Option {
	return func(s *settings) { s.variant = name }
}

// Expect is the outcome each reply must have: one of the vendor's outcomes
// ("ok", "reject", ...; imhook's catalogue lists them). The default is that
// a valid callback is accepted.
func Expect(outcome string) Option {
	return func(s *settings) { s.expect = record.Outcome(outcome) }
}
