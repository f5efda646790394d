package cmd

import (
	"slices"
	"strings"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/simulate"
)

// scenarioNames lists every vendor's scenarios.
func scenarioNames() []string {
	var out []string
	for _, v := range platform.All() {
		if s, ok := v.(platform.Storyteller); ok {
			for _, n := range s.Scenarios() {
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// scenarioCallbacks makes the callbacks of --scenario NAME, of the vendor of
// the run that tells it (--vendor narrows).
func (o *simulateOptions) scenarioCallbacks() ([]simulate.Callback, error) {
	var teller platform.Storyteller
	var tellers []string
	for _, v := range platform.All() {
		s, ok := v.(platform.Storyteller)
		if !ok || !slices.Contains(s.Scenarios(), o.Scenario) {
			continue
		}
		tellers = append(tellers, v.Name())
		if teller == nil && o.targets.allows(v.Name()) {
			teller = s
		}
	}
	switch {
	case len(tellers) == 0:
		return nil, usageErrorf("--scenario %q: the scenarios are %s", o.Scenario, strings.Join(scenarioNames(), ", "))
	case teller == nil:
		return nil, usageErrorf("--scenario %s is told with %s callbacks, and this run sends only %s's", o.Scenario, strings.Join(tellers, " or "), strings.Join(o.targets.vendors(), ", "))
	case o.Duration > 0 || o.Concurrency > 0 || o.Rate > 0:
		return nil, usageErrorf("--scenario sends its callbacks in order, one at a time; --count N sets how many, and --duration, --concurrency and --rate do not apply")
	case len(o.payload.Sets) > 0 || o.payload.Variant != "":
		return nil, usageErrorf("--scenario sets the fields that keep it consistent; --set and --variant do not apply")
	case o.Count > 0 && o.Count < platform.MinScenarioCount:
		return nil, usageErrorf("--count %d: a scenario has at least %d callbacks", o.Count, platform.MinScenarioCount)
	case o.Count > 1_000_000:
		return nil, usageErrorf("--count %d: a scenario has at most 1000000 callbacks", o.Count)
	}
	ps, err := teller.Scenario(fixtures.Default(), o.Scenario,
		platform.ScenarioOptions{Seed: o.payload.Seed, Now: o.payload.now, Count: int(o.Count)})
	if err != nil {
		return nil, usageErrorf("--scenario: %v", err)
	}
	cbs := make([]simulate.Callback, len(ps))
	for i, p := range ps {
		cbs[i] = simulate.NewCallback(p.Entry, p.Body)
	}
	return cbs, nil
}
