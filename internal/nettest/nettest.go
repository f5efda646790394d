// Package nettest gives tests network addresses with a known behaviour.
package nettest

import "testing"

// Refused returns a 127.0.0.1 address that refuses connections until tb's
// test ends (RefusedAddr).
func Refused(tb testing.TB) string {
	tb.Helper()
	addr, release, err := RefusedAddr()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(release)
	return addr
}
