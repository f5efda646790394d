package cmd

import "context"

var probeKinds = []string{"security", "robustness"}

func runProbes(ctx context.Context, g *Globals, o *simulateOptions, args []string) error {
	return usageErrorf("--probe is not implemented yet")
}
