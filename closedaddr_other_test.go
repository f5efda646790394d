//go:build !unix

package main

import "net"

// closedAddr returns a 127.0.0.1 port nothing listens on (closed after
// listening; on unix a bound socket keeps it from being handed out again).
func closedAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}
