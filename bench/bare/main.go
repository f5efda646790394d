// Command bare is the baseline for imhook's benchmarks: a net/http handler
// that reads the body and answers Tencent's OK reply, checking and recording
// nothing. bench/serve.sh and bench/load.sh run it beside imhook.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9301", "listen address")
	flag.Parse()
	reply := []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply)
	})))
}
