package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/record"
)

// twin is one configuration served twice: on the lean path and by net/http
// alone, each with its own records.
type twin struct {
	lean, plain *Server
	leanRecs    *recorded
	plainRecs   *recorded
}

type recorded struct {
	mu   sync.Mutex
	recs []*record.Record
}

func (r *recorded) take() []*record.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.recs
	r.recs = nil
	return out
}

func startTwin(t testing.TB, cfg Config) *twin {
	t.Helper()
	tw := &twin{leanRecs: &recorded{}, plainRecs: &recorded{}}
	o := Options{ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second}
	for _, side := range []struct {
		srv   **Server
		recs  *recorded
		plain bool
	}{{&tw.lean, tw.leanRecs, false}, {&tw.plain, tw.plainRecs, true}} {
		c := cfg
		recs := side.recs
		c.Record = func(r *record.Record) error {
			if cfg.Record != nil { // the set-up's own recorder first (one that fails)
				if err := cfg.Record(r); err != nil {
					return err
				}
			}
			recs.mu.Lock()
			defer recs.mu.Unlock()
			recs.recs = append(recs.recs, r)
			return nil
		}
		oo := o
		oo.plain = side.plain
		srv, err := StartWith("127.0.0.1:0", NewHandler(c), oo)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
		*side.srv = srv
	}
	if tw.lean.lean == nil || tw.plain.lean != nil {
		t.Fatal("the twin is not a lean and a plain server")
	}
	return tw
}

// exchange sends raw on a fresh connection, closes the sending side and
// reads the replies until the server closes.
func exchangeRaw(t testing.TB, srv *Server, raw []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(raw); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	b, _ := io.ReadAll(c)
	return b
}

var dateLine = regexp.MustCompile(`(?m)^Date: [^\r\n]*\r$`)

// comparable is a record with what differs from one run to the next (its
// time and latency) taken out, as JSON.
func comparable(t testing.TB, recs []*record.Record) string {
	t.Helper()
	var b strings.Builder
	for _, r := range recs {
		c := *r
		c.Time = time.Time{}
		if c.Response != nil {
			resp := *c.Response
			resp.LatencyMS = 0
			c.Response = &resp
		}
		j, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// agree sends raw to both servers of tw and requires the same bytes back
// (but the Date header's value) and the same records; it returns the reply.
func (tw *twin) agree(t testing.TB, raw []byte) string {
	t.Helper()
	lean := dateLine.ReplaceAll(exchangeRaw(t, tw.lean, raw), []byte("Date: -\r"))
	plain := dateLine.ReplaceAll(exchangeRaw(t, tw.plain, raw), []byte("Date: -\r"))
	if !bytes.Equal(lean, plain) {
		t.Fatalf("for %q\nthe lean path answered\n%q\nnet/http\n%q", raw, lean, plain)
	}
	lr, pr := comparable(t, tw.leanRecs.take()), comparable(t, tw.plainRecs.take())
	if lr != pr {
		t.Fatalf("for %q\nthe lean path recorded\n%s\nnet/http\n%s", raw, lr, pr)
	}
	return string(lean)
}

const tencentQuery = "/?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"

func post(target, headers string, body []byte) []byte {
	return fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: 127.0.0.1:9302\r\n%sContent-Length: %d\r\n\r\n%s", target, headers, len(body), body)
}

// leanSeeds are requests on the lean path and beside it: each is answered
// the same by both.
func leanSeeds(good []byte) [][]byte {
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	wrk := post(tencentQuery, "Content-Type: application/json\r\n", good)
	return [][]byte{
		wrk,
		cat(wrk, wrk, wrk), // pipelined
		// The same head again with another body: a body of the same
		// length that is not JSON, then one of another length, then the
		// first again.
		cat(wrk, post(tencentQuery, "Content-Type: application/json\r\n", bytes.Repeat([]byte("x"), len(good))),
			post(tencentQuery, "Content-Type: application/json\r\n", []byte(`{}`)), wrk),
		post(tencentQuery, "content-type: application/json\r\nuser-agent: x\r\nX-A: 1\r\nx-a:  2 \r\n", good),
		post(tencentQuery, "Authorization: Bearer s3cret\r\nCookie: a=b\r\n", good),
		post("/callback/callbackAfterSendSingleMsgCommand", "Content-Type: application/json\r\n", []byte(`{"sendID":"u1"}`)),
		post("/?SdkAppid=1400000000&CallbackCommand=C2C.NoSuchThing", "", good),
		post("/nothing", "", good),
		post(tencentQuery, "", []byte(`{"a":`)),
		post(tencentQuery, "", nil),
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\n\r\n"),
		[]byte("GET " + tencentQuery + " HTTP/1.1\r\nHost: h\r\n\r\n"),
		[]byte("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"),
		[]byte("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"),
		[]byte("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"),
		[]byte("POST " + tencentQuery + " HTTP/1.0\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"),
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"),
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"),
		cat(wrk, []byte("POST "+tencentQuery+" HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"), wrk),
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n{}"), // truncated body
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nContent-Len"),                  // truncated head
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"),             // no Host
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 2\r\n\r\n{}"),
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}"),
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nContent-Length: +2\r\n\r\n{}"),
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n{}"), // over MaxBody
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nBad Name: x\r\nContent-Length: 2\r\n\r\n{}"),
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\n{}"), // folded
		[]byte("POST " + tencentQuery + " HTTP/1.1\nHost: h\nContent-Length: 2\n\n{}"),                       // bare LF
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nX: \x01\r\nContent-Length: 2\r\n\r\n{}"),
		[]byte("POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\nContent-Length: 2\r\n\r\n{}"),
		[]byte("POST http://h/?CallbackCommand=C2C.CallbackAfterSendMsg HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"),
		[]byte("POST /a%zz HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"),
		post(tencentQuery, "X-Big: "+strings.Repeat("a", 5000)+"\r\n", good), // a head over the lean limit
		post(tencentQuery, "X-Huge: "+strings.Repeat("a", 70<<10)+"\r\n", good),
		[]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
		[]byte("\r\n"),
		[]byte("garbage\r\n\r\n"),
	}
}

// The lean path answers and records every request as net/http does: the
// same bytes (but the Date), the same records, for requests on the lean
// path and for those it hands to net/http, alone and on one connection
// after others. A reply file over net/http's buffer is sent chunked by both.
func TestLeanAgreesWithNetHTTP(t *testing.T) {
	good := body(t, sendMsg)
	tw := startTwin(t, Config{})
	for _, raw := range leanSeeds(good) {
		tw.agree(t, raw)
	}
	if n := tw.lean.lean.served.Load(); n == 0 {
		t.Fatal("the lean path answered no request")
	}
	if n := tw.lean.lean.handedOff.Load(); n == 0 {
		t.Fatal("the lean path handed no connection to net/http")
	}

	big := []byte(`{"ActionStatus":"OK","ErrorCode":0,"Pad":"` + strings.Repeat("x", 3000) + `"}`)
	tw = startTwin(t, Config{ReplyFiles: map[string][]byte{"": big}, MaxBody: 512})
	for _, raw := range [][]byte{
		post(tencentQuery, "", good[:min(len(good), 500)]),
		post(tencentQuery, "", bytes.Repeat([]byte("x"), 600)), // over MaxBody: net/http's 413
	} {
		tw.agree(t, raw)
	}
	if !strings.Contains(tw.agree(t, post(tencentQuery, "", []byte("{}"))), "Transfer-Encoding: chunked") {
		t.Fatal("a reply over 2048 bytes was not sent chunked")
	}

	// A record that cannot be written (a full disk): the same 500, not
	// acknowledged, on both paths.
	tw = startTwin(t, Config{Record: func(*record.Record) error { return errors.New("write calls.jsonl: no space left on device") }})
	if got := tw.agree(t, post(tencentQuery, "", good)); !strings.HasPrefix(got, "HTTP/1.1 500 ") || !strings.Contains(got, "not acknowledged") {
		t.Fatalf("with the record failing: %q", got)
	}
}

// The lean path's replies and records hold to net/http's for any bytes.
func FuzzLeanAgreesWithNetHTTP(f *testing.F) {
	good := body(f, sendMsg)
	for _, s := range leanSeeds(good) {
		if len(s) < 8<<10 {
			f.Add(s)
		}
	}
	tw := startTwin(f, Config{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		tw.agree(t, raw)
	})
}

// Shutdown on the lean path closes idle connections, waits for a request
// in flight to be recorded and answered, and refuses new connections.
func TestLeanShutdownWaitsForInFlight(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var recorded int
	var mu sync.Mutex
	srv, err := Start("127.0.0.1:0", NewHandler(Config{Record: func(*record.Record) error {
		entered <- struct{}{}
		<-release
		mu.Lock()
		recorded++
		mu.Unlock()
		return nil
	}}))
	if err != nil {
		t.Fatal(err)
	}
	if srv.lean == nil {
		t.Fatal("not on the lean path")
	}
	addr := strings.TrimPrefix(srv.URL, "http://")
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, err := busy.Write(post(tencentQuery, "", body(t, sendMsg))); err != nil {
		t.Fatal(err)
	}
	<-entered
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background()) }()
	// The idle connection is closed by the shutdown.
	_ = idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := idle.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("the idle connection: %d bytes, %v; want it closed", n, err)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	default:
	}
	close(release)
	reply, _ := io.ReadAll(busy)
	if !bytes.HasPrefix(reply, []byte("HTTP/1.1 200 OK\r\n")) {
		t.Fatalf("the request in flight got %q", reply)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if recorded != 1 {
		t.Fatalf("%d records, want 1", recorded)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("a connection was accepted after Shutdown")
	}
}

// The lean path keeps net/http's timeouts and answers as it does when they
// pass: a head that does not end within ReadHeaderTimeout (in its request
// line or in its header) and a body that does not end within ReadTimeout
// (400, Connection: close, saying it timed out) get the same reply, and
// the connection is closed.
func TestLeanTimeouts(t *testing.T) {
	o := Options{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond}
	slowRequests := []string{
		"POS",
		"POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nContent-",
		"POST " + tencentQuery + " HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n{",
	}
	got := map[bool][]string{}
	for _, plain := range []bool{false, true} {
		oo := o
		oo.plain = plain
		srv, err := StartWith("127.0.0.1:0", NewHandler(Config{}), oo)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Shutdown(context.Background())
		if (srv.lean != nil) == plain {
			t.Fatal("not the path under test")
		}
		for _, raw := range slowRequests {
			c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write([]byte(raw)); err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(c) // the sending side stays open
			c.Close()
			if err != nil {
				t.Fatalf("plain %v, %q: the server did not close the connection: %v", plain, raw, err)
			}
			// The timeout's message names the connection's addresses.
			got[plain] = append(got[plain], regexp.MustCompile(`read tcp \S+->\S+: `).ReplaceAllString(dateLine.ReplaceAllString(string(b), "Date: -\r"), ""))
		}
	}
	for i, raw := range slowRequests {
		if got[false][i] != got[true][i] {
			t.Errorf("for %q the lean path answered\n%q\nnet/http\n%q", raw, got[false][i], got[true][i])
		}
	}
	if body := got[false][2]; !strings.HasPrefix(body, "HTTP/1.1 400 Bad Request\r\n") || !strings.Contains(body, "\r\nConnection: close\r\n") || !strings.Contains(body, "i/o timeout") {
		t.Errorf("a slow body got %q, want 400, closed, saying it timed out", body)
	}
}
