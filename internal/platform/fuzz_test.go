package platform

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
)

func seedReplies(f *testing.F, cases []judgeCase) {
	for _, tc := range cases {
		st := tc.status
		if st == 0 {
			st = 200
		}
		f.Add([]byte(tc.body), st)
	}
	for _, s := range []string{
		`{"actionCode":0,"ActionCode":"x"}`, `{"ACTIONCODE":"x","actionCode":0}`, `{"errMſg":1}`,
		`{"action\u0043ode":1}`, `{"nextCode":-2147483649}`, `{"errCode":1e2}`, "\xef\xbb\xbf{}",
		`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":99999999999999999999}`, `{"ErrorCode":-0}`,
		"{\"ActionStatus\":\"OK\",\n// comment\n\"ErrorCode\":0}", `{"a":1,}`, `'x'`, "\u00a0",
	} {
		f.Add([]byte(s), 200)
	}
}

// checkWellFormed asserts what every judge finding must satisfy.
func checkWellFormed(t *testing.T, fs []record.Finding) {
	t.Helper()
	for _, f := range fs {
		if f.Rule == "" || f.Message == "" {
			t.Fatalf("finding without rule or message: %+v", f)
		}
		switch f.Severity {
		case record.Error, record.Warning, record.Info:
		default:
			t.Fatalf("bad severity %q in %+v", f.Severity, f)
		}
	}
}

func FuzzJudgeTencent(f *testing.F) {
	seedReplies(f, TencentCases)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		for _, kind := range []string{fixtures.Before, fixtures.After} {
			for _, valid := range []bool{true, false} {
				fs, _ := Tencent.JudgeReply(Reply{Status: status, Header: http.Header{}, Body: body, Latency: time.Millisecond},
					Judging{Kind: kind, PayloadValid: valid, Budget: 2 * time.Second})
				checkWellFormed(t, fs)
				if status != 200 && !hasRule(fs, record.Error, RuleStatus) {
					t.Fatalf("status %d gave no %s", status, RuleStatus)
				}
				if !json.Valid(body) && !record.HasErrors(fs) {
					t.Fatalf("a body that is not JSON passed: %q: %v", body, fs)
				}
			}
		}
		// Cross-check an after-callback's verdict against a model of the
		// contract built on encoding/json.
		if status != 200 {
			return
		}
		fs, _ := Tencent.JudgeReply(Reply{Status: 200, Body: body}, Judging{Kind: fixtures.After, PayloadValid: true})
		if ok, decided := tencentModel(body); decided && ok == record.HasErrors(fs) {
			t.Fatalf("the model says pass=%v for %q but the judge found %v", ok, body, fs)
		}
	})
}

var intLiteral = regexp.MustCompile(`^-?[0-9]+$`)

// tencentModel says whether an after-callback reply meets the contract: a
// JSON object with ActionStatus "OK", an integer ErrorCode (64 bits) and a
// string ErrorInfo. decided is false for objects with duplicate keys, where
// parsers disagree on which value wins.
func tencentModel(body []byte) (ok, decided bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m == nil {
		return false, true // empty, not JSON, not an object, or null
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.Token() // {
	seen := map[string]bool{}
	for dec.More() {
		k, _ := dec.Token()
		if seen[k.(string)] {
			return false, false
		}
		seen[k.(string)] = true
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	var status, info string
	if json.Unmarshal(m["ActionStatus"], &status) != nil || status != "OK" || m["ErrorInfo"] == nil || json.Unmarshal(m["ErrorInfo"], &info) != nil {
		return false, true
	}
	if bytes.Equal(m["ErrorInfo"], []byte("null")) {
		return false, true
	}
	var code int64
	raw := string(m["ErrorCode"])
	if !intLiteral.MatchString(raw) || json.Unmarshal(m["ErrorCode"], &code) != nil {
		return false, true
	}
	return true, true
}

// FuzzJudgeOpenIM cross-checks the judge against encoding/json and the
// server's reply struct: an error finding exactly when the server could not
// decode the reply (the judge's other error rules need a before-callback or a
// slow reply, neither of which is fuzzed here).
func FuzzJudgeOpenIM(f *testing.F) {
	seedReplies(f, OpenIMCases)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		var rep struct {
			ActionCode int32  `json:"actionCode"`
			ErrCode    int32  `json:"errCode"`
			ErrMsg     string `json:"errMsg"`
			ErrDlt     string `json:"errDlt"`
			NextCode   int32  `json:"nextCode"`
		}
		decodeErr := json.Unmarshal(body, &rep)
		fs, _ := OpenIM.JudgeReply(Reply{Status: status, Header: http.Header{}, Body: body, Latency: time.Millisecond},
			Judging{Kind: fixtures.After, PayloadValid: true, Budget: 5 * time.Second})
		checkWellFormed(t, fs)
		switch errs := record.HasErrors(fs); {
		case decodeErr != nil && !errs:
			t.Fatalf("the server cannot decode %q (%v) but the judge found no error: %v", body, decodeErr, fs)
		case decodeErr == nil && errs:
			t.Fatalf("the server decodes %q but the judge found an error: %v", body, fs)
		}
		if status != 200 && !hasRule(fs, record.Warning, RuleStatus) {
			t.Fatalf("status %d gave no %s warning", status, RuleStatus)
		}
	})
}
