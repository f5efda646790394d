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

// BenchmarkServeHTTP measures the receiver's own work per callback: identify,
// check transport and body, answer, and (with record) marshal the record.
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
