package tencent

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/internal/platform/wire"
)

// signedRequest is a Tencent callback signed with token at requestTime,
// with sign in place of the right signature when it is not "".
func signedRequest(t *testing.T, token string, requestTime int64, sign string) *http.Request {
	t.Helper()
	rt := strconv.FormatInt(requestTime, 10)
	if sign == "" {
		sign = Sign(token, rt)
	}
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:9000/?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS&Sign="+sign+"&RequestTime="+rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ruleErrors(fs []string) string { return strings.Join(fs, " ") }

func errorRules(t *testing.T, r *http.Request, exp wire.Expect) string {
	t.Helper()
	var out []string
	for _, f := range Vendor.CheckRequest(r, nil, nil, exp) {
		if f.Severity == "error" {
			out = append(out, f.Rule+": "+f.Message)
		}
	}
	return ruleErrors(out)
}

// A Sign that differs from the right one in any single hex character, the
// first as well as the last, is refused as forged; the right one passes in
// either case of its hex digits.
func TestTencentSignEveryCharacter(t *testing.T) {
	const token = "xxxxyyyy"
	now := time.Unix(1669872112, 0)
	exp := wire.Expect{Token: token, Now: func() time.Time { return now }}
	good := Sign(token, strconv.FormatInt(now.Unix(), 10))
	for _, sign := range []string{good, strings.ToUpper(good)} {
		if got := errorRules(t, signedRequest(t, token, now.Unix(), sign), exp); got != "" {
			t.Fatalf("the right Sign %s was refused: %s", sign, got)
		}
	}
	for i := 0; i < len(good); i++ {
		forged := []byte(good)
		forged[i] = "0123456789abcdef"[(strings.IndexByte("0123456789abcdef", forged[i])+1)%16]
		got := errorRules(t, signedRequest(t, token, now.Unix(), string(forged)), exp)
		if !strings.HasPrefix(got, wire.RuleSign+":") {
			t.Fatalf("a Sign forged at character %d of %d was not refused as %s: %q", i+1, len(good), wire.RuleSign, got)
		}
	}
	for _, short := range []string{good[:len(good)-1], good + "0", "", good[len(good)-1:]} {
		if got := errorRules(t, signedRequest(t, token, now.Unix(), short+"&x=1"), exp); !strings.HasPrefix(got, wire.RuleSign+":") {
			t.Errorf("a Sign of %d characters was not refused: %q", len(short), got)
		}
	}
}

// RequestTime must lie within the window on both sides of now: a correctly
// signed request from the future is refused as well as a stale one, and
// the message says which, without claiming more than it knows.
func TestTencentRequestTimeWindow(t *testing.T) {
	const token = "xxxxyyyy"
	now := time.Unix(1669872112, 0)
	exp := wire.Expect{Token: token, Now: func() time.Time { return now }}
	for _, tc := range []struct {
		offset time.Duration
		want   string // "" for accepted, else a word of the message
	}{
		{0, ""}, {60 * time.Second, ""}, {-60 * time.Second, ""},
		{61 * time.Second, "in the future"}, {10 * time.Minute, "in the future"}, {365 * 24 * time.Hour, "in the future"},
		{-61 * time.Second, "old"}, {-10 * time.Minute, "old"},
	} {
		got := errorRules(t, signedRequest(t, token, now.Add(tc.offset).Unix(), ""), exp)
		switch {
		case tc.want == "" && got != "":
			t.Errorf("RequestTime now%+v: refused: %s", tc.offset, got)
		case tc.want != "" && (!strings.HasPrefix(got, wire.RuleRequestTime+":") || !strings.Contains(got, tc.want)):
			t.Errorf("RequestTime now%+v: %q; want %s saying %q", tc.offset, got, wire.RuleRequestTime, tc.want)
		case strings.Contains(got, "replayed"):
			t.Errorf("RequestTime now%+v: the message speaks of a replay it cannot know of: %s", tc.offset, got)
		}
	}
}
