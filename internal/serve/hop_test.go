package serve

import (
	"errors"
	"io"
	"net/http/httptest"
	"time"

	"github.com/imhook/imhook/record"
	"net/http"
	"strings"
	"testing"

	"github.com/imhook/imhook/internal/platform"
)

// The headers the backend's reply names in its Connection header concern
// its connection alone: the caller does not get them, whatever else
// Connection says (close included, which net/http's client takes out of
// the reply's header), nor the Connection header itself.
func TestForwardDropsHopByHopHeadersOfTheReply(t *testing.T) {
	reply := platform.Tencent.ReplyBody(platform.ReplyOK, "")
	for _, conn := range []string{"X-Hop", "close, X-Hop", "keep-alive, X-Hop, X-Other-Hop", "X-Hop,close"} {
		be, _ := backend(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", conn)
			w.Header().Set("X-Hop", "1")
			w.Header().Set("X-Other-Hop", "1")
			w.Header().Set("X-Kept", "1")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(reply)
		})
		srv, recs := start(t, Config{Forward: forwarder(t, be.URL, 0)})
		e := entry(t, "C2C.CallbackAfterSendMsg")
		req, _ := platform.Tencent.NewRequest(srv.URL, e.Command, body(t, e.Command), platform.Params{})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Header.Get("X-Hop") != "" || strings.Contains(conn, "X-Other-Hop") && resp.Header.Get("X-Other-Hop") != "" || resp.Header.Get("X-Kept") != "1" || resp.Header.Get("Connection") != "" {
			t.Errorf("Connection: %s: the caller got %v", conn, resp.Header)
		}
		if h := recs()[0].Response.Headers; h.Get("X-Hop") != "" || h.Get("X-Kept") != "1" {
			t.Errorf("Connection: %s: the record says the caller got %v", conn, h)
		}
	}
}

// A caller that gives up before the backend answers gets nothing, and the
// record says so: no response, the verdict of no reply, the reason; the
// forward's wait ends with the caller's.
func TestForwardCallerGoneIsNoReply(t *testing.T) {
	reply := platform.Tencent.ReplyBody(platform.ReplyOK, "")
	backendDone := make(chan error, 1)
	be, _ := backend(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done(): // the forward stopped waiting
			backendDone <- nil
		case <-time.After(10 * time.Second):
			backendDone <- errors.New("the forward went on waiting after the caller left")
			_, _ = w.Write(reply)
		}
	})
	shown := make(chan *record.Record, 1)
	srv := httptest.NewServer(NewHandler(Config{Forward: forwarder(t, be.URL, 0), Show: func(r *record.Record) { shown <- r }}))
	defer srv.Close()
	e := entry(t, "C2C.CallbackAfterSendMsg")
	req, _ := platform.Tencent.NewRequest(srv.URL, e.Command, body(t, e.Command), platform.Params{})
	client := &http.Client{Timeout: 200 * time.Millisecond}
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the caller got %d, want its own timeout", resp.StatusCode)
	}
	if err := <-backendDone; err != nil {
		t.Fatal(err)
	}
	var r *record.Record
	select {
	case r = <-shown:
	case <-time.After(10 * time.Second):
		t.Fatal("no record within 10s of the caller leaving")
	}
	r = roundTrip(t, r)
	if r.Response != nil || r.Verdict != record.NoReply || !strings.Contains(r.Error, "the caller went away") || r.Forward == nil || r.Forward.Status != 0 {
		t.Errorf("record: response %+v verdict %s error %q forward %+v", r.Response, r.Verdict, r.Error, r.Forward)
	}
}
