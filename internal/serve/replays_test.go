package serve

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// signedAt is a Tencent callback signed with token at rt.
func signedAt(t *testing.T, srv *Server, token string, rt int64) *http.Request {
	t.Helper()
	e := entry(t, sendMsg)
	req, err := platform.Tencent.NewRequest(srv.URL, e.Command, body(t, sendMsg), platform.Params{Token: token, Now: func() time.Time { return time.Unix(rt, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// With RejectReplays, the second delivery of a signed request within the
// window is refused with request.replay; another signature is not; without
// it, both are accepted as before.
func TestRejectReplays(t *testing.T) {
	const token = "xxxxyyyy"
	now := time.Now().Unix()
	for _, on := range []bool{false, true} {
		srv, recs := start(t, Config{Expect: platform.Expect{Token: token}, RejectReplays: on})
		for i, req := range []*http.Request{signedAt(t, srv, token, now), signedAt(t, srv, token, now), signedAt(t, srv, token, now-1)} {
			st, got := do(t, req)
			refused := gjson.GetBytes(got, "ActionStatus").Str == "FAIL"
			if st != 200 || refused != (on && i == 1) {
				t.Errorf("RejectReplays %v, request %d: %d %s", on, i, st, got)
			}
		}
		rs := recs()
		if len(rs) != 3 {
			t.Fatalf("%d records", len(rs))
		}
		if on {
			if !strings.Contains(rules(rs[1]), "error:"+RuleReplay) || rs[1].Verdict != record.Fail || !strings.Contains(rs[1].Findings[len(rs[1].Findings)-1].Message, "came before") {
				t.Errorf("the second delivery's record: %s %+v", rules(rs[1]), rs[1].Findings)
			}
		}
		for _, i := range []int{0, 2} {
			if strings.Contains(rules(rs[i]), RuleReplay) {
				t.Errorf("RejectReplays %v: record %d has %s", on, i, rules(rs[i]))
			}
		}
	}
}

// A delivery that was not acknowledged (its record failed) is forgotten:
// the platform's next try is taken.
func TestRejectReplaysForgetsUnacknowledged(t *testing.T) {
	const token = "xxxxyyyy"
	var mu sync.Mutex
	fail := true
	h := NewHandler(Config{Expect: platform.Expect{Token: token}, RejectReplays: true, Record: func(*record.Record) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return errors.New("disk full")
		}
		return nil
	}})
	srv, err := Start("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	now := time.Now().Unix()
	if st, _ := do(t, signedAt(t, srv, token, now)); st != 500 {
		t.Fatalf("with the record failing: %d", st)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	if st, got := do(t, signedAt(t, srv, token, now)); st != 200 || gjson.GetBytes(got, "ActionStatus").Str != "OK" {
		t.Fatalf("the try after an unacknowledged delivery: %d %s", st, got)
	}
	if st, got := do(t, signedAt(t, srv, token, now)); st != 200 || gjson.GetBytes(got, "ActionStatus").Str != "FAIL" {
		t.Fatalf("a third delivery: %d %s", st, got)
	}
}

// The memory of signatures is bounded: RequestTimes that left the window
// are forgotten, and past the bound a new signature is refused (it cannot
// be told apart from a replay) until room comes back.
func TestReplaysBounded(t *testing.T) {
	clock := time.Unix(1700000000, 0)
	p := newReplays(time.Minute, func() time.Time { return clock })
	p.max = 3
	key := func(rt int64, b byte) replayKey { k := replayKey{rt: rt, ok: true}; k.sign[0] = b; return k }
	for i := byte(0); i < 3; i++ {
		if r := p.claim(key(clock.Unix(), i)); r != "" {
			t.Fatalf("claim %d: %s", i, r)
		}
	}
	if r := p.claim(key(clock.Unix(), 0)); !strings.Contains(r, "came before") {
		t.Fatalf("a repeat: %q", r)
	}
	if r := p.claim(key(clock.Unix(), 9)); !strings.Contains(r, "at most 3") {
		t.Fatalf("past the bound: %q", r)
	}
	clock = clock.Add(61 * time.Second)
	if r := p.claim(key(clock.Unix(), 9)); r != "" || p.n != 1 || len(p.seen) != 1 {
		t.Fatalf("after the window: %q, %d remembered in %d seconds", r, p.n, len(p.seen))
	}
}

func TestSignatureOf(t *testing.T) {
	sign := platform.Sign("t", "1700000000")
	for _, tc := range []struct {
		query string
		ok    bool
	}{
		{"Sign=" + sign + "&RequestTime=1700000000", true},
		{"sign=" + strings.ToUpper(sign) + "&requesttime=1700000000", true},
		{"Sign=" + sign, false},
		{"Sign=" + sign[:10] + "&RequestTime=1700000000", false},
		{"Sign=" + strings.Repeat("z", 64) + "&RequestTime=1700000000", false},
		{"Sign=" + sign + "&RequestTime=x", false},
	} {
		k := signatureOf(tc.query)
		if k.ok != tc.ok || k.ok && strconv.FormatInt(k.rt, 10) != "1700000000" {
			t.Errorf("%s: %+v", tc.query, k)
		}
	}
	a, b := signatureOf("Sign="+sign+"&RequestTime=1700000000"), signatureOf("Sign="+strings.ToUpper(sign)+"&RequestTime=1700000000")
	if a != b {
		t.Error("the case of the hex digits makes another signature")
	}
}
