package simulate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/certs"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// pki is an authority with a server certificate for 127.0.0.1 and a client
// certificate, all made for the test, with their PEM files.
type pki struct {
	ca, server, client *certs.Cert
	dir                string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, err := certs.New(certs.Options{CommonName: "test CA", CA: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	server, err := certs.New(certs.Options{CommonName: "backend", Hosts: []string{"127.0.0.1", "localhost"}}, ca)
	if err != nil {
		t.Fatal(err)
	}
	client, err := certs.New(certs.Options{CommonName: "platform", Client: true}, ca)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{ca: ca, server: server, client: client, dir: t.TempDir()}
	p.write(t, "ca.pem", ca.CertPEM())
	p.write(t, "client.pem", client.CertPEM())
	p.write(t, "client-key.pem", client.KeyPEM())
	return p
}

func (p *pki) write(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (p *pki) path(name string) string { return filepath.Join(p.dir, name) }

// tlsBackend answers every callback OK over TLS with cert; with clientCAs
// it requires and verifies a client certificate.
func tlsBackend(t *testing.T, cert *certs.Cert, clientCAs *x509.CertPool, hits *atomic.Int64) *httptest.Server {
	t.Helper()
	reply := platform.Tencent.ReplyBody(platform.ReplyOK, "")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if hits != nil {
			hits.Add(1)
		}
		_, _ = w.Write(reply)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS()}}
	if clientCAs != nil {
		srv.TLS.ClientCAs, srv.TLS.ClientAuth = clientCAs, tls.RequireAndVerifyClientCert
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func tlsSend(t *testing.T, target string, o TLSOptions) (*record.Record, bool) {
	t.Helper()
	cfg, err := o.Config()
	if err != nil {
		t.Fatal(err)
	}
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, err := generate.Generate(e, generate.GenOptions{Seed: 1, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	s := &Sender{Target: target, Client: NewClient(cfg)}
	rec, err := s.Send(context.Background(), NewCallback(e, body))
	return rec, err != nil
}

// tlsRefused is tlsSend to a server that refuses the client's certificate.
// Under TLS 1.3 the refusal comes after the client's handshake, as an alert
// on the first read; when the server's close overtakes the alert (a busy
// machine), the client sees the connection reset instead, or net/http's
// reader has closed it on the alert before the request's write ("use of
// closed network connection"): races of the kernel and the Transport. It tries up to ten times for the alert.
func tlsRefused(t *testing.T, target string, o TLSOptions) (rec *record.Record, unreachable bool) {
	t.Helper()
	for i := 0; i < 10; i++ {
		rec, unreachable = tlsSend(t, target, o)
		if !strings.Contains(rec.Error, "reset") && !strings.Contains(rec.Error, "broken pipe") && !strings.Contains(rec.Error, "use of closed network connection") {
			break
		}
	}
	return rec, unreachable
}

func TestTLSSelfSigned(t *testing.T) {
	self, err := certs.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	srv := tlsBackend(t, self, nil, nil)
	// Not trusted: unreachable (exit 3), and the message names both ways out.
	rec, unreachable := tlsSend(t, srv.URL, TLSOptions{})
	if !unreachable || rec.Verdict != record.NoReply {
		t.Fatalf("unreachable %v verdict %s", unreachable, rec.Verdict)
	}
	for _, want := range []string{"unknown authority", "trust it with TLSOptions.CACert", "skip the check with TLSOptions.Insecure"} {
		if !strings.Contains(rec.Error, want) {
			t.Errorf("error %q does not say %q", rec.Error, want)
		}
	}
	// In the caller's words.
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	worded := &Sender{Target: srv.URL, Client: NewClient(nil), Words: &Words{CACert: "the CA option", Insecure: "the skip option"}}
	if rec, _ := worded.Send(context.Background(), NewCallback(e, e.Sample)); !strings.Contains(rec.Error, "trust it with the CA option, or skip the check with the skip option") {
		t.Errorf("error %q is not in the Sender's words", rec.Error)
	}
	// --insecure: sent and judged.
	if rec, unreachable := tlsSend(t, srv.URL, TLSOptions{Insecure: true}); unreachable || rec.Verdict != record.Pass {
		t.Fatalf("--insecure: unreachable %v verdict %s %s", unreachable, rec.Verdict, rec.Error)
	}
	// --cacert with the certificate itself (what serve --tls-out writes).
	p := &pki{dir: t.TempDir()}
	ca := p.write(t, "self.pem", self.CertPEM())
	if rec, unreachable := tlsSend(t, srv.URL, TLSOptions{CACert: ca}); unreachable || rec.Verdict != record.Pass {
		t.Fatalf("--cacert self.pem: unreachable %v verdict %s %s", unreachable, rec.Verdict, rec.Error)
	}
}

func TestTLSCASigned(t *testing.T) {
	p := newPKI(t)
	srv := tlsBackend(t, p.server, nil, nil)
	if rec, unreachable := tlsSend(t, srv.URL, TLSOptions{CACert: p.path("ca.pem")}); unreachable || rec.Verdict != record.Pass {
		t.Fatalf("--cacert ca.pem: unreachable %v verdict %s %s", unreachable, rec.Verdict, rec.Error)
	}
	// The same authority does not vouch for another name.
	wrong, err := certs.New(certs.Options{CommonName: "elsewhere", Hosts: []string{"backend.example"}}, p.ca)
	if err != nil {
		t.Fatal(err)
	}
	srv2 := tlsBackend(t, wrong, nil, nil)
	rec, unreachable := tlsSend(t, srv2.URL, TLSOptions{CACert: p.path("ca.pem")})
	if !unreachable || !strings.Contains(rec.Error, "name mismatch") || !strings.Contains(rec.Error, "backend.example") || !strings.Contains(rec.Error, "TLSOptions.Insecure") {
		t.Errorf("name mismatch: unreachable %v, error %q", unreachable, rec.Error)
	}
	// Expired.
	old, err := certs.New(certs.Options{CommonName: "old", Hosts: []string{"127.0.0.1"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, p.ca)
	if err != nil {
		t.Fatal(err)
	}
	srv3 := tlsBackend(t, old, nil, nil)
	rec, unreachable = tlsSend(t, srv3.URL, TLSOptions{CACert: p.path("ca.pem")})
	if !unreachable || !strings.Contains(rec.Error, "expired") {
		t.Errorf("expired: unreachable %v, error %q", unreachable, rec.Error)
	}
}

func TestTLSMutual(t *testing.T) {
	p := newPKI(t)
	var hits atomic.Int64
	srv := tlsBackend(t, p.server, pool(p.ca), &hits)
	with := TLSOptions{CACert: p.path("ca.pem"), Cert: p.path("client.pem"), Key: p.path("client-key.pem")}
	if rec, unreachable := tlsSend(t, srv.URL, with); unreachable || rec.Verdict != record.Pass {
		t.Fatalf("with a client certificate: unreachable %v verdict %s %s", unreachable, rec.Verdict, rec.Error)
	}
	rec, unreachable := tlsRefused(t, srv.URL, TLSOptions{CACert: p.path("ca.pem")})
	if !unreachable || !strings.Contains(rec.Error, "client certificate") || !strings.Contains(rec.Error, "TLSOptions.Cert and TLSOptions.Key") {
		t.Errorf("without a client certificate: unreachable %v, error %q", unreachable, rec.Error)
	}
	// A certificate of another authority is refused too.
	stranger, err := certs.New(certs.Options{CommonName: "stranger", Client: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := TLSOptions{CACert: p.path("ca.pem"), Cert: p.write(t, "s.pem", stranger.CertPEM()), Key: p.write(t, "s-key.pem", stranger.KeyPEM())}
	rec, unreachable = tlsRefused(t, srv.URL, bad)
	if !unreachable || !strings.Contains(rec.Error, "client certificate") {
		t.Errorf("an untrusted client certificate: unreachable %v, error %q", unreachable, rec.Error)
	}
	if hits.Load() != 1 {
		t.Errorf("the backend answered %d requests; only the one with a trusted certificate should reach it", hits.Load())
	}

	// The load engine's own connections present it too, and fail the same
	// way without it.
	cfg, _ := with.Config()
	s := &Sender{Target: srv.URL, Client: NewClientFor(4, cfg)}
	st, _, err := loadRun(context.Background(), s, LoadOptions{Count: 40, Concurrency: 4}, sendMsgSource(t), nil)
	if err != nil || st.Verdicts[record.Pass] != 40 {
		t.Fatalf("load over mutual TLS: %v, verdicts %v, first error %q", err, st.Verdicts, st.FirstError)
	}
	noCert, _ := TLSOptions{CACert: p.path("ca.pem")}.Config()
	s = &Sender{Target: srv.URL, Client: NewClientFor(1, noCert)}
	st, _, _ = loadRun(context.Background(), s, LoadOptions{Count: 1, Concurrency: 1}, sendMsgSource(t), nil)
	if st.Unreachable != 1 || !strings.Contains(st.FirstUnreachable, "TLSOptions.Cert") {
		t.Errorf("load without a client certificate: unreachable %d, first reason %q", st.Unreachable, st.FirstUnreachable)
	}
	insecure, _ := TLSOptions{Insecure: true}.Config()
	self, _ := certs.SelfSigned()
	srv2 := tlsBackend(t, self, nil, nil)
	s = &Sender{Target: srv2.URL, Client: NewClientFor(2, insecure)}
	if st, _, err := loadRun(context.Background(), s, LoadOptions{Count: 10, Concurrency: 2}, sendMsgSource(t), nil); err != nil || st.Verdicts[record.Pass] != 10 {
		t.Fatalf("load with --insecure against a self-signed certificate: %v, verdicts %v, %q", err, st.Verdicts, st.FirstError)
	}
}

func TestTLSOptionsErrors(t *testing.T) {
	p := newPKI(t)
	notPEM := p.write(t, "x.pem", []byte("hello"))
	for _, c := range []struct {
		o    TLSOptions
		want string
	}{
		{TLSOptions{CACert: filepath.Join(p.dir, "missing.pem")}, "CACert: open "},
		{TLSOptions{CACert: notPEM}, "CACert " + notPEM + ": no PEM certificate"},
		{TLSOptions{Cert: p.path("client.pem")}, "Cert and Key go together: the client certificate and its private key (PEM files)"},
		{TLSOptions{Cert: p.path("client.pem"), Key: p.path("ca.pem")}, "Cert " + p.path("client.pem") + ", Key " + p.path("ca.pem") + ": "},
	} {
		_, err := c.o.Config()
		var fe *TLSFileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want a *TLSFileError saying %q", c.o, err, c.want)
		}
	}
	if cfg, err := (TLSOptions{}).Config(); cfg != nil || err != nil {
		t.Errorf("no options: %v %v, want nil nil", cfg, err)
	}
}

// pool is a pool holding c alone.
func pool(c *certs.Cert) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Leaf)
	return p
}
