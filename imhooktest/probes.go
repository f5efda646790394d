package imhooktest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/probe"
	"github.com/imhook/imhook/record"
)

// The kinds of probe (Harness.Probes).
const (
	// Security probes are forged callbacks (a wrong app ID, a bad or stale
	// signature, ...) that a backend must refuse.
	Security = probe.Security
	// Robustness probes are bad or unusual input (malformed JSON, missing
	// fields, wrong types, an unknown command, a body over 1 MiB, the same
	// message twice, ...) that a backend must still answer, in the
	// vendor's reply shape and within the budget.
	Robustness = probe.Robustness
)

// Probes runs the security and robustness probes (kinds: Security,
// Robustness; none given: both) against the backend, as imhook's
// command line does: for each vendor (Vendor), a baseline (a valid
// callback of the vendor's probe callback, or each of Commands, that must
// be accepted), then each probe; with Robustness, the null-fields probe of
// every other callback with nullable fields. Each probe is a subtest named
// after its callback and then its name (C2C.CallbackBeforeSendMsg/
// security.bad_sign; a baseline after its kind: security.baseline.valid)
// and fails with the command line's lines for the exchange. When a baseline fails, the probes after it are skipped: a
// refusal says nothing when a valid callback is refused too.
func (h *Harness) Probes(t testing.TB, kinds ...string) {
	t.Helper()
	if len(kinds) == 0 {
		kinds = []string{Security, Robustness}
	}
	s := h.settings(t, nil)
	for _, kind := range kinds {
		if kind != Security && kind != Robustness {
			t.Fatalf("imhooktest: %q is not a kind of probe; use imhooktest.Security or imhooktest.Robustness", kind)
		}
		probes := h.probes(t, s, kind)
		if !h.runProbes(t, s, kind, probes) {
			return
		}
	}
}

// probes are the probes of kind for s's callbacks.
func (h *Harness) probes(t testing.TB, s settings, kind string) []*probe.Probe {
	t.Helper()
	var entries, nullable []*fixtures.Entry
	if len(s.commands) > 0 {
		entries = h.entries(t, s)
	} else {
		for _, v := range platform.All() {
			if len(s.vendors) > 0 && !slices.Contains(s.vendors, v.Name()) {
				continue
			}
			// Without Vendor, a vendor whose requests carry nothing to
			// forge has no security probe to run.
			if kind == Security && len(s.vendors) == 0 && len(v.Forgeries(h.target, s.params, time.Now())) == 0 {
				continue
			}
			e, _, _ := fixtures.Default().Lookup(v.ProbeCommand())
			entries = append(entries, e)
			if kind == Robustness {
				for _, x := range fixtures.Default().Entries() {
					if x.Vendor == v.Name() && x != e {
						nullable = append(nullable, x)
					}
				}
			}
		}
	}
	if kind == Security && s.params.Token == "" {
		signed := s.params
		signed.Token = "token"
		for _, e := range entries {
			v := platform.For(e.Vendor)
			if len(v.Forgeries(h.target, signed, time.Now())) > len(v.Forgeries(h.target, s.params, time.Now())) {
				t.Logf("imhooktest: no token: the signature's probes of %s do not run; give the backend's callback token (imhooktest.Token) to run them", v.Title())
			}
		}
	}
	gen := func(e *fixtures.Entry, i int) ([]byte, error) { return h.payload(t, s, e, i), nil }
	probes, err := probe.List(kind, entries, nullable, func(*fixtures.Entry) *probe.Builder {
		return &probe.Builder{Target: h.target, Params: s.params, Gen: gen}
	})
	if err != nil {
		t.Fatalf("imhooktest: %v", err)
	}
	return probes
}

// runProbes runs probes in order, each a subtest under its callback's; it
// returns false when the target could not be reached (t has failed).
func (h *Harness) runProbes(t testing.TB, s settings, kind string, probes []*probe.Probe) bool {
	t.Helper()
	r := &probe.Runner{Client: s.client, Timeout: s.timeout, Version: s.params.Release(), Words: words}
	failed := map[string]string{} // by vendor: why its last baseline failed
	under := ""                   // the callback the probes are of
	for _, p := range probes {
		if p.Entry != nil {
			under = p.Entry.Command
		}
		var down bool
		name := p.Name
		if p.Kind == "" {
			// Each kind sends its own baseline of the same callback:
			// named by its kind, the two are told apart in go test's
			// output (not baseline.valid and baseline.valid#01).
			name = kind + "." + name
		}
		subtest(t, under+"/"+name, func(t testing.TB) {
			t.Helper()
			why := failed[p.Vendor]
			if p.Kind == "" {
				delete(failed, p.Vendor)
			} else if why != "" {
				t.Skipf("not judged: %s", why)
				return
			}
			for _, res := range r.Run(context.Background(), p) {
				h.judged(t, res.Record, s.strict)
				down = down || res.Unreachable
				if p.Kind == "" && res.Record.Verdict != record.Pass {
					failed[p.Vendor] = probe.BaselineFailure(p, res.Record)
				}
			}
		})
		if down {
			t.Fatalf("imhooktest: %s cannot be reached; the other probes were not sent", h.target)
			return false
		}
	}
	return true
}
