package cmd

import (
	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/run"
)

// failOn is --fail-on: what exchanges a command's exit code stands for
// (report, serve). validate and the sending commands fail on errors (and
// with --strict on warnings); these two sum up traffic that may not be
// theirs, so the user says.
type failOn struct {
	Value string
}

// The --fail-on values.
const (
	failOnError   = "error"
	failOnWarning = "warning"
	failOnNever   = "never"
)

// register adds --fail-on with its default and what the default means for
// the command.
func (f *failOn) register(c *cobra.Command, def, why string) {
	c.Flags().StringVar(&f.Value, "fail-on", def, "exit 1 at the end when exchanges fell short: error (a failed exchange or one without reply), warning (a warning too) or never; "+why)
	_ = c.RegisterFlagCompletionFunc("fail-on", fixedCompletion(failOnError, failOnWarning, failOnNever))
}

// check is the usage error of a bad value.
func (f *failOn) check() error {
	switch f.Value {
	case failOnError, failOnWarning, failOnNever:
		return nil
	}
	return usageErrorf("--fail-on must be error, warning or never, not %q", f.Value)
}

// err is the contract error of a summary that fell short by --fail-on,
// or nil.
func (f *failOn) err(s *run.Summary) error {
	switch {
	case f.Value == failOnNever:
		return nil
	case s.Failed() > 0:
		return &run.ContractError{Failed: s.Failed(), What: "exchange(s) failed or got no reply (--fail-on " + f.Value + ")"}
	case f.Value == failOnWarning && s.Warnings > 0:
		return &run.ContractError{Failed: s.Warnings, What: "warning(s) (--fail-on warning)"}
	}
	return nil
}
