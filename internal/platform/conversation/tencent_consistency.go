package conversation

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
)

// Rules of the consistency check (validate --consistency).
const (
	RuleUnread      = "consistency.unread"
	RuleReadTime    = "consistency.read_time"
	RuleReadReceipt = "consistency.read_receipt"
	RuleTimeOrder   = "consistency.time_order"
	RuleMsgSeq      = "consistency.msg_seq"
)

// maxSeqs bounds the messages a group's state remembers (the oldest go
// first): a read receipt for a message older than that is not checked
// against the message.
const maxSeqs = 4096

// Consistency checks that a sequence of Tencent callbacks, in order, tells
// one consistent story (see ConsistencyDoc). Its state is per user, per
// one-to-one conversation and per group, so memory does not grow with the
// length of a recording. The zero value is not ready: use NewConsistency.
type tencentConsistency struct {
	users  map[string]*unreadState
	groups map[string]*groupState
}

// tencentConsistencyDoc defines the invariants, for help texts.
const tencentConsistencyDoc = `  consistency.unread       C2C.CallbackAfterSendMsg (SendMsgResult 0): UnreadMsgNum, the
                           receiver's unread one-to-one messages in all, is one more than
                           the receiver had; C2C.CallbackAfterMsgReport: UnreadMsgNum is the
                           reporter's total less its unread messages from Peer_Account (they
                           are read: that count is now 0). A user's total is learnt from the
                           first callback that gives it (a message's is at least 1); unread
                           messages from before then are not attributed to a peer, so a
                           report may then give any total between the two bounds.
                           C2C.CallbackAfterMsgReadAll forgets the user's counts.
  consistency.read_time    a read report's LastReadTime is not before the MsgTime of the last
                           message from Peer_Account to Report_Account; a group read receipt's
                           EventTime (ms) is not before the MsgTime of the messages it reports.
  consistency.read_receipt for each MsgSeq of a Group.CallbackAfterReadReceipt, ReadNum +
                           UnreadNum is the same in every receipt of the group (M - 1, the
                           members other than the sender; learnt from the group's first
                           receipt); ReadNum never falls for a MsgSeq; ReadReceiptMembers
                           lists no more members than ReadNum, and not the sender.
  consistency.time_order   timestamps move forward: MsgTime within a one-to-one conversation,
                           LastReadTime within a reporter's reports of one peer, and a group's
                           MsgTime (messages) and EventTime (all its callbacks).
  consistency.msg_seq      a group's MsgSeq increases from message to message; a read receipt
                           names no MsgSeq beyond the group's last message.`

type unreadState struct {
	known bool
	total int // UnreadMsgNum as last reported
	base  int // unread messages not attributed to a peer (from before the first sighting)
	peers map[string]*peerState
}

type peerState struct {
	unread   int   // unread messages from this peer
	lastMsg  int64 // MsgTime of the last message from this peer
	lastRead int64 // LastReadTime of the last report of this peer
	convTime int64 // the last MsgTime of the conversation (kept on the lesser user ID)
}

type groupState struct {
	lastSeq   int64
	lastTime  int64 // MsgTime of the last message
	lastEvent int64 // EventTime (ms) of the last callback
	members   int64 // ReadNum + UnreadNum of the first receipt (0: none yet)
	seqs      map[int64]*seqState
	order     []int64 // seqs in arrival order, for eviction
}

type seqState struct {
	from    string // the sender; "" when the message was not seen
	msgTime int64  // Unix seconds; 0 when the message was not seen
	readNum int64  // -1 before any receipt
}

func (tencentModel) ConsistencyDoc() string { return tencentConsistencyDoc }

// NewConsistency returns a checker with no state.
func (tencentModel) NewConsistency() wire.Consistency { return newTencentConsistency() }

func newTencentConsistency() *tencentConsistency {
	return &tencentConsistency{users: map[string]*unreadState{}, groups: map[string]*groupState{}}
}

func (c *tencentConsistency) user(id string) *unreadState {
	u := c.users[id]
	if u == nil {
		u = &unreadState{peers: map[string]*peerState{}}
		c.users[id] = u
	}
	return u
}

func (u *unreadState) peer(id string) *peerState {
	p := u.peers[id]
	if p == nil {
		p = &peerState{}
		u.peers[id] = p
	}
	return p
}

// resync takes found as the user's total, attributed to no peer.
func (u *unreadState) resync(found int) {
	for _, p := range u.peers {
		p.unread = 0
	}
	u.known, u.total, u.base = true, found, max(found, 0)
}

func (c *tencentConsistency) group(id string) *groupState {
	g := c.groups[id]
	if g == nil {
		g = &groupState{seqs: map[int64]*seqState{}}
		c.groups[id] = g
	}
	return g
}

func (g *groupState) seq(n int64) *seqState {
	s := g.seqs[n]
	if s == nil {
		s = &seqState{readNum: -1}
		g.seqs[n] = s
		g.order = append(g.order, n)
		if len(g.order) > maxSeqs {
			delete(g.seqs, g.order[0])
			g.order = g.order[1:]
		}
	}
	return s
}

// Record checks the request body of a record (paths start request.body).
func (c *tencentConsistency) Record(raw []byte) []record.Finding {
	body := gjson.GetBytes(raw, "request.body")
	if !body.IsObject() {
		return nil
	}
	return c.check(body, "request.body.")
}

// Payload checks a callback payload.
func (c *tencentConsistency) Payload(raw []byte) []record.Finding {
	body := gjson.ParseBytes(raw)
	if !body.IsObject() {
		return nil
	}
	return c.check(body, "")
}

// tencentCheck is one item's check: its body, the prefix of its paths and
// the findings so far.
type tencentCheck struct {
	body   gjson.Result
	prefix string
	fs     []record.Finding
}

func (ck *tencentCheck) get(p string) gjson.Result { return ck.body.Get(p) }

func (ck *tencentCheck) add(rule, path, format string, a ...any) {
	ck.fs = append(ck.fs, record.Finding{Severity: record.Error, Rule: rule, Path: ck.prefix + path, Message: fmt.Sprintf(format, a...)})
}

// check checks one callback against the state the earlier ones left.
func (c *tencentConsistency) check(body gjson.Result, prefix string) []record.Finding {
	ck := &tencentCheck{body: body, prefix: prefix}
	switch cmd := ck.get("CallbackCommand").String(); {
	case strings.EqualFold(cmd, "C2C.CallbackAfterSendMsg"):
		c.c2cSend(ck)
	case strings.EqualFold(cmd, "C2C.CallbackAfterMsgReport"):
		c.c2cReport(ck)
	case strings.EqualFold(cmd, "C2C.CallbackAfterMsgReadAll"):
		c.c2cReadAll(ck)
	case strings.EqualFold(cmd, "Group.CallbackAfterSendMsg"):
		c.groupSend(ck)
	case strings.EqualFold(cmd, "Group.CallbackAfterReadReceipt"):
		c.readReceipt(ck)
	}
	return ck.fs
}

// c2cSend checks a one-to-one message: its time against the conversation's,
// and UnreadMsgNum against the recipient's count.
func (c *tencentConsistency) c2cSend(ck *tencentCheck) {
	from, to := ck.get("From_Account").String(), ck.get("To_Account").String()
	t := ck.get("MsgTime").Int()
	if from == "" || to == "" {
		return
	}
	conv := c.user(min(from, to)).peer(max(from, to))
	if t < conv.convTime {
		ck.add(RuleTimeOrder, "MsgTime", "MsgTime %d is before the MsgTime %d of the previous message between %s and %s", t, conv.convTime, from, to)
	}
	conv.convTime = max(conv.convTime, t)
	u := c.user(to)
	p := u.peer(from)
	p.lastMsg = max(p.lastMsg, t)
	if ck.get("SendMsgResult").Int() != 0 || !ck.get("UnreadMsgNum").Exists() {
		return // a failed send changes no count
	}
	found := int(ck.get("UnreadMsgNum").Int())
	if u.known && found != u.total+1 {
		ck.add(RuleUnread, "UnreadMsgNum", "UnreadMsgNum is %d, but %s had %d unread one-to-one message(s), so a new message from %s makes %d", found, to, u.total, from, u.total+1)
	} else if !u.known && found < 1 {
		ck.add(RuleUnread, "UnreadMsgNum", "UnreadMsgNum is %d, but it counts the new message from %s: at least 1", found, from)
	}
	if !u.known || found != u.total+1 {
		u.resync(found)
		if found > 0 {
			p.unread, u.base = 1, found-1
		}
		return
	}
	u.total, p.unread = found, p.unread+1
}

// c2cReport checks a read report: LastReadTime against the messages it reads,
// and UnreadMsgNum against the reporter's count.
func (c *tencentConsistency) c2cReport(ck *tencentCheck) {
	r, peer := ck.get("Report_Account").String(), ck.get("Peer_Account").String()
	if r == "" || peer == "" {
		return
	}
	u := c.user(r)
	p := u.peer(peer)
	t := ck.get("LastReadTime").Int()
	if t < p.lastRead {
		ck.add(RuleTimeOrder, "LastReadTime", "LastReadTime %d is before the LastReadTime %d of %s's previous report of %s", t, p.lastRead, r, peer)
	}
	p.lastRead = max(p.lastRead, t)
	if t < p.lastMsg {
		ck.add(RuleReadTime, "LastReadTime", "LastReadTime %d is before the MsgTime %d of the last message from %s to %s, which this report reads", t, p.lastMsg, peer, r)
	}
	if !ck.get("UnreadMsgNum").Exists() {
		return
	}
	found := int(ck.get("UnreadMsgNum").Int())
	if !u.known {
		u.resync(found)
		return
	}
	hi := u.total - p.unread
	lo := max(hi-u.base, 0)
	if found < lo || found > hi {
		want := fmt.Sprint(hi)
		if lo < hi {
			want = fmt.Sprintf("between %d and %d (%d unread from before the recording may be %s's)", lo, hi, u.base, peer)
		}
		ck.add(RuleUnread, "UnreadMsgNum", "UnreadMsgNum is %d, but %s had %d unread one-to-one message(s), %d of them from %s, which this report reads: expected %s", found, r, u.total, p.unread, peer, want)
		u.resync(found)
		return
	}
	u.base -= hi - found
	u.total, p.unread = found, 0
}

// c2cReadAll checks a read-all: the reporter's count is unknown again.
func (c *tencentConsistency) c2cReadAll(ck *tencentCheck) {
	if u := c.users[ck.get("Report_Account").String()]; u != nil {
		u.known = false
		for _, p := range u.peers {
			p.unread = 0
		}
	}
}

// groupSend checks a group message: MsgSeq, MsgTime and EventTime against the
// group's previous ones.
func (c *tencentConsistency) groupSend(ck *tencentCheck) {
	id := ck.get("GroupId").String()
	if id == "" {
		return
	}
	g := c.group(id)
	seq, t, ev := ck.get("MsgSeq").Int(), ck.get("MsgTime").Int(), ck.get("EventTime").Int()
	if g.lastSeq > 0 && seq <= g.lastSeq {
		ck.add(RuleMsgSeq, "MsgSeq", "MsgSeq %d is not greater than the MsgSeq %d of the group's previous message", seq, g.lastSeq)
	}
	if t < g.lastTime {
		ck.add(RuleTimeOrder, "MsgTime", "MsgTime %d is before the MsgTime %d of the group's previous message", t, g.lastTime)
	}
	if ev < g.lastEvent {
		ck.add(RuleTimeOrder, "EventTime", "EventTime %d is before the EventTime %d of the group's previous callback", ev, g.lastEvent)
	}
	g.lastSeq, g.lastTime, g.lastEvent = max(g.lastSeq, seq), max(g.lastTime, t), max(g.lastEvent, ev)
	sq := g.seq(seq)
	sq.msgTime, sq.from = t, ck.get("From_Account").String()
}

// readReceipt checks a group's read receipts: each against its message and
// the group's members.
func (c *tencentConsistency) readReceipt(ck *tencentCheck) {
	id := ck.get("GroupId").String()
	if id == "" {
		return
	}
	g := c.group(id)
	ev := ck.get("EventTime").Int()
	if ev < g.lastEvent {
		ck.add(RuleTimeOrder, "EventTime", "EventTime %d is before the EventTime %d of the group's previous callback", ev, g.lastEvent)
	}
	g.lastEvent = max(g.lastEvent, ev)
	for i, it := range ck.get("GroupMsgReceiptList").Array() {
		at := fmt.Sprintf("GroupMsgReceiptList.%d.", i)
		seq, read, unread := it.Get("MsgSeq").Int(), it.Get("ReadNum").Int(), it.Get("UnreadNum").Int()
		if g.lastSeq > 0 && seq > g.lastSeq {
			ck.add(RuleMsgSeq, at+"MsgSeq", "a read receipt for MsgSeq %d, but the group's last message has MsgSeq %d", seq, g.lastSeq)
		}
		if g.members == 0 {
			g.members = read + unread
		} else if read+unread != g.members {
			ck.add(RuleReadReceipt, at+"UnreadNum", "ReadNum %d + UnreadNum %d is %d, but the group's receipts give %d (the members other than the sender)", read, unread, read+unread, g.members)
		}
		s := g.seq(seq)
		members := it.Get("ReadReceiptMembers").Array()
		if n := int64(len(members)); n > read {
			ck.add(RuleReadReceipt, at+"ReadReceiptMembers", "%d members have read MsgSeq %d, but ReadNum is %d", n, seq, read)
		}
		for j, m := range members {
			if s.from != "" && m.Get("Member_Account").String() == s.from {
				ck.add(RuleReadReceipt, fmt.Sprintf("%sReadReceiptMembers.%d.Member_Account", at, j), "%s sent MsgSeq %d: the sender is not one of its readers", s.from, seq)
			}
		}
		if read < s.readNum {
			ck.add(RuleReadReceipt, at+"ReadNum", "ReadNum fell from %d to %d for MsgSeq %d", s.readNum, read, seq)
		}
		s.readNum = max(s.readNum, read)
		if s.msgTime > 0 && ev < s.msgTime*1000 {
			ck.add(RuleReadTime, "EventTime", "EventTime %d is before the MsgTime %d (s) of MsgSeq %d, which this receipt reports read", ev, s.msgTime, seq)
		}
	}
}
