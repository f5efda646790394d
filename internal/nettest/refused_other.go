//go:build !unix

package nettest

import "net"

// holdsPort: RefusedAddr's port is not kept from other listeners.
const holdsPort = false

// RefusedAddr returns a 127.0.0.1 port nothing listens on: closed after
// listening, so, unlike on unix, another listener may be handed it later.
func RefusedAddr() (addr string, release func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr = ln.Addr().String()
	return addr, func() {}, ln.Close()
}
