package record

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// strict reports whether b is what a strict reader (Python's json module)
// takes: valid JSON in valid UTF-8.
func strict(b []byte) bool { return json.Valid(b) && utf8.Valid(b) }

var invalidBodies = []string{
	"{\"Text\":\"caf\xe9\"}",                                 // Latin-1 in a JSON string
	"{\"a\": \"x\xff\",\n \"b\xfe\": [1, \"\xed\xa0\x80\"]}", // spaced, in a key, a surrogate
	"not json \xff\xfe",                                      // not JSON either
	"\xc3",                                                   // a cut sequence alone
}

// A body with invalid UTF-8 is written so that the line is valid JSON in
// valid UTF-8 (the readable form with U+FFFD, and body_base64 with the
// bytes), and reads back to the original bytes, through Unmarshal's one-pass
// path and through encoding/json alike.
func TestInvalidUTF8BodyRecord(t *testing.T) {
	for _, body := range invalidBodies {
		r := &Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Vendor: "tencent", Command: "C2C.X",
			Request:  &Message{Method: "POST", URL: "http://h/?a=\xff", Headers: http.Header{"X": {"v\xff"}}, Body: []byte(body)},
			Response: &Message{Status: 200, Headers: http.Header{}, Body: []byte(body)}}
		for _, isJSON := range []bool{false, true} {
			if isJSON && !json.Valid([]byte(body)) {
				continue
			}
			r.Request.BodyIsJSON = isJSON // as serve marks a body it checked
			line := AppendJSON(nil, r)
			if !strict(line) {
				t.Fatalf("%q: the record is not strict JSON: %s", body, line)
			}
			if !strings.Contains(string(line), `"body_base64":`) {
				t.Errorf("%q: no body_base64: %s", body, line)
			}
			if json.Valid([]byte(body)) && !strings.Contains(string(line), `"body":{`) {
				t.Errorf("%q: a JSON body is not kept readable as body: %s", body, line)
			}
			var fast, slow Record
			if err := Unmarshal(line, &fast); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(line, &slow); err != nil {
				t.Fatal(err)
			}
			for _, got := range []*Record{&fast, &slow} {
				if !bytes.Equal(got.Request.Body, []byte(body)) || !bytes.Equal(got.Response.Body, []byte(body)) {
					t.Errorf("%q read back as %q / %q", body, got.Request.Body, got.Response.Body)
				}
			}
		}
	}
}

// Valid bodies are written as before: no body_base64.
func TestValidBodyHasNoBase64(t *testing.T) {
	for _, body := range []string{`{"a":"你好"}`, "plain text", "", `"é"`} {
		line := AppendJSON(nil, &Record{Request: &Message{Body: []byte(body)}})
		if strings.Contains(string(line), "body_base64") || !strict(line) {
			t.Errorf("%q: %s", body, line)
		}
	}
}

// FuzzRecordStrict: whatever the bodies, a record line is strict JSON and
// gives the bodies back.
func FuzzRecordStrict(f *testing.F) {
	for _, b := range invalidBodies {
		f.Add([]byte(b))
	}
	f.Add([]byte(`{"a":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := &Record{Request: &Message{Method: "POST", Body: body}, Response: &Message{Status: 200, Body: body}}
		line := AppendJSON(nil, r)
		if !strict(line) {
			t.Fatalf("%q: not strict JSON: %s", body, line)
		}
		var back Record
		if err := Unmarshal(line, &back); err != nil {
			t.Fatal(err)
		}
		want := body
		if utf8.Valid(body) && json.Valid(bytes.TrimSpace(body)) && len(bytes.TrimSpace(body)) > 0 {
			var buf bytes.Buffer
			_ = json.Compact(&buf, bytes.TrimSpace(body))
			want = buf.Bytes() // a JSON body is stored compacted, as ever
		}
		if !bytes.Equal(back.Request.Body, want) {
			t.Fatalf("%q read back as %q", body, back.Request.Body)
		}
	})
}
