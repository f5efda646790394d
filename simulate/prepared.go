package simulate

import (
	"net/http"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// prepared is a callback kind's request as a load worker sends it, built
// once: for a vendor whose requests read nothing of the body but its length
// (wire.BodyFreeRequests: Tencent), a callback of the same entry and route
// in the same clock epoch has the same request line and header, so the
// worker keeps the request, its encoded head around Content-Length's value
// and the Judging but for the body's parts, and writes only the body's
// length and the body per exchange. TestPreparedMatchesBuild holds it to
// Sender.build and connClient.encode.
type prepared struct {
	entry   *fixtures.Entry
	route   *Route
	epoch   int64
	clocked bool

	v      platform.Vendor
	target string
	params *platform.Params
	// req is the request built for the kind's first callback: the lean
	// client reads its method and URL, never its body.
	req *http.Request
	// head and tail are the encoded head before and after Content-Length's
	// value.
	head, tail []byte
	// judging is the kind's Judging; Request and PayloadValid are each
	// callback's own.
	judging platform.Judging
	// independent: the kind's judgement reads nothing of the request's
	// body (platform.RequestIndependent), so a reply like the last one is
	// judged as it was (judgeReply).
	independent bool
	last        lastJudged
}

// lastJudged is the last reply of a prepared kind judged in time, and its
// judgement.
type lastJudged struct {
	ok           bool
	status       int
	payloadValid bool
	body         []byte
	findings     []record.Finding
	outcome      record.Outcome
}

// judgeReply is v.JudgeReply(r, j) for a callback of p's kind. The judge
// reads of a reply its status, its body, whether it was cut, its latency
// against the budget and, for a redirect, its Location header
// (wire.Judge): a reply of the same status and body, whole and in time, to
// a callback of the same kind whose judgement reads nothing of the request
// has the same judgement, which the last one's findings and outcome are
// (they are read, never changed). TestJudgeReplyMatchesJudge holds it to
// JudgeReply.
func (p *prepared) judgeReply(r platform.Reply, j platform.Judging) ([]record.Finding, record.Outcome) {
	memo := p.independent && !r.Truncated && r.Latency <= j.Budget && (r.Status < 300 || r.Status >= 400)
	if !memo {
		return p.v.JudgeReply(r, j)
	}
	l := &p.last
	if l.ok && l.status == r.Status && l.payloadValid == j.PayloadValid && string(l.body) == string(r.Body) {
		return l.findings, l.outcome
	}
	fs, o := p.v.JudgeReply(r, j)
	*l = lastJudged{ok: true, status: r.Status, payloadValid: j.PayloadValid, body: append(l.body[:0], r.Body...), findings: fs, outcome: o}
	return fs, o
}

// maxPrepared is how many callback kinds a worker keeps prepared (a run
// round-robin over more rebuilds the oldest).
const maxPrepared = 8

// buildPrepared is build for a load worker that keeps no record: from the
// worker's prepared request of c's kind when its vendor allows it, else
// build's. x.prep is set when the request is prepared.
func (s *Sender) buildPrepared(c *Callback, cc *connClient) (outgoing, error) {
	v := platform.For(c.Entry.Vendor)
	bf, ok := platform.BodyFree(v)
	if !ok {
		return s.build(c)
	}
	target, params := s.route(c)
	if platform.Rewrites(*params) {
		return s.build(c)
	}
	epoch, clocked := bf.RequestEpoch(*params)
	p := cc.lookupPrepared(c.Entry, c.Route, epoch, clocked)
	if p == nil {
		var err error
		if p, err = s.prepare(c, v, target, params, epoch, clocked); err != nil {
			return outgoing{c: *c, v: v, target: target, params: params}, err
		}
		cc.keepPrepared(p)
	}
	x := outgoing{c: *c, v: v, target: p.target, params: p.params, req: p.req, body: c.Body, judging: p.judging, prep: p}
	x.judging.Request = c.Body
	x.judging.PayloadValid = !record.HasErrors(c.Findings)
	return x, nil
}

// prepare builds c's kind's prepared request: the vendor's request for c,
// built with the clock at the epoch's second.
func (s *Sender) prepare(c *Callback, v platform.Vendor, target string, params *platform.Params, epoch int64, clocked bool) (*prepared, error) {
	pinned := *params
	if clocked {
		pinned.Now = func() time.Time { return time.Unix(epoch, 0) }
	}
	req, err := v.NewRequest(target, c.Entry.Command, c.Body, pinned)
	if err != nil {
		return nil, &TargetError{Target: target, Err: err}
	}
	p := &prepared{entry: c.Entry, route: c.Route, epoch: epoch, clocked: clocked, v: v, target: target, params: params, req: req,
		judging: s.judging(c, v, params), independent: platform.RequestIndependent(c.Entry)}
	p.head = appendHeadStart(nil, req)
	p.tail, _ = appendHeadEnd(nil, req, nil)
	return p, nil
}

// lookupPrepared is the worker's prepared request of a kind, or nil.
func (c *connClient) lookupPrepared(e *fixtures.Entry, route *Route, epoch int64, clocked bool) *prepared {
	for _, p := range c.preps {
		if p.entry == e && p.route == route && p.epoch == epoch && p.clocked == clocked {
			return p
		}
	}
	return nil
}

// keepPrepared keeps p in place of the same kind's of another epoch, or of
// the oldest when the worker keeps maxPrepared.
func (c *connClient) keepPrepared(p *prepared) {
	for i, q := range c.preps {
		if q.entry == p.entry && q.route == p.route {
			c.preps[i] = p
			return
		}
	}
	if len(c.preps) == maxPrepared {
		c.preps = append(c.preps[:0], c.preps[1:]...)
	}
	c.preps = append(c.preps, p)
}
