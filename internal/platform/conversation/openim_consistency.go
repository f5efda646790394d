package conversation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
)

// Rules of OpenIM's consistency check (validate --consistency); time order
// is RuleTimeOrder, as Tencent's.
const (
	RuleUser    = "consistency.user"
	RuleFriend  = "consistency.friend"
	RuleMessage = "consistency.message"
	RuleSeq     = "consistency.seq"
	RuleRead    = "consistency.read"
	RuleMember  = "consistency.member"
)

// openimConsistencyDoc defines the invariants, for help texts.
const openimConsistencyDoc = `  OpenIM (state per user, conversation and group; a recording may start at any point):
  consistency.user         a user registers once (callbackAfterUserRegisterCommand).
  consistency.friend       callbackAfterAddFriendAgreeCommand answers an application from
                           blackUserID (the applicant) to fromUserID seen before it, when both
                           users registered in the recording (their whole story is in it).
  consistency.message      callbackAfterMsgSaveDBCommand of a message seen when it was sent
                           (callbackAfterSendSingleMsgCommand, ...SendGroupMsg...; the same
                           serverMsgID) has its sendID, recvID, groupID, sessionType,
                           clientMsgID, contentType, sendTime and content.
  consistency.seq          a saved message has a seq above 0, which no other message of its
                           conversation (si_<a>_<b> with the IDs sorted, sg_<groupID>) has;
                           a conversation's seqs increase in the order the messages are saved
                           (a warning: the server posts after-callbacks from a queue with two
                           workers, which may swap neighbours).
  consistency.read         callbackAfterSingleMsgReadCommand: the reader (userID) is one of the
                           conversation's two users, its Seqs are at most the conversation's
                           last saved seq and are not the reader's own messages;
                           callbackAfterGroupMsgReadCommand: the seq read up to (unreadMsgNum,
                           as the server fills it) is at most the last saved seq of the
                           reader's groups.
  consistency.member       a group message's sender is a member of the group, when the
                           recording has the group's creation (initMemberList; quits and kicks
                           remove members; a join, which names nobody, lets one sender in).
  consistency.time_order   a user's messages are not sent (sendTime) before the user
                           registered (createTime); a conversation's messages are not sent
                           before those saved with lower seqs.`

// maxOpenIMMessages bounds the sent messages remembered for their save,
// and the seqs remembered per conversation.
const maxOpenIMMessages = 4096

type openimConsistency struct {
	users        map[string]*oimUserState
	convs        map[string]*oimConvState
	groups       map[string]*oimGroupState
	applications map[[2]string]bool // (applicant, applied to)
	msgs         map[string]gjson.Result
	msgOrder     []string
}

type oimUserState struct {
	registered int64 // createTime (ms) of the registration seen; 0: none
	groups     []string
}

type oimConvState struct {
	last     int64 // the highest seq saved
	lastSend int64 // sendTime of the message saved with it
	seqs     map[int64]oimSavedMsg
	order    []int64
}

type oimSavedMsg struct{ serverMsgID, sendID string }

type oimGroupState struct {
	known     bool // the creation was seen: the members are known
	members   map[string]bool
	joins     int // joins that named nobody
	dismissed bool
}

func (openimModel) ConsistencyDoc() string { return openimConsistencyDoc }

// NewConsistency returns a checker with no state.
func (openimModel) NewConsistency() wire.Consistency {
	return &openimConsistency{users: map[string]*oimUserState{}, convs: map[string]*oimConvState{}, groups: map[string]*oimGroupState{},
		applications: map[[2]string]bool{}, msgs: map[string]gjson.Result{}}
}

func (c *openimConsistency) Record(raw []byte) []record.Finding {
	body := gjson.GetBytes(raw, "request.body")
	if !body.IsObject() {
		return nil
	}
	return c.check(body, "request.body.")
}

func (c *openimConsistency) Payload(raw []byte) []record.Finding {
	body := gjson.ParseBytes(raw)
	if !body.IsObject() {
		return nil
	}
	return c.check(body, "")
}

func (c *openimConsistency) user(id string) *oimUserState {
	u := c.users[id]
	if u == nil {
		u = &oimUserState{}
		c.users[id] = u
	}
	return u
}

func (c *openimConsistency) conv(id string) *oimConvState {
	v := c.convs[id]
	if v == nil {
		v = &oimConvState{seqs: map[int64]oimSavedMsg{}}
		c.convs[id] = v
	}
	return v
}

func (c *openimConsistency) group(id string) *oimGroupState {
	g := c.groups[id]
	if g == nil {
		g = &oimGroupState{members: map[string]bool{}}
		c.groups[id] = g
	}
	return g
}

// conversationOf is the conversation ID of a message body ("" unknown).
func conversationOf(b gjson.Result) string {
	switch b.Get("sessionType").Int() {
	case 1:
		x, y := b.Get("sendID").Str, b.Get("recvID").Str
		if x == "" || y == "" {
			return ""
		}
		return "si_" + min(x, y) + "_" + max(x, y)
	case 3:
		if g := b.Get("groupID").Str; g != "" {
			return "sg_" + g
		}
	}
	return ""
}

// check checks one callback against the state the earlier ones left.
func (c *openimConsistency) check(body gjson.Result, prefix string) []record.Finding {
	cmd := body.Get("callbackCommand")
	if cmd.Type != gjson.String {
		return nil
	}
	e, _, ok := fixtures.Default().Lookup(cmd.Str)
	if !ok || e.Vendor != fixtures.OpenIM {
		return nil
	}
	switch e.Command {
	case oimRegister:
		return c.register(body, prefix)
	case oimApply:
		c.applications[[2]string{body.Get("fromUserID").Str, body.Get("toUserID").Str}] = true
	case oimAgree:
		return c.agree(body, prefix)
	case oimCreateGroup, "callbackAfterJoinGroupCommand", "callbackAfterQuitGroupCommand", "callbackAfterKickGroupCommand", "callbackAfterDisMissGroupCommand":
		c.groupEvent(e.Command, body)
	case oimSendSingle, oimSendGroup:
		fs := c.message(body, prefix)
		c.remember(body)
		return fs
	case oimSaved:
		return c.saved(body, prefix)
	case oimReadSingle:
		return c.readSingle(body, prefix)
	case oimReadGroup:
		return c.readGroup(body, prefix)
	}
	return nil
}

// register checks that each user registers once.
func (c *openimConsistency) register(body gjson.Result, prefix string) []record.Finding {
	var fs []record.Finding
	for i, u := range body.Get("users").Array() {
		id := u.Get("userID").Str
		if id == "" {
			continue
		}
		st := c.user(id)
		if st.registered != 0 {
			fs = append(fs, record.Finding{Severity: record.Error, Rule: RuleUser, Path: prefix + fmt.Sprintf("users.%d.userID", i), Message: fmt.Sprintf("%s registered already (createTime %d)", id, st.registered)})
		}
		st.registered = max(u.Get("createTime").Int(), 1)
	}
	return fs
}

// agree checks that an answered friend application is in the recording
// when both users registered in it.
func (c *openimConsistency) agree(body gjson.Result, prefix string) []record.Finding {
	var fs []record.Finding
	applicant, responder := body.Get("blackUserID").Str, body.Get("fromUserID").Str
	if !c.applications[[2]string{applicant, responder}] && c.registered(applicant) && c.registered(responder) {
		fs = append(fs, record.Finding{Severity: record.Error, Rule: RuleFriend, Path: prefix + "blackUserID", Message: fmt.Sprintf("%s answers an application from %s (blackUserID) that the recording does not have, though both registered in it", responder, applicant)})
	}
	delete(c.applications, [2]string{applicant, responder})
	return fs
}

// groupEvent follows a group's members: created, joined, quit, kicked,
// dismissed.
func (c *openimConsistency) groupEvent(command string, body gjson.Result) {
	get := func(p string) gjson.Result { return body.Get(p) }
	g := c.group(get("groupID").Str)
	switch command {
	case oimCreateGroup:
		g.known, g.members, g.joins, g.dismissed = true, map[string]bool{}, 0, false
		for _, m := range get("initMemberList").Array() {
			c.join(g, get("groupID").Str, m.Get("userID").Str)
		}
		if o := get("ownerUserID").Str; o != "" {
			c.join(g, get("groupID").Str, o)
		}
	case "callbackAfterJoinGroupCommand":
		g.joins++
	case "callbackAfterQuitGroupCommand":
		delete(g.members, get("userID").Str)
	case "callbackAfterKickGroupCommand":
		for _, k := range get("kickedUserIDs").Array() {
			delete(g.members, k.Str)
		}
	case "callbackAfterDisMissGroupCommand":
		g.dismissed = true
	}
}

// remember keeps a sent message by its serverMsgID (the last
// maxOpenIMMessages) for the saved-message check.
func (c *openimConsistency) remember(body gjson.Result) {
	id := body.Get("serverMsgID").Str
	if id == "" {
		return
	}
	if _, seen := c.msgs[id]; !seen {
		c.msgOrder = append(c.msgOrder, id)
		if len(c.msgOrder) > maxOpenIMMessages {
			delete(c.msgs, c.msgOrder[0])
			c.msgOrder = c.msgOrder[1:]
		}
	}
	c.msgs[id] = body
}

// readGroup checks that a group read reaches no further than the last
// message saved in the reader's groups.
func (c *openimConsistency) readGroup(body gjson.Result, prefix string) []record.Finding {
	reader, upTo := body.Get("sendID").Str, body.Get("unreadMsgNum").Int()
	var last int64
	known := false
	for _, g := range c.users[reader].groupsOrNil() {
		if v := c.convs["sg_"+g]; v != nil {
			known, last = true, max(last, v.last)
		}
	}
	if known && upTo > last {
		return []record.Finding{{Severity: record.Error, Rule: RuleRead, Path: prefix + "unreadMsgNum", Message: fmt.Sprintf("%s has read up to seq %d (unreadMsgNum, as the server fills it), but the last message saved in %s's groups has seq %d", reader, upTo, reader, last)}}
	}
	return nil
}

func (u *oimUserState) groupsOrNil() []string {
	if u == nil {
		return nil
	}
	return u.groups
}

func (c *openimConsistency) registered(id string) bool {
	u := c.users[id]
	return u != nil && u.registered != 0
}

func (c *openimConsistency) join(g *oimGroupState, group, user string) {
	if user == "" {
		return
	}
	g.members[user] = true
	u := c.user(user)
	if !slices.Contains(u.groups, group) {
		u.groups = append(u.groups, group)
	}
}

// message checks what a message shows whenever it turns up: its sender
// registered before sending it, and belongs to its group.
func (c *openimConsistency) message(body gjson.Result, prefix string) []record.Finding {
	var fs []record.Finding
	sender, sent := body.Get("sendID").Str, body.Get("sendTime").Int()
	if u := c.users[sender]; u != nil && u.registered > 0 && sent < u.registered {
		fs = append(fs, record.Finding{Severity: record.Error, Rule: RuleTimeOrder, Path: prefix + "sendTime",
			Message: fmt.Sprintf("sendTime %d is before %s registered (createTime %d)", sent, sender, u.registered)})
	}
	if body.Get("sessionType").Int() == 3 {
		group := body.Get("groupID").Str
		if g := c.groups[group]; g != nil && g.known && !g.members[sender] {
			switch {
			case g.dismissed:
				fs = append(fs, record.Finding{Severity: record.Error, Rule: RuleMember, Path: prefix + "groupID",
					Message: fmt.Sprintf("a message to group %s, which was dismissed", group)})
			case g.joins > 0:
				g.joins--
				c.join(g, group, sender) // the one who joined, unnamed
			default:
				fs = append(fs, record.Finding{Severity: record.Error, Rule: RuleMember, Path: prefix + "sendID",
					Message: fmt.Sprintf("%s sends to group %s but is not one of its members (from its creation, joins, quits and kicks)", sender, group)})
			}
		}
	}
	return fs
}

// saved checks a saved message against its sending and its conversation.
func (c *openimConsistency) saved(body gjson.Result, prefix string) []record.Finding {
	var fs []record.Finding
	add := func(sev record.Severity, rule, path, format string, a ...any) {
		fs = append(fs, record.Finding{Severity: sev, Rule: rule, Path: prefix + path, Message: fmt.Sprintf(format, a...)})
	}
	id := body.Get("serverMsgID").Str
	if sent, ok := c.msgs[id]; ok && id != "" {
		for _, k := range []string{"sendID", "recvID", "groupID", "sessionType", "clientMsgID", "contentType", "sendTime", "content"} {
			a, b := sent.Get(k), body.Get(k)
			if k == "recvID" && sent.Get("sessionType").Int() == 3 || k == "groupID" && sent.Get("sessionType").Int() == 1 {
				continue // the send callback has only the one it needs
			}
			if a.Exists() && b.Exists() && !wire.SameJSON(a.Raw, b.Raw) {
				add(record.Error, RuleMessage, k, "%s is %s, but when message %s was sent it was %s", k, b.Raw, id, a.Raw)
			}
		}
	} else {
		fs = append(fs, c.message(body, prefix)...)
	}
	conv := conversationOf(body)
	if conv == "" {
		return fs
	}
	seq := body.Get("seq").Int()
	if seq <= 0 {
		add(record.Error, RuleSeq, "seq", "seq is %d: the server saves a message with its seq in the conversation", seq)
		return fs
	}
	v := c.conv(conv)
	if prev, taken := v.seqs[seq]; taken && prev.serverMsgID != id {
		add(record.Error, RuleSeq, "seq", "seq %d of %s is message %s's already; a conversation gives each message its own seq", seq, conv, prev.serverMsgID)
	} else if !taken && seq <= v.last {
		add(record.Warning, RuleSeq, "seq", "seq %d comes after seq %d in %s: the server numbers a conversation's messages in order, and its queue of after-callbacks (two workers) may swap neighbours", seq, v.last, conv)
	}
	if sent := body.Get("sendTime").Int(); seq > v.last && sent < v.lastSend {
		add(record.Error, RuleTimeOrder, "sendTime", "sendTime %d is before the sendTime %d of %s's message with seq %d, a lower seq", sent, v.lastSend, conv, v.last)
	}
	if seq > v.last {
		v.last, v.lastSend = seq, body.Get("sendTime").Int()
	}
	if _, taken := v.seqs[seq]; !taken {
		v.order = append(v.order, seq)
		if len(v.order) > maxOpenIMMessages {
			delete(v.seqs, v.order[0])
			v.order = v.order[1:]
		}
	}
	v.seqs[seq] = oimSavedMsg{serverMsgID: id, sendID: body.Get("sendID").Str}
	return fs
}

func (c *openimConsistency) readSingle(body gjson.Result, prefix string) []record.Finding {
	var fs []record.Finding
	add := func(path, format string, a ...any) {
		fs = append(fs, record.Finding{Severity: record.Error, Rule: RuleRead, Path: prefix + path, Message: fmt.Sprintf(format, a...)})
	}
	conv, reader := body.Get("conversationID").Str, body.Get("userID").Str
	if rest, ok := strings.CutPrefix(conv, "si_"); ok && reader != "" {
		a, b, _ := strings.Cut(rest, "_")
		if reader != a && reader != b {
			add("userID", "%s reads %s, which is %s and %s's conversation", reader, conv, a, b)
		}
	}
	v := c.convs[conv]
	if v == nil {
		return fs
	}
	for i, s := range body.Get("Seqs").Array() {
		seq := s.Int()
		switch saved, ok := v.seqs[seq]; {
		case seq > v.last:
			add(fmt.Sprintf("Seqs.%d", i), "seq %d is read, but the last message saved in %s has seq %d", seq, conv, v.last)
		case ok && saved.sendID == reader:
			add(fmt.Sprintf("Seqs.%d", i), "%s reads seq %d, its own message (%s)", reader, seq, saved.serverMsgID)
		}
	}
	return fs
}
