package simulate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func ccDo(t *testing.T, cc *connClient, url, body string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	var buf bytes.Buffer
	resp, err := cc.do(context.Background(), req, []byte(body), time.Now().Add(2*time.Second), &buf, 1<<20)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, buf.String(), nil
}

// The load engine's client speaks HTTP/1.1 as net/http does: it sends what
// net/http's client sends, reads chunked and Content-Length bodies, honours
// Connection: close, and survives a server that drops idle connections.
func TestConnClientHTTP(t *testing.T) {
	var seen []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, fmt.Sprintf("%s %s %s ua=%s ct=%s cl=%d ae=%q", r.Method, r.URL.RequestURI(), b, r.UserAgent(), r.Header.Get("Content-Type"), r.ContentLength, r.Header.Get("Accept-Encoding")))
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte(`{"a":`))
			w.(http.Flusher).Flush()
			w.Write([]byte(`1}`))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte(`closed`))
		default:
			w.Write([]byte(`ok`))
		}
	}))
	srv.Config.IdleTimeout = 50 * time.Millisecond
	closed := make(chan struct{}, 8)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			closed <- struct{}{}
		}
	}
	srv.Start()
	defer srv.Close()
	cc := newConnClient(nil, nil)
	defer cc.close()
	for _, tc := range []struct{ path, want string }{
		{"/plain?x=1", "ok"}, {"/chunked", `{"a":1}`}, {"/close", "closed"}, {"/plain", "ok"},
	} {
		st, got, err := ccDo(t, cc, srv.URL+tc.path, `{"k":"v"}`)
		if err != nil || st != 200 || got != tc.want {
			t.Fatalf("%s: %d %q %v", tc.path, st, got, err)
		}
	}
	// The server closed two connections: the one of /close, and the next
	// once it was idle.
	for i := 0; i < 2; i++ {
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatalf("the server closed %d connections in 5s, want 2 (/close, then the idle one)", i)
		}
	}
	if st, got, err := ccDo(t, cc, srv.URL+"/plain", `{}`); err != nil || st != 200 || got != "ok" {
		t.Fatalf("after the idle close: %d %q %v", st, got, err)
	}
	if !strings.HasPrefix(seen[0], `POST /plain?x=1 {"k":"v"} ua=Go-http-client/1.1 ct=application/json cl=9 ae=""`) {
		t.Errorf("request as received: %s", seen[0])
	}
	if len(seen) != 5 {
		t.Errorf("the server saw %d requests, want 5 (no request sent twice): %v", len(seen), seen)
	}
}

// A reply larger than the limit is cut and the connection is not reused
// with an unread rest.
func TestConnClientLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(bytes.Repeat([]byte("x"), 5000))
			return
		}
		w.Write([]byte("small"))
	}))
	defer srv.Close()
	cc := newConnClient(nil, nil)
	defer cc.close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/big", nil)
	var buf bytes.Buffer
	if _, err := cc.do(context.Background(), req, nil, time.Now().Add(time.Second), &buf, 1000); err != nil || buf.Len() != 1001 {
		t.Fatalf("big: %d bytes, %v", buf.Len(), err)
	}
	if st, got, err := ccDo(t, cc, srv.URL+"/small", ""); err != nil || st != 200 || got != "small" {
		t.Fatalf("after a cut reply: %d %q %v", st, got, err)
	}
}
