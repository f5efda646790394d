package conversation

import (
	"fmt"
	"github.com/imhook/imhook/internal/platform/openim"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/internal/platform/wire"
)

func (st *setter) setRaw(path, raw string) {
	if st.err == nil {
		st.body, st.err = sjson.SetRawBytes(st.body, path, []byte(raw))
	}
}

func (openimModel) Scenarios() []string { return []string{ScenarioConversation} }

// Scenario builds the callbacks of a named scenario, in order.
func (o openimModel) Scenario(cat *fixtures.Catalogue, name string, opts wire.ScenarioOptions) ([]generate.Payload, error) {
	if name != ScenarioConversation {
		return nil, fmt.Errorf("unknown scenario %q; %s's scenarios: %v", name, openim.Vendor.Title(), o.Scenarios())
	}
	return openimConversation(cat, opts)
}

// The callbacks of OpenIM's conversation model.
const (
	oimRegister    = "callbackAfterUserRegisterCommand"
	oimApply       = "callbackAfterAddFriendCommand"
	oimAgree       = "callbackAfterAddFriendAgreeCommand"
	oimCreateGroup = "callbackAfterCreateGroupCommand"
	oimSendSingle  = "callbackAfterSendSingleMsgCommand"
	oimSendGroup   = "callbackAfterSendGroupMsgCommand"
	oimSaved       = "callbackAfterMsgSaveDBCommand"
	oimReadSingle  = "callbackAfterSingleMsgReadCommand"
	oimReadGroup   = "callbackAfterGroupMsgReadCommand"
)

var oimCommands = []string{oimRegister, oimApply, oimAgree, oimCreateGroup, oimSendSingle, oimSendGroup, oimSaved, oimReadSingle, oimReadGroup}

// oimStory is the state of an OpenIM conversation: what the server knows.
type oimStory struct {
	rng     *rand.Rand
	entries map[string]*fixtures.Entry
	seed    uint64
	n       int   // callbacks made
	t       int64 // the clock, Unix milliseconds
	out     []generate.Payload

	users   []oimUser
	friends [][2]int           // pairs of users' indexes
	seqs    map[string]int64   // conversation ID -> its last seq
	unread  map[[2]int][]int64 // (reader, peer) -> seqs of the peer's messages the reader has not read
	group   string
	members []int
	// groupRead: the last read was the group's.
	groupRead bool
}

type oimUser struct {
	id, nickname string
	registered   int64 // createTime, ms
}

// openimConversation is a consistent sequence of OpenIM after-callbacks,
// as the server sends them (its call sites in internal/rpc/user,
// internal/rpc/relation, internal/rpc/group, internal/rpc/msg and
// internal/msgtransfer of github.com/openimsdk/open-im-server):
//
//   - 3 to 5 users register (callbackAfterUserRegisterCommand, at most 3
//     a callback); friends apply and agree (callbackAfterAddFriendCommand
//     from the applicant, callbackAfterAddFriendAgreeCommand from the one
//     applied to, blackUserID the applicant, HandleResult 1); the first
//     user creates a group of them all (callbackAfterCreateGroupCommand,
//     the owner first in initMemberList with roleLevel 100);
//   - messages: callbackAfterSendSingleMsgCommand or
//     callbackAfterSendGroupMsgCommand when the message is sent (seq 0: the
//     server numbers it afterwards), then callbackAfterMsgSaveDBCommand
//     with the same IDs, times and content and the conversation's next seq
//     (si_<a>_<b> with the IDs sorted, sg_<group>); a notification (friend
//     approved, group created) takes a seq without a callback;
//   - reads: callbackAfterSingleMsgReadCommand names the conversation, the
//     reader and the seqs of the peer's messages read;
//     callbackAfterGroupMsgReadCommand carries the reader in sendID and
//     receiveID, the seq read up to in unreadMsgNum and the conversation
//     type 3 in contentType, as the server fills them (the documents say a
//     group ID, an unread count and a content type);
//   - times (ms) move forward 1 to 20 s a callback; a message is saved a
//     few hundred ms after it is sent; no user acts before registering.
//
// The same Seed and Now give the same callbacks.
func openimConversation(cat *fixtures.Catalogue, o wire.ScenarioOptions) ([]generate.Payload, error) {
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
	s := &oimStory{rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x6a09e667f3bcc909)), entries: map[string]*fixtures.Entry{}, seed: o.Seed,
		seqs: map[string]int64{}, unread: map[[2]int][]int64{}}
	for _, c := range oimCommands {
		e, _, ok := cat.Lookup(c)
		if !ok {
			return nil, fmt.Errorf("the catalogue has no %s", c)
		}
		s.entries[c] = e
	}
	s.t = now.UnixMilli() - int64(n)*20_000 - 1000
	nicknames := slices.Clone(oimNicknames)
	s.rng.Shuffle(len(nicknames), func(i, j int) { nicknames[i], nicknames[j] = nicknames[j], nicknames[i] })
	for i := 0; i < 3+s.rng.IntN(3); i++ {
		s.users = append(s.users, oimUser{id: s.openimID(), nickname: nicknames[i]})
	}
	// The set-up: registrations, friendships, the group, as far as the
	// count leaves room for a conversation.
	regs := (len(s.users) + 2) / 3
	if n < 8 {
		regs = 1
		s.users = s.users[:3]
	}
	for i := 0; i < regs; i++ {
		lo := i * len(s.users) / regs
		hi := (i + 1) * len(s.users) / regs
		if err := s.register(lo, hi); err != nil {
			return nil, err
		}
	}
	pairs := 0
	if n >= 8 {
		pairs = min(len(s.users)-1, max(1, (n-regs)/10))
	}
	for i := 0; i < pairs; i++ {
		if err := s.befriend(i, i+1); err != nil {
			return nil, err
		}
	}
	if n >= 12 {
		if err := s.createGroup(); err != nil {
			return nil, err
		}
	}
	for s.n < n {
		left := n - s.n
		var err error
		switch read := s.rng.IntN(3) == 0 || left == 1; {
		case read && s.canRead():
			err = s.read()
		case left == 1:
			err = s.send(false) // the recording ends before it is saved
		default:
			err = s.send(true)
		}
		if err != nil {
			return nil, err
		}
	}
	return s.out, nil
}

// oimNicknames are the scenario's users' nicknames.
var oimNicknames = []string{"Alice", "Bob", "小明", "Jared", "Priya", "佐藤", "Emma", "Li Lei"}

func (s *oimStory) openimID() string {
	return strconv.FormatInt(1_000_000_000+s.rng.Int64N(8_999_999_999), 10)
}

// tick moves the clock 1 to 20 s on.
func (s *oimStory) tick() { s.t += 1000 + s.rng.Int64N(19_000) }

// gen generates a payload of a command at the clock's time and lets set
// fill in the story's fields.
func (s *oimStory) gen(command, variant string, set func(st *setter, b []byte)) error {
	e := s.entries[command]
	b, err := generate.Generate(e, generate.GenOptions{Seed: s.seed + uint64(s.n), Now: time.UnixMilli(s.t), Variant: variant})
	if err != nil {
		return fmt.Errorf("%s: %w", command, err)
	}
	st := &setter{body: b}
	set(st, b)
	if st.err != nil {
		return fmt.Errorf("%s: %w", command, st.err)
	}
	s.out = append(s.out, generate.Payload{Entry: e, Body: st.body})
	s.n++
	return nil
}

func (s *oimStory) register(lo, hi int) error {
	s.tick()
	return s.gen(oimRegister, "", func(st *setter, b []byte) {
		// Each user is the generated one with the story's ID, nickname and
		// time, its fields in the document's order.
		template := gjson.GetBytes(b, "users.0")
		users := []byte{'['}
		for i := lo; i < hi; i++ {
			s.users[i].registered = s.t
			if i > lo {
				users = append(users, ',')
			}
			users = append(users, '{')
			n := 0
			template.ForEach(func(k, v gjson.Result) bool {
				if n > 0 {
					users = append(users, ',')
				}
				n++
				users = append(users, k.Raw...)
				users = append(users, ':')
				switch k.Str {
				case "userID":
					users = jsonx.AppendString(users, s.users[i].id)
				case "nickname":
					users = jsonx.AppendString(users, s.users[i].nickname)
				case "createTime":
					users = strconv.AppendInt(users, s.t, 10)
				default:
					users = append(users, v.Raw...)
				}
				return true
			})
			users = append(users, '}')
		}
		st.setRaw("users", string(append(users, ']')))
	})
}

func (s *oimStory) befriend(a, b int) error {
	s.tick()
	if err := s.gen(oimApply, "", func(st *setter, _ []byte) {
		st.set("fromUserID", s.users[a].id)
		st.set("toUserID", s.users[b].id)
	}); err != nil {
		return err
	}
	s.tick()
	if err := s.gen(oimAgree, "", func(st *setter, _ []byte) {
		st.set("fromUserID", s.users[b].id)
		st.set("blackUserID", s.users[a].id)
		st.set("HandleResult", 1)
	}); err != nil {
		return err
	}
	s.friends = append(s.friends, [2]int{a, b})
	// The friend-approved notification opens the conversation: a seq.
	s.seqs[s.single(a, b)]++
	return nil
}

func (s *oimStory) createGroup() error {
	s.tick()
	s.group = s.openimID()
	s.members = nil
	for i := range s.users {
		s.members = append(s.members, i)
	}
	if err := s.gen(oimCreateGroup, "", func(st *setter, _ []byte) {
		owner := s.users[0].id
		list := []oimMember{{owner, 100}}
		for _, m := range s.members[1:] {
			list = append(list, oimMember{s.users[m].id, 20})
		}
		st.set("groupID", s.group)
		st.set("ownerUserID", owner)
		st.set("creatorUserID", owner)
		st.set("memberCount", len(list))
		st.set("initMemberList", list)
	}); err != nil {
		return err
	}
	// The group-created notification takes the group conversation's first seq.
	s.seqs["sg_"+s.group]++
	return nil
}

// oimMember is an item of initMemberList, in the document's order.
type oimMember struct {
	UserID    string `json:"userID"`
	RoleLevel int    `json:"roleLevel"`
}

// single is the conversation ID of two users, as the server makes it
// (conversationutil.GenConversationIDForSingle: the IDs sorted).
func (s *oimStory) single(a, b int) string {
	x, y := s.users[a].id, s.users[b].id
	return "si_" + min(x, y) + "_" + max(x, y)
}

// send makes a message: the send callback, and with saved its save.
func (s *oimStory) send(saved bool) error {
	s.tick()
	group := s.group != "" && s.rng.IntN(2) == 0
	var from, to int
	if !group {
		if len(s.friends) > 0 {
			p := s.friends[s.rng.IntN(len(s.friends))]
			from, to = p[0], p[1]
		} else {
			from, to = 0, 1
		}
		if s.rng.IntN(2) == 0 {
			from, to = to, from
		}
	} else {
		from = s.members[s.rng.IntN(len(s.members))]
	}
	command, conv := oimSendSingle, s.single(from, to)
	if group {
		command, conv = oimSendGroup, "sg_"+s.group
	}
	var sent []byte
	createTime := s.t - 50 - s.rng.Int64N(2000)
	if err := s.gen(command, "", func(st *setter, _ []byte) {
		st.set("sendID", s.users[from].id)
		st.set("senderNickname", s.users[from].nickname)
		st.set("sendTime", s.t)
		st.set("createTime", createTime)
		st.set("seq", 0) // the server numbers the message after this callback
		st.set("status", 1)
		st.set("msgFrom", 100)
		if group {
			st.set("groupID", s.group)
		} else {
			st.set("recvID", s.users[to].id)
			st.setRaw("atUserList", "null")
		}
		sent = st.body
	}); err != nil {
		return err
	}
	if !saved {
		return nil
	}
	s.seqs[conv]++
	seq := s.seqs[conv]
	if !group {
		s.unread[[2]int{to, from}] = append(s.unread[[2]int{to, from}], seq)
	}
	s.t += 5 + s.rng.Int64N(300)
	variant := "single"
	if group {
		variant = "group"
	}
	return s.gen(oimSaved, variant, func(st *setter, _ []byte) {
		sb := gjson.ParseBytes(sent)
		for _, k := range []string{"sendID", "serverMsgID", "clientMsgID", "senderPlatformID", "senderNickname", "sessionType", "msgFrom",
			"contentType", "status", "sendTime", "createTime", "content", "faceURL", "ex"} {
			st.setRaw(k, sb.Get(k).Raw)
		}
		st.setRaw("atUserList", sb.Get("atUserList").Raw)
		st.set("seq", seq)
		if group {
			st.set("groupID", s.group)
			st.set("recvID", "")
		} else {
			st.set("recvID", s.users[to].id)
			st.set("groupID", "")
		}
	})
}

// canRead reports whether someone has something to read.
func (s *oimStory) canRead() bool {
	if s.group != "" && s.seqs["sg_"+s.group] > 1 {
		return true
	}
	for _, seqs := range s.unread {
		if len(seqs) > 0 {
			return true
		}
	}
	return false
}

// read makes a read: of a peer's messages in a one-to-one conversation,
// or of the group's messages up to its last.
func (s *oimStory) read() error {
	s.tick()
	var keys [][2]int
	for k, seqs := range s.unread {
		if len(seqs) > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	// Reads take turns: one-to-one, then the group's, when both can be.
	groupRead := s.group != "" && s.seqs["sg_"+s.group] > 1 && (len(keys) == 0 || !s.groupRead)
	s.groupRead = groupRead
	if groupRead {
		reader := s.members[s.rng.IntN(len(s.members))]
		return s.gen(oimReadGroup, "", func(st *setter, _ []byte) {
			st.set("sendID", s.users[reader].id)
			st.set("receiveID", s.users[reader].id)
			st.set("unreadMsgNum", s.seqs["sg_"+s.group])
			st.set("contentType", 3)
		})
	}
	k := keys[s.rng.IntN(len(keys))]
	seqs := s.unread[k]
	delete(s.unread, k)
	return s.gen(oimReadSingle, "", func(st *setter, _ []byte) {
		st.set("conversationID", s.single(k[0], k[1]))
		st.set("userID", s.users[k[0]].id)
		st.set("Seqs", seqs)
		st.set("contentType", 1)
	})
}
