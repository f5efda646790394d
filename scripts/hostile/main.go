// Command hostile is the other side of scripts/attacks.sh: backends on
// 127.0.0.1 that answer badly on purpose, and the comparison of a caller's
// records with serve's. Standard library only.
//
// Each backend says "hostile: listening on http://ADDR" on stderr (ADDR may
// be 127.0.0.1:0 for a free port).
//
//	hostile endless-header ADDR    every reply's header goes on until the client hangs up
//	hostile endless-chunked ADDR   every reply's chunked body goes on until the client hangs up
//	hostile slow ADDR DELAY        answers {"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0} after DELAY, with Connection: close, X-Hop and an X-Hop header
//	hostile compare CALLER SERVE   counts the exchanges whose serve record says another status than the caller got
//	hostile since FILE UNIXNANO    counts the records of FILE answered 200 at or after the time
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: hostile endless-header|endless-chunked ADDR | slow ADDR DELAY | compare CALLER SERVE")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "endless-header":
		raw(os.Args[2], "HTTP/1.1 200 OK\r\nX-Endless: ", strings.Repeat("a", 64<<10))
	case "endless-chunked":
		raw(os.Args[2], "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", "10000\r\n"+strings.Repeat("a", 0x10000)+"\r\n")
	case "slow":
		d, err := time.ParseDuration(os.Args[3])
		if err != nil {
			fail(err)
		}
		fail(http.Serve(listen(os.Args[2]), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			time.Sleep(d)
			w.Header().Set("Connection", "close, X-Hop")
			w.Header().Set("X-Hop", "hop-by-hop")
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
		})))
	case "compare":
		compare(os.Args[2], os.Args[3])
	case "since":
		since(os.Args[2], os.Args[3])
	default:
		fail(fmt.Errorf("unknown mode %q", os.Args[1]))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hostile:", err)
	os.Exit(1)
}

// listen listens on addr and says where.
func listen(addr string) net.Listener {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "hostile: listening on http://%s\n", ln.Addr())
	return ln
}

// raw answers every request on addr with head, then chunk again and again.
func raw(addr, head, chunk string) {
	ln := listen(addr)
	for {
		c, err := ln.Accept()
		if err != nil {
			fail(err)
		}
		go func() {
			defer c.Close()
			br := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				if _, err := io.WriteString(c, head); err != nil {
					return
				}
				for {
					if _, err := io.WriteString(c, chunk); err != nil {
						return
					}
				}
			}
		}()
	}
}

// line is what compare reads of a record.
type line struct {
	Time    time.Time `json:"time"`
	Request struct {
		Body json.RawMessage `json:"body"`
	} `json:"request"`
	Response *struct {
		Status int `json:"status"`
	} `json:"response"`
}

// key is a callback's MsgKey (or its whole body).
func key(body json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		if k, ok := m["MsgKey"].(string); ok {
			return k
		}
	}
	return string(body)
}

// since prints how many records of path were answered 200 at or after
// the time (Unix nanoseconds).
func since(path, unixNano string) {
	var ns int64
	if _, err := fmt.Sscan(unixNano, &ns); err != nil {
		fail(err)
	}
	t := time.Unix(0, ns)
	n := 0
	each(path, func(l *line) {
		if l.Response != nil && l.Response.Status == 200 && !l.Time.Before(t) {
			n++
		}
	})
	fmt.Println(n)
}

func each(path string, f func(*line)) {
	file, err := os.Open(path)
	if err != nil {
		fail(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var l line
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Request.Body != nil {
			f(&l)
		}
	}
}

func read(path string) map[string]int {
	out := map[string]int{}
	each(path, func(l *line) {
		st := 0
		if l.Response != nil {
			st = l.Response.Status
		}
		out[key(l.Request.Body)] = st
	})
	return out
}

// compare prints how many of serve's records say a status the caller did
// not get (0: none came).
func compare(callerPath, servePath string) {
	caller, served := read(callerPath), read(servePath)
	relayed, mismatch, missing := 0, 0, 0
	for k, st := range served {
		got, ok := caller[k]
		if !ok {
			missing++
			continue
		}
		if st == 200 {
			relayed++
		}
		if st == 200 && got != 200 {
			mismatch++
		}
	}
	fmt.Printf("caller records %d, serve records %d, serve says 200 relayed %d, of which the caller got no 200: %d, serve records with no caller record: %d\n",
		len(caller), len(served), relayed, mismatch, missing)
}
