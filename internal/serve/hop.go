package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// net/http's client takes the Connection header out of a reply that says
// close in it ("Connection: close, X-Hop"), and with it the names of the
// other hop-by-hop headers it lists, which the forwarder must not relay.
// The forwarder's connections (headConn) therefore keep the first bytes of
// each reply, where its heads are, and the forwarder reads the names from
// there.

// headCapture is how many bytes of each reply a headConn keeps.
const headCapture = 16 << 10

// headConn is a connection that keeps the first headCapture bytes read
// since its last write: the heads of the reply to the request written.
type headConn struct {
	net.Conn
	mu       sync.Mutex
	head     []byte
	lastRead bool
}

func (c *headConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.lastRead {
		c.head, c.lastRead = c.head[:0], false
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *headConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.lastRead = true
	if room := headCapture - len(c.head); room > 0 && n > 0 {
		c.head = append(c.head, p[:min(n, room)]...)
	}
	c.mu.Unlock()
	return n, err
}

// connectionNames are the header names the Connection headers of the
// reply's heads list (1xx heads included), lower-case.
func (c *headConn) connectionNames() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var names []string
	rest := c.head
	for len(rest) > 0 {
		end := bytes.Index(rest, []byte("\r\n\r\n"))
		if end < 0 {
			end = len(rest)
		}
		head := string(rest[:end])
		status, lines, _ := strings.Cut(head, "\r\n")
		for _, l := range strings.Split(lines, "\r\n") {
			k, v, ok := strings.Cut(l, ":")
			if ok && strings.EqualFold(strings.TrimSpace(k), "Connection") {
				for _, n := range strings.Split(v, ",") {
					if n = strings.TrimSpace(n); n != "" {
						names = append(names, strings.ToLower(n))
					}
				}
			}
		}
		// A 1xx head is followed by the final one.
		if f := strings.Fields(status); len(f) < 2 || !strings.HasPrefix(f[1], "1") || end+4 > len(rest) {
			break
		}
		rest = rest[end+4:]
	}
	return names
}

// capturing is client with a transport whose connections are headConns
// (plain and TLS), so that the forwarder can read the reply's Connection
// names; a client whose transport is not an *http.Transport is kept.
func capturing(client *http.Client) *http.Client {
	tr, ok := client.Transport.(*http.Transport)
	if !ok {
		return client
	}
	tr = tr.Clone()
	dial := tr.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &headConn{Conn: conn}, nil
	}
	tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := &tls.Config{}
		if tr.TLSClientConfig != nil {
			cfg = tr.TLSClientConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		hctx, cancel := context.WithTimeout(ctx, cmpDuration(tr.TLSHandshakeTimeout, 10*time.Second))
		defer cancel()
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(hctx); err != nil {
			raw.Close()
			return nil, err
		}
		return &headConn{Conn: tc}, nil
	}
	c := *client
	c.Transport = tr
	return &c
}

func cmpDuration(d, or time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return or
}
