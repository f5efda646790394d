package cmd

import (
	"slices"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/probe"
	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/simulate"
)

var probeKinds = []string{probe.Security, probe.Robustness}

// probeMode is simulate --probe KIND: for each callback (the COMMANDs, or
// each vendor's probe callback), a baseline (a valid callback must be
// accepted) and then each probe of the kind. The probes' requests carry the
// target, so they are built once the targets are known.
func (o *simulateOptions) probeMode(sender *simulate.Sender) (*mode, error) {
	g := o.g
	kind := o.Probe
	if !slices.Contains(probeKinds, kind) {
		return nil, usageErrorf("--probe must be security or robustness, not %q", kind)
	}
	var entries []*fixtures.Entry
	// nullable are the callbacks whose null_fields probe runs besides
	// (robustness without COMMANDs: every callback of the run's vendors
	// with nullable fields).
	var nullable []*fixtures.Entry
	now := time.Now()
	if len(o.Commands) > 0 {
		var err error
		if entries, err = lookupEntries(g, o.Commands); err != nil {
			return nil, err
		}
	} else {
		for _, v := range platform.All() {
			if !o.targets.allows(v.Name()) {
				continue
			}
			// A vendor whose requests carry nothing to forge is probed for
			// security only when the run names it (--vendor, or a target
			// of its own): its baseline and what a backend relies on.
			if kind == probe.Security && len(v.Forgeries(o.targets.urlFor(v.Name()), o.request.params(), now)) == 0 && !slices.Contains(o.targets.vendors(), v.Name()) {
				continue
			}
			e, _, _ := fixtures.Default().Lookup(v.ProbeCommand())
			entries = append(entries, e)
			if kind == probe.Robustness {
				for _, x := range fixtures.Default().Entries() {
					if x.Vendor == v.Name() && x != e {
						nullable = append(nullable, x)
					}
				}
			}
		}
	}
	var vendors []string
	for _, e := range entries {
		if !slices.Contains(vendors, e.Vendor) {
			vendors = append(vendors, e.Vendor)
		}
	}
	if len(entries) == 0 {
		return nil, usageErrorf("--probe %s: no callback to probe for the vendors of this run", kind)
	}
	m := &mode{vendors: vendors,
		// The built-in receiver is as careful as the flags allow.
		receiver: serve.Config{Expect: o.request.expect()},
		spec:     chainSpec{Name: "imhook simulate --probe " + kind, Mode: "probe", Print: true, ShowInfo: true, Progress: true}}
	if kind == probe.Security {
		for _, name := range vendors {
			if v := platform.For(name); len(v.Forgeries(o.targets.urlFor(name), o.request.params(), now)) == 0 {
				g.Notef("%s; --probe security sends the baseline, a valid callback that must be accepted", v.ProbeWords().Authentication)
			}
		}
		signed := o.request.params()
		signed.Token = "token"
		for _, name := range vendors {
			v, target := platform.For(name), o.targets.urlFor(name)
			if o.request.Token == "" && len(v.Forgeries(target, signed, now)) > len(v.Forgeries(target, o.request.params(), now)) {
				g.Notef("no --token: only the app-ID probe runs; give the callback token to probe the signature too")
			}
		}
	}
	m.build = func() (run.Producer, error) {
		probes, err := probe.List(kind, entries, nullable, func(e *fixtures.Entry) *probe.Builder {
			return &probe.Builder{Target: sender.TargetFor(e.Vendor), Gen: o.payload.generate, Params: o.request.params()}
		})
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		r := &probe.Runner{Client: sender.Client, Timeout: o.Timeout, Version: o.request.params().Release(), Words: flagWords}
		return r.Producer(probes), nil
	}
	return m, nil
}
