package cmd

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// openimOnly is a realistic backend that serves OpenIM webhooks alone, as
// an OpenIM user's Go backend would: webhooks.yml's url is
// {URL}/callbackExample, and each callback arrives at
// /callbackExample/{command}. It answers CommonCallbackResp with int32
// fields, echoes the fields the set-group-info callbacks copy back, and
// refuses (errCode, nextCode 1) what it cannot read. With user set, it
// wants Basic authentication. It counts what it got.
type openimOnly struct {
	*httptest.Server
	user, pass string
	// panicOnNull names a list the handler ranges over without a nil check
	// (a panic, which the framework turns into an empty 500).
	panicOnNull string

	mu              sync.Mutex
	callbacks, lost int
}

func newOpenIMOnly(t *testing.T, configure func(*openimOnly)) *openimOnly {
	t.Helper()
	b := &openimOnly{}
	if configure != nil {
		configure(b)
	}
	type resp struct {
		ActionCode int32  `json:"actionCode"`
		ErrCode    int32  `json:"errCode"`
		ErrMsg     string `json:"errMsg"`
		ErrDlt     string `json:"errDlt"`
		NextCode   int32  `json:"nextCode"`
	}
	answer := func(w http.ResponseWriter, status int, r resp, echo map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		out := map[string]any{"actionCode": r.ActionCode, "errCode": r.ErrCode, "errMsg": r.ErrMsg, "errDlt": r.ErrDlt, "nextCode": r.NextCode}
		for k, v := range echo {
			out[k] = v
		}
		json.NewEncoder(w).Encode(out)
	}
	refuse := func(w http.ResponseWriter, status int, msg string) {
		answer(w, status, resp{ErrCode: 20001, ErrMsg: msg, NextCode: 1}, nil)
	}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		command, ok := strings.CutPrefix(r.URL.Path, "/callbackExample/")
		if !ok || !strings.HasPrefix(command, "callback") || strings.Contains(command, "/") || r.Method != http.MethodPost {
			b.mu.Lock()
			b.lost++
			b.mu.Unlock()
			http.NotFound(w, r)
			return
		}
		b.mu.Lock()
		b.callbacks++
		b.mu.Unlock()
		if b.user != "" {
			if u, p, ok := r.BasicAuth(); !ok || u != b.user || p != b.pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="webhooks"`)
				refuse(w, http.StatusUnauthorized, "unauthorized")
				return
			}
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
		var req map[string]any
		switch {
		case err != nil || len(body) > 1<<20:
			refuse(w, http.StatusRequestEntityTooLarge, "too large")
			return
		case json.Unmarshal(body, &req) != nil:
			refuse(w, http.StatusBadRequest, "not JSON")
			return
		case req["callbackCommand"] != command, strings.Contains(command, "Imhook"):
			refuse(w, http.StatusOK, "unknown command")
			return
		}
		if v, ok := req[b.panicOnNull]; ok && v == nil {
			w.WriteHeader(http.StatusInternalServerError) // the framework's recovery
			return
		}
		echo := map[string]any{}
		if strings.HasPrefix(command, "callbackBeforeSetGroupInfo") {
			for _, k := range []string{"groupID", "groupName", "faceURL", "introduction", "ex", "needVerification", "lookMemberInfo", "applyMemberFriend"} {
				if v, ok := req[k]; ok {
					echo[k] = v
				}
			}
		}
		answer(w, http.StatusOK, resp{}, echo)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *openimOnly) counts() (callbacks, lost int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.callbacks, b.lost
}

// An OpenIM-only backend passes every mode narrowed to OpenIM, and gets
// none of Tencent's callbacks.
func TestOpenIMOnlyBackend(t *testing.T) {
	t.Parallel()
	b := newOpenIMOnly(t, nil)
	url := b.URL + "/callbackExample"
	for _, args := range [][]string{
		{"simulate", "--all", "--vendor", "openim", "--target", url},
		{"simulate", "--all", "--target", "openim=" + url, "--openim-version", "v3.6"},
		{"simulate", "--probe", "robustness", "--vendor", "openim", "--target", url},
		{"simulate", "--probe", "security", "--vendor", "openim", "--target", url},
		{"simulate", "--scenario", "conversation", "--vendor", "openim", "--target", url},
	} {
		if r := runCmd(t, nil, "", append(args, "-q")...); r.code != 0 {
			t.Errorf("%v: %s", args, r)
		}
	}
	if calls, lost := b.counts(); calls == 0 || lost != 0 {
		t.Errorf("the backend answered %d callbacks and got %d requests that were not OpenIM callbacks", calls, lost)
	}
}

// One operationID per request: the header carries the body's, as the
// server fills both from the operation's context, in the documents' form
// and in a release's.
func TestOneOperationIDPerRequest(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"", "v3.7", "v3.0"} {
		r := runCmd(t, nil, "", "simulate", "--all", "--vendor", "openim", "--openim-version", version, "-o", "json")
		n := 0
		for _, rec := range records(t, r) {
			var body struct {
				OperationID *string `json:"operationID"`
			}
			json.Unmarshal(rec.Request.Body, &body)
			header := rec.Request.Headers.Get("operationID")
			if header == "" {
				t.Errorf("%s %s: no operationID header", version, rec.Command)
			}
			if body.OperationID != nil && *body.OperationID != "" {
				n++
				if header != *body.OperationID {
					t.Errorf("%s %s: header %q, body %q", version, rec.Command, header, *body.OperationID)
				}
			}
		}
		if n < 10 {
			t.Errorf("%q: %d records with a body operationID\n%s", version, n, r)
		}
	}
}

// simulate --scenario conversation --vendor openim runs against the
// built-in receiver, and its recording passes validate --consistency; a
// recording whose story is broken does not.
func TestOpenIMConversationScenario(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec := filepath.Join(dir, "conversation.jsonl")
	r := runCmd(t, nil, "", "simulate", "--scenario", "conversation", "--vendor", "openim", "--seed", "7", "--count", "40", "--record", rec, "-o", "json")
	if r.code != 0 || !strings.Contains(r.stderr, "built-in receiver") {
		t.Fatal(r)
	}
	if r := runCmd(t, nil, "", "validate", "--consistency", rec); r.code != 0 {
		t.Fatalf("validate --consistency: %s", r)
	}
	data, _ := os.ReadFile(rec)
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		// The same message saved twice under one seq... is a second seq for
		// another message: give every save the first save's seq.
		if strings.Contains(line, `"callbackAfterMsgSaveDBCommand"`) {
			line = regexp.MustCompile(`"seq":\d+`).ReplaceAllString(line, `"seq":1`)
		}
		out = append(out, line)
	}
	broken := filepath.Join(dir, "broken.jsonl")
	os.WriteFile(broken, []byte(strings.Join(out, "\n")+"\n"), 0o644)
	r = runCmd(t, nil, "", "validate", "--consistency", broken)
	if r.code != ExitContract || !strings.Contains(r.stdout, "consistency.seq") {
		t.Fatalf("a broken story: %s", r)
	}
	// The consistency help names both vendors' models.
	if r := runCmd(t, nil, "", "help", "consistency"); !strings.Contains(r.stdout, "consistency.seq") || !strings.Contains(r.stdout, "consistency.unread") {
		t.Errorf("help consistency: %s", r.stdout)
	}
}

// The README's CI recipe for OpenIM passes, as written, against a backend
// that serves OpenIM alone: its contract-openim.json, its workflow's
// environment, a config/webhooks.yml for the backend's address, and the
// imhook commands of its steps.
func TestREADMECIRecipeOpenIM(t *testing.T) {
	t.Parallel()
	suite, wf, env := readmeRecipe(t, "### The same for an OpenIM backend")
	checkWorkflow(t, wf)
	b := newOpenIMOnly(t, nil)
	if !strings.HasPrefix(env["IMHOOK_TARGET"], "openim=http://127.0.0.1:10006/") {
		t.Fatalf("the workflow's env: %v", env)
	}
	env["IMHOOK_TARGET"] = strings.ReplaceAll(env["IMHOOK_TARGET"], "http://127.0.0.1:10006", b.URL)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "config"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "contract-openim.json"), []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	// The server's webhooks.yml: every callback enabled, as serve prints it.
	yml := runCmd(t, nil, "", "serve", "--addr", strings.TrimPrefix(b.URL, "http://"), "--openim-webhooks-yml").stdout
	yml = strings.Replace(yml, b.URL+`"`, b.URL+`/callbackExample"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "config", "webhooks.yml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, rep := range runRecipe(t, wf, env, dir, 1, "contract-openim.json", "config/webhooks.yml") {
		if failed, all := failedSuites(t, rep); len(failed) > 0 || len(all) < 6 {
			t.Errorf("%s: parts %v, failed %v", rep, all, failed)
		}
	}
	if calls, lost := b.counts(); calls < 52 || lost != 0 {
		t.Errorf("the backend answered %d callbacks and got %d requests that were not OpenIM callbacks", calls, lost)
	}
}
