package openim

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// legacyOpenIMRelease is openimRelease as it was at b0a9e81 (on url.Values).
func legacyOpenIMRelease(r *http.Request, e *fixtures.Entry) string {
	q := r.URL.Query()
	p := strings.TrimRight(r.URL.Path, "/")
	seg := p[strings.LastIndexByte(p, '/')+1:]
	name, viaQuery := seg, false
	if !strings.HasPrefix(strings.ToLower(seg), "callback") {
		name, viaQuery = q.Get("command"), true
	}
	var alias *fixtures.Alias
	for i := range e.Aliases {
		if strings.EqualFold(e.Aliases[i].Command, name) {
			alias = &e.Aliases[i]
		}
	}
	switch {
	case viaQuery:
		return "OpenIM Server v3.0 to v3.4.0 (POST {url}?command={command})"
	case q.Has("contenttype"):
		return "the documents' form ({url}/{command}?contenttype=json); no OpenIM Server release sends that query (imhook simulate does by default; --openim-version sends a release's form)"
	case alias != nil:
		return alias.Versions + " (POST {url}/{command} with the older name " + alias.Command + ")"
	case q.Has("key"):
		return "OpenIM Server main after 2025-02 ({url}/{command}?key=..., on the after-send callbacks)"
	}
	var last fixtures.Release
	for _, a := range e.Aliases {
		if last.Less(a.To) {
			last = a.To
		}
	}
	if last == (fixtures.Release{}) {
		return "OpenIM Server v3.4.2 or later (POST {url}/{command})"
	}
	to := fmt.Sprintf("v%d.%d.x", last[0], last[1])
	return "OpenIM Server later than " + to + " (POST {url}/{command} with the current name; " + to + " and older sent another name)"
}

// legacyOpenIMCheck is OpenIM's CheckRequest as it was at b0a9e81.
func legacyOpenIMCheck(r *http.Request, body []byte, e *fixtures.Entry) []record.Finding {
	var f wire.Findings
	if v := gjson.GetBytes(body, "callbackCommand"); v.Type == gjson.String && !namesEntry(e, v.Str) {
		f.Add(record.Error, wire.RuleCommand, "callbackCommand", fmt.Sprintf("the URL names %s but the body's callbackCommand is %q: the OpenIM server fills both from one value, so they always agree", e.Command, v.Str))
	}
	f.Add(record.Info, wire.RuleOpenIMVersion, "", "looks like "+legacyOpenIMRelease(r, e))
	if r.Header.Get("operationID") == "" {
		f.Add(record.Info, wire.RuleHeader, "", "no operationID header: the OpenIM server always sends one (use it to make processing idempotent)")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		f.Add(record.Warning, wire.RuleHeader, "", fmt.Sprintf("Content-Type is %q; the OpenIM server sends application/json; charset=utf-8", ct))
	}
	return f
}

var openimURLs = []string{
	"/callbackAfterSendSingleMsgCommand", "/callbackAfterSendSingleMsgCommand?contenttype=json", "/cb/callbackAfterSendSingleMsgCommand/?key=1",
	"/?command=callbackAfterSendSingleMsgCommand", "/cb?command=callbackAfterSendSingleMsgCommand&contenttype=json", "/cb?Command=callbackX",
	"/cb?command=%63allbackX&command=other", "/cb?command=callback%zz&command=callbackY", "/cb?command=callbackX;a=1&command=callbackZ",
	"/cb?COMMAND=callbackX", "/callbackX?CONTENTTYPE=json&KEY=1", "/callbackX?contenttype&key", "/callbackX?content%74ype=1", "/callbackX?contenttype=%zz&key=%",
	"/callbackX?key=1;2", "/cb?command=callback+x", "/cb?command=", "/cb?", "/callbackGroupMsgReadCommand", "/callbackGroupMsgReadCommand?contenttype=json",
	"/cb?" + strings.Repeat("a&", 20) + "command=callbackX&contenttype=json",
	"/cb?" + strings.Repeat("a&", 10000) + "command=callbackX",
}

// openimRelease says what it said on url.Values.
func TestOpenIMReleaseMatchesLegacy(t *testing.T) {
	for _, e := range fixtures.Default().Entries() {
		if e.Vendor != fixtures.OpenIM {
			continue
		}
		urls := append([]string{"/" + e.Command, "/?command=" + e.Command}, openimURLs...)
		for _, a := range e.Aliases {
			urls = append(urls, "/"+a.Command, "/"+a.Command+"?key=x", "/x?command="+a.Command)
		}
		for _, u := range urls {
			r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:9000"+u, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := openimRelease(r, e), legacyOpenIMRelease(r, e); got != want {
				t.Errorf("%s %s:\n got %s\nwant %s", e.Command, u, got, want)
			}
		}
	}
}

func FuzzOpenIMReleaseMatchesLegacy(f *testing.F) {
	for _, u := range openimURLs {
		f.Add(u)
	}
	var e *fixtures.Entry
	for _, x := range fixtures.Default().Entries() {
		if x.Vendor == fixtures.OpenIM && len(x.Aliases) > 0 {
			e = x
			break
		}
	}
	f.Fuzz(func(t *testing.T, u string) {
		r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:9000/", nil)
		if err != nil {
			t.Fatal(err)
		}
		path, raw, _ := strings.Cut(u, "?")
		r.URL.Path, r.URL.RawQuery = "/"+path, raw
		if got, want := openimRelease(r, e), legacyOpenIMRelease(r, e); got != want {
			t.Fatalf("%q:\n got %s\nwant %s", u, got, want)
		}
	})
}

// CheckRequest finds and says what it did at b0a9e81.
func TestOpenIMCheckMatchesLegacy(t *testing.T) {
	var entries []*fixtures.Entry
	for _, e := range fixtures.Default().Entries() {
		if e.Vendor == fixtures.OpenIM {
			entries = append(entries, e)
		}
	}
	bodies := []string{"", `{"callbackCommand":"%s"}`, `{"callbackCommand":"other"}`, `{"callbackCommand":1}`, `{"callbackCommand":"a\"b"}`, `[`, `{"x":{"callbackCommand":"y"}}`}
	headers := []http.Header{{}, {"Operationid": {"1"}}, {"Operationid": {""}}, {"Operationid": {}}, {"operationID": {"1"}},
		{"Operationid": {"1"}, "Content-Type": {"application/json; charset=utf-8"}}, {"Content-Type": {"APPLICATION/JSON"}}, {"Content-Type": {"text/plain", "application/json"}}}
	for _, e := range entries {
		for _, bf := range bodies {
			body := bf
			if strings.Contains(bf, "%s") {
				body = fmt.Sprintf(bf, e.Command)
			}
			for _, h := range headers {
				for _, u := range []string{"/" + e.Command, "/x?command=" + e.Command + "&key=1"} {
					r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:9000"+u, nil)
					if err != nil {
						t.Fatal(err)
					}
					r.Header = h
					got, want := Vendor.CheckRequest(r, []byte(body), e, wire.Expect{}), legacyOpenIMCheck(r, []byte(body), e)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("%s %s %v %s:\n got %q\nwant %q", e.Command, u, h, body, got, want)
					}
				}
			}
		}
	}
}
