package cmd

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/record"
)

// outcomeFlags are --expect and --openim-version, shared by simulate and
// replay.
type outcomeFlags struct {
	Expect        record.Outcome
	OpenIMVersion string
}

const expectHelp = `the outcome each reply must have (default: a valid callback is accepted): Tencent ok, fail, reject, discard, modify; OpenIM continue, stop, modify`

func (o *outcomeFlags) register(c *cobra.Command) {
	f := c.Flags()
	f.StringVar((*string)(&o.Expect), "expect", "", expectHelp)
	f.StringVar(&o.OpenIMVersion, "openim-version", "", "OpenIM: send as this server release does: v3.7+ {url}/{command}; v3.4.2-v3.6 the older command names; v3.0-v3.4.0 {url}?command=...; default docs: {url}/{command}?contenttype=json")
	_ = c.RegisterFlagCompletionFunc("expect", completeExpect)
	_ = c.RegisterFlagCompletionFunc("openim-version", fixedCompletion(platform.OpenIMVersions...))
}

// completeExpect offers the outcomes of the vendors of the named commands
// (or of --vendor), with the vendor as the description.
func completeExpect(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	vendors := map[string]bool{}
	if v, _ := c.Flags().GetString("vendor"); v != "" {
		vendors[v] = true
	}
	for _, a := range args {
		if e, _, ok := fixtures.Default().Lookup(a); ok {
			vendors[e.Vendor] = true
		}
	}
	var out []string
	for _, v := range []string{fixtures.Tencent, fixtures.OpenIM} {
		if len(vendors) > 0 && !vendors[v] {
			continue
		}
		for _, o := range fixtures.VendorOutcomes(v) {
			if !slices.ContainsFunc(out, func(s string) bool { return strings.HasPrefix(s, string(o)+"\t") }) {
				out = append(out, string(o)+"\t"+v)
			}
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// check validates the flags against the vendors of the callbacks to send
// (none known: any vendor's outcome).
func (o *outcomeFlags) check(vendors ...string) error {
	if _, _, err := platform.OpenIMForm(o.OpenIMVersion); err != nil {
		return usageErrorf("--openim-version: %v", err)
	}
	if o.Expect == "" {
		return nil
	}
	if len(vendors) == 0 {
		vendors = []string{fixtures.Tencent, fixtures.OpenIM}
		if slices.Contains(fixtures.VendorOutcomes(fixtures.Tencent), o.Expect) || slices.Contains(fixtures.VendorOutcomes(fixtures.OpenIM), o.Expect) {
			return nil
		}
	}
	for _, v := range vendors {
		if !slices.Contains(fixtures.VendorOutcomes(v), o.Expect) {
			return usageErrorf("--expect %q is not an outcome of %s callbacks; use one of %s", o.Expect, platform.For(v).Title(),
				joinOutcomes(fixtures.VendorOutcomes(v)))
		}
	}
	return nil
}

func joinOutcomes(os []record.Outcome) string {
	s := make([]string, len(os))
	for i, o := range os {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}
