package cmd

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
)

// No output of any sending mode holds the password of a target's
// user:password@ (OpenIM's Basic authentication): not records, -o json,
// text, JUnit, errors; and replay authenticates from its --target, not
// from the recording.
func TestTargetPasswordInNoOutput(t *testing.T) {
	const pass = "Pa55-S3CRET-q9"
	b := newOpenIMOnly(t, func(b *openimOnly) { b.user, b.pass = "hookuser", pass })
	target := strings.Replace(b.URL, "http://", "http://hookuser:"+pass+"@", 1) + "/callbackExample"
	dir := t.TempDir()
	rec := filepath.Join(dir, "calls.jsonl")
	var outputs []string
	files := []string{rec}
	for i, args := range [][]string{
		{"simulate", "callbackBeforeSendSingleMsgCommand", "--target", target, "-o", "json", "--record", rec, "--junit", filepath.Join(dir, "1.xml")},
		{"simulate", "callbackBeforeSendSingleMsgCommand", "--target", target},
		{"simulate", "callbackBeforeSendSingleMsgCommand", "--target", target, "--count", "40", "--concurrency", "4", "-o", "json", "--record", rec},
		{"simulate", "--probe", "security", "--vendor", "openim", "--target", target, "-o", "json", "--record", rec, "--junit", filepath.Join(dir, "2.xml")},
		{"simulate", "--probe", "security", "--vendor", "openim", "--target", target},
		{"simulate", "callbackBeforeSendSingleMsgCommand", "--target", "http://hookuser:" + pass + "@127.0.0.1:notaport/x", "-o", "json", "--junit", filepath.Join(dir, "3.xml")},
		{"simulate", "callbackBeforeSendSingleMsgCommand", "--target", "http://hookuser:" + pass + "@127.0.0.1:1/x"},
		{"replay", rec, "--target", target, "-o", "json", "--record", filepath.Join(dir, "again.jsonl"), "--junit", filepath.Join(dir, "4.xml")},
	} {
		r := runCmd(t, nil, "", args...)
		outputs = append(outputs, r.stdout, r.stderr)
		if i == 0 && (r.code != 0 || !strings.Contains(r.stdout, "xxxxx@127.0.0.1")) {
			t.Errorf("%v: want exit 0 and the redacted target in the record\n%s", args, r)
		}
		if args[0] == "replay" && r.code != 0 {
			t.Errorf("replay with the password in --target: want every exchange authenticated and passing\n%s", r)
		}
	}
	files = append(files, filepath.Join(dir, "1.xml"), filepath.Join(dir, "2.xml"), filepath.Join(dir, "4.xml"), filepath.Join(dir, "again.jsonl"))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(raw))
	}
	for i, out := range outputs {
		if strings.Contains(out, pass) {
			t.Errorf("output %d holds the target's password:\n%s", i, out)
		}
	}
	// Replay with the recording alone (the recorded URL is redacted): the
	// backend refuses it, the password is not in the recording to be sent.
	r := runCmd(t, nil, "", "replay", rec, "--target", b.URL+"/callbackExample", "-q")
	if r.code == 0 {
		t.Errorf("replay without the password was accepted: the recording carried it\n%s", r)
	}
}

// serve --record keeps no Authorization, Proxy-Authorization or cookie
// value it received: not in the record file, -o json, nor the inspector's
// list, exchange and download; --record-secrets keeps them, with a warning.
func TestServeRedactsCredentialHeaders(t *testing.T) {
	const secret = "dXNlcjpTM2NyZXQtaGVhZGVy"
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	for _, keep := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "calls.jsonl")
		args := []string{"--ui", "127.0.0.1:0", "--record", path}
		if keep {
			args = append(args, "--record-secrets")
		}
		s := startServeFront(t, args...)
		body, _ := generate.Generate(e, generate.GenOptions{Seed: 3})
		req, _ := platform.Tencent.NewRequest(s.callbacks, e.Command, body, platform.Params{})
		req.Header.Set("Authorization", "Basic "+secret)
		req.Header.Set("Proxy-Authorization", "Bearer "+secret)
		req.Header.Set("Cookie", "sid="+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("serve answered %d", resp.StatusCode)
		}
		var outs []string
		raw, _ := os.ReadFile(path)
		outs = append(outs, string(raw))
		for _, p := range []string{"api/exchanges", "api/exchanges/1", "api/recording.jsonl"} {
			var got []byte
			// The inspector hears of the exchange after the reply.
			for deadline := time.Now().Add(5 * time.Second); ; {
				resp, err := http.Get(s.ui + p)
				if err != nil {
					t.Fatal(err)
				}
				got, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && bytes.Contains(got, []byte(e.Command)) || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			outs = append(outs, string(got))
		}
		for i, out := range outs {
			if has := strings.Contains(out, secret); has != keep && (i != 1 || !keep) { // the list shows no headers
				t.Errorf("record-secrets %v: output %d holds the secret: %v\n%.600s", keep, i, has, out)
			}
		}
		if !keep && !strings.Contains(outs[0], `"Basic xxxxx"`) {
			t.Errorf("the record does not show the redacted Authorization: %.600s", outs[0])
		}
		if warned := strings.Contains(s.errText(), "--record-secrets"); warned != keep {
			t.Errorf("record-secrets %v: warning on stderr %v:\n%s", keep, warned, s.errText())
		}
	}
}

// A --forward-to URL's user:password@ is in neither serve's notice nor the
// record's forward.url; the backend still gets the credentials.
func TestServeForwardPasswordRedacted(t *testing.T) {
	const pass = "Fw-pa55-77x"
	be := newOpenIMOnly(t, func(b *openimOnly) { b.user, b.pass = "fw", pass })
	path := filepath.Join(t.TempDir(), "calls.jsonl")
	s := startServeFront(t, "--forward-to", strings.Replace(be.URL, "http://", "http://fw:"+pass+"@", 1)+"/callbackExample", "--record", path)
	r := runCmd(t, nil, "", "simulate", "callbackBeforeSendSingleMsgCommand", "--target", s.callbacks)
	if r.code != 0 {
		t.Errorf("simulate through the forwarder to a backend that wants the credentials: %s", r)
	}
	raw, _ := os.ReadFile(path)
	for i, out := range []string{s.errText(), string(raw), r.stdout, r.stderr} {
		if strings.Contains(out, pass) {
			t.Errorf("output %d holds the --forward-to password:\n%s", i, out)
		}
	}
	if !strings.Contains(string(raw), `"url":"http://xxxxx@127.0.0.1`) {
		t.Errorf("the record's forward.url is not the redacted URL: %s", raw)
	}
}
