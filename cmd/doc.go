// Package cmd is imhook's command line: one file per subcommand, each an
// options struct, a constructor that wires flags and a run function that
// tests call directly. Errors map to exit codes in exit.go, and nowhere else.
//
// For a Go program, Run drives the whole command line in its process with
// the streams it is given (ui.Streams: input, output, error output, the
// environment) and returns the exit code, as the end-to-end tests and
// examples/backend's test do; Execute is main's. The library packages
// (simulate, replay, validate, record, fixtures, imhooktest) speak of their
// own settings; this package adds the flags' names to their advice.
package cmd
