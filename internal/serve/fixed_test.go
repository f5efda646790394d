package serve

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// Every answer, cached or not, is the one AnswerBody builds for the request
// and the record's outcome the one JudgeReply gives it, for every callback of
// the catalogue, in every mode, with and without --fail-rate, over repeated
// requests (the cache is filled by the first), with good and broken bodies.
func TestAnswersAndOutcomesAsJudged(t *testing.T) {
	cat := fixtures.Default()
	for _, mode := range platform.ReplyModes {
		for _, failRate := range []float64{0, 1} {
			var rec *record.Record
			h := NewHandler(Config{Respond: mode, FailRate: failRate, Record: func(r *record.Record) error { rec = r; return nil }})
			for round := 0; round < 2; round++ {
				for _, e := range cat.Entries() {
					for seed := uint64(1); seed <= 2; seed++ {
						body, err := generate.Generate(e, generate.GenOptions{Seed: seed})
						if err != nil {
							t.Fatal(err)
						}
						bodies := [][]byte{body}
						if seed == 1 {
							bodies = append(bodies, []byte(`[1,2]`), []byte(`{"x":1} `))
						}
						for _, b := range bodies {
							req, err := platform.For(e.Vendor).NewRequest("http://127.0.0.1:9000", e.Command, b, platform.Params{})
							if err != nil {
								t.Fatal(err)
							}
							w := httptest.NewRecorder()
							rec = nil
							h.ServeHTTP(w, req)
							if rec == nil {
								t.Fatalf("%s: no record", e.Command)
							}
							checkAnswer(t, e, mode, failRate, b, w, rec)
						}
					}
				}
			}
		}
	}
}

func checkAnswer(t *testing.T, e *fixtures.Entry, mode string, failRate float64, b []byte, w *httptest.ResponseRecorder, rec *record.Record) {
	t.Helper()
	v := platform.For(e.Vendor)
	name := e.Command + " " + mode
	if w.Code != http.StatusOK {
		t.Fatalf("%s: status %d", name, w.Code)
	}
	refused := record.HasErrors(rec.Findings) && strings.Contains(w.Body.String(), "FAIL") || e.Vendor == fixtures.OpenIM && strings.Contains(w.Body.String(), `"errCode":1`)
	var want []byte
	switch {
	case refused:
		// A refusal carries its reason; only its judging is checked.
	case failRate > 0:
		want = v.ReplyBody(platform.ReplyFail, "imhook --fail-rate")
	default:
		want = platform.AnswerBody(v, mode, e, b, "")
	}
	if want != nil && !bytes.Equal(w.Body.Bytes(), want) {
		t.Fatalf("%s: answered %s, want %s", name, w.Body.Bytes(), want)
	}
	if !bytes.Equal(rec.Response.Body, w.Body.Bytes()) {
		t.Fatalf("%s: recorded %s, answered %s", name, rec.Response.Body, w.Body.Bytes())
	}
	_, outcome := v.JudgeReply(platform.Reply{Status: w.Code, Body: w.Body.Bytes()}, platform.JudgingFor(e, b, true, 0, ""))
	if rec.Outcome != outcome {
		t.Fatalf("%s: outcome %q, judged %q (reply %s)", name, rec.Outcome, outcome, w.Body.Bytes())
	}
	if got := w.Header()["Content-Type"]; len(got) != 1 || got[0] != "application/json" {
		t.Fatalf("%s: Content-Type %q", name, got)
	}
}

// requestURL is scheme://host followed by RequestURI, as it was built before.
func TestRequestURL(t *testing.T) {
	for _, raw := range []string{"/", "/?a=1", "/cb/x%2Fy?q", "/a%20b?x=%zz", "?", "/p?", "*", "http://h/cb?SdkAppid=1&CallbackCommand=C2C.X",
		"/callbackAfterGroupMsgReadCommand?contenttype=json", "/caf%C3%A9/%E4%B8%AD?x", "/a b", "//double/slash?x"} {
		for _, tls := range []bool{false, true} {
			for _, host := range []string{"", "127.0.0.1:9000", "[::1]:80"} {
				r := httptest.NewRequest(http.MethodPost, "http://example.com/", nil)
				u, err := r.URL.Parse(raw)
				if err != nil {
					t.Fatal(err)
				}
				r.URL, r.Host = u, host
				if !tls {
					r.TLS = nil
				}
				check := func() {
					t.Helper()
					h, scheme := r.Host, "http"
					if h == "" {
						h = "localhost"
					}
					if r.TLS != nil {
						scheme = "https"
					}
					if got, want := requestURL(r), scheme+"://"+h+r.URL.RequestURI(); got != want {
						t.Errorf("%q: got %q, want %q", raw, got, want)
					}
				}
				check()
				r.URL.ForceQuery = true
				check()
				r.URL.ForceQuery = false
				r.URL.Opaque = "//opaque/x"
				check()
				r.URL.Opaque = "opaque"
				check()
				r.URL.Opaque, r.URL.Path, r.URL.RawPath = "", "", ""
				check()
			}
		}
	}
}
