package replay

import (
	"strings"
	"testing"

	"github.com/imhook/imhook/record"
)

func TestCompare(t *testing.T) {
	msg := func(status int, body string) *record.Message {
		return &record.Message{Status: status, Body: []byte(body)}
	}
	cases := []struct {
		vendor       string
		rec, got     *record.Message
		recErr, want string
	}{
		{"tencent", msg(200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`), msg(200, `{"ErrorCode":0.0,"ErrorInfo":"","ActionStatus":"OK","extra":1}`), "", ""},
		{"tencent", msg(200, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`), msg(500, `{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":"0"}`), "",
			"status ActionStatus ErrorCode ErrorInfo"},
		{"openim", msg(200, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`), msg(200, `{"actionCode":0,"errCode":0,"errMsg":"","nextCode":1}`), "",
			"errDlt nextCode"},
		{"openim", msg(200, `<html>`), msg(200, `<html>`), "", ""},
		{"openim", msg(200, `<html>`), msg(200, `{}`), "", "(body)"},
		{"tencent", nil, msg(200, `{}`), "connection refused", "(body)"},
		{"tencent", msg(200, `{}`), nil, "", "(body)"},
		{"tencent", nil, nil, "timeout", ""},
	}
	for i, c := range cases {
		var got []string
		for _, f := range Compare(c.vendor, c.rec, c.recErr, c.got) {
			if f.Rule != RuleDiff || f.Severity != record.Error {
				t.Errorf("case %d: %v", i, f)
			}
			p := f.Path
			if p == "" {
				p = "(body)"
			}
			got = append(got, p)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("case %d: diffs at %v, want %s", i, got, c.want)
		}
	}
}
