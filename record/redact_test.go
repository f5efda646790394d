package record

import (
	"net/http"
	"strings"
	"testing"
)

func TestRedactText(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:9000/x":                  "http://127.0.0.1:9000/x",
		"http://user:s3cret@127.0.0.1:9000/x?a=@b": "http://xxxxx@127.0.0.1:9000/x?a=@b",
		"http://tok@h":                             "http://xxxxx@h",
		`Post "http://u:p%40ss@h:1/cb": refused`:   `Post "http://xxxxx@h:1/cb": refused`,
		"a http://u:p@h and https://v:q@k/ end":    "a http://xxxxx@h and https://xxxxx@k/ end",
		"mail me@example.com":                      "mail me@example.com",
		"http://u:p@@h":                            "http://xxxxx@h",
	} {
		if got := RedactText(in); got != want {
			t.Errorf("RedactText(%q) = %q, want %q", in, got, want)
		}
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactHeaders(t *testing.T) {
	plain := http.Header{"Content-Type": {"application/json"}}
	if got := RedactHeaders(plain); got["Content-Type"][0] != "application/json" || len(got) != 1 {
		t.Errorf("plain headers changed: %v", got)
	}
	h := http.Header{"Authorization": {"Basic dXNlcjpzM2NyZXQ="}, "Proxy-Authorization": {"Bearer abc"},
		"Cookie": {"sid=abc"}, "Set-Cookie": {"sid=abc; Path=/"}, "X-Other": {"1"}}
	got := RedactHeaders(h)
	if got.Get("Authorization") != "Basic xxxxx" || got.Get("Proxy-Authorization") != "Bearer xxxxx" ||
		got.Get("Cookie") != Redacted || got.Get("Set-Cookie") != Redacted || got.Get("X-Other") != "1" {
		t.Errorf("redacted: %v", got)
	}
	if !strings.HasPrefix(h.Get("Authorization"), "Basic dX") {
		t.Error("RedactHeaders changed its argument")
	}
}
