//go:build unix

package nettest

import (
	"fmt"
	"syscall"
)

// holdsPort: RefusedAddr's port is kept from other listeners.
const holdsPort = true

// RefusedAddr returns a 127.0.0.1 address that refuses connections until
// release: a socket bound to it and never listening. A port closed after
// listening (net.Listen, then Close) can be handed to another test's
// listener while tests run in parallel; a bound port is not handed out
// again, and a connection to it is refused (RST).
func RefusedAddr() (addr string, release func(), err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "", nil, err
	}
	release = func() { syscall.Close(fd) }
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		release()
		return "", nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		release()
		return "", nil, err
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port), release, nil
}
