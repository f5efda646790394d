//go:build unix

package main

import (
	"fmt"
	"syscall"
)

// closedAddr returns a 127.0.0.1 address that refuses connections for as
// long as the test binary runs: a socket bound to it and never listening.
// A port closed after listening (net.Listen, then Close) can be handed to
// another test's listener while the scripts run in parallel; a bound port
// is not handed out again, and a connection to it is refused (RST).
func closedAddr() (string, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "", err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return "", err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port), nil // fd stays open: the port stays taken
}
