package cmd

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/simulate"
)

// tokenFile writes content to a file and returns its path.
func tokenFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// --token-file and IMHOOK_TOKEN_FILE give the token on every command that
// takes one, with one trailing newline dropped; --token and --token-file
// together, an empty file, a file of more than one line, a missing file,
// a Windows line end, a byte order mark, spaces, NUL and other control
// bytes, and both environment variables at once are usage errors that say
// what was found and where, never the token.
func TestTokenFile(t *testing.T) {
	good := tokenFile(t, "s3cret\n")
	crlf := tokenFile(t, "s3cret\r\n")
	bare := tokenFile(t, "s3cret")
	empty := tokenFile(t, "")
	newline := tokenFile(t, "\n")
	twoLines := tokenFile(t, "s3cret\n\n")
	missing := filepath.Join(t.TempDir(), "nope")
	type tc struct {
		env  map[string]string
		args []string
		want string // the token, or the start of the error after "ERR "
	}
	cases := []tc{
		{nil, []string{"--token-file", good}, "s3cret"},
		{nil, []string{"--token-file", crlf}, "ERR --token-file " + crlf + ": expected the callback token on one line ending in \\n, found a carriage return at its end"},
		{nil, []string{"--token-file", tokenFile(t, "\xef\xbb\xbfs3cret\n")}, "ERR found a UTF-8 byte order mark before it"},
		{nil, []string{"--token-file", tokenFile(t, "s3cret \n")}, "ERR found a space at byte 7 of 7"},
		{nil, []string{"--token-file", tokenFile(t, " s3cret")}, "ERR found a space at byte 1 of 7"},
		{nil, []string{"--token-file", tokenFile(t, "s3\x00cret\n")}, "ERR found a NUL byte at byte 3 of 7"},
		{nil, []string{"--token-file", tokenFile(t, "s3\tcret")}, "ERR found a tab at byte 3"},
		{nil, []string{"--token-file", tokenFile(t, "s3\x1bcret")}, "ERR found the control byte 0x1b at byte 3"},
		{map[string]string{"IMHOOK_TOKEN_FILE": crlf}, nil, "ERR IMHOOK_TOKEN_FILE " + crlf + ": expected the callback token on one line ending in \\n, found a carriage return"},
		{nil, []string{"--token-file", bare}, "s3cret"},
		{map[string]string{"IMHOOK_TOKEN_FILE": good}, nil, "s3cret"},
		{map[string]string{"IMHOOK_TOKEN": "fromenv"}, nil, "fromenv"},
		{map[string]string{"IMHOOK_TOKEN_FILE": good}, []string{"--token", "flag"}, "flag"},
		{map[string]string{"IMHOOK_TOKEN": "fromenv"}, []string{"--token-file", good}, "s3cret"},
		{nil, nil, ""},
		{nil, []string{"--token", "a", "--token-file", good}, "ERR --token and --token-file"},
		{nil, []string{"--token-file", empty}, "ERR --token-file " + empty + ": the file is empty"},
		{nil, []string{"--token-file", newline}, "ERR --token-file " + newline + ": the file is empty"},
		{nil, []string{"--token-file", twoLines}, "ERR --token-file " + twoLines + ": "},
		{nil, []string{"--token-file", missing}, "ERR --token-file: open " + missing},
		{map[string]string{"IMHOOK_TOKEN_FILE": empty}, nil, "ERR IMHOOK_TOKEN_FILE " + empty},
		{map[string]string{"IMHOOK_TOKEN_FILE": good, "IMHOOK_TOKEN": "x"}, nil, "ERR IMHOOK_TOKEN and IMHOOK_TOKEN_FILE"},
	}
	check := func(t *testing.T, c tc, token string, err error) {
		t.Helper()
		if want, isErr := strings.CutPrefix(c.want, "ERR "); isErr {
			if err == nil || ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), want) {
				t.Errorf("%v %v: %v; want a usage error with %q", c.env, c.args, err, want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the token: %v", err)
			}
			return
		}
		if err != nil || token != c.want {
			t.Errorf("%v %v: token %q, %v; want %q", c.env, c.args, token, err, c.want)
		}
	}
	for _, c := range cases {
		o, err := parse(t, c.env, newSimulateCmd, append([]string{"--all"}, c.args...)...)
		check(t, c, tokenOf(o, func(o *simulateOptions) string { return o.request.Token }), err)
		r, err := parse(t, c.env, newReplayCmd, append([]string{"in.jsonl"}, c.args...)...)
		check(t, c, tokenOf(r, func(o *replayOptions) string { return o.request.Token }), err)
		s, err := parse(t, c.env, newServeCmd, c.args...)
		check(t, c, tokenOf(s, func(o *serveOptions) string { return o.request.Token }), err)
	}
}

func tokenOf[O any](o *O, get func(*O) string) string {
	if o == nil {
		return ""
	}
	return get(o)
}

// The help of each command that takes a token offers --token-file and
// recommends it or IMHOOK_TOKEN over --token.
func TestTokenHelp(t *testing.T) {
	for _, args := range [][]string{{"simulate", "--help"}, {"replay", "--help"}, {"serve", "--help"}} {
		r := runCmd(t, nil, "", args...)
		if !strings.Contains(r.stdout, "--token-file") || !strings.Contains(r.stdout, "IMHOOK_TOKEN_FILE") || !strings.Contains(r.stdout, "prefer IMHOOK_TOKEN or --token-file") {
			t.Errorf("%v does not offer --token-file over --token:\n%s", args, r.stdout)
		}
	}
	if r := runCmd(t, nil, "", "help", "environment"); !strings.Contains(r.stdout, "IMHOOK_TOKEN_FILE") {
		t.Errorf("help environment has no IMHOOK_TOKEN_FILE:\n%s", r.stdout)
	}
}

// A receiver and a sender that read the token from files agree; a sender
// with another token is refused.
func TestTokenFileEndToEnd(t *testing.T) {
	tok := tokenFile(t, "s3cret\n")
	_, url := startImhook(t, "serve", "--addr", "127.0.0.1:0", "--token-file", tok)
	if r := runCmd(t, nil, "", "simulate", "C2C.CallbackAfterSendMsg", "--target", url+"/", "--token-file", tok, "-q"); r.code != ExitOK {
		t.Errorf("the same token from a file: %s", r)
	}
	if r := runCmd(t, map[string]string{"IMHOOK_TOKEN_FILE": tokenFile(t, "other")}, "", "simulate", "C2C.CallbackAfterSendMsg", "--target", url+"/", "-q"); r.code != ExitContract {
		t.Errorf("another token: %s; want exit %d (refused)", r, ExitContract)
	}
}

// serve --reject-replays refuses the second delivery of a signed callback,
// and needs the token.
func TestServeRejectReplays(t *testing.T) {
	tok := tokenFile(t, "s3cret")
	if r := runCmd(t, nil, "", "serve", "--addr", "127.0.0.1:0", "--reject-replays"); r.code != ExitUsage || !strings.Contains(r.stderr, "--reject-replays") {
		t.Errorf("without a token: %s", r)
	}
	_, url := startImhook(t, "serve", "--addr", "127.0.0.1:0", "--token-file", tok, "--reject-replays")
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	req, err := platform.Tencent.NewRequest(url+"/", e.Command, e.Sample, platform.Params{Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	client := simulate.NewClient(nil)
	for i, want := range []string{"OK", "FAIL"} {
		again, _ := platform.Tencent.NewRequest(url+"/", e.Command, e.Sample, platform.Params{Token: "s3cret"})
		again.URL = req.URL // the same Sign and RequestTime
		resp, err := client.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := gjson.GetBytes(b, "ActionStatus").Str; got != want || want == "FAIL" && !strings.Contains(string(b), "came before") {
			t.Errorf("delivery %d: %s; want ActionStatus %s", i+1, b, want)
		}
	}
}
