package conversation

import (
	"fmt"
	"github.com/imhook/imhook/internal/platform/tencent"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform/wire"
)

// The scenario of Tencent's conversation model.
const ScenarioConversation = "conversation"

func (tencentModel) Scenarios() []string { return []string{ScenarioConversation} }

// Scenario builds the callbacks of a named scenario, in order.
func (t tencentModel) Scenario(cat *fixtures.Catalogue, name string, o wire.ScenarioOptions) ([]generate.Payload, error) {
	if name != ScenarioConversation {
		return nil, fmt.Errorf("unknown scenario %q; %s's scenarios: %v", name, tencent.Vendor.Title(), t.Scenarios())
	}
	return tencentConversation(cat, o)
}

// Conversation commands.
const (
	cmdC2CSend   = "C2C.CallbackAfterSendMsg"
	cmdC2CReport = "C2C.CallbackAfterMsgReport"
	cmdGroupSend = "Group.CallbackAfterSendMsg"
	cmdReceipt   = "Group.CallbackAfterReadReceipt"
)

// convo is the state of a conversation scenario: what the platform knows.
type convo struct {
	rng     *rand.Rand
	t       int64 // the clock, Unix seconds; moves forward 1-20 s a callback
	users   []string
	unread  map[string]map[string]int   // receiver -> sender -> unread messages
	lastMsg map[string]map[string]int64 // receiver -> sender -> MsgTime of the last message
	members []string
	group   string
	gtype   string
	seq     int64
	msgs    []*groupMsg // the group's last recentMsgs messages, oldest first
}

// recentMsgs is how many of the group's last messages read receipts report.
const recentMsgs = 16

type groupMsg struct {
	seq     int64
	from    string
	readers []string
}

// tencentConversation is a consistent sequence of Tencent callbacks: two or three
// users exchange one-to-one messages (C2C.CallbackAfterSendMsg) and read
// them (C2C.CallbackAfterMsgReport), then a group of M members (those users
// and others) exchanges messages (Group.CallbackAfterSendMsg) and reads them
// (Group.CallbackAfterReadReceipt). Each payload is generated from the
// catalogue and its state fields are then set:
//
//   - a message raises the receiver's UnreadMsgNum (its total over all
//     one-to-one conversations) by one; a read report sets the reporter's
//     unread messages from that peer to 0 and reports the new total, with a
//     LastReadTime not before the MsgTime of the messages read;
//   - the group's MsgSeq increases by one a message; a read receipt reports,
//     for each MsgSeq, ReadNum + UnreadNum = M - 1 (the members other than
//     the sender) and ReadNum never falls; ReadReceiptMembers lists those
//     who have read;
//   - MsgTime, EventTime and LastReadTime move forward; MsgKey stays
//     MsgSeq_MsgRandom_MsgTime.
//
// The same Seed and Now give the same callbacks.
func tencentConversation(cat *fixtures.Catalogue, o wire.ScenarioOptions) ([]generate.Payload, error) {
	n := o.Count
	if n == 0 {
		n = wire.DefaultScenarioCount
	}
	if n < wire.MinScenarioCount {
		return nil, fmt.Errorf("a conversation has at least %d callbacks", wire.MinScenarioCount)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	entries := map[string]*fixtures.Entry{}
	for _, c := range []string{cmdC2CSend, cmdC2CReport, cmdGroupSend, cmdReceipt} {
		e, _, ok := cat.Lookup(c)
		if !ok {
			return nil, fmt.Errorf("the catalogue has no %s", c)
		}
		entries[c] = e
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5bd1e9955bd1e995))
	s := &convo{rng: rng, t: now.Unix() - int64(n)*20 - 1,
		unread: map[string]map[string]int{}, lastMsg: map[string]map[string]int64{}}
	names := slices.Clone(convoNames)
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	nUsers := 2 + rng.IntN(2)
	s.users = names[:nUsers]
	m := 4 + rng.IntN(3) // 4-6 members: ReadReceiptMembers lists at most 5
	s.members = names[:m]
	s.group = "@TGS#" + []string{"1", "2", "3", "a"}[rng.IntN(4)] + chars(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8)
	s.gtype = []string{"Public", "Work", "Meeting"}[rng.IntN(3)]
	s.seq = 1 + rng.Int64N(500)

	c2c := n * 3 / 5
	out := make([]generate.Payload, 0, n)
	for i := 0; i < n; i++ {
		s.t += 1 + rng.Int64N(20)
		opts := generate.GenOptions{Seed: o.Seed + uint64(i), Now: time.Unix(s.t, 0)}
		var cmd string
		var body []byte
		var err error
		if i < c2c {
			if r, p := s.pickReport(i == c2c-1); r != "" {
				cmd = cmdC2CReport
				body, err = s.report(entries[cmd], opts, r, p)
			} else {
				cmd = cmdC2CSend
				body, err = s.c2cSend(entries[cmd], opts)
			}
		} else {
			if msgs := s.readable(); len(msgs) > 0 && (i == n-1 || (len(s.msgs) > 0 && rng.IntN(5) < 2)) {
				cmd = cmdReceipt
				body, err = s.receipt(entries[cmd], opts, msgs)
			} else {
				cmd = cmdGroupSend
				body, err = s.groupSend(entries[cmd], opts)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cmd, err)
		}
		out = append(out, generate.Payload{Entry: entries[cmd], Body: body})
	}
	return out, nil
}

// convoNames are the scenario's users: distinct, without the random
// suffixes of generated user IDs.
var convoNames = []string{"alice", "bob_lee", "cathy.w", "david_88", "emma", "frank", "grace_h", "li_lei", "han_meimei", "priya", "sato_k", "xiaoming"}

func chars(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

type setter struct {
	body []byte
	err  error
}

func (st *setter) set(path string, v any) {
	if st.err == nil {
		st.body, st.err = sjson.SetBytes(st.body, path, v)
	}
}

func (st *setter) del(path string) {
	if st.err == nil {
		st.body, st.err = sjson.DeleteBytes(st.body, path)
	}
}

func (s *convo) total(u string) int {
	t := 0
	for _, n := range s.unread[u] {
		t += n
	}
	return t
}

// pickReport picks a reporter and a peer with unread messages, about one
// time in three (always when must).
func (s *convo) pickReport(must bool) (reporter, peer string) {
	var cands [][2]string
	for _, r := range s.users {
		for _, p := range s.users {
			if s.unread[r][p] > 0 {
				cands = append(cands, [2]string{r, p})
			}
		}
	}
	if len(cands) == 0 || (!must && s.rng.IntN(3) != 0) {
		return "", ""
	}
	c := cands[s.rng.IntN(len(cands))]
	return c[0], c[1]
}

func (s *convo) c2cSend(e *fixtures.Entry, o generate.GenOptions) ([]byte, error) {
	o.Variant = "delivered"
	b, err := generate.Generate(e, o)
	if err != nil {
		return nil, err
	}
	i := s.rng.IntN(len(s.users))
	j := (i + 1 + s.rng.IntN(len(s.users)-1)) % len(s.users)
	from, to := s.users[i], s.users[j]
	if s.unread[to] == nil {
		s.unread[to] = map[string]int{}
		s.lastMsg[to] = map[string]int64{}
	}
	s.unread[to][from]++
	s.lastMsg[to][from] = s.t
	st := &setter{body: b}
	st.set("From_Account", from)
	st.set("To_Account", to)
	st.set("MsgTime", s.t)
	st.set("MsgKey", gjson.GetBytes(b, "MsgSeq").Raw+"_"+gjson.GetBytes(b, "MsgRandom").Raw+"_"+strconv.FormatInt(s.t, 10))
	st.set("UnreadMsgNum", s.total(to))
	return st.body, st.err
}

func (s *convo) report(e *fixtures.Entry, o generate.GenOptions, reporter, peer string) ([]byte, error) {
	b, err := generate.Generate(e, o)
	if err != nil {
		return nil, err
	}
	s.unread[reporter][peer] = 0
	st := &setter{body: b}
	st.set("Report_Account", reporter)
	st.set("Peer_Account", peer)
	st.set("LastReadTime", s.t) // after every message: the clock moved on
	st.set("UnreadMsgNum", s.total(reporter))
	return st.body, st.err
}

func (s *convo) groupSend(e *fixtures.Entry, o generate.GenOptions) ([]byte, error) {
	b, err := generate.Generate(e, o)
	if err != nil {
		return nil, err
	}
	s.seq++
	from := s.members[s.rng.IntN(len(s.members))]
	s.msgs = append(s.msgs, &groupMsg{seq: s.seq, from: from})
	if len(s.msgs) > recentMsgs {
		s.msgs = s.msgs[1:] // receipts report recent messages; a long run stays linear
	}
	st := &setter{body: b}
	st.set("GroupId", s.group)
	st.set("Type", s.gtype)
	st.set("From_Account", from)
	st.set("Operator_Account", from)
	st.set("MsgSeq", s.seq)
	st.set("MsgTime", s.t)
	if id := gjson.GetBytes(b, "MsgId"); id.Exists() {
		// <18 digits>-<MsgTime>-<Random>, as the generator makes it
		if parts := strings.Split(id.String(), "-"); len(parts) == 3 {
			st.set("MsgId", parts[0]+"-"+strconv.FormatInt(s.t, 10)+"-"+parts[2])
		}
	}
	st.set("OnlineOnlyFlag", 0) // stored messages: the ones with read receipts
	st.del("TopicId")
	st.set("EventTime", s.t*1000+s.rng.Int64N(1000))
	return st.body, st.err
}

// readable lists the group's messages some member has not read yet.
func (s *convo) readable() []*groupMsg {
	var out []*groupMsg
	for _, m := range s.msgs {
		if len(m.readers) < len(s.members)-1 {
			out = append(out, m)
		}
	}
	return out
}

func (s *convo) receipt(e *fixtures.Entry, o generate.GenOptions, msgs []*groupMsg) ([]byte, error) {
	b, err := generate.Generate(e, o)
	if err != nil {
		return nil, err
	}
	// Up to three of the unread messages, in MsgSeq order; each gets one or
	// two new readers.
	k := 1 + s.rng.IntN(min(3, len(msgs)))
	start := s.rng.IntN(len(msgs) - k + 1)
	list := make([]receiptItem, 0, k)
	for _, m := range msgs[start : start+k] {
		var left []string
		for _, u := range s.members {
			if u != m.from && !slices.Contains(m.readers, u) {
				left = append(left, u)
			}
		}
		for r := 1 + s.rng.IntN(2); r > 0 && len(left) > 0; r-- {
			x := s.rng.IntN(len(left))
			m.readers = append(m.readers, left[x])
			left = slices.Delete(left, x, x+1)
		}
		item := receiptItem{MsgSeq: m.seq, ReadNum: len(m.readers), UnreadNum: len(s.members) - 1 - len(m.readers),
			ReadReceiptMembers: []receiptMember{}}
		for _, u := range m.readers {
			item.ReadReceiptMembers = append(item.ReadReceiptMembers, receiptMember{u})
		}
		list = append(list, item)
	}
	st := &setter{body: b}
	st.set("GroupId", s.group)
	st.set("Type", s.gtype)
	st.set("GroupMsgReceiptList", list)
	st.set("EventTime", s.t*1000+s.rng.Int64N(1000))
	return st.body, st.err
}

// receiptItem is an item of GroupMsgReceiptList, in the document's order.
type receiptItem struct {
	MsgSeq             int64
	ReadNum            int
	UnreadNum          int
	ReadReceiptMembers []receiptMember
}

type receiptMember struct {
	Member_Account string //nolint:revive // the wire name
}
