package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/imhook/imhook/internal/run"
	"github.com/imhook/imhook/internal/suite"
)

// Exit codes ('imhook help environment').
const (
	ExitOK          = 0
	ExitContract    = 1   // a reply or payload broke the contract
	ExitUsage       = 2   // usage, configuration or input error
	ExitUnreachable = 3   // the target could not be reached
	ExitInterrupted = 130 // SIGINT / SIGTERM / SIGHUP
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

// usageErrorf is a usage or configuration error (exit 2).
func usageErrorf(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// ExitCode maps an error to imhook's exit code; this is the only place that
// does. The domain's errors are typed (package run: a target that cannot be
// reached, a broken contract, an input or output that fails, an
// interruption; package suite: a bad suite file).
func ExitCode(err error) int {
	var (
		ee          *ExitError
		unreachable *run.UnreachableError
		contract    *run.ContractError
		input       *run.InputError
		output      *run.OutputError
		interrupted *run.InterruptedError
		suiteErr    *suite.Error
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &unreachable):
		return ExitUnreachable
	case errors.As(err, &contract):
		return ExitContract
	case errors.As(err, &input), errors.As(err, &output), errors.As(err, &suiteErr):
		return ExitUsage
	case errors.As(err, &interrupted), errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	// Anything else (cobra's argument errors, unreadable files) is a usage
	// or input error.
	return ExitUsage
}

// silent reports an error whose story the output has told already.
func silent(err error) bool {
	var ee *ExitError
	var contract *run.ContractError
	return errors.As(err, &contract) || (errors.As(err, &ee) && ee.Silent)
}
