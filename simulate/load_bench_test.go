package simulate

import (
	"bytes"
	"context"
	"github.com/imhook/imhook/fixtures/generate"
	"net"
	"strconv"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// cannedServer answers every request with Tencent's OK reply, parsing no
// more than it must (the request line, Content-Length and the body's
// length), so that a load benchmark measures the client.
func cannedServer(b *testing.B) string {
	body := platform.Tencent.ReplyBody(platform.ReplyOK, "")
	reply := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Sun, 22 Nov 2026 06:00:00 GMT\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + string(body))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 0, 64<<10)
				for {
					// Read until a whole request (head and body) is in.
					for {
						end := bytes.Index(buf, []byte("\r\n\r\n"))
						if end >= 0 {
							cl := 0
							if i := bytes.Index(buf[:end], []byte("Content-Length: ")); i >= 0 {
								j := i + len("Content-Length: ")
								for j < end && buf[j] >= '0' && buf[j] <= '9' {
									cl = cl*10 + int(buf[j]-'0')
									j++
								}
							}
							if n := end + 4 + cl; len(buf) >= n {
								buf = buf[:copy(buf, buf[n:])]
								break
							}
						}
						if len(buf) == cap(buf) {
							return
						}
						n, err := c.Read(buf[len(buf):cap(buf)])
						if err != nil {
							return
						}
						buf = buf[:len(buf)+n]
					}
					if _, err := c.Write(reply); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/cb"
}

// The load benchmarks run the load engine end to end (8 workers) against
// cannedServer, which does next to nothing, so that the figures are the
// client's: ns/op is wall time per exchange, cpu-ns/op the process's CPU
// time per exchange (the engine's, the Go runtime's and garbage
// collection's, and the canned server's small share),
// B/op and allocs/op the engine's and the canned server's allocations.
// Every reply is parsed and judged and counted in the summary in all of
// them; they differ in what else an exchange includes:
//
//   - BenchmarkLoad: a fresh C2C.CallbackAfterSendMsg payload per request
//     (generation), the request built (Sender.Build), sent and its reply
//     read on a worker's own connection (connClient, the lean parser).
//   - BenchmarkLoadFixed: the same with one body every time: the exchange
//     without generation.
//   - BenchmarkLoadTransport: BenchmarkLoad through net/http's Transport
//     (http.Client.Do, a context per request) instead of the lean client:
//     the difference between the two is what the lean client saves.
func BenchmarkLoad(b *testing.B) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	benchLoad(b, &Sender{Target: cannedServer(b)}, freshSource(e))
}

func BenchmarkLoadFixed(b *testing.B) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, _ := generate.Generate(e, generate.GenOptions{Seed: 1})
	benchLoad(b, &Sender{Target: cannedServer(b)}, func([]byte, int64) (Callback, error) { return Callback{Entry: e, Body: body}, nil })
}

func BenchmarkLoadTransport(b *testing.B) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	benchLoad(b, &Sender{Target: cannedServer(b), Client: NewClientFor(8, nil), viaTransport: true}, freshSource(e))
}

// freshSource generates a payload of e per request, seeded with its index,
// into its worker's buffer (as imhook simulate does).
func freshSource(e *fixtures.Entry) AppendSource {
	return func(dst []byte, i int64) (Callback, error) {
		body, err := generate.AppendGenerate(dst, e, generate.GenOptions{Seed: uint64(i)})
		return Callback{Entry: e, Body: body}, err
	}
}

func benchLoad(b *testing.B, s *Sender, src AppendSource) {
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	st, _, err := loadRunAppend(context.Background(), s, LoadOptions{Count: int64(b.N), Concurrency: 8}, src, nil)
	if err != nil || st.Verdicts[record.Pass] != int64(b.N) {
		b.Fatalf("%v %v", err, st.Verdicts)
	}
}
