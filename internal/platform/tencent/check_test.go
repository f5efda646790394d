package tencent

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
)

// legacyTencentCheck is Tencent's CheckRequest as it was at b0a9e81 (on
// url.Values), the reference the tests compare the one-pass parser with.
func legacyTencentCheck(r *http.Request, exp wire.Expect) []record.Finding {
	var f wire.Findings
	q := r.URL.Query()
	get := func(name string) (string, string, bool) {
		if v, ok := q[name]; ok {
			return name, v[0], true
		}
		for k, v := range q {
			if strings.EqualFold(k, name) {
				return k, v[0], true
			}
		}
		return "", "", false
	}
	key, app, ok := get("SdkAppid")
	switch {
	case !ok:
		f.Add(record.Error, wire.RuleSdkAppID, "", "the query has no SdkAppid: every Tencent callback names its app, and a backend must check it")
	case exp.SdkAppID != "" && app != exp.SdkAppID:
		f.Add(record.Error, wire.RuleSdkAppID, "", fmt.Sprintf("SdkAppid is %q, expected %q: a careful backend refuses callbacks for another app", app, exp.SdkAppID))
	case key != "SdkAppid":
		f.Add(record.Info, wire.RuleSdkAppID, "", fmt.Sprintf("the parameter is spelled %s; the documents' URLs spell it SdkAppid (some newer pages write SDKAppID): match it case-insensitively", key))
	}
	if _, ct, ok := get("contenttype"); !ok {
		f.Add(record.Warning, wire.RuleContentType, "", "the query has no contenttype; the documents send contenttype=json")
	} else if !strings.EqualFold(ct, "json") {
		f.Add(record.Warning, wire.RuleContentType, "", fmt.Sprintf("contenttype is %q; the documents send json", ct))
	}
	if _, p, ok := get("OptPlatform"); !ok {
		f.Add(record.Warning, wire.RuleOptPlatform, "", "the query has no OptPlatform")
	} else if !containsFold(Platforms, p) {
		f.Add(record.Warning, wire.RuleOptPlatform, "", fmt.Sprintf("OptPlatform %q is not a documented value (%s)", p, strings.Join(Platforms, ", ")))
	}
	if _, ip, ok := get("ClientIP"); !ok || ip == "" {
		f.Add(record.Warning, wire.RuleClientIP, "", "the query has no ClientIP")
	}
	if exp.Token == "" {
		return f
	}
	_, sign, hasSign := get("Sign")
	_, rt, hasTime := get("RequestTime")
	if !hasSign || !hasTime {
		f.Add(record.Error, wire.RuleSign, "", "callback authentication is on (a token is set) but the query has no Sign and RequestTime: the request may be forged")
		return f
	}
	secs, err := strconv.ParseInt(rt, 10, 64)
	if err != nil {
		f.Add(record.Error, wire.RuleRequestTime, "", fmt.Sprintf("RequestTime %q is not Unix seconds", rt))
		return f
	}
	want := Sign(exp.Token, rt)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sign)), []byte(want)) != 1 {
		f.Add(record.Error, wire.RuleSign, "", "Sign does not match sha256(token + RequestTime): the request is forged or the token differs")
		return f
	}
	now := time.Now
	if exp.Now != nil {
		now = exp.Now
	}
	window := exp.Window
	if window == 0 {
		window = time.Minute
	}
	if d := now().Sub(time.Unix(secs, 0)); d > window || d < -window {
		f.Add(record.Error, wire.RuleRequestTime, "", requestTimeMessage(d, window))
	}
	return f
}

// tencentQueries are raw queries of every shape: duplicated and
// differently-cased parameters, percent-encoding (good, bad, in keys), '+',
// semicolons, empty keys and values, a missing '='.
var tencentQueries = []string{
	"SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS",
	"",
	"&&&",
	"=",
	"=x&SdkAppid",
	"SdkAppid&contenttype&OptPlatform&ClientIP",
	"SdkAppid=&contenttype=&OptPlatform=&ClientIP=",
	"SdkAppid=1&SdkAppid=2&contenttype=xml&contenttype=json&OptPlatform=Web&OptPlatform=Symbian&ClientIP=&ClientIP=1.2.3.4",
	"sdkappid=1400000000&CONTENTTYPE=JSON&optplatform=ios&clientip=1",
	"SDKAppID=1400000000&SdkAppid=1400000001",
	"SDKAppID=1400000001&contenttype=Json&OptPlatform=macOS&ClientIP=::1",
	"Sdk%41ppid=1400000000&content%74ype=json&Opt%50latform=i%4FS&ClientIP=%31",
	"SdkAppid=14%00&SdkAppid=1400000000",
	"SdkAppid=%zz&SdkAppid=1400000000&contenttype=js%on&contenttype=json",
	"Sdk%zzAppid=1&SdkAppid=1400000000",
	"SdkAppid=1400000000;x=1&contenttype=json",
	"x=1;SdkAppid=1400000000&SdkAppid=1400000002",
	"SdkAppid=1400000000&OptPlatform=Windows+Phone&ClientIP=+",
	"SdkAppid+=1400000000&Sdk+Appid=1&contenttype=json+",
	"OptPlatform=i%4fs&OptPlatform=&contenttype=%6Ason",
	"SdkAppid=1400000000&contenttype=json&OptPlatform=%E4%B8%AD&ClientIP=%E4",
	"SdkAppid=1400000000&contenttype=json&OptPlatform=iPad&ClientIP=1&Sign=abc&RequestTime=1669872112",
	"SdkAppid=1400000000&Sign=&RequestTime=",
	"SdkAppid=1400000000&Sign=x&RequestTime=12a",
	"SdkAppid=1400000000&sign=X&requesttime=1669872112",
	"SdkAppid=1400000000&Sign=17773BC39A671D7B9AA835458704D2A6DB81360A5940292B587D6D760D484061&RequestTime=1669872112",
	"SdkAppid=1400000000&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112",
	"SdkAppid=1400000000&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112&Sign=bad",
	"SdkAppid=1400000000&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&Sign=x&RequestTime=+1669872112",
	"SdkAppid=1400000000&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112%3B",
	"Sign=%31&RequestTime=1669872112&RequestTime=1",
	"SdkAppid=%2B1400000000&contenttype=%20json",
	"SdkAppid=1400000000=2&contenttype==json",
	"%53dkAppid=1400000000",
	"%=1&SdkAppid=1400000000",
	"Sd\u212Aappid=1400000000&\u017Fign=x&RequestTime=1669872112",
	"Sd%E2%84%AAappid=1400000000&%C5%BFign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&Request%54ime=1669872112",
	"SdkAppid=1400000000&contenttype=json&OptPlatform=iOS&ClientIP=1&a&b&c&d&e&f&g&h&i&j&k", // 16 parameters
	"a&b&c&d&e&f&g&h&i&j&k&l&SdkAppid=1400000000&contenttype=json&OptPlatform=iOS&ClientIP=1&Sign=x&RequestTime=1",
	strings.Repeat("x=1&", 10000) + "SdkAppid=1400000000&contenttype=json&OptPlatform=iOS&ClientIP=1", // over url.ParseQuery's limit
	strings.Repeat("&", 9999) + "SdkAppid=1400000000",
}

// tencentExpects are the receiver settings each query is checked against.
var tencentExpects = func() []wire.Expect {
	now := func() time.Time { return time.Unix(1669872112, 0) }
	late := func() time.Time { return time.Unix(1669872112+3600, 0) }
	return []wire.Expect{{}, {SdkAppID: "1400000000"}, {SdkAppID: "1400000001"}, {SdkAppID: "+1400000000"},
		{Token: "xxxxyyyy", Now: now}, {SdkAppID: "1400000000", Token: "xxxxyyyy", Now: late}, {Token: "xxxxyyyy", Now: now, Window: time.Second}}
}()

// ambiguousQuery reports a query in which a parameter the check reads is
// absent in its exact spelling but present in two different spellings:
// url.Values gives no order, so the old check picked one at random.
func ambiguousQuery(raw string) bool {
	q, _ := url.ParseQuery(raw)
	for _, name := range []string{"SdkAppid", "contenttype", "OptPlatform", "ClientIP", "Sign", "RequestTime"} {
		if _, ok := q[name]; ok {
			continue
		}
		n := 0
		for k := range q {
			if strings.EqualFold(k, name) {
				n++
			}
		}
		if n > 1 {
			return true
		}
	}
	return false
}

func checkTencentAgainstLegacy(t *testing.T, raw string) {
	t.Helper()
	if ambiguousQuery(raw) {
		return
	}
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:9000/", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.URL.RawQuery = raw
	for i, exp := range tencentExpects {
		got := Vendor.CheckRequest(r, nil, nil, exp)
		want := legacyTencentCheck(r, exp)
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("query %q, expect #%d:\n got %q\nwant %q", raw, i, got, want)
		}
	}
}

// CheckRequest finds and says exactly what the url.Values version did.
func TestTencentCheckMatchesLegacy(t *testing.T) {
	for _, raw := range tencentQueries {
		checkTencentAgainstLegacy(t, raw)
	}
}

func FuzzTencentCheckMatchesLegacy(f *testing.F) {
	for _, raw := range tencentQueries {
		f.Add(raw)
	}
	f.Fuzz(checkTencentAgainstLegacy)
}

func BenchmarkTencentCheckRequest(b *testing.B) {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9000/?"+tencentQueries[0], nil)
	signed, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9000/?"+tencentQueries[0]+"&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112", nil)
	for _, tc := range []struct {
		name string
		r    *http.Request
		exp  wire.Expect
	}{
		{"plain", r, wire.Expect{}},
		{"sdkappid+token", signed, wire.Expect{SdkAppID: "1400000000", Token: "xxxxyyyy", Now: func() time.Time { return time.Unix(1669872112, 0) }}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if fs := Vendor.CheckRequest(tc.r, nil, nil, tc.exp); len(fs) != 0 {
					b.Fatal(fs)
				}
			}
		})
	}
}
