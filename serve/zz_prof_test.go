package serve

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/imhook/imhook/record"
)

func TestZZProfServe(t *testing.T) {
	if os.Getenv("IMHOOK_PROF") == "" {
		t.Skip()
	}
	w, _ := record.OpenFile("/tmp/zz.jsonl")
	srv, err := Start("127.0.0.1:9333", NewHandler(Config{Record: w.Write}))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(8 * time.Second)
	srv.Shutdown(context.Background())
	w.Close()
}
