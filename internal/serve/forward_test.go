package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/internal/certs"
	"github.com/imhook/imhook/internal/nettest"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// seen is what a backend received.
type seen struct {
	mu   sync.Mutex
	reqs []seenReq
}

type seenReq struct {
	method, uri string
	header      http.Header
	body        []byte
}

func (s *seen) all() []seenReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenReq(nil), s.reqs...)
}

// backend is a real listener that records what it gets and answers with
// answer.
func backend(t *testing.T, answer http.HandlerFunc) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, seenReq{r.Method, r.RequestURI, r.Header.Clone(), b})
		s.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

func forwarder(t *testing.T, target string, timeout time.Duration) *Forwarder {
	t.Helper()
	f, err := NewForwarder(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Timeout = timeout
	return f
}

// roundTrip writes a record as --record does and reads it back, so that the
// checks below hold for the file too.
func roundTrip(t *testing.T, r *record.Record) *record.Record {
	t.Helper()
	var back record.Record
	if err := record.Unmarshal(record.AppendJSON(nil, r), &back); err != nil {
		t.Fatal(err)
	}
	return &back
}

func ruleList(fs []record.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Severity)+" "+f.Rule)
	}
	return strings.Join(out, ", ")
}

func TestForwardGoodBackend(t *testing.T) {
	reply := platform.Tencent.ReplyBody(platform.ReplyOK, "")
	be, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", "yes")
		_, _ = w.Write(reply)
	})
	srv, recs := start(t, Config{Forward: forwarder(t, be.URL+"/im/cb?app=1", 0), Respond: platform.ReplyReject})
	b := body(t, "C2C.CallbackAfterSendMsg")
	e := entry(t, "C2C.CallbackAfterSendMsg")
	req, err := platform.Tencent.NewRequest(srv.URL+"/tunnel/path", e.Command, b, platform.Params{Token: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Platform", "tencent")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	relayed, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The caller gets the backend's reply, not imhook's (--respond reject).
	if resp.StatusCode != 200 || !bytes.Equal(relayed, reply) || resp.Header.Get("X-Backend") != "yes" {
		t.Fatalf("relayed %d %q (X-Backend %q), want the backend's %q", resp.StatusCode, relayed, resp.Header.Get("X-Backend"), reply)
	}
	// The backend got the callback as the platform sent it.
	reqs := got.all()
	if len(reqs) != 1 {
		t.Fatalf("backend got %d requests", len(reqs))
	}
	g := reqs[0]
	wantURI := "/im/cb?app=1&" + req.URL.RawQuery
	if g.method != "POST" || g.uri != wantURI || !bytes.Equal(g.body, b) {
		t.Errorf("backend got %s %s (%d bytes), want POST %s with the %d bytes sent", g.method, g.uri, len(g.body), wantURI, len(b))
	}
	if g.header.Get("X-Platform") != "tencent" || g.header.Get("Content-Type") != "application/json" || g.header.Get("Accept-Encoding") != "" {
		t.Errorf("backend got headers %v", g.header)
	}
	u, _ := url.Parse("http://x" + g.uri)
	if u.Query().Get("Sign") == "" || u.Query().Get("Sign") != req.URL.Query().Get("Sign") {
		t.Errorf("the Sign was not forwarded as received: %s", g.uri)
	}
	rs := recs()
	if len(rs) != 1 {
		t.Fatalf("%d records", len(rs))
	}
	r := roundTrip(t, rs[0])
	if r.Forward == nil || r.Forward.URL != be.URL+wantURI || r.Forward.Status != 200 || r.Forward.LatencyMS <= 0 || len(r.Forward.Findings) != 0 {
		t.Fatalf("forward %+v", r.Forward)
	}
	if r.Verdict != record.Pass || r.Outcome != record.OutcomeOK || r.Response.Status != 200 || !bytes.Equal(r.Response.Body, reply) {
		t.Errorf("record verdict %s outcome %s response %d %s; findings %s", r.Verdict, r.Outcome, r.Response.Status, r.Response.Body, ruleList(r.Findings))
	}
}

func TestForwardOpenIMPath(t *testing.T) {
	reply := platform.OpenIM.ReplyBody(platform.ReplyOK, "")
	be, got := backend(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(reply) })
	srv, recs := start(t, Config{Forward: forwarder(t, be.URL+"/callbackExample/", 0)})
	b := body(t, "callbackAfterGroupMsgReadCommand")
	code, out := send(t, srv, "callbackAfterGroupMsgReadCommand", b, platform.Params{OperationID: "op-7"})
	if code != 200 || !bytes.Equal(out, reply) {
		t.Fatalf("relayed %d %s", code, out)
	}
	g := got.all()[0]
	if g.uri != "/callbackExample/callbackAfterGroupMsgReadCommand?contenttype=json" || g.header.Get("operationID") != "op-7" || !bytes.Equal(g.body, b) {
		t.Errorf("backend got %s operationID %q", g.uri, g.header.Get("operationID"))
	}
	if r := roundTrip(t, recs()[0]); r.Verdict != record.Pass || r.Outcome != record.OutcomeContinue || r.Forward.Status != 200 {
		t.Errorf("record %s %s %+v", r.Verdict, r.Outcome, r.Forward)
	}
}

// A backend that breaks the contract: its reply is relayed as it is, and the
// record (forward's findings and the whole) says what is wrong.
func TestForwardContractBreak(t *testing.T) {
	be, _ := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ActionStatus":"ok","ErrorCode":"0"}`)
	})
	srv, recs := start(t, Config{Forward: forwarder(t, be.URL, 0)})
	code, out := send(t, srv, "C2C.CallbackAfterSendMsg", body(t, "C2C.CallbackAfterSendMsg"), platform.Params{})
	if code != 200 || string(out) != `{"ActionStatus":"ok","ErrorCode":"0"}` {
		t.Fatalf("relayed %d %s", code, out)
	}
	r := roundTrip(t, recs()[0])
	want := "error response.type, error response.required, error response.action_status"
	if got := ruleList(r.Forward.Findings); got != want {
		t.Errorf("forward findings %s, want %s", got, want)
	}
	if got := ruleList(r.Findings); got != want {
		t.Errorf("record findings %s, want the request's (none) and the reply's %s", got, want)
	}
	if r.Verdict != record.Fail || r.Outcome != "" {
		t.Errorf("verdict %s outcome %q", r.Verdict, r.Outcome)
	}
}

// A backend that answers after the platform's budget: the caller gets a
// 504 at the budget, and the record says the platform counted it failed.
func TestForwardSlowBackend(t *testing.T) {
	release := make(chan struct{})
	be, _ := backend(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	srv, recs := start(t, Config{Forward: forwarder(t, be.URL, 150*time.Millisecond)})
	code, out := send(t, srv, "C2C.CallbackAfterSendMsg", body(t, "C2C.CallbackAfterSendMsg"), platform.Params{})
	if code != http.StatusGatewayTimeout || !strings.Contains(string(out), "did not answer within 150ms") || !strings.Contains(string(out), "counted the callback as failed") {
		t.Fatalf("got %d %s", code, out)
	}
	r := roundTrip(t, recs()[0])
	if r.Verdict != record.NoReply || r.Outcome != "" || r.Response.Status != 504 {
		t.Errorf("verdict %s outcome %q status %d", r.Verdict, r.Outcome, r.Response.Status)
	}
	if r.Forward.Status != 0 || !strings.Contains(r.Forward.Error, "no reply within 150ms") || ruleList(r.Forward.Findings) != "error response.timeout" {
		t.Errorf("forward %+v", r.Forward)
	}
}

// A backend that is down: 502, and the record says why.
func TestForwardBackendDown(t *testing.T) {
	addr := nettest.Refused(t)
	srv, recs := start(t, Config{Forward: forwarder(t, "http://"+addr+"/cb", 0)})
	b := body(t, "callbackAfterGroupMsgReadCommand")
	code, out := send(t, srv, "callbackAfterGroupMsgReadCommand", b, platform.Params{})
	if code != http.StatusBadGateway || !strings.Contains(string(out), "could not be reached") || !strings.Contains(string(out), "connection refused") {
		t.Fatalf("got %d %s", code, out)
	}
	r := roundTrip(t, recs()[0])
	if r.Verdict != record.NoReply || r.Response.Status != 502 || ruleList(r.Forward.Findings) != "error "+simulate.RuleNoReply ||
		!strings.Contains(r.Forward.Error, "connection refused") || r.Forward.URL != "http://"+addr+"/cb/callbackAfterGroupMsgReadCommand?contenttype=json" {
		t.Errorf("record %s %d forward %+v", r.Verdict, r.Response.Status, r.Forward)
	}
}

// --token: the Sign is checked, and the callback is forwarded as received
// whatever the check found; a backend's refusal of it is its own decision.
func TestForwardWithToken(t *testing.T) {
	be, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(platform.Tencent.ReplyBody(platform.ReplyFail, "bad sign"))
	})
	srv, recs := start(t, Config{Forward: forwarder(t, be.URL, 0), Expect: platform.Expect{Token: "right"}})
	send(t, srv, "C2C.CallbackAfterSendMsg", body(t, "C2C.CallbackAfterSendMsg"), platform.Params{Token: "wrong"})
	if n := len(got.all()); n != 1 {
		t.Fatalf("backend got %d requests", n)
	}
	r := roundTrip(t, recs()[0])
	if !strings.Contains(ruleList(r.Findings), "error request.sign") || r.Outcome != record.OutcomeFail {
		t.Errorf("findings %s outcome %s", ruleList(r.Findings), r.Outcome)
	}
	// Refusing a badly signed callback is what a careful backend does.
	if f := r.Forward.Findings; len(f) != 1 || f[0].Rule != platform.RuleRefused || f[0].Severity != record.Info {
		t.Errorf("forward findings %s", ruleList(f))
	}
	// A refusal of a valid callback is the backend's right too: info.
	srv2, recs2 := start(t, Config{Forward: forwarder(t, be.URL, 0), Expect: platform.Expect{Token: "right"}})
	send(t, srv2, "C2C.CallbackAfterSendMsg", body(t, "C2C.CallbackAfterSendMsg"), platform.Params{Token: "right"})
	r = roundTrip(t, recs2()[0])
	if r.Verdict != record.Pass || r.Outcome != record.OutcomeFail || !strings.Contains(r.Forward.Findings[0].Message, "the backend's decision") {
		t.Errorf("verdict %s outcome %s findings %s", r.Verdict, r.Outcome, ruleList(r.Findings))
	}
}

// Callbacks imhook does not know are forwarded too, and their reply judged
// by the vendor's general rules; what is not a callback is not forwarded.
func TestForwardUnknownAndNotCallbacks(t *testing.T) {
	be, got := backend(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(platform.Tencent.ReplyBody(platform.ReplyOK, ""))
	})
	srv, recs := start(t, Config{Forward: forwarder(t, be.URL, 0)})
	code, _ := do(t, newReq(t, "POST", srv.URL+"/?SdkAppid=1&CallbackCommand=C2C.CallbackSomethingNew&contenttype=json", `{"CallbackCommand":"C2C.CallbackSomethingNew"}`))
	if code != 200 || len(got.all()) != 1 {
		t.Fatalf("unknown command: %d, backend got %d", code, len(got.all()))
	}
	r := roundTrip(t, recs()[0])
	if !strings.Contains(ruleList(r.Findings), "error request.unknown_command") || r.Forward.Status != 200 || r.Outcome != record.OutcomeOK {
		t.Errorf("findings %s forward %+v outcome %s", ruleList(r.Findings), r.Forward, r.Outcome)
	}
	for _, req := range []*http.Request{newReq(t, "GET", srv.URL+"/?CallbackCommand=x", ""), newReq(t, "POST", srv.URL+"/favicon.ico", "{}")} {
		if code, _ := do(t, req); code == 200 {
			t.Errorf("%s %s answered 200", req.Method, req.URL)
		}
	}
	if n := len(got.all()); n != 1 {
		t.Errorf("backend got %d requests; what is not a callback must not be forwarded", n)
	}
}

func newReq(t *testing.T, method, u, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TLS on both sides: serve --tls with a made certificate, forwarding to an
// https backend under mutual TLS with the platform's client certificate.
func TestForwardTLSBothSides(t *testing.T) {
	ca, _ := certs.New(certs.Options{CommonName: "ca", CA: true}, nil)
	beCert, _ := certs.New(certs.Options{CommonName: "backend", Hosts: []string{"127.0.0.1"}}, ca)
	clientCert, _ := certs.New(certs.Options{CommonName: "imhook", Client: true}, ca)
	reply := platform.Tencent.ReplyBody(platform.ReplyOK, "")
	be := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			t.Error("no client certificate reached the backend")
		}
		_, _ = w.Write(reply)
	}))
	be.TLS = &tls.Config{Certificates: []tls.Certificate{beCert.TLS()}, ClientCAs: pool(ca), ClientAuth: tls.RequireAndVerifyClientCert}
	be.StartTLS()
	defer be.Close()
	fw, err := NewForwarder(be.URL, simulate.NewClient(&tls.Config{RootCAs: pool(ca), Certificates: []tls.Certificate{clientCert.TLS()}}))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg, info, err := TLSOptions{SelfSigned: true, OutDir: dir}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Written) != 2 || len(info.Fingerprint) != 95 {
		t.Fatalf("written %v fingerprint %q", info.Written, info.Fingerprint)
	}
	var mu sync.Mutex
	var recs []*record.Record
	srv, err := StartWith("127.0.0.1:0", NewHandler(Config{Forward: fw, Record: func(r *record.Record) error {
		mu.Lock()
		recs = append(recs, r)
		mu.Unlock()
		return nil
	}}), Options{TLS: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("URL %s", srv.URL)
	}
	pem, _ := os.ReadFile(filepath.Join(dir, "cert.pem"))
	pool, err := certs.PoolFromPEM(pem)
	if err != nil {
		t.Fatal(err)
	}
	client := simulate.NewClient(&tls.Config{RootCAs: pool})
	e := entry(t, "C2C.CallbackAfterSendMsg")
	req, _ := platform.Tencent.NewRequest(srv.URL, e.Command, body(t, e.Command), platform.Params{})
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(out, reply) {
		t.Fatalf("got %d %s", resp.StatusCode, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if r := recs[0]; r.Verdict != record.Pass || !strings.HasPrefix(r.Request.URL, "https://") || !strings.HasPrefix(r.Forward.URL, "https://") {
		t.Errorf("record %s %s -> %s", r.Verdict, r.Request.URL, r.Forward.URL)
	}
}

// Where each form of request goes: the query is appended, the command's
// path segment only when the request carried the command there.
func TestForwardURLFor(t *testing.T) {
	f := forwarder(t, "http://backend:8080/im/cb?app=1", 0)
	for _, c := range []struct{ received, command, want string }{
		{"/tunnel/?SdkAppid=1&CallbackCommand=C2C.CallbackAfterSendMsg", "C2C.CallbackAfterSendMsg", "http://backend:8080/im/cb?app=1&SdkAppid=1&CallbackCommand=C2C.CallbackAfterSendMsg"},
		// A Tencent URL that happens to end with the command: the query names it, so the path is not the command's.
		{"/C2C.CallbackAfterSendMsg?CallbackCommand=C2C.CallbackAfterSendMsg", "C2C.CallbackAfterSendMsg", "http://backend:8080/im/cb?app=1&CallbackCommand=C2C.CallbackAfterSendMsg"},
		{"/callbackExample/callbackAfterSendSingleMsgCommand?contenttype=json", "callbackAfterSendSingleMsgCommand", "http://backend:8080/im/cb/callbackAfterSendSingleMsgCommand?app=1&contenttype=json"},
		{"/callbackExample/callbackAfterSendSingleMsgCommand", "callbackAfterSendSingleMsgCommand", "http://backend:8080/im/cb/callbackAfterSendSingleMsgCommand?app=1"},
		// OpenIM v3.0 to v3.4.0: {url}?command={command}.
		{"/callbackExample?command=callbackAfterSendSingleMsgCommand", "callbackAfterSendSingleMsgCommand", "http://backend:8080/im/cb?app=1&command=callbackAfterSendSingleMsgCommand"},
	} {
		r := httptest.NewRequest("POST", c.received, nil)
		if got := f.URLFor(r, c.command).String(); got != c.want {
			t.Errorf("%s: forwarded to %s, want %s", c.received, got, c.want)
		}
	}
	g := forwarder(t, "http://backend/", 0)
	r := httptest.NewRequest("POST", "/x/callbackAfterSendSingleMsgCommand", nil)
	if got := g.URLFor(r, "callbackAfterSendSingleMsgCommand").String(); got != "http://backend/callbackAfterSendSingleMsgCommand" {
		t.Errorf("a target ending in / gets %s", got)
	}
}

// pool is a pool holding c alone.
func pool(c *certs.Cert) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Leaf)
	return p
}
