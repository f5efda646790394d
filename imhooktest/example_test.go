package imhooktest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/imhooktest"
)

// handler is a backend for Tencent Cloud Chat callbacks: it checks the
// app ID and the signature, refuses messages that say "spam" and accepts
// the rest. errorCode writes the reply's ErrorCode.
func handler(errorCode func(int) any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		sum := sha256.Sum256([]byte("token" + q.Get("RequestTime")))
		rt, _ := strconv.ParseInt(q.Get("RequestTime"), 10, 64)
		if q.Get("SdkAppid") != "1400000000" || q.Get("Sign") != hex.EncodeToString(sum[:]) || time.Since(time.Unix(rt, 0)).Abs() > time.Minute {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		var msg struct {
			MsgBody []struct{ MsgContent struct{ Text string } }
		}
		code := 0
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			code = 1
		}
		for _, el := range msg.MsgBody {
			if strings.Contains(el.MsgContent.Text, "spam") {
				code = 1
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"ActionStatus": "OK", "ErrorCode": errorCode(code), "ErrorInfo": ""})
	})
}

// A backend's whole test: every callback of its vendor, one subtest each;
// a banned word refused; the security and robustness probes. In a test, t
// is the test's *testing.T; here a reporter prints the finding lines the
// test would fail with (none: the handler is right).
func Example() {
	t := reporter{}

	h := imhooktest.New(t, handler(func(c int) any { return c }),
		imhooktest.Vendor("tencent"), imhooktest.SdkAppID("1400000000"), imhooktest.Token("token"))
	h.RunAll(t)
	h.Send(t, "C2C.CallbackBeforeSendMsg", imhooktest.Text("buy spam now"), imhooktest.Expect("reject"))
	h.Probes(t)
	// Output:
}

// A handler that writes its ErrorCode as a string fails each callback with
// the finding imhook's command line prints.
func ExampleHarness_Send() {
	t := reporter{}

	h := imhooktest.New(t, handler(func(c int) any { return strconv.Itoa(c) }),
		imhooktest.SdkAppID("1400000000"), imhooktest.Token("token"))
	h.Send(t, "C2C.CallbackAfterSendMsg")
	// Output:
	// error response.type ErrorCode: expected an integer, found the string "0"
}

// The record of a send says what the platform would do with the reply.
func ExampleHarness_Send_record() {
	t := reporter{}

	h := imhooktest.New(t, handler(func(c int) any { return c }),
		imhooktest.SdkAppID("1400000000"), imhooktest.Token("token"))
	rec := h.Send(t, "Group.CallbackBeforeSendMsg", imhooktest.Text("spam, spam, spam"), imhooktest.Expect("reject"))
	fmt.Println(rec.Verdict, rec.Outcome, string(rec.Response.Body))
	// Output:
	// pass reject {"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":""}
}

// reporter is a testing.TB that prints the finding lines of each failure
// (the lines that begin with a severity) and ignores logs: it stands in for
// a test's *testing.T in these examples.
type reporter struct{ testing.TB }

func (reporter) Helper()             {}
func (reporter) Logf(string, ...any) {}
func (reporter) Errorf(format string, args ...any) {
	for _, line := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "error ") || strings.HasPrefix(l, "warning ") {
			fmt.Println(l)
		}
	}
}
func (r reporter) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (reporter) Skipf(string, ...any)                { runtime.Goexit() }
