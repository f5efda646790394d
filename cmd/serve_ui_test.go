package cmd

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/internal/certs"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// served is a running `imhook serve` process: its callback URL, its
// inspector's URL (when --ui) and its stderr so far.
type served struct {
	callbacks, ui string
	mu            sync.Mutex
	stderr        []string
}

func (s *served) errText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.stderr, "\n")
}

var (
	listeningRE = regexp.MustCompile(`listening on (https?://127\.0\.0\.1:\d+);`)
	inspectorRE = regexp.MustCompile(`inspector: (http://127\.0\.0\.1:\d+/)`)
)

// startServe runs `imhook serve args...` as a process until the test ends.
func startServeFront(t *testing.T, args ...string) *served {
	t.Helper()
	c := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	c.Env = append(os.Environ(), "IMHOOK_TEST_EXEC=1", "NO_COLOR=1")
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout = io.Discard
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Process.Kill()
		_ = c.Wait()
	})
	s := &served{}
	ready := make(chan struct{})
	wantUI := strings.Contains(strings.Join(args, " "), "--ui ")
	go func() {
		sc := bufio.NewScanner(stderr)
		closed := false
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.stderr = append(s.stderr, line)
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				s.callbacks = m[1]
			}
			if m := inspectorRE.FindStringSubmatch(line); m != nil {
				s.ui = m[1]
			}
			done := s.callbacks != "" && (s.ui != "" || !wantUI) && strings.Contains(line, "inspector:")
			s.mu.Unlock()
			if done && !closed {
				close(ready)
				closed = true
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("imhook serve %v did not start within 10s:\n%s", args, s.errText())
	}
	return s
}

// pkiFiles makes an authority, a server certificate for 127.0.0.1 and a
// client certificate, and writes them as PEM files.
func pkiFiles(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	ca, err := certs.New(certs.Options{CommonName: "test CA", CA: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	server, _ := certs.New(certs.Options{CommonName: "backend", Hosts: []string{"127.0.0.1"}}, ca)
	client, _ := certs.New(certs.Options{CommonName: "platform", Client: true}, ca)
	for name, b := range map[string][]byte{"ca.pem": ca.CertPEM(), "server.pem": server.CertPEM(), "server-key.pem": server.KeyPEM(),
		"client.pem": client.CertPEM(), "client-key.pem": client.KeyPEM()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// serve --tls: --insecure gets through, no flag is exit 3 naming the flags
// that help, and --cacert with the written certificate works for every
// sending mode (single, load, replay).
func TestServeTLSSelfSigned(t *testing.T) {
	dir := t.TempDir()
	s := startServeFront(t, "--tls", "--tls-out", dir)
	if !strings.HasPrefix(s.callbacks, "https://") || !strings.Contains(s.errText(), "SHA-256 fingerprint") {
		t.Fatalf("serve --tls said:\n%s", s.errText())
	}
	cmd := "C2C.CallbackAfterSendMsg"
	r := runCmd(t, nil, "", "simulate", cmd, "--target", s.callbacks)
	if r.code != ExitUnreachable || !strings.Contains(r.stderr, "--insecure") || !strings.Contains(r.stderr, "--cacert") {
		t.Errorf("no TLS flag: want exit 3 naming --insecure and --cacert\n%s", r)
	}
	if r := runCmd(t, nil, "", "simulate", "--all", "--vendor", "tencent", "--target", s.callbacks, "--insecure", "-q"); r.code != 0 {
		t.Errorf("--insecure:\n%s", r)
	}
	ca := filepath.Join(dir, "cert.pem")
	rec := filepath.Join(t.TempDir(), "run.jsonl")
	if r := runCmd(t, nil, "", "simulate", cmd, "--target", s.callbacks, "--cacert", ca, "--record", rec); r.code != 0 {
		t.Errorf("--cacert cert.pem:\n%s", r)
	}
	if r := runCmd(t, nil, "", "simulate", cmd, "--target", s.callbacks, "--cacert", ca, "--count", "40", "--concurrency", "4", "-q"); r.code != 0 {
		t.Errorf("load mode with --cacert:\n%s", r)
	}
	if r := runCmd(t, nil, "", "simulate", cmd, "--target", s.callbacks, "--count", "4", "--concurrency", "2", "-q"); r.code != ExitUnreachable || !strings.Contains(r.stderr, "--cacert") {
		t.Errorf("load mode without a TLS flag:\n%s", r)
	}
	if r := runCmd(t, nil, "", "replay", rec, "--target", s.callbacks, "--insecure"); r.code != 0 {
		t.Errorf("replay --insecure:\n%s", r)
	}
	if r := runCmd(t, nil, "", "replay", rec, "--target", s.callbacks); r.code != ExitUnreachable {
		t.Errorf("replay without a TLS flag:\n%s", r)
	}
	if r := runCmd(t, nil, "", "simulate", "--probe", "robustness", cmd, "--target", s.callbacks, "--cacert", ca, "-q"); r.code != 0 {
		t.Errorf("probes with --cacert:\n%s", r)
	}
	// The library's TLS errors name its fields; the command line names
	// its flags.
	for args, want := range map[string]string{
		"--cacert " + filepath.Join(dir, "key.pem"): "--cacert " + filepath.Join(dir, "key.pem") + ": no PEM certificate",
		"--cert " + ca: "--cert and --key go together: the client certificate and its private key (PEM files)",
	} {
		r := runCmd(t, nil, "", append([]string{"simulate", cmd, "--target", s.callbacks}, strings.Fields(args)...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "CACert") || strings.Contains(r.stderr, "TLSOptions") {
			t.Errorf("%s: want exit 2 saying %q\n%s", args, want, r)
		}
	}
}

// A certificate of a private authority, and mutual TLS: --cert/--key get
// through --client-ca, a client without a certificate is refused.
func TestServeTLSCASignedMutual(t *testing.T) {
	dir := pkiFiles(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	s := startServeFront(t, "--tls-cert", p("server.pem"), "--tls-key", p("server-key.pem"), "--client-ca", p("ca.pem"))
	cmd := "callbackAfterGroupMsgReadCommand"
	if r := runCmd(t, nil, "", "simulate", cmd, "--target", s.callbacks, "--cacert", p("ca.pem"), "--cert", p("client.pem"), "--key", p("client-key.pem")); r.code != 0 {
		t.Errorf("--cacert and a client certificate:\n%s", r)
	}
	r := runCmd(t, nil, "", "simulate", cmd, "--target", s.callbacks, "--cacert", p("ca.pem"))
	if r.code != ExitUnreachable || !strings.Contains(r.stderr, "client certificate") || !strings.Contains(r.stderr, "--cert") {
		t.Errorf("no client certificate: want exit 3 saying so\n%s", r)
	}
	if r := runCmd(t, nil, "", "simulate", cmd, "--target", s.callbacks, "--cacert", p("ca.pem"), "--cert", p("client.pem")); r.code != ExitUsage || !strings.Contains(r.stderr, "--cert and --key go together") {
		t.Errorf("--cert without --key:\n%s", r)
	}
	// Without --client-ca, the private authority's certificate alone.
	s2 := startServeFront(t, "--tls-cert", p("server.pem"), "--tls-key", p("server-key.pem"))
	if r := runCmd(t, nil, "", "simulate", "--all", "--vendor", "openim", "-q", "--target", s2.callbacks, "--cacert", p("ca.pem")); r.code != 0 {
		t.Errorf("--cacert ca.pem:\n%s", r)
	}
}

// serve --forward-to with the inspector: the backend's contract break is in
// the record and on the inspector's address, and nothing of the recorded
// traffic is reachable on the callback port.
func TestServeForwardInspector(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0}`) // no ErrorInfo
	}))
	defer be.Close()
	path := filepath.Join(t.TempDir(), "calls.jsonl")
	s := startServeFront(t, "--forward-to", be.URL+"/cb", "--ui", "127.0.0.1:0", "--record", path)
	if !strings.Contains(s.errText(), "forwarding every callback to "+be.URL+"/cb") {
		t.Errorf("serve said:\n%s", s.errText())
	}
	const marker = "imhook-secret-marker-7f3a"
	r := runCmd(t, nil, "", "simulate", "C2C.CallbackAfterSendMsg", "--set", "From_Account="+marker, "--target", s.callbacks)
	if r.code != ExitContract || !strings.Contains(r.stdout, "response.required") {
		t.Errorf("simulate through the forwarder: want exit 1 with the backend's break\n%s", r)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec record.Record
	if err := record.Unmarshal([]byte(strings.TrimSpace(string(raw))), &rec); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if rec.Forward == nil || rec.Forward.Status != 200 || len(rec.Forward.Findings) != 1 || rec.Forward.Findings[0].Rule != platform.RuleRequired || rec.Verdict != record.Fail {
		t.Errorf("record: verdict %s forward %+v", rec.Verdict, rec.Forward)
	}
	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The inspector has it.
	if code, body := get(s.ui + "api/recording.jsonl"); code != 200 || !strings.Contains(body, marker) {
		t.Errorf("inspector download: %d %.200s", code, body)
	}
	if code, body := get(s.ui + "api/exchanges?verdict=fail"); code != 200 || !strings.Contains(body, `"forward_status":200`) {
		t.Errorf("inspector list: %d %.300s", code, body)
	}
	// The callback port has none of it.
	for _, p := range []string{"/", "/index.html", "/app.js", "/api/exchanges", "/api/exchanges/1", "/api/events", "/api/recording.jsonl", "/api/info", "/api/doc/C2C.CallbackAfterSendMsg"} {
		for _, method := range []string{"GET", "POST"} {
			req, _ := http.NewRequest(method, s.callbacks+p, strings.NewReader("{}"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 || strings.Contains(string(b), marker) || strings.Contains(string(b), `"exchanges":`) || strings.Contains(string(b), "event: exchange") {
				t.Errorf("%s %s on the callback port: %d %.200s", method, p, resp.StatusCode, b)
			}
		}
	}
}

func TestServeFrontUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--forward-to", "http://127.0.0.1:1/", "--respond", "reject"}, nil, "--respond shapes imhook's own answer"},
		{[]string{"--forward-to", "ftp://x"}, nil, "not an http:// or https:// URL"},
		{[]string{"--forward-to", "http://127.0.0.1:1/", "--token", "t", "--reject-replays"}, nil, "--reject-replays shapes imhook's own answer"},
		{[]string{"--ui", "0.0.0.0:0"}, nil, "--ui-token"},
		{[]string{"--ui", "127.0.0.1:9000"}, nil, "the callback address"},
		{[]string{"--ui", "nonsense"}, nil, "not a listen address"},
		{[]string{"--tls", "--tls-cert", "a.pem", "--tls-key", "b.pem"}, nil, "use one or the other"},
		{[]string{"--tls-cert", "a.pem"}, nil, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-out", "d"}, nil, "give --tls too"},
		{[]string{"--client-ca", "ca.pem"}, nil, "give --tls"},
		{[]string{"--tls", "--client-ca", "/nonexistent/ca.pem"}, nil, "--client-ca"},
	} {
		r := runCmd(t, c.env, "", append([]string{"serve"}, c.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("serve %v: want exit 2 saying %q\n%s", c.args, c.want, r)
		}
	}
}
