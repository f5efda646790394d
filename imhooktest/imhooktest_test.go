package imhooktest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imhook/imhook/imhooktest"
	"github.com/imhook/imhook/record"
)

const (
	appID = "1400000042"
	token = "s3cret"
)

// backend is a careful Tencent Cloud Chat backend: it refuses another
// app's callbacks and, with a token, a bad or stale signature (HTTP 403),
// answers bad JSON with a refusal in the reply shape, and refuses messages
// with a banned word. bug, when set, breaks it.
type backend struct {
	token string
	bug   string // "string-code", "stale-time", "panic"
}

func (b backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("SdkAppid") != appID {
		http.Error(w, "wrong app", http.StatusForbidden)
		return
	}
	if b.token != "" {
		rt, err := strconv.ParseInt(q.Get("RequestTime"), 10, 64)
		sum := sha256.Sum256([]byte(b.token + q.Get("RequestTime")))
		fresh := err == nil && time.Since(time.Unix(rt, 0)).Abs() <= time.Minute
		if b.bug == "stale-time" {
			fresh = err == nil
		}
		if q.Get("Sign") != hex.EncodeToString(sum[:]) || !fresh {
			http.Error(w, "bad signature", http.StatusForbidden)
			return
		}
	}
	var msg struct {
		MsgBody []struct {
			MsgType    string
			MsgContent struct{ Text string }
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		b.answer(w, "FAIL", 1, "not JSON")
		return
	}
	if b.bug == "panic" && q.Get("CallbackCommand") == "C2C.CallbackAfterSendMsg" {
		panic("a nil map somewhere")
	}
	for _, el := range msg.MsgBody {
		if strings.Contains(el.MsgContent.Text, "banned") && strings.Contains(q.Get("CallbackCommand"), "Before") {
			b.answer(w, "OK", 1, "banned")
			return
		}
	}
	b.answer(w, "OK", 0, "")
}

func (b backend) answer(w http.ResponseWriter, status string, code int, info string) {
	w.Header().Set("Content-Type", "application/json")
	var c any = code
	if b.bug == "string-code" {
		c = strconv.Itoa(code)
	}
	json.NewEncoder(w).Encode(map[string]any{"ActionStatus": status, "ErrorCode": c, "ErrorInfo": info})
}

// recorder is a testing.TB that keeps what a test says instead of failing:
// the test of a test helper.
type recorder struct {
	testing.TB // nil: a method not below panics
	mu         sync.Mutex
	errors     []string
	logs       []string
	fatal      bool
	skipped    bool
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.mu.Lock()
	r.fatal = true
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}
func (r *recorder) Skipf(format string, args ...any) {
	r.Logf(format, args...)
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Failed() bool { return len(r.errors) > 0 }

// record runs f with a recorder, as a test runs, and returns it.
func record_(f func(testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func (r *recorder) all() string { return strings.Join(r.errors, "\n") }

// The correct backend passes every Tencent callback, a refusal of a
// banned word and every probe, in real subtests.
func TestCorrectBackendPasses(t *testing.T) {
	h := imhooktest.New(t, backend{token: token}, imhooktest.Vendor("tencent"), imhooktest.SdkAppID(appID), imhooktest.Token(token))
	h.RunAll(t)
	rec := h.Send(t, "C2C.CallbackBeforeSendMsg", imhooktest.Text("banned words"), imhooktest.Expect("reject"))
	if rec.Outcome != record.OutcomeReject {
		t.Errorf("outcome %q, want reject", rec.Outcome)
	}
	h.Probes(t)
}

// A backend that writes ErrorCode as a string fails every callback with
// the command line's finding line, each led by the callback's name.
func TestBrokenBackendFailsInTheCLIsWords(t *testing.T) {
	r := record_(func(t testing.TB) {
		h := imhooktest.New(t, backend{bug: "string-code"}, imhooktest.Vendor("tencent"), imhooktest.SdkAppID(appID), imhooktest.Seed(7))
		h.RunAll(t, imhooktest.Commands("C2C.CallbackAfterSendMsg", "Group.CallbackAfterCreateGroup"))
	})
	if len(r.errors) != 2 || r.fatal {
		t.Fatalf("%d failures (fatal %v), want 2:\n%s", len(r.errors), r.fatal, r.all())
	}
	for i, name := range []string{"C2C.CallbackAfterSendMsg", "Group.CallbackAfterCreateGroup"} {
		got := r.errors[i]
		for _, want := range []string{
			name + ": --> tencent " + name + "  <-- 200 ",
			"  FAIL\n",
			"      error response.type ErrorCode: expected an integer, found the string \"0\"\n",
			`      reply HTTP 200 {"ActionStatus":"OK","ErrorCode":"0","ErrorInfo":""}`,
		} {
			if !strings.Contains(got, want) {
				t.Errorf("failure %d does not hold %q:\n%s", i, want, got)
			}
		}
	}
	if len(r.logs) == 0 || !strings.Contains(r.logs[0], "imhooktest: seed 7 (imhooktest.Seed(7)") {
		t.Errorf("the seed is not logged first: %q", r.logs)
	}
}

// Expect fails a send whose reply has another outcome, in the judge's words.
func TestSendExpectsTheOutcome(t *testing.T) {
	r := record_(func(t testing.TB) {
		h := imhooktest.New(t, backend{}, imhooktest.SdkAppID(appID))
		h.Send(t, "C2C.CallbackBeforeSendMsg", imhooktest.Text("hello"), imhooktest.Expect("reject"))
	})
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "--> tencent C2C.CallbackBeforeSendMsg  <-- 200 ") ||
		!strings.Contains(r.errors[0], "reject") {
		t.Errorf("%s", r.all())
	}
}

// Set and Text reach the body; a set the catalogue does not know is logged.
func TestSendSetsAndText(t *testing.T) {
	var got []byte
	h := imhooktest.New(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = make([]byte, r.ContentLength)
		_, _ = r.Body.Read(got)
		backend{}.answer(w, "OK", 0, "")
	}), imhooktest.SdkAppID(appID), imhooktest.Path("im"))
	h.Send(t, "C2C.CallbackBeforeSendMsg", imhooktest.Text("hi there"), imhooktest.Set("From_Account", "alice"))
	if !strings.Contains(string(got), `"hi there"`) || !strings.Contains(string(got), `"From_Account":"alice"`) {
		t.Errorf("body %s", got)
	}
	if !strings.HasSuffix(h.Target(), "/im") {
		t.Errorf("target %s", h.Target())
	}
}

// The same seed gives the same payloads.
func TestSeedRepeats(t *testing.T) {
	bodies := map[string]int{}
	for range 2 {
		h := imhooktest.New(t, backend{}, imhooktest.SdkAppID(appID), imhooktest.Seed(42))
		bodies[string(h.Send(t, "C2C.CallbackAfterSendMsg").Request.Body)]++
	}
	if len(bodies) != 1 {
		t.Errorf("two bodies from one seed: %v", bodies)
	}
}

// A handler that panics gets no reply: the exchange fails, the stack is
// logged, and the other callbacks still run.
func TestPanicIsNoReply(t *testing.T) {
	r := record_(func(t testing.TB) {
		h := imhooktest.New(t, backend{bug: "panic"}, imhooktest.SdkAppID(appID))
		h.RunAll(t, imhooktest.Commands("C2C.CallbackAfterSendMsg", "C2C.CallbackBeforeSendMsg"))
	})
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "no reply  ERROR") || !strings.Contains(r.errors[0], "the handler panicked") ||
		!strings.Contains(r.errors[0], "a nil map somewhere") {
		t.Errorf("%s", r.all())
	}
	if !strings.Contains(strings.Join(r.logs, "\n"), "imhooktest_test.backend.ServeHTTP") {
		t.Errorf("no stack in the log: %q", r.logs)
	}
}

// A handler slower than the budget misses it, in the vendor's words.
func TestSlowHandlerMissesTheBudget(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	r := record_(func(t testing.TB) {
		h := imhooktest.New(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }),
			imhooktest.Timeout(50*time.Millisecond))
		h.Send(t, "C2C.CallbackAfterSendMsg")
	})
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "error response.timeout") || !strings.Contains(r.errors[0], "(imhooktest.Timeout)") {
		t.Errorf("%s", r.all())
	}
}

// The security probes fail a backend that takes a stale RequestTime (the
// bug of issue 19's handler), and skip nothing else.
func TestProbesFindAStaleRequestTime(t *testing.T) {
	r := record_(func(t testing.TB) {
		h := imhooktest.New(t, backend{token: token, bug: "stale-time"}, imhooktest.Vendor("tencent"), imhooktest.SdkAppID(appID), imhooktest.Token(token))
		h.Probes(t, imhooktest.Security)
	})
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "C2C.CallbackAfterSendMsg/security.stale_request_time: --> tencent") ||
		!strings.Contains(r.errors[0], "error probe.accepted security.stale_request_time: forged callbacks accepted") {
		t.Errorf("%s", r.all())
	}
}

// A baseline that fails leaves its probes skipped, not passed.
func TestProbesAfterAFailedBaselineAreSkipped(t *testing.T) {
	r := record_(func(t testing.TB) {
		h := imhooktest.New(t, backend{token: token}, imhooktest.Vendor("tencent"), imhooktest.SdkAppID("1400000099"), imhooktest.Token(token))
		h.Probes(t, imhooktest.Security)
	})
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "baseline.valid") || !strings.Contains(r.errors[0], "probe.baseline") {
		t.Errorf("%s", r.all())
	}
	if !strings.Contains(strings.Join(r.logs, "\n"), "not judged: the baseline of") {
		t.Errorf("no probe skipped: %q", r.logs)
	}
}

// The options' mistakes stop the test with what there is.
func TestOptionMistakes(t *testing.T) {
	for want, f := range map[string]func(testing.TB){
		`vendor "wechat" is not one of imhook's vendors (tencent, openim)`: func(t testing.TB) {
			imhooktest.New(t, backend{}, imhooktest.Vendor("wechat"))
		},
		`"C2C.CallbackBeforeSendMsgs" is not a callback of imhook's catalogue; did you mean C2C.CallbackBeforeSendMsg`: func(t testing.TB) {
			imhooktest.New(t, backend{}).Send(t, "C2C.CallbackBeforeSendMsgs")
		},
		`"modifyx" is not an outcome of Tencent Cloud Chat callbacks; use one of`: func(t testing.TB) {
			imhooktest.New(t, backend{}).Send(t, "C2C.CallbackBeforeSendMsg", imhooktest.Expect("modifyx"))
		},
		`carries no message text`: func(t testing.TB) {
			imhooktest.New(t, backend{}).Send(t, "Group.CallbackAfterCreateGroup", imhooktest.Text("x"))
		},
		`release: "v9.x" is not an OpenIM Server version`: func(t testing.TB) {
			imhooktest.New(t, backend{}, imhooktest.Release("v9.x"))
		},
	} {
		r := record_(f)
		if !r.fatal || !strings.Contains(r.all(), want) {
			t.Errorf("want a stop with %q, got (fatal %v) %s", want, r.fatal, r.all())
		}
	}
}

// NewURL sends over a real listener on 127.0.0.1, and an unreachable URL
// stops RunAll at its first callback.
func TestURL(t *testing.T) {
	srv := httptest.NewServer(backend{})
	defer srv.Close()
	imhooktest.NewURL(t, srv.URL, imhooktest.SdkAppID(appID)).Send(t, "C2C.CallbackAfterSendMsg")
	srv.Close()
	r := record_(func(t testing.TB) {
		imhooktest.NewURL(t, srv.URL, imhooktest.Vendor("tencent")).RunAll(t)
	})
	if !r.fatal || len(r.errors) != 2 || !strings.Contains(r.errors[0], "no reply  ERROR") || !strings.Contains(r.errors[1], "cannot reach") ||
		!strings.Contains(r.errors[1], "callback(s) were not sent") {
		t.Errorf("%s", r.all())
	}
}

// The whole check passes the correct backend, one subtest a part.
func TestCheckPassesTheCorrectBackend(t *testing.T) {
	h := imhooktest.New(t, backend{token: token}, imhooktest.Vendor("tencent"), imhooktest.SdkAppID(appID), imhooktest.Token(token))
	h.Check(t)
}

// The check fails a broken backend in every part, in the command line's
// words; a burst says how many of its callbacks failed.
func TestCheckFailsTheBrokenBackend(t *testing.T) {
	r := record_(func(t testing.TB) {
		h := imhooktest.New(t, backend{bug: "string-code"}, imhooktest.Vendor("tencent"), imhooktest.SdkAppID(appID))
		h.Check(t, imhooktest.Parts("callbacks", "burst"), imhooktest.Commands("C2C.CallbackBeforeSendMsg", "C2C.CallbackAfterSendMsg"))
	})
	all := r.all()
	for _, want := range []string{
		"callbacks tencent: --> tencent C2C.CallbackBeforeSendMsg  <-- 200 ",
		"burst tencent: --> tencent C2C.CallbackAfterSendMsg  <-- 200 ",
		"error response.type ErrorCode: expected an integer, found the string \"0\"",
		"burst tencent: burst C2C.CallbackBeforeSendMsg ×200 at 100: 200 of 200 concurrent callbacks failed; the first is above",
		"burst tencent: burst C2C.CallbackAfterSendMsg ×200 at 100: 200 of 200 concurrent callbacks failed; the first is above",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in:\n%s", want, all)
		}
	}
	if r2 := record_(func(t testing.TB) { imhooktest.New(t, backend{}).Check(t, imhooktest.Parts("load")) }); !strings.Contains(r2.all(), `"load" is no part of a check; the parts are callbacks, security`) {
		t.Errorf("an unknown part: %s", r2.all())
	}
	r3 := record_(func(t testing.TB) {
		imhooktest.New(t, backend{}, imhooktest.Vendor("tencent")).Check(t, imhooktest.Parts("burst"), imhooktest.Commands("Group.CallbackAfterCreateGroup"))
	})
	if !r3.fatal || !strings.Contains(r3.all(), "the parts burst have nothing to send for tencent") || strings.Contains(r3.all(), "--") {
		t.Errorf("no part left: %s", r3.all())
	}
}

// Each kind's baseline is a subtest named by its kind, so that the two
// baselines of one callback are told apart in go test's output.
func TestProbesBaselinesAreNamedByKind(t *testing.T) {
	r := record_(func(t testing.TB) {
		h := imhooktest.New(t, backend{token: token}, imhooktest.Vendor("tencent"), imhooktest.SdkAppID("1400000099"), imhooktest.Token(token))
		h.Probes(t)
	})
	all := strings.Join(r.errors, "\n")
	if len(r.errors) != 2 || !strings.Contains(all, "C2C.CallbackAfterSendMsg/security.baseline.valid: ") ||
		!strings.Contains(all, "C2C.CallbackAfterSendMsg/robustness.baseline.valid: ") {
		t.Errorf("%s", r.all())
	}
}
