package imhooktest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime/debug"
	"strconv"
	"sync"
)

// inProcessHost is the host of the in-process handler's URL; nothing
// resolves it (".invalid" is reserved, RFC 2606), and nothing dials it.
const inProcessHost = "backend.invalid"

// handlerTransport is an http.RoundTripper that serves each request with a
// handler in this process, as net/http's server would hand it over (the
// request URI, Host, RemoteAddr, the headers the client puts on the wire),
// and returns what the handler wrote: no socket, no listener. A request
// whose context ends before the handler returns gets the context's error,
// as a client that stops waiting does; a handler that panics gets no reply,
// as a server closes the connection then.
type handlerTransport struct {
	h http.Handler

	mu sync.Mutex
	// panicked is the stack of the last panic, for the test's log.
	panicked []byte
}

// PanicError is the error of an exchange whose handler panicked: the
// record's finding says so, and the test's log holds the stack.
type PanicError struct {
	Value any
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("the handler panicked (a server closes the connection: no reply): %v", e.Value)
}

func (t *handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	in.Host = req.URL.Host
	if req.Host != "" {
		in.Host = req.Host
	}
	in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
	in.RemoteAddr = "127.0.0.1:40000"
	in.Header = req.Header.Clone()
	if in.Header == nil {
		in.Header = http.Header{}
	}
	if in.Header.Get("User-Agent") == "" {
		in.Header.Set("User-Agent", "Go-http-client/1.1")
	}
	if req.ContentLength > 0 {
		in.Header.Set("Content-Length", strconv.FormatInt(req.ContentLength, 10))
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	done := make(chan any, 1)
	go func() {
		defer func() {
			p := recover()
			if p != nil && p != http.ErrAbortHandler {
				t.mu.Lock()
				t.panicked = debug.Stack()
				t.mu.Unlock()
			}
			done <- p
		}()
		t.h.ServeHTTP(rec, in)
	}()
	select {
	case p := <-done:
		if p != nil {
			return nil, &PanicError{Value: p}
		}
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// takePanic is the stack of a panic since the last call, or nil.
func (t *handlerTransport) takePanic() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.panicked
	t.panicked = nil
	return p
}
