package platform

import (
	"encoding/base64"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// OpenIM Server main posts afterSendSingleMsg, afterSendGroupMsg and
// afterMsgSaveDB with ?key=, base64 of {"sendID","recvID","groupID"} of the
// message (a field the body lacks empty), set through url.Values; releases
// and the documents' form do not. Every release form writes the body as Go's
// encoder does: HTML characters escaped, a trailing newline.
func TestOpenIMReleaseRequests(t *testing.T) {
	single := `{"sendID":"s1","callbackCommand":"callbackAfterSendSingleMsgCommand","operationID":"op7","content":"{\"content\":\"a <b> & c\"}","recvID":"r2"}`
	group := `{"sendID":"s1","callbackCommand":"callbackAfterSendGroupMsgCommand","content":"x","groupID":"g3"}`
	save := `{"sendID":"s1","callbackCommand":"callbackAfterMsgSaveDBCommand","content":"x","recvID":"","groupID":"g3"}`
	key := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name, version, command, body, wantKey string
	}{
		{"main single", "main", "callbackAfterSendSingleMsgCommand", single, key(`{"sendID":"s1","recvID":"r2","groupID":""}`)},
		{"main group", "main", "callbackAfterSendGroupMsgCommand", group, key(`{"sendID":"s1","recvID":"","groupID":"g3"}`)},
		{"main save", "latest", "callbackAfterMsgSaveDBCommand", save, key(`{"sendID":"s1","recvID":"","groupID":"g3"}`)},
		{"v3.8 release", "v3.8.3-patch.16", "callbackAfterSendSingleMsgCommand", single, ""},
		{"before-callback on main", "main", "callbackBeforeSendSingleMsgCommand", strings.Replace(single, "callbackAfterSend", "callbackBeforeSend", 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := OpenIM.NewRequest("http://127.0.0.1:10006/callbackExample", tc.command, []byte(tc.body), Params{OpenIMVersion: tc.version})
			if err != nil {
				t.Fatal(err)
			}
			if p := req.URL.Path; p != "/callbackExample/"+tc.command {
				t.Errorf("path %s", p)
			}
			if got := req.URL.Query().Get("key"); got != tc.wantKey {
				t.Errorf("key %q, want %q (URL %s)", got, tc.wantKey, req.URL)
			}
			if tc.wantKey != "" && !strings.Contains(req.URL.RawQuery, "key="+strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(tc.wantKey)) {
				t.Errorf("the key is not encoded as url.Values encodes it: %s", req.URL.RawQuery)
			}
			b, _ := io.ReadAll(req.Body)
			if !strings.HasSuffix(string(b), "}\n") || strings.ContainsAny(string(b), "<>&") {
				t.Errorf("body %q: Go's encoder escapes <, > and & and ends with a newline", b)
			}
			if gjson.GetBytes(b, "content").Str != gjson.Get(tc.body, "content").Str {
				t.Errorf("the escaped body reads back differently: %s", b)
			}
			if op := gjson.GetBytes(b, "operationID").Str; op != "" && req.Header.Get("operationID") != op {
				t.Errorf("operationID header %q, body %q", req.Header.Get("operationID"), op)
			}
			// The receiver names the release by its URL.
			e, _, _ := fixtures.Default().Lookup(tc.command)
			r := httptest.NewRequest("POST", req.URL.String(), strings.NewReader(string(b)))
			r.Header = req.Header
			info := ""
			for _, f := range OpenIM.CheckRequest(r, b, e, Expect{}) {
				if f.Rule == RuleOpenIMVersion {
					info = f.Message
				}
				if f.Severity != record.Info {
					t.Errorf("check: %s", f)
				}
			}
			if (tc.wantKey != "") != strings.Contains(info, "?key=") {
				t.Errorf("release finding %q", info)
			}
		})
	}
	// The documents' form keeps the body as it is and adds contenttype.
	req, _ := OpenIM.NewRequest("http://h/cb", "callbackAfterSendSingleMsgCommand", []byte(single), Params{})
	b, _ := io.ReadAll(req.Body)
	if string(b) != single || req.URL.RawQuery != "contenttype=json" {
		t.Errorf("documents' form: %s %q", req.URL, b)
	}
}

// A Tencent callback whose page shows fewer query parameters is sent with
// those only, and a receiver does not miss the others.
func TestTencentQueryPerCallback(t *testing.T) {
	for cmd, want := range map[string]string{
		"Push.OfflinePush":         "SdkAppid=1400000000&CallbackCommand=Push.OfflinePush&contenttype=json",
		"Alert.RequestOverLimit":   "SdkAppid=1400000000&CallbackCommand=Alert.RequestOverLimit&OptPlatform=iOS&contenttype=json",
		"C2C.CallbackAfterSendMsg": "SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS",
	} {
		e, _, _ := fixtures.Default().Lookup(cmd)
		req, err := Tencent.NewRequest("http://h/cb", cmd, e.Sample, Params{})
		if err != nil {
			t.Fatal(err)
		}
		if req.URL.RawQuery != want {
			t.Errorf("%s: query %s, want %s", cmd, req.URL.RawQuery, want)
		}
		r := httptest.NewRequest("POST", req.URL.String(), nil)
		if fs := Tencent.CheckRequest(r, e.Sample, e, Expect{}); len(fs) != 0 {
			t.Errorf("%s: %v", cmd, fs)
		}
	}
	// The overview's callbacks still miss them.
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	r := httptest.NewRequest("POST", "http://h/cb?SdkAppid=1&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json", nil)
	if fs := Tencent.CheckRequest(r, e.Sample, e, Expect{}); !hasRule(fs, record.Warning, RuleClientIP) || !hasRule(fs, record.Warning, RuleOptPlatform) {
		t.Errorf("C2C without ClientIP and OptPlatform: %v", fs)
	}
}
