package cmd

import "github.com/spf13/cobra"

// retryHelp says when each platform resends a callback.
const retryHelp = `resend, with the same body, a Tencent after-callback whose reply missed the budget, as Tencent does when retry on timeout is switched on in its console (off by default; before-callbacks are never retried; push callbacks over 1000 QPS are delayed and retried anyway). OpenIM Server never retries. Single sends only, not load runs`

// registerRetryFlag adds --retry-on-timeout to simulate.
func registerRetryFlag(c *cobra.Command, retry *bool) {
	c.Flags().BoolVar(retry, "retry-on-timeout", false, retryHelp)
}
