package simulate

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/record"
)

// endlessHeaderServer answers every request with a status line and a header
// line that goes on until the client hangs up, or until max bytes were sent
// (so that a client without a limit ends too). sent counts the header bytes.
func endlessHeaderServer(t *testing.T, max int64) (url string, sent *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	sent = new(atomic.Int64)
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Endless: ")
				for n := int64(0); n < max; n += int64(len(chunk)) {
					if _, err := c.Write(chunk); err != nil {
						return
					}
					sent.Add(int64(len(chunk)))
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/cb", sent
}

// A reply whose header never ends is given up at MaxReplyHeaderBytes, on the
// load engine's connection as on the single-request client, with an error
// that says so: it does not read on until the deadline (and its memory).
func TestReplyHeaderLimit(t *testing.T) {
	const sendAtMost = 4 * MaxReplyHeaderBytes
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, _ := generate.Generate(e, generate.GenOptions{Seed: 1})
	check := func(t *testing.T, rec *record.Record, sent int64) {
		t.Helper()
		if rec.Response != nil || !strings.Contains(rec.Error, "header is larger than 10485760 bytes") {
			t.Fatalf("response %v, error %q; want no response and the header limit", rec.Response, rec.Error)
		}
		// The server writes into socket buffers ahead of the reader; well
		// below what it would send to a reader without a limit.
		if sent >= sendAtMost {
			t.Fatalf("the server sent all %d header bytes: the client read past its limit", sent)
		}
	}
	t.Run("load", func(t *testing.T) {
		url, sent := endlessHeaderServer(t, sendAtMost)
		s := &Sender{Target: url, Timeout: 20 * time.Second}
		var got *record.Record
		_, _, err := loadRun(context.Background(), s, LoadOptions{Count: 1}, func(int64) (Callback, error) {
			return Callback{Entry: e, Body: body}, nil
		}, func(r *record.Record) { got = r })
		if err != nil && got == nil {
			t.Fatal(err)
		}
		check(t, got, sent.Load())
	})
	t.Run("single", func(t *testing.T) {
		url, sent := endlessHeaderServer(t, sendAtMost)
		s := &Sender{Target: url, Timeout: 20 * time.Second, Client: NewClient(nil)}
		rec, err := s.Send(context.Background(), Callback{Entry: e, Body: body})
		if err != nil {
			t.Fatal("counted unreachable")
		}
		check(t, rec, sent.Load())
	})
}

// The lean client's limit counts every head of a reply, 1xx ones included,
// as net/http's does: exactly the limit passes, a byte more does not.
func TestConnClientHeaderLimitExact(t *testing.T) {
	final := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
	early := "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
	for _, tc := range []struct {
		name  string
		reply string
		limit int64
		ok    bool
	}{
		{"at the limit", final, int64(len(final)), true},
		{"a byte over", final, int64(len(final)) - 1, false},
		{"1xx counted, at the limit", early + final, int64(len(early + final)), true},
		{"1xx counted, a byte over", early + final, int64(len(early+final)) - 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, _ := rawServer(t, [][]string{{tc.reply, "ok"}})
			cc := newConnClient(nil, nil)
			cc.maxHead = tc.limit
			defer cc.close()
			req, _ := http.NewRequest(http.MethodPost, url, nil)
			var buf bytes.Buffer
			resp, err := cc.do(context.Background(), req, []byte("{}"), time.Now().Add(5*time.Second), &buf, 100)
			if tc.ok && (err != nil || resp.StatusCode != 200 || buf.String() != "ok") {
				t.Fatalf("%v %q %v", resp, buf.String(), err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "header is larger than")) {
				t.Fatalf("%v %q %v; want the header limit", resp, buf.String(), err)
			}
		})
	}
}

// mixedServer answers each request as its body asks: the body is
// "ID PLAN", where PLAN's letters are, in order, the 1xx replies to send
// first (c: 100 Continue, e: 103 Early Hints), then the framing of the final
// reply (l: Content-Length, k: chunked, x: Content-Length and Connection:
// close, u: no length, until close, h: HTTP/1.0), and s to split the writes.
// The final reply's body is "reply to ID", its status finalStatus of the
// number of 1xx replies sent before it.
func mixedServer(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveMixed(c)
		}
	}()
	return "http://" + ln.Addr().String() + "/cb"
}

func serveMixed(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		b, _ := io.ReadAll(req.Body)
		id, plan, _ := strings.Cut(string(b), " ")
		split := strings.Contains(plan, "s")
		write := func(s string) bool {
			if split && len(s) > 1 {
				if _, err := io.WriteString(c, s[:len(s)/2]); err != nil {
					return false
				}
				time.Sleep(time.Millisecond)
				s = s[len(s)/2:]
			}
			_, err := io.WriteString(c, s)
			return err == nil
		}
		n1xx := 0
		var final string
		body := "reply to " + id
		for _, p := range plan {
			switch p {
			case 'c':
				if !write("HTTP/1.1 100 Continue\r\n\r\n") {
					return
				}
				n1xx++
			case 'e':
				if !write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n") {
					return
				}
				n1xx++
			case 'l', 'k', 'x', 'u', 'h':
				if final == "" {
					final = string(p)
				}
			}
		}
		status := strconv.Itoa(finalStatus(n1xx))
		closing := false
		var out string
		switch final {
		case "k":
			out = "HTTP/1.1 " + status + " OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
				fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		case "x":
			out, closing = "HTTP/1.1 "+status+" OK\r\nConnection: close\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body, true
		case "u":
			out, closing = "HTTP/1.1 "+status+" OK\r\n\r\n"+body, true
		case "h":
			out, closing = "HTTP/1.0 "+status+" OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body, true
		default:
			out = "HTTP/1.1 " + status + " OK\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
		}
		if !write(out) || closing {
			return
		}
	}
}

// finalStatus is 200 after no 1xx reply, else 230 plus their number (a
// status with a body: not 204 or 205).
func finalStatus(n1xx int) int {
	if n1xx == 0 {
		return 200
	}
	return 230 + n1xx
}

// checkMixed sends the plans on one connection client and checks that each
// reply is the one to its own request.
func checkMixed(t testing.TB, url string, plans []string) {
	cc := newConnClient(nil, nil)
	defer cc.close()
	for i, plan := range plans {
		req, _ := http.NewRequest(http.MethodPost, url, nil)
		var buf bytes.Buffer
		resp, err := cc.do(context.Background(), req, []byte(strconv.Itoa(i)+" "+plan), time.Now().Add(5*time.Second), &buf, 1000)
		if err != nil {
			t.Fatalf("request %d (plan %q): %v", i, plan, err)
		}
		want := finalStatus(strings.Count(plan, "c") + strings.Count(plan, "e"))
		if resp.StatusCode != want || buf.String() != "reply to "+strconv.Itoa(i) {
			t.Fatalf("request %d (plan %q): status %d, body %q; want %d, %q", i, plan, resp.StatusCode, buf.String(), want, "reply to "+strconv.Itoa(i))
		}
	}
}

// randomPlan is a plan of mixedServer's letters.
func randomPlan(r *rand.Rand) string {
	var sb strings.Builder
	for n := r.IntN(4); n > 0; n-- {
		sb.WriteByte("ce"[r.IntN(2)])
	}
	sb.WriteByte("lkxuh"[r.IntN(5)])
	if r.IntN(4) == 0 {
		sb.WriteByte('s')
	}
	return sb.String()
}

// 1xx replies are skipped, as net/http skips them, whatever the framing
// of the replies around them: every reply lands on its own request.
func TestConnClientSkips1xx(t *testing.T) {
	url := mixedServer(t)
	checkMixed(t, url, []string{"cl", "el", "l", "eek", "ck", "cx", "l", "ceu", "l", "ch", "cel", "l"})
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		plans := make([]string, 10)
		for i := range plans {
			plans[i] = randomPlan(r)
		}
		checkMixed(t, url, plans)
	}
}

// FuzzConnClientReplies drives the lean client with plans from the fuzzer.
func FuzzConnClientReplies(f *testing.F) {
	url := mixedServer(f)
	f.Add([]byte("cl eek ceu h x"))
	f.Add([]byte("cccccl e k"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var plans []string
		for _, w := range strings.Fields(string(data)) {
			var sb strings.Builder
			for _, c := range w {
				if strings.ContainsRune("ce", c) && sb.Len() < 8 {
					sb.WriteRune(c)
				}
			}
			final := byte('l')
			if i := strings.IndexAny(w, "lkxuh"); i >= 0 {
				final = w[i]
			}
			sb.WriteByte(final)
			if strings.Contains(w, "s") {
				sb.WriteByte('s')
			}
			plans = append(plans, sb.String())
			if len(plans) == 16 {
				break
			}
		}
		checkMixed(t, url, plans)
	})
}

// In a load run, each record holds the reply to its own request, with 1xx
// replies, chunked bodies and closed connections mixed in.
func TestLoadRecordsOwnReplies(t *testing.T) {
	url := mixedServer(t)
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	plans := make([]string, 400)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range plans {
		plans[i] = randomPlan(r)
	}
	s := &Sender{Target: url}
	var mu sync.Mutex
	seen := 0
	_, _, err := loadRun(context.Background(), s, LoadOptions{Count: int64(len(plans)), Concurrency: 4}, func(i int64) (Callback, error) {
		return Callback{Entry: e, Body: []byte(strconv.FormatInt(i, 10) + " " + plans[i])}, nil
	}, func(rec *record.Record) {
		mu.Lock()
		defer mu.Unlock()
		seen++
		id, plan, _ := strings.Cut(string(rec.Request.Body), " ")
		if rec.Response == nil {
			t.Errorf("request %s (plan %q): no reply: %s", id, plan, rec.Error)
			return
		}
		want := finalStatus(strings.Count(plan, "c") + strings.Count(plan, "e"))
		if rec.Response.Status != want || string(rec.Response.Body) != "reply to "+id {
			t.Errorf("request %s (plan %q): the record holds status %d, body %q", id, plan, rec.Response.Status, rec.Response.Body)
		}
	})
	// The bodies are no callbacks' (payload errors make the run a contract
	// failure); the records are what this test reads.
	_ = err
	if seen != len(plans) {
		t.Fatalf("%d records, want %d", seen, len(plans))
	}
}
