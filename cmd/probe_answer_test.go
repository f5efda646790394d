package cmd

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imhook/imhook/internal/probe"
	"github.com/imhook/imhook/record"
)

// callbackExampleReply is what open-im-server's example receiver
// (test/callbackexample in github.com/openimsdk/open-im-server) answers:
// actionCode 0, errCode 2000, nextCode 2, and its content as Go encodes a
// []byte (base64). The server continues on it: its webhook client fails a
// call only when the reply's Parse does (pkg/common/webhook/http_client.go),
// and Parse reads errCode only to word the error of a stop
// (pkg/callbackstruct/common.go).
const callbackExampleReply = `{"actionCode":0,"errCode":2000,"errMsg":"Success","errDlt":"Successful","nextCode":2,"content":"ImNhbGxiYWNrIHJldHVybiBtZXNzYWdlIg=="}`

// The probes take accepting and refusing from the vendor's judge for the
// release in force, as simulate does: against a receiver answering like
// open-im-server's example, the baselines pass and every probe is judged.
func TestProbesJudgeLikeSimulate(t *testing.T) {
	t.Parallel()
	b := newBackend(t, reply{body: callbackExampleReply})
	if r := runCmd(t, nil, "", "simulate", "--vendor", "openim", "callbackBeforeSendSingleMsgCommand", "--target", b.URL); r.code != 0 {
		t.Fatalf("simulate does not pass the reply:\n%s", r)
	}
	target := strings.Replace(b.URL, "http://", "http://imhook:s3cret@", 1) + "/callback"
	for _, args := range [][]string{
		{"--probe", "security", "--vendor", "openim", "--target", target},
		{"--probe", "robustness", "--vendor", "openim", "--target", b.URL + "/callback"},
	} {
		r := runCmd(t, nil, "", append(append([]string{"simulate"}, args...), "-o", "json")...)
		if strings.Contains(r.stdout, `"not_judged":`) && !strings.Contains(r.stdout, `"not_judged":0`) {
			t.Errorf("%v: probes not judged:\n%s", args, r)
		}
		got := probeFindings(t, r)
		if got["baseline.valid"] != probe.RuleBaseline || len(got) < 2 {
			t.Fatalf("%v: %v\n%s", args, got, r)
		}
		for _, rec := range records(t, r) {
			for _, f := range rec.Findings {
				if f.Rule == probe.RuleBaseline && f.Severity == record.Error {
					t.Errorf("%v: the baseline failed: %s", args, f.Message)
				}
			}
		}
		switch args[1] {
		case "security":
			// The receiver checks no password: the forgeries are judged,
			// and accepted.
			if r.code != 1 || got["security.no_basic_auth"] != probe.RuleAccepted || got["security.wrong_basic_auth"] != probe.RuleAccepted {
				t.Errorf("security: %v\n%s", got, r)
			}
		case "robustness":
			if r.code != 0 {
				t.Errorf("robustness: %v\n%s", got, r)
			}
		}
	}
	// The text output says NOT JUDGED of none of them.
	if r := runCmd(t, nil, "", "simulate", "--probe", "robustness", "--vendor", "openim", "--target", b.URL+"/callback"); strings.Contains(r.stdout, "NOT JUDGED") || r.code != 0 {
		t.Errorf("%s", r)
	}
}

// A before-send reply's content (the example receiver sends one) is a field
// the server does not read: an info finding, which --strict fails and shows.
func TestUnreadReplyFieldUnderStrict(t *testing.T) {
	t.Parallel()
	b := newBackend(t, reply{body: `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"content":"ImhpIg=="}`})
	r := runCmd(t, nil, "", "simulate", "--vendor", "openim", "callbackBeforeSendSingleMsgCommand", "--target", b.URL, "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"rule":"response.unread_field","path":"content","message":"OpenIM does not read content`) {
		t.Fatalf("%s", r)
	}
	r = runCmd(t, nil, "", "simulate", "--vendor", "openim", "callbackBeforeSendSingleMsgCommand", "--target", b.URL, "--strict")
	if r.code != 1 || !strings.Contains(r.stdout, "info response.unread_field content: OpenIM does not read content") {
		t.Fatalf("--strict: %s", r)
	}
}

// A backend that checks the url's Basic authentication and turns a forged
// callback away with HTTP 401 and an error code of its own has refused it,
// although OpenIM would go on after such a reply to a real callback (it
// ignores the status and stops only on actionCode and nextCode): the
// platform never sends a forgery, so calling that accepting would be a false
// alarm. The probe passes and says what a real callback answered so would do.
func TestSecurityProbeRefusedInTheBackendsTerms(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, want string
		status     int
		body       string
	}{
		{"401 and errCode", "refused with HTTP 401", 401, `{"errCode":401,"errMsg":"unauthorized"}`},
		{"200 and errCode", "refused with errCode 1001", 200, `{"actionCode":0,"errCode":1001,"errMsg":"bad credentials","nextCode":0}`},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "imhook" || p != "s3cret" {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
				return
			}
			io.WriteString(w, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`)
		}))
		t.Cleanup(srv.Close)
		target := strings.Replace(srv.URL, "http://", "http://imhook:s3cret@", 1) + "/callback"
		r := runCmd(t, nil, "", "simulate", "--probe", "security", "--vendor", "openim", "--target", target, "-o", "json")
		got := probeFindings(t, r)
		if r.code != 0 || got["security.no_basic_auth"] != probe.RuleRefused || got["security.wrong_basic_auth"] != probe.RuleRefused {
			t.Errorf("%s: %v\n%s", tc.name, got, r)
		}
		if !strings.Contains(r.stdout, tc.want+"; a real callback answered so would go on") {
			t.Errorf("%s: no word of the refusal %q:\n%s", tc.name, tc.want, r)
		}
	}
}
