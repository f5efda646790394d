package serve

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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
