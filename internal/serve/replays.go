package serve

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RuleReplay is the finding of a signed request that came before
// (Config.RejectReplays).
const RuleReplay = "request.replay"

// MaxRemembered is the most signatures RejectReplays remembers at once:
// about 25 MiB. Signatures are forgotten once their RequestTime leaves the
// window (60 s), so this is room for about 4,000 signed callbacks a second.
const MaxRemembered = 1 << 18

// replays remembers the signatures (Sign, RequestTime) of the signed
// requests seen within the window, to refuse a second delivery of one. A
// RequestTime is kept until it falls out of the window, after which the
// signature check refuses the request as stale anyway; past max signatures
// a new one is refused too, since it cannot be told apart from a replay.
type replays struct {
	mu     sync.Mutex
	window time.Duration
	now    func() time.Time
	max    int
	n      int
	// seen holds, by RequestTime (Unix seconds), the SHA-256 signatures
	// received with it and when each came (Unix nanoseconds).
	seen  map[int64]map[[32]byte]int64
	swept int64 // the second of the last sweep
}

func newReplays(window time.Duration, now func() time.Time) *replays {
	if window == 0 {
		window = time.Minute
	}
	if now == nil {
		now = time.Now
	}
	return &replays{window: window, now: now, max: MaxRemembered, seen: map[int64]map[[32]byte]int64{}}
}

// replayKey is a signature as replays keeps it.
type replayKey struct {
	rt   int64
	sign [32]byte
	ok   bool
}

// signatureOf reads Sign and RequestTime from a raw query as the Tencent
// check reads them (the parameter spelled so, else case-insensitively);
// ok is false when either is missing or malformed.
func signatureOf(raw string) replayKey {
	q, _ := url.ParseQuery(raw)
	get := func(name string) string {
		if v, ok := q[name]; ok {
			return v[0]
		}
		for k, v := range q {
			if strings.EqualFold(k, name) {
				return v[0]
			}
		}
		return ""
	}
	var k replayKey
	rt, err := strconv.ParseInt(get("RequestTime"), 10, 64)
	if err != nil {
		return k
	}
	sign := get("Sign")
	if len(sign) != 2*len(k.sign) {
		return k
	}
	if _, err := hex.Decode(k.sign[:], []byte(sign)); err != nil {
		return k
	}
	k.rt, k.ok = rt, true
	return k
}

// claim records k and returns "", or, when k came before (or cannot be
// remembered), the reason to refuse it.
func (p *replays) claim(k replayKey) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.sweep(now)
	if at, ok := p.seen[k.rt][k.sign]; ok {
		return fmt.Sprintf("this Sign and RequestTime came before, %s ago (--reject-replays): the same signed request delivered again within the %s window", now.Sub(time.Unix(0, at)).Round(time.Millisecond), p.window)
	}
	if p.n >= p.max {
		return fmt.Sprintf("--reject-replays remembers at most %d signed requests within the %s window, and that many came: this one is refused, as it cannot be told apart from a second delivery", p.max, p.window)
	}
	m := p.seen[k.rt]
	if m == nil {
		m = map[[32]byte]int64{}
		p.seen[k.rt] = m
	}
	m[k.sign] = now.UnixNano()
	p.n++
	return ""
}

// forget drops k, claimed by a request that was not acknowledged: its
// second delivery is the platform trying again.
func (p *replays) forget(k replayKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m := p.seen[k.rt]; m != nil {
		if _, ok := m[k.sign]; ok {
			delete(m, k.sign)
			p.n--
		}
	}
}

// sweep drops, at most once a second, the RequestTimes that have left the
// window. Called with the lock held.
func (p *replays) sweep(now time.Time) {
	sec := now.Unix()
	if sec == p.swept {
		return
	}
	p.swept = sec
	for rt, m := range p.seen {
		if now.Sub(time.Unix(rt, 0)) > p.window {
			p.n -= len(m)
			delete(p.seen, rt)
		}
	}
}
