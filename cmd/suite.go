package cmd

import "context"

func runSuite(ctx context.Context, g *Globals, o *simulateOptions, args []string) error {
	return usageErrorf("--suite is not implemented yet")
}
