package cmd

import (
	"context"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/simulate"
)

// targetOptions are --target and --vendor: where callbacks go, and which
// vendors' callbacks a run sends. --target is one URL for every callback,
// or VENDOR=URL once per vendor; IMHOOK_TARGET takes the same, separated by
// commas.
type targetOptions struct {
	Values []string
	Vendor string

	bare string            // a URL for every vendor
	per  map[string]string // URLs by vendor
}

func (t *targetOptions) register(c *cobra.Command) {
	f := c.Flags()
	f.StringArrayVar(&t.Values, "target", nil, "the backend's callback URL, or VENDOR=URL per vendor ("+strings.Join(platform.Names(), "=URL, ")+
		"=URL; repeatable; env IMHOOK_TARGET, comma-separated); default: the built-in receiver")
	f.StringVar(&t.Vendor, "vendor", "", "send only this vendor's callbacks: "+strings.Join(platform.Names(), " or "))
	_ = c.RegisterFlagCompletionFunc("vendor", fixedCompletion(platform.Names()...))
}

// resolve reads --target (or IMHOOK_TARGET) and --vendor.
func (t *targetOptions) resolve(g *Globals, c *cobra.Command) error {
	if err := checkVendor(t.Vendor); err != nil {
		return err
	}
	values := t.Values
	if !c.Flags().Changed("target") {
		if env := g.getenv("IMHOOK_TARGET"); env != "" {
			values = strings.Split(env, ",")
		}
	}
	t.bare, t.per = "", nil
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		name, u, ok := strings.Cut(v, "=")
		if vendor, known := platform.Lookup(strings.ToLower(name)); ok && known {
			if err := checkTarget(u); err != nil {
				return err
			}
			if t.per == nil {
				t.per = map[string]string{}
			}
			if _, dup := t.per[vendor.Name()]; dup {
				return usageErrorf("--target %s= is given twice", vendor.Name())
			}
			t.per[vendor.Name()] = u
			continue
		}
		if err := checkTarget(v); err != nil {
			return err
		}
		if t.bare != "" {
			return usageErrorf("--target is given twice without a vendor (%s and %s); give one URL, or one VENDOR=URL per vendor", t.bare, v)
		}
		t.bare = v
	}
	return nil
}

// builtIn reports a run without any target: the built-in receiver answers.
func (t *targetOptions) builtIn() bool { return t.bare == "" && len(t.per) == 0 }

// vendors are the vendors a run may send: --vendor's, or those with a
// target of their own when only per-vendor targets are given; nil: any.
func (t *targetOptions) vendors() []string {
	switch {
	case t.Vendor != "":
		return []string{t.Vendor}
	case t.bare == "" && len(t.per) > 0:
		out := make([]string, 0, len(t.per))
		for v := range t.per {
			out = append(out, v)
		}
		sort.Strings(out)
		return out
	}
	return nil
}

// urlFor is the target URL a vendor's callbacks go to ("" the built-in
// receiver).
func (t *targetOptions) urlFor(vendor string) string {
	if u, ok := t.per[vendor]; ok {
		return u
	}
	return t.bare
}

// allows reports whether a vendor's callbacks are part of the run.
func (t *targetOptions) allows(vendor string) bool {
	vs := t.vendors()
	return vs == nil || slices.Contains(vs, vendor)
}

// check holds the targets against the vendors the run sends: each needs a
// target, and one bare URL must not receive the callbacks of two vendors
// (no backend serves both on one URL: the run would fail for the wrong
// reason).
func (t *targetOptions) check(sent []string) error {
	if t.builtIn() {
		return nil
	}
	var bare []string
	for _, v := range sent {
		if _, ok := t.per[v]; ok {
			continue
		}
		if t.bare == "" {
			return usageErrorf("no target for the %s callbacks of this run: add --target %s=URL, or --vendor to send only one vendor's", v, v)
		}
		bare = append(bare, v)
	}
	if len(bare) > 1 {
		return usageErrorf("--target %s would receive the callbacks of %s: a backend serves one vendor on a URL. Send one vendor's callbacks (--vendor %s), or give each vendor its target (--target %s)",
			t.bare, strings.Join(bare, " and "), strings.Join(bare, " or --vendor "), strings.Join(vendorURLs(bare), " --target "))
	}
	return nil
}

func vendorURLs(vendors []string) []string {
	out := make([]string, len(vendors))
	for i, v := range vendors {
		out[i] = v + "=URL"
	}
	return out
}

// apply points the sender at the targets; with none it starts the
// built-in receiver (answering with respond) and points the sender at it.
// stop shuts the receiver down.
func (t *targetOptions) apply(g *Globals, s *simulate.Sender, cfg serve.Config) (stop func(), err error) {
	s.Target, s.Targets = t.bare, t.per
	if !t.builtIn() {
		return func() {}, nil
	}
	srv, err := serve.Start("127.0.0.1:0", serve.NewHandler(cfg))
	if err != nil {
		return nil, usageErrorf("cannot start the built-in receiver: %v", err)
	}
	g.Notef("no --target given: sending to the built-in receiver at %s (set --target or IMHOOK_TARGET for your backend)", srv.URL)
	s.Target = srv.URL
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

func checkTarget(t string) error {
	u, err := url.Parse(t)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--target %q is not an http:// or https:// URL", t)
	}
	return nil
}

// checkVendor checks a --vendor value against the registry.
func checkVendor(v string) error {
	if _, ok := platform.Lookup(v); v != "" && !ok {
		return usageErrorf("--vendor must be %s, not %q", strings.Join(platform.Names(), " or "), v)
	}
	return nil
}

// vendorsOf lists the vendors of callbacks, in the registry's order.
func vendorsOf(cbs []simulate.Callback) []string {
	seen := map[string]bool{}
	for _, c := range cbs {
		seen[c.Entry.Vendor] = true
	}
	var out []string
	for _, n := range platform.Names() {
		if seen[n] {
			out = append(out, n)
		}
	}
	return out
}
