package simulate

import (
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

var opID = regexp.MustCompile(`Operationid: [0-9]+`)

// A prepared request (buildPrepared, encodePrepared) puts on the wire the
// bytes that building each request afresh (build, encode) puts there, and
// judges with the same Judging: for every callback of the catalogue, with
// and without a signature (across the clock's seconds), with a route of its
// own, settings, findings, bodies of several lengths, and more kinds than a
// worker keeps.
func TestPreparedMatchesBuild(t *testing.T) {
	now := time.Unix(1767225600, 0)
	clock := func() time.Time { return now }
	fc := true
	senders := map[string]*Sender{
		"plain":  {Target: "http://127.0.0.1:9000/im/callback"},
		"query":  {Target: "http://127.0.0.1:9000/cb?x=1&y=%20", Params: platform.Params{SdkAppID: "14 00", ClientIP: "10.0.0.1", OptPlatform: "Web"}},
		"signed": {Target: "http://127.0.0.1:9000", Params: platform.Params{Token: "xxxxyyyy", Now: clock}, Timeout: 3 * time.Second},
		"settings": {Target: "http://127.0.0.1:9000/", Expect: record.OutcomeReject, Strict: true,
			Settings: map[string]platform.CallbackSettings{"C2C.CallbackBeforeSendMsg": {Budget: time.Second, BudgetFrom: "x", FailedContinue: &fc}}},
		"openim": {Target: "http://127.0.0.1:9000", Params: platform.Params{OpenIMVersion: "v3.8.3"}},
	}
	route := &Route{Target: "http://127.0.0.2:9001/r?k=v", Params: platform.Params{Token: "t", Now: clock, SdkAppID: "1"}}
	entries := fixtures.Default().Entries()
	for name, s := range senders {
		t.Run(name, func(t *testing.T) {
			plain, prep := newConnClient(nil, nil), newConnClient(nil, nil)
			prepared := 0
			// Each kind four times in a row (a prepared request used again,
			// the clock crossing seconds on the way), then the catalogue
			// round-robin twice (more kinds than a worker keeps).
			var seq []*fixtures.Entry
			for _, e := range entries {
				seq = append(seq, e, e, e, e)
			}
			seq = append(append(seq, entries...), entries...)
			for i, e := range seq {
				round := i / len(entries)
				now = now.Add(400 * time.Millisecond)
				body, err := generate.Generate(e, generate.GenOptions{Seed: uint64(i)})
				if err != nil {
					t.Fatal(err)
				}
				{
					c := Callback{Entry: e, Body: body}
					switch i % 4 {
					case 1:
						c.Route = route
					case 2:
						c.Findings = []record.Finding{{Severity: record.Error, Rule: "x"}}
					case 3:
						c.Body = bytes.Repeat(body, 3)
					}
					want, err := s.build(&c)
					if err != nil {
						t.Fatal(err)
					}
					got, err := s.buildPrepared(&c, prep)
					if err != nil {
						t.Fatal(err)
					}
					if got.prep != nil {
						prepared++
					} else if e.Vendor == fixtures.Tencent && !platform.Rewrites(*got.params) {
						t.Errorf("%s: not prepared", e.Command)
					}
					wb := append([]byte(nil), plain.encode(want.req, want.body)...)
					var gb []byte
					if got.prep != nil {
						gb = prep.encodePrepared(got.prep, got.body)
					} else {
						gb = prep.encode(got.req, got.body)
					}
					if e.Vendor == fixtures.OpenIM { // a fresh operationID per request
						gb, wb = opID.ReplaceAll(gb, nil), opID.ReplaceAll(wb, nil)
					}
					if !bytes.Equal(gb, wb) {
						t.Fatalf("%s round %d:\n got %q\nwant %q", e.Command, round, gb, wb)
					}
					if !reflect.DeepEqual(got.judging, want.judging) {
						t.Fatalf("%s: judging\n got %+v\nwant %+v", e.Command, got.judging, want.judging)
					}
					if got.v != want.v || got.target != want.target || got.params != want.params || !bytes.Equal(got.body, want.body) {
						t.Fatalf("%s: %v %q %p, want %v %q %p", e.Command, got.v, got.target, got.params, want.v, want.target, want.params)
					}
				}
			}
			if name != "openim" && prepared == 0 {
				t.Error("nothing was prepared")
			}
			if len(prep.preps) > maxPrepared {
				t.Errorf("%d prepared requests kept", len(prep.preps))
			}
		})
	}
	// A target that is no URL fails as build fails.
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	s := &Sender{Target: "http://[::1"}
	_, err := s.buildPrepared(&Callback{Entry: e, Body: []byte("{}")}, newConnClient(nil, nil))
	var te *TargetError
	if !errors.As(err, &te) || te.Target != s.Target {
		t.Errorf("bad target: %v", err)
	}
}

// A prepared kind judges a reply like the last one as JudgeReply does, for
// every Tencent callback (before-callbacks whose judgement reads the
// request too) over a sequence of replies that repeat and change: status,
// body, lateness, a cut body, redirects to other places, a callback with
// payload errors.
func TestJudgeReplyMatchesJudge(t *testing.T) {
	ok := []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	replies := []platform.Reply{
		{Status: 200, Body: ok}, {Status: 200, Body: ok}, {Status: 200, Body: []byte(`{"ActionStatus":"FAIL","ErrorInfo":"x","ErrorCode":1}`)},
		{Status: 200, Body: ok}, {Status: 200, Body: ok, Latency: 5 * time.Second}, {Status: 200, Body: ok},
		{Status: 200, Body: []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":2}`)}, {Status: 200, Body: []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":2}`)},
		{Status: 200, Body: ok, Truncated: true}, {Status: 200, Body: []byte(`<html>`)}, {Status: 500, Body: ok}, {Status: 500, Body: ok},
		{Status: 302, Header: http.Header{"Location": {"/a"}}, Body: ok}, {Status: 302, Header: http.Header{"Location": {"/b"}}, Body: ok},
		{Status: 200, Body: []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":[]}`)}, {Status: 200, Body: ok},
		{Status: 200}, {Status: 200}, // the first request's MsgBody back: an echo, then a change
	}
	echo := len(replies) - 2
	s := &Sender{Target: "http://127.0.0.1:9000/cb"}
	for _, e := range fixtures.Default().Entries() {
		if e.Vendor != fixtures.Tencent {
			continue
		}
		cc := newConnClient(nil, nil)
		for i, r := range replies {
			body, _ := generate.Generate(e, generate.GenOptions{Seed: uint64(i)})
			if i >= echo {
				first, _ := generate.Generate(e, generate.GenOptions{Seed: uint64(echo)})
				r.Body = []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":` + gjson.GetBytes(first, "MsgBody").Raw + `}`)
			}
			c := Callback{Entry: e, Body: body}
			if i%5 == 4 {
				c.Findings = []record.Finding{{Severity: record.Error, Rule: "x"}}
			}
			x, err := s.buildPrepared(&c, cc)
			if err != nil || x.prep == nil {
				t.Fatal(err)
			}
			if i == 0 && x.prep.independent != platform.RequestIndependent(e) {
				t.Fatalf("%s: independent %v", e.Command, x.prep.independent)
			}
			gf, gout := x.prep.judgeReply(r, x.judging)
			wf, wout := x.v.JudgeReply(r, x.judging)
			if gout != wout || len(gf) != len(wf) || len(gf) > 0 && !reflect.DeepEqual(gf, wf) {
				t.Fatalf("%s reply %d: %v %v, want %v %v", e.Command, i, gout, gf, wout, wf)
			}
		}
	}
}
