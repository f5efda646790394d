package platform

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// The document's vector (CONSOLE-cn / LIVEKIT-CB): token xxxxyyyy, RequestTime
// 1669872112.
func TestSignDocumentVector(t *testing.T) {
	const want = "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"
	if got := Sign("xxxxyyyy", "1669872112"); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	// The international page's typo token does not give the printed hash.
	if Sign("xxxyyy", "1669872112") == want {
		t.Fatal("Sign ignores the token")
	}
	if Sign("xxxxyyyy", "1669872113") == want {
		t.Fatal("Sign ignores the time")
	}
}

func TestTencentNewRequest(t *testing.T) {
	now := func() time.Time { return time.Unix(1669872112, 0) }
	body := []byte(`{"CallbackCommand":"C2C.CallbackAfterSendMsg"}`)
	cases := []struct {
		name, target string
		p            Params
		want         string
	}{
		{"defaults", "http://127.0.0.1:9000/im/cb", Params{Now: now},
			"http://127.0.0.1:9000/im/cb?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"},
		{"token", "http://127.0.0.1:9000/", Params{SdkAppID: "888888", ClientIP: "10.0.0.7", OptPlatform: "RESTAPI", Token: "xxxxyyyy", Now: now},
			"http://127.0.0.1:9000/?SdkAppid=888888&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=10.0.0.7&OptPlatform=RESTAPI" +
				"&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112"},
		{"query in target kept first", "https://api.example.com/cb?tenant=a%20b", Params{Now: now},
			"https://api.example.com/cb?tenant=a%20b&SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"},
		{"escaped values", "http://h", Params{SdkAppID: "1&x=2", Now: now},
			"http://h?SdkAppid=1%26x%3D2&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := Tencent.NewRequest(tc.target, "C2C.CallbackAfterSendMsg", body, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != http.MethodPost {
				t.Errorf("method %s", req.Method)
			}
			if got := req.URL.String(); got != tc.want {
				t.Errorf("URL\n got %s\nwant %s", got, tc.want)
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got, _ := io.ReadAll(req.Body); string(got) != string(body) {
				t.Errorf("body %s", got)
			}
			// The receiver side recognises what the sender built.
			if v, cmd := Identify(req); v != Tencent || cmd != "C2C.CallbackAfterSendMsg" {
				t.Errorf("Identify = %v, %q", v, cmd)
			}
		})
	}
	if _, err := Tencent.NewRequest("http://[::1", "C2C.CallbackAfterSendMsg", body, Params{}); err == nil {
		t.Error("a bad target URL gave no error")
	}
}

// Without Now, RequestTime is the current Unix time in seconds and Sign
// verifies against it.
func TestTencentSignUsesSeconds(t *testing.T) {
	before := time.Now().Unix()
	req, err := Tencent.NewRequest("http://127.0.0.1:1/", "C2C.CallbackAfterSendMsg", nil, Params{Token: "t0k"})
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	rt := q.Get("RequestTime")
	if !regexp.MustCompile(`^\d{10}$`).MatchString(rt) {
		t.Fatalf("RequestTime %q is not Unix seconds", rt)
	}
	if n, _ := strconv.ParseInt(rt, 10, 64); n < before || n > time.Now().Unix() {
		t.Errorf("RequestTime %s is not now (%d)", rt, before)
	}
	if q.Get("Sign") != Sign("t0k", rt) {
		t.Errorf("Sign %s does not verify against RequestTime %s", q.Get("Sign"), rt)
	}
}

func TestOpenIMNewRequest(t *testing.T) {
	body := []byte(`{"callbackCommand":"callbackAfterGroupMsgReadCommand"}`)
	cases := []struct{ target, want string }{
		{"http://127.0.0.1:10006/callbackExample", "http://127.0.0.1:10006/callbackExample/callbackAfterGroupMsgReadCommand?contenttype=json"},
		// The server joins strings: a trailing slash gives //command.
		{"http://127.0.0.1:10006/cb/", "http://127.0.0.1:10006/cb//callbackAfterGroupMsgReadCommand?contenttype=json"},
		{"http://127.0.0.1:10006", "http://127.0.0.1:10006/callbackAfterGroupMsgReadCommand?contenttype=json"},
	}
	for _, tc := range cases {
		req, err := OpenIM.NewRequest(tc.target, "callbackAfterGroupMsgReadCommand", body, Params{OperationID: "op-1"})
		if err != nil {
			t.Fatal(err)
		}
		if req.Method != http.MethodPost {
			t.Errorf("method %s", req.Method)
		}
		if got := req.URL.String(); got != tc.want {
			t.Errorf("URL\n got %s\nwant %s", got, tc.want)
		}
		if ct := req.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if op := req.Header.Get("operationID"); op != "op-1" {
			t.Errorf("operationID %q", op)
		}
		if v, cmd := Identify(req); v != OpenIM || cmd != "callbackAfterGroupMsgReadCommand" {
			t.Errorf("Identify = %v, %q", v, cmd)
		}
	}
	// No operation ID given: one is generated, digits of the kind clients send.
	req, err := OpenIM.NewRequest("http://127.0.0.1:1", "callbackAfterGroupMsgReadCommand", body, Params{})
	if err != nil {
		t.Fatal(err)
	}
	if op := req.Header.Get("operationID"); !regexp.MustCompile(`^\d{19}$`).MatchString(op) {
		t.Errorf("generated operationID %q", op)
	}
	req2, _ := OpenIM.NewRequest("http://127.0.0.1:1", "callbackAfterGroupMsgReadCommand", body, Params{})
	if req.Header.Get("operationID") == req2.Header.Get("operationID") {
		t.Error("two requests share an operationID")
	}
}

func TestIdentify(t *testing.T) {
	for _, tc := range []struct {
		url, vendor, cmd string
	}{
		{"/?SdkAppid=1&CallbackCommand=Group.CallbackAfterReadReceipt", "tencent", "Group.CallbackAfterReadReceipt"},
		{"/hook/callbackAfterGroupMsgReadCommand", "openim", "callbackAfterGroupMsgReadCommand"},
		{"/hook/callbackAfterGroupMsgReadCommand/", "openim", "callbackAfterGroupMsgReadCommand"},
		{"/hook/other", "", ""},
		// v3.0 to v3.4.0: {url}?command=..., under any path, the shipped
		// url's /callbackExample included.
		{"/callbackExample?command=callbackAfterGroupMsgReadCommand", "openim", "callbackAfterGroupMsgReadCommand"},
		{"/im/hooks?command=callbackBeforeSendSingleMsgCommand", "openim", "callbackBeforeSendSingleMsgCommand"},
		{"/callbackExample/?command=callbackOnlinePushCommand&contenttype=json", "openim", "callbackOnlinePushCommand"},
		// A command in the path wins over a query that names another.
		{"/hook/callbackAfterGroupMsgReadCommand?command=callbackBeforeSendSingleMsgCommand", "openim", "callbackAfterGroupMsgReadCommand"},
		{"/callbackExample?command=other", "openim", "callbackExample"},
		{"/", "", ""},
		{"", "", ""},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://x"+tc.url, nil)
		v, cmd := Identify(r)
		name := ""
		if v != nil {
			name = v.Name()
		}
		if name != tc.vendor || cmd != tc.cmd {
			t.Errorf("%s: got %q %q, want %q %q", tc.url, name, cmd, tc.vendor, tc.cmd)
		}
	}
}

func TestForUnknownVendorPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("For(\"nope\") did not panic")
		}
	}()
	For("nope")
}

// The OK replies are shared constants: what callers do with a reply must
// never change the next one.
func TestSharedOKReplyStaysIntact(t *testing.T) {
	for _, v := range []Vendor{Tencent, OpenIM} {
		want := string(v.ReplyBody(ReplyOK, ""))
		b := v.ReplyBody(ReplyOK, "")
		_ = append(b[:len(b)-1], 'X')
		b2 := v.ReplyBody(ReplyOK, "")
		_ = append(b2, "tail"...)
		if got := string(v.ReplyBody(ReplyOK, "")); got != want {
			t.Fatalf("%s: the shared OK reply changed to %s", v.Name(), got)
		}
	}
}
