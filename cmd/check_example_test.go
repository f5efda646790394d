package cmd

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// A receiver that answers as open-im-server's own example does
// (test/callbackexample: actionCode 0, errCode 2000, nextCode 2), which the
// server goes on after, passes the probes' baselines: the probes judge
// accepting as the vendor's judge does.
func TestCheckOpenIMCallbackExampleReply(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"actionCode":0,"errCode":2000,"errMsg":"success","errDlt":"","nextCode":2}`)
	}))
	t.Cleanup(srv.Close)
	r := runCmd(t, nil, "", "check", "--target", "openim="+srv.URL+"/callbackExample", "--only", "security,robustness", "-o", "json")
	out := strings.TrimSpace(r.stdout)
	sum := gjson.Parse(out[strings.LastIndex(out, "\n")+1:])
	if r.code != 0 || strings.Contains(r.stderr, "not judged") || strings.Contains(r.stdout, `"severity":"error","rule":"probe.baseline"`) ||
		sum.Get("summary.parts.#").Int() != 2 || !sum.Get("summary.parts.0.passed").Bool() || !sum.Get("summary.parts.1.passed").Bool() {
		t.Fatalf("the baselines failed on the example's reply: %s", r)
	}
}
