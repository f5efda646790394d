package platform

import (
	"net/http"
	"testing"
	"time"
)

// benchQuery is the query the platform sends without a token.
const benchQuery = "SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"

func BenchmarkTencentCheckRequest(b *testing.B) {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9000/?"+benchQuery, nil)
	signed, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9000/?"+benchQuery+"&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112", nil)
	for _, tc := range []struct {
		name string
		r    *http.Request
		exp  Expect
	}{
		{"plain", r, Expect{}},
		{"sdkappid+token", signed, Expect{SdkAppID: "1400000000", Token: "xxxxyyyy", Now: func() time.Time { return time.Unix(1669872112, 0) }}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if fs := Tencent.CheckRequest(tc.r, nil, nil, tc.exp); len(fs) != 0 {
					b.Fatal(fs)
				}
			}
		})
	}
}
