package simulate

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/record"
)

// A load run's replies share one budget across all its connections: with a
// budget smaller than the heads its endless-header replies could hold, the
// replies past it are given up on the budget (each connection closed
// at once), and everything borrowed is given back.
func TestLoadReplyBudgetAcrossConnections(t *testing.T) {
	url, _ := endlessHeaderServer(t, 4*MaxReplyHeaderBytes)
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, _ := generate.Generate(e, generate.GenOptions{Seed: 1})
	const budget = 4 << 20
	s := &Sender{Target: url, Timeout: 20 * time.Second, replyBudget: budget}
	var overBudget, tooLarge atomic.Int64
	_, took, err := loadRun(context.Background(), s, LoadOptions{Count: 32, Concurrency: 8}, func(int64) (Callback, error) {
		return Callback{Entry: e, Body: body}, nil
	}, func(r *record.Record) {
		switch {
		case strings.Contains(r.Error, "budget of 4 MiB"):
			overBudget.Add(1)
		case strings.Contains(r.Error, "header is larger"):
			tooLarge.Add(1)
		default:
			t.Errorf("record error %q", r.Error)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// 8 heads of 10 MiB do not fit in 4 MiB: every reply is given up on the
	// budget, none reaches the per-reply limit.
	if overBudget.Load() != 32 || tooLarge.Load() != 0 {
		t.Errorf("%d replies given up on the budget, %d at the header limit; want 32 and 0", overBudget.Load(), tooLarge.Load())
	}
	if took > 15*time.Second {
		t.Errorf("the run took %v: the workers did not give up at once", took)
	}
}

// The pool's accounting: what replies borrow past replyFree comes back when
// they end, and a borrow that does not fit fails.
func TestReplyPool(t *testing.T) {
	p := newReplyPool(replyStep + 10)
	a := limitedConn{n: 1 << 30, pool: p, Conn: &fakeConn{}}
	buf := make([]byte, replyFree)
	if _, err := a.Read(buf); err != nil || a.held != 0 {
		t.Fatalf("the free part: err %v held %d", err, a.held)
	}
	if _, err := a.Read(buf[:1]); err != nil || a.held != replyStep {
		t.Fatalf("past the free part: err %v held %d", err, a.held)
	}
	b := limitedConn{n: 1 << 30, pool: p, Conn: &fakeConn{}, used: replyFree}
	if _, err := b.Read(buf[:11]); err != p.err {
		t.Fatalf("a borrow past the budget: %v", err)
	}
	if _, err := b.Read(buf[:10]); err != nil {
		t.Fatalf("a borrow that fits exactly: %v", err)
	}
	a.endReply()
	b.endReply()
	if p.left.Load() != replyStep+10 {
		t.Errorf("%d left after both replies ended, want %d", p.left.Load(), replyStep+10)
	}
}

type fakeConn struct{ net.Conn }

func (*fakeConn) Read(p []byte) (int, error) { return len(p), nil }

// endlessChunkedServer answers with a chunked body that never ends.
func endlessChunkedServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	chunk := "10000\r\n" + strings.Repeat("a", 0x10000) + "\r\n"
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
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
					if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"); err != nil {
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
	}()
	return "http://" + ln.Addr().String() + "/cb"
}

// An endless chunked body ends its exchange at the reply limit (too_large)
// and its connection is closed at once: a 1 s run with a 30 s timeout ends
// in about 1 s, not when the workers' deadlines pass.
func TestLoadEndlessChunkedBodyEndsOnTime(t *testing.T) {
	url := endlessChunkedServer(t)
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, _ := generate.Generate(e, generate.GenOptions{Seed: 1})
	// A budget that does not stop the reading: the close does.
	s := &Sender{Target: url, Timeout: 30 * time.Second, replyBudget: 1 << 40}
	var n, large atomic.Int64
	_, took, err := loadRun(context.Background(), s, LoadOptions{Duration: time.Second, Concurrency: 4}, func(int64) (Callback, error) {
		return Callback{Entry: e, Body: body}, nil
	}, func(r *record.Record) {
		n.Add(1)
		for _, f := range r.Findings {
			if f.Rule == "response.too_large" {
				large.Add(1)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() == 0 || large.Load() != n.Load() {
		t.Errorf("%d exchanges, %d too_large; want every one too_large", n.Load(), large.Load())
	}
	if took > 10*time.Second {
		t.Errorf("a 1 s run took %v: workers read the endless bodies until their deadline", took)
	}
}
