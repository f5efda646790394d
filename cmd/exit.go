package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/imhook/imhook/record"
)

// Exit codes (DESIGN.md).
const (
	ExitOK          = 0
	ExitContract    = 1   // a reply or payload broke the contract
	ExitUsage       = 2   // usage, configuration or input error
	ExitUnreachable = 3   // the target could not be reached
	ExitInterrupted = 130 // SIGINT / SIGTERM
)

// ExitError carries an exit code. Silent errors have been reported already
// (a summary said what failed) and print nothing more.
type ExitError struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

func usageErrorf(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// ExitCode maps an error to imhook's exit code; this is the only place that
// does.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	// Anything else (cobra's argument errors, unreadable files) is a usage
	// or input error.
	return ExitUsage
}

// openRecord opens --record FILE for appending; no path, no writer.
func openRecord(path string) (*record.Writer, error) {
	if path == "" {
		return nil, nil
	}
	w, err := record.OpenFile(path)
	if err != nil {
		return nil, usageErrorf("--record: %v", err)
	}
	return w, nil
}

// closeRecord closes --record FILE's writer (nil: nothing to close); an
// earlier write error (writeErr) wins over the close's. Either is a usage
// error naming the file.
func closeRecord(rw *record.Writer, path string, writeErr error) error {
	if rw != nil {
		if err := rw.Close(); err != nil && writeErr == nil {
			writeErr = err
		}
	}
	if writeErr != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--record %s: %w", path, writeErr)}
	}
	return nil
}
