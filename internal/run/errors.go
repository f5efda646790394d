package run

import "fmt"

// The run's results besides success. cmd/exit.go maps each to an exit code;
// nothing else does.

// UnreachableError: no exchange reached the target (exit 3).
type UnreachableError struct{ Reason string }

func (e *UnreachableError) Error() string {
	return "the target could not be reached: " + e.Reason
}

// ContractError: exchanges broke the contract, checks failed, or the input
// had problems (exit 1). The summary has said which.
type ContractError struct {
	Failed int64
	What   string
}

func (e *ContractError) Error() string { return fmt.Sprintf("%d %s", e.Failed, e.What) }

// InputError: an input could not be read, or holds nothing to send (exit 2).
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// OutputError: an output (--record, --junit, stdout) could not be written
// (exit 2).
type OutputError struct {
	Flag, Path string
	Err        error
}

func (e *OutputError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: %v", e.Flag, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Flag, e.Path, e.Err)
}
func (e *OutputError) Unwrap() error { return e.Err }

// InterruptedError: the run was stopped by a signal (exit 130).
type InterruptedError struct{ Exchanges int64 }

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted after %d exchange(s)", e.Exchanges)
}
