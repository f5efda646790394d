//go:build unix

package cmd

import "syscall"

// fileLimit is the most files the process may open (its soft RLIMIT_NOFILE, none when unlimited,
// which the Go runtime raised to the hard one at start).
var fileLimit = func() (int64, bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<40 {
		return 0, false
	}
	return int64(rl.Cur), true
}
