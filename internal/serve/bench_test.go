package serve

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// BenchmarkServeHTTP measures the receiver's own work per callback, calling
// the handler directly (no server, no socket): recognising it (Identify, the
// catalogue's lookup), checking its transport (query, SdkAppid; no token)
// and its body (validate.Payload over a generated C2C.CallbackAfterSendMsg,
// seed 1), and answering (the fixed answer, built and judged once per
// callback kind). "check" records nothing; "check+record" encodes each
// record and writes it through a record.Writer to io.Discard;
// "check+record-file" writes it to a file, one write(2) per record. Every
// figure also holds the benchmark's own work per request (cloning the
// request, a body reader, an httptest.ResponseRecorder: about a third of
// the allocations), and none holds net/http's reading and writing of the
// request and the reply, its deadlines, or the chain that prints and sums
// up (Show is unset): bench/serve.sh measures those, with serve --record.
func BenchmarkServeHTTP(b *testing.B) {
	benchServeHTTP(b, "C2C.CallbackAfterSendMsg")
}

// BenchmarkServeHTTPOpenIM is BenchmarkServeHTTP for an OpenIM callback.
func BenchmarkServeHTTPOpenIM(b *testing.B) {
	benchServeHTTP(b, "callbackAfterSendSingleMsgCommand")
}

func benchServeHTTP(b *testing.B, command string) {
	e, _, _ := lookup(command)
	body := genBody(e)
	req, _ := platform.For(e.Vendor).NewRequest("http://127.0.0.1:9000", e.Command, body, platform.Params{OperationID: "1767225404000123456"})
	file, err := record.OpenFile(filepath.Join(b.TempDir(), "rec.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	for _, tc := range []struct {
		name string
		rec  func(*record.Record) error
	}{
		{"check", nil},
		{"check+record", record.NewWriter(io.Discard).Write},
		// A real file: one write(2) per record, as when requests come one
		// at a time.
		{"check+record-file", file.Write},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := NewHandler(Config{Record: tc.rec})
			b.ReportAllocs()
			for b.Loop() {
				r := req.Clone(req.Context())
				r.Body = io.NopCloser(bytes.NewReader(body))
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

func lookup(cmd string) (*fixtures.Entry, *fixtures.Alias, bool) {
	return fixtures.Default().Lookup(cmd)
}

func genBody(e *fixtures.Entry) []byte {
	b, _ := generate.Generate(e, generate.GenOptions{Seed: 1})
	return b
}

// BenchmarkServeConn measures a request through the whole receiver over a
// loopback connection, one at a time (bench/serve.sh's request, the
// records to io.Discard through a record.Writer): "lean" on the lean path
// (lean.go), "net/http" with net/http serving every connection. Each figure
// holds the client's share too (one write and one read of a kept-alive
// connection, the reply's head found by its length), the same for both.
func BenchmarkServeConn(b *testing.B) {
	body, err := os.ReadFile("../../bench/c2c-after-send-msg.json")
	if err != nil {
		b.Fatal(err)
	}
	req := post(tencentQuery, "Content-Type: application/json\r\n", bytes.TrimSpace(body))
	for _, tc := range []struct {
		name  string
		plain bool
	}{{"lean", false}, {"net/http", true}} {
		b.Run(tc.name, func(b *testing.B) {
			srv, err := StartWith("127.0.0.1:0", NewHandler(Config{Record: record.NewWriter(io.Discard).Write}), Options{plain: tc.plain})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Shutdown(context.Background())
			c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			rd := bufio.NewReader(c)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				if err := readReply(rd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// readReply reads one reply with a Content-Length and checks it is a 200.
func readReply(rd *bufio.Reader) error {
	n := -1
	first := true
	for {
		line, err := rd.ReadSlice('\n')
		if err != nil {
			return err
		}
		if first && !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
			return fmt.Errorf("reply %q", line)
		}
		first = false
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
		if len(line) == 2 {
			break
		}
	}
	if n < 0 {
		return errors.New("no Content-Length")
	}
	_, err := rd.Discard(n)
	return err
}
