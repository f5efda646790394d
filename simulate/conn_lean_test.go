package simulate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"github.com/imhook/imhook/fixtures/generate"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
)

// leanAgrees parses data with leanHead and, when it takes the reply, checks
// that http.ReadResponse gives the same response and the same body (read up
// to limit+1 bytes as the client reads it). It reports whether leanHead took
// the reply.
func leanAgrees(t *testing.T, data []byte, limit int64) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/cb", nil)
	br := bufio.NewReaderSize(bytes.NewReader(data), 16<<10)
	_, _ = br.Peek(1)
	resp, n, ok := leanHead(br, req, nil)
	if !ok {
		return false
	}
	// A reused response gives the same, whatever it held before; and so
	// does the head remembered from the call before (the second call).
	for i := 0; i < 2; i++ {
		if again, n2, ok := leanHead(br, req, testScratch); !ok || n2 != n || !reflect.DeepEqual(again, resp) {
			t.Fatalf("%q: with a scratch (call %d): %v %d %+v, want %d %+v", data, i, ok, n2, again, n, resp)
		}
	}
	if testScratch.head == "" {
		t.Fatalf("%q: the scratch remembers no head", data)
	}
	ref, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), req)
	if err != nil {
		t.Fatalf("leanHead took a reply ReadResponse rejects (%v): %q", err, data)
	}
	type view struct {
		Status                string
		StatusCode            int
		Proto                 string
		ProtoMajor, ProtoMini int
		Header                http.Header
		ContentLength         int64
		Close                 bool
		TransferEncoding      []string
		Trailer               http.Header
	}
	got := view{resp.Status, resp.StatusCode, resp.Proto, resp.ProtoMajor, resp.ProtoMinor, resp.Header, resp.ContentLength, resp.Close, resp.TransferEncoding, resp.Trailer}
	want := view{ref.Status, ref.StatusCode, ref.Proto, ref.ProtoMajor, ref.ProtoMinor, ref.Header, ref.ContentLength, ref.Close, ref.TransferEncoding, ref.Trailer}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\nlean %+v\nnet/http %+v", data, got, want)
	}
	if resp.Request != req {
		t.Fatal("the response does not point to its request")
	}
	_, _ = br.Discard(n)
	var gb, wb bytes.Buffer
	gerr := readBody(br, &gb, resp.ContentLength, limit)
	_, werr := wb.ReadFrom(io.LimitReader(ref.Body, limit+1))
	switch {
	case (gerr == nil) != (werr == nil):
		t.Fatalf("%q: body errors differ: lean %v, net/http %v", data, gerr, werr)
	case gerr != nil && errors.Is(gerr, io.ErrUnexpectedEOF) != errors.Is(werr, io.ErrUnexpectedEOF):
		t.Fatalf("%q: body errors differ: lean %v, net/http %v", data, gerr, werr)
	case gerr == nil && !bytes.Equal(gb.Bytes(), wb.Bytes()):
		t.Fatalf("%q: bodies differ: lean %q, net/http %q", data, gb.Bytes(), wb.Bytes())
	}
	return true
}

var leanCases = []struct {
	reply string
	lean  bool // leanHead takes it (else ReadResponse does)
}{
	{"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sun, 22 Nov 2026 06:00:00 GMT\r\nContent-Length: 50\r\n\r\n" + `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`, true},
	{"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-weird-NAME:  a b \t\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\nokEXTRA", true},
	{"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", true},
	{"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", true},
	{"HTTP/1.1 299 Custom reason phrase\r\nContent-Length: 1\r\n\r\nx", true},
	{"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", true},
	{"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", true},
	{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true},
	{"HTTP/1.1 200 OK\r\nConnection: keep-alive, CLOSE\r\nContent-Length: 2\r\n\r\nok", true},
	{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true},
	{"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + strings.Repeat("x", 5000), true},
	{"HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567", true},
	{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
	{"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", false},
	{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false},
	{"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n", false},
	{"HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n", false},
	{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false},
	{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n folded\r\n\r\nok", false},
	{"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", false},
	{"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nok", false},
	{"HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 2\r\n\r\nok", false},
	{"HTTP/1.1 200 OK\r\nTrailer: X\r\nContent-Length: 2\r\n\r\nok", false},
	{"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false},
	{"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok", false},
	{"HTTP/1.1 200 OK\r\nX_Under: x\r\nContent-Length: 2\r\n\r\nok", false},
	{"HTTP/1.1 200 OK\r\nX: caf\xc3\xa9\r\nContent-Length: 2\r\n\r\nok", false},
	{"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"HTTP/1.1  200 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", false}, // the head is not all there
	{"HTTP/1.1 200 OK\r\n\r\n", false},
}

var testScratch = &leanScratch{}

func TestLeanHeadAgreesWithReadResponse(t *testing.T) {
	for _, tc := range leanCases {
		for _, limit := range []int64{1000, 3} {
			if got := leanAgrees(t, []byte(tc.reply), limit); got != tc.lean {
				t.Errorf("%q: lean %v, want %v", tc.reply, got, tc.lean)
			}
		}
	}
	// A body larger than the buffer, read in pieces, whole and cut.
	big := "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("0123456789", 10000)
	for _, reply := range []string{big, big[:len(big)-1]} {
		for _, limit := range []int64{1 << 20, 50000} {
			if !leanAgrees(t, []byte(reply), limit) {
				t.Errorf("a %d-byte reply did not take the lean path", len(reply))
			}
		}
	}
}

// FuzzLeanHead holds leanHead to http.ReadResponse on any reply it takes.
func FuzzLeanHead(f *testing.F) {
	for _, tc := range leanCases {
		f.Add([]byte(tc.reply), uint16(1000))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		leanAgrees(t, data, int64(limit))
	})
}

// rawServer answers each request on a connection with the next of replies
// (written in the pieces given, with a pause between them), closing the
// connection after a reply that ends in a "" piece.
func rawServer(t *testing.T, replies [][]string) (url string, conns func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	next, accepted := 0, 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted++
			mu.Unlock()
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					mu.Lock()
					r := replies[next%len(replies)]
					next++
					mu.Unlock()
					for i, p := range r {
						if p == "" {
							return
						}
						if i > 0 {
							time.Sleep(20 * time.Millisecond)
						}
						if _, err := c.Write([]byte(p)); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/cb", func() int { mu.Lock(); defer mu.Unlock(); return accepted }
}

// The client keeps or drops the connection as HTTP/1.1 says, through the
// lean path and through ReadResponse alike.
func TestConnClientRawReplies(t *testing.T) {
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	for _, tc := range []struct {
		name  string
		reply []string
		body  string
		conns int // connections used for three requests
		err   bool
	}{
		{"keep-alive", []string{ok}, "ok", 1, false},
		{"head in two writes", []string{"HTTP/1.1 200 OK\r\nContent-", "Length: 2\r\n\r\nok"}, "ok", 1, false},
		{"body in two writes", []string{"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok", "ok"}, "okok", 1, false},
		{"HTTP/1.0", []string{"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", ""}, "ok", 3, false},
		{"HTTP/1.0 keep-alive", []string{"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"}, "ok", 1, false},
		{"Connection: close", []string{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", ""}, "ok", 3, false},
		{"chunked", []string{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"}, "ok", 1, false},
		{"until close", []string{"HTTP/1.1 200 OK\r\n\r\nok", ""}, "ok", 3, false},
		{"over the limit", []string{"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + strings.Repeat("x", 20)}, strings.Repeat("x", 11), 3, false},
		{"cut short", []string{"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nok", ""}, "", 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, conns := rawServer(t, [][]string{tc.reply})
			cc := newConnClient(nil, nil)
			defer cc.close()
			for i := 0; i < 3; i++ {
				req, _ := http.NewRequest(http.MethodPost, url, nil)
				var buf bytes.Buffer
				resp, err := cc.do(context.Background(), req, []byte("{}"), time.Now().Add(2*time.Second), &buf, 10)
				if tc.err {
					if err == nil {
						t.Fatalf("request %d: no error for %q", i, tc.reply)
					}
					continue
				}
				if err != nil || resp.StatusCode != 200 || buf.String() != tc.body {
					t.Fatalf("request %d: %v %q %v", i, resp, buf.String(), err)
				}
			}
			if got := conns(); got != tc.conns {
				t.Errorf("%d connections for three requests, want %d", got, tc.conns)
			}
		})
	}
}

func BenchmarkReadReply(b *testing.B) {
	reply := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sun, 22 Nov 2026 06:00:00 GMT\r\nContent-Length: 50\r\n\r\n" +
		`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/cb", nil)
	for _, lean := range []bool{false, true} {
		name := "ReadResponse"
		if lean {
			name = "lean"
		}
		b.Run(name, func(b *testing.B) {
			r := bytes.NewReader(reply)
			br := bufio.NewReaderSize(r, 16<<10)
			var buf bytes.Buffer
			sc := &leanScratch{}
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				r.Reset(reply)
				br.Reset(r)
				buf.Reset()
				_, _ = br.Peek(1)
				if lean {
					resp, n, ok := leanHead(br, req, sc)
					if !ok {
						b.Fatal("not lean")
					}
					_, _ = br.Discard(n)
					if err := readBody(br, &buf, resp.ContentLength, 1<<20); err != nil {
						b.Fatal(err)
					}
					continue
				}
				resp, err := http.ReadResponse(br, req)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := buf.ReadFrom(io.LimitReader(resp.Body, 1<<20+1)); err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}

func TestAppendRequestURI(t *testing.T) {
	for _, s := range []string{"http://h/cb?a=1&b=%20", "http://h", "http://h/", "http://h/a%2Fb/c d?x", "http://h/p?", "mailto:x@y", "http://h/%E4%BD%A0?q=%E4%BD%A0"} {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendRequestURI(nil, u)); got != u.RequestURI() {
			t.Errorf("%s: %q, want %q", s, got, u.RequestURI())
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, _ := generate.Generate(e, generate.GenOptions{Seed: 1})
	s := &Sender{Target: "http://127.0.0.1:9000/im/callback", Params: platform.Params{Token: "xxxxyyyy"}}
	req, _ := s.Build(Callback{Entry: e, Body: body})
	cc := newConnClient(nil, nil)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		cc.encode(req, body)
	}
}
