package cmd

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// outcomeFlags is --expect, shared by simulate and replay.
type outcomeFlags struct {
	Expect record.Outcome
}

func (o *outcomeFlags) register(c *cobra.Command) {
	c.Flags().StringVar((*string)(&o.Expect), "expect", "", "the outcome each reply must have (default: a valid callback is accepted): "+allOutcomes()+" ('imhook help outcomes')")
	_ = c.RegisterFlagCompletionFunc("expect", completeExpect)
}

// allOutcomes lists each vendor's outcomes for help texts.
func allOutcomes() string {
	var parts []string
	for _, v := range platform.All() {
		parts = append(parts, v.Title()+" "+joinOutcomes(v.Outcomes()))
	}
	return strings.Join(parts, "; ")
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
	for _, v := range platform.All() {
		if len(vendors) > 0 && !vendors[v.Name()] {
			continue
		}
		for _, o := range v.Outcomes() {
			if !slices.ContainsFunc(out, func(s string) bool { return strings.HasPrefix(s, string(o)+"\t") }) {
				out = append(out, string(o)+"\t"+v.Name())
			}
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// check holds --expect against the vendors of the callbacks to send (none
// known: any vendor's outcome will do).
func (o *outcomeFlags) check(vendors ...string) error {
	if o.Expect == "" {
		return nil
	}
	if len(vendors) == 0 {
		for _, v := range platform.All() {
			if slices.Contains(v.Outcomes(), o.Expect) {
				return nil
			}
		}
		return usageErrorf("--expect %q is not an outcome; use one of %s", o.Expect, allOutcomes())
	}
	for _, name := range vendors {
		v := platform.For(name)
		if !slices.Contains(v.Outcomes(), o.Expect) {
			return usageErrorf("--expect %q is not an outcome of %s callbacks; use one of %s", o.Expect, v.Title(), joinOutcomes(v.Outcomes()))
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
