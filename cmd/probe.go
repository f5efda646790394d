package cmd

import (
	"slices"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/probe"
	"github.com/imhook/imhook/run"
	"github.com/imhook/imhook/serve"
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
	if len(o.Commands) > 0 {
		var err error
		if entries, err = lookupEntries(g, o.Commands); err != nil {
			return nil, err
		}
	} else {
		for _, v := range platform.All() {
			if !o.targets.allows(v.Name()) || (kind == probe.Security && len(v.Forgeries(o.request.params(), time.Now())) == 0) {
				continue
			}
			e, _, _ := fixtures.Default().Lookup(v.ProbeCommand())
			entries = append(entries, e)
		}
	}
	var vendors []string
	for _, e := range entries {
		if !slices.Contains(vendors, e.Vendor) {
			vendors = append(vendors, e.Vendor)
		}
		if kind == probe.Security && len(platform.For(e.Vendor).Forgeries(o.request.params(), time.Now())) == 0 {
			return nil, usageErrorf("--probe security: %s is a %s callback, and %s requests carry nothing to forge (no app ID, no signature); probe a callback of another vendor",
				e.Command, e.Vendor, platform.For(e.Vendor).Title())
		}
	}
	if len(entries) == 0 {
		return nil, usageErrorf("--probe %s: no callback to probe for the vendors of this run", kind)
	}
	m := &mode{vendors: vendors,
		// The built-in receiver is as careful as the flags allow.
		receiver: serve.Config{Expect: o.request.expect()},
		spec:     chainSpec{Name: "imhook simulate --probe " + kind, Mode: "probe", Print: true, ShowInfo: true, Progress: true}}
	if kind == probe.Security && o.request.Token == "" {
		g.Notef("no --token: only the app-ID probe runs; give the callback token to probe the signature too")
	}
	m.build = func() (run.Producer, error) {
		var probes []*probe.Probe
		for _, e := range entries {
			b := &probe.Builder{Target: sender.TargetFor(e.Vendor), Gen: o.payload.generate, Params: o.request.params()}
			base, err := b.Baseline(e)
			if err != nil {
				return nil, usageErrorf("%v", err)
			}
			var ps []*probe.Probe
			if kind == probe.Security {
				ps, err = b.Security(e)
			} else {
				ps, err = b.Robustness(e)
			}
			if err != nil {
				return nil, usageErrorf("%v", err)
			}
			probes = append(append(probes, base), ps...)
		}
		r := &probe.Runner{Client: sender.Client, Timeout: o.Timeout}
		return r.Producer(probes), nil
	}
	return m, nil
}
