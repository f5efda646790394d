package nettest

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

// The address refuses connections and, where the port is held (unix), no
// listener can take it.
func TestRefused(t *testing.T) {
	addr := Refused(t)
	if c, err := net.Dial("tcp", addr); err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("dial %s: %v, want connection refused", addr, err)
	}
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		if holdsPort {
			t.Fatalf("listen %s: the port was free", addr)
		}
	}
}
