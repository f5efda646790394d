package openim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/imhook/imhook/fixtures"
)

// openimConfigKeys pairs each key of OpenIM Server's config/webhooks.yml
// with the command of the callback it enables, in the file's order
// (github.com/openimsdk/open-im-server, main at 7848d7c: config/webhooks.yml
// and the Webhooks struct of pkg/common/config/config.go; each key's
// callback from the call sites in internal/*/callback.go).
// afterGroupMsgRevoke has no callback.
var openimConfigKeys = []struct{ key, command string }{
	{"beforeSendSingleMsg", "callbackBeforeSendSingleMsgCommand"},
	{"beforeUpdateUserInfoEx", "callbackBeforeUpdateUserInfoExCommand"},
	{"afterUpdateUserInfoEx", "callbackAfterUpdateUserInfoExCommand"},
	{"afterSendSingleMsg", "callbackAfterSendSingleMsgCommand"},
	{"beforeSendGroupMsg", "callbackBeforeSendGroupMsgCommand"},
	{"beforeMsgModify", "callbackBeforeMsgModifyCommand"},
	{"afterSendGroupMsg", "callbackAfterSendGroupMsgCommand"},
	{"afterMsgSaveDB", "callbackAfterMsgSaveDBCommand"},
	{"afterUserOnline", "callbackAfterUserOnlineCommand"},
	{"afterUserOffline", "callbackAfterUserOfflineCommand"},
	{"afterUserKickOff", "callbackAfterUserKickOffCommand"},
	{"beforeOfflinePush", "callbackBeforeOfflinePushCommand"},
	{"beforeOnlinePush", "callbackBeforeOnlinePushCommand"},
	{"beforeGroupOnlinePush", "callbackBeforeGroupOnlinePushCommand"},
	{"beforeAddFriend", "callbackBeforeAddFriendCommand"},
	{"beforeUpdateUserInfo", "callbackBeforeUpdateUserInfoCommand"},
	{"afterUpdateUserInfo", "callbackAfterUpdateUserInfoCommand"},
	{"beforeCreateGroup", "callbackBeforeCreateGroupCommand"},
	{"afterCreateGroup", "callbackAfterCreateGroupCommand"},
	{"beforeMemberJoinGroup", "callbackBeforeMembersJoinGroupCommand"},
	{"beforeSetGroupMemberInfo", "callbackBeforeSetGroupMemberInfoCommand"},
	{"afterSetGroupMemberInfo", "callbackAfterSetGroupMemberInfoCommand"},
	{"afterQuitGroup", "callbackAfterQuitGroupCommand"},
	{"afterKickGroupMember", "callbackAfterKickGroupCommand"},
	{"afterDismissGroup", "callbackAfterDisMissGroupCommand"},
	{"beforeApplyJoinGroup", "callbackBeforeJoinGroupCommand"},
	{"afterGroupMsgRead", "callbackAfterGroupMsgReadCommand"},
	{"afterSingleMsgRead", "callbackAfterSingleMsgReadCommand"},
	{"beforeUserRegister", "callbackBeforeUserRegisterCommand"},
	{"afterUserRegister", "callbackAfterUserRegisterCommand"},
	{"afterTransferGroupOwner", "callbackAfterTransferGroupOwnerCommand"},
	{"beforeSetFriendRemark", "callbackBeforeSetFriendRemarkCommand"},
	{"afterSetFriendRemark", "callbackAfterSetFriendRemarkCommand"},
	{"afterGroupMsgRevoke", ""},
	{"afterJoinGroup", "callbackAfterJoinGroupCommand"},
	{"beforeInviteUserToGroup", "callbackBeforeInviteJoinGroupCommand"},
	{"afterSetGroupInfo", "callbackAfterSetGroupInfoCommand"},
	{"beforeSetGroupInfo", "callbackBeforeSetGroupInfoCommand"},
	{"afterSetGroupInfoEx", "callbackAfterSetGroupInfoExCommand"},
	{"beforeSetGroupInfoEx", "callbackBeforeSetGroupInfoExCommand"},
	{"afterRevokeMsg", "callbackBeforeAfterMsgCommand"},
	{"beforeAddBlack", "callbackBeforeAddBlackCommand"},
	{"afterAddFriend", "callbackAfterAddFriendCommand"},
	{"beforeAddFriendAgree", "callbackBeforeAddFriendAgreeCommand"},
	{"afterAddFriendAgree", "callbackAfterAddFriendAgreeCommand"},
	{"afterDeleteFriend", "callbackAfterDeleteFriendCommand"},
	{"beforeImportFriends", "callbackBeforeImportFriendsCommand"},
	{"afterImportFriends", "callbackAfterImportFriendsCommand"},
	{"afterRemoveBlack", "callbackAfterRemoveBlackCommand"},
	{"beforeCreateSingleChatConversations", "callbackBeforeCreateSingleChatConversationsCommand"},
	{"afterCreateSingleChatConversations", "callbackAfterCreateSingleChatConversationsCommand"},
	{"beforeCreateGroupChatConversations", "callbackBeforeCreateGroupChatConversationsCommand"},
	{"afterCreateGroupChatConversations", "callbackAfterCreateGroupChatConversationsCommand"},
}

// openimUncalled are the keys whose callback OpenIM Server main never
// sends: afterUserKickOff's webhook has no caller, afterGroupMsgRevoke none
// at all.
var openimUncalled = map[string]bool{"afterUserKickOff": true, "afterGroupMsgRevoke": true}

// openimConfigKey is the webhooks.yml key of a command ("" none).
func openimConfigKey(command string) string {
	for _, k := range openimConfigKeys {
		if k.command != "" && strings.EqualFold(k.command, command) {
			return k.key
		}
	}
	return ""
}

// Settings are what a platform's configuration file says about a run:
// where its callbacks go, which callbacks it enables, and each one's
// budget and failure policy.
type Settings struct {
	// Source names the file ("webhooks.yml").
	Source string
	// Target is the callback URL the file configures ("" none).
	Target string
	// Callbacks are the callbacks the file enables, by catalogue command.
	Callbacks map[string]CallbackSettings
	// Notes say what of the file imhook does not reproduce.
	Notes []string
}

// CallbackSettings are one callback's settings.
type CallbackSettings struct {
	Budget     time.Duration
	BudgetFrom string
	// FailedContinue is a before-callback's failedContinue (nil: not set).
	FailedContinue *bool
}

// ParseWebhooks reads OpenIM Server's config/webhooks.yml (name is
// the file's name, for messages): url, and for each callback key enable,
// timeout and failedContinue, with the budgets and failure policy of the
// release of version (an --openim-version value). It reads the subset of
// YAML the shipped file uses (block and flow mappings and sequences,
// plain and quoted scalars, comments) and says so for anything else.
func ParseWebhooks(data []byte, name, version string) (*Settings, error) {
	root, err := parseYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if root.kind == yamlNull {
		return nil, fmt.Errorf("%s: the file is empty; expected OpenIM's config/webhooks.yml (url: and a key per callback)", name)
	}
	if root.kind != yamlMap {
		return nil, fmt.Errorf("%s:%d: expected a mapping (url: and a key per callback), found a %s", name, root.line, root.kindName())
	}
	s := &Settings{Source: name, Callbacks: map[string]CallbackSettings{}}
	cat := fixtures.Default()
	for _, k := range root.keys {
		v := root.vals[k]
		at := fmt.Sprintf("%s:%d", name, v.line)
		if k == "url" {
			if v.kind != yamlScalar && v.kind != yamlNull {
				return nil, fmt.Errorf("%s: url: expected a URL, found a %s", at, v.kindName())
			}
			s.Target = strings.TrimSpace(v.value)
			continue
		}
		command, known := "", false
		for _, ck := range openimConfigKeys {
			if ck.key == k {
				command, known = ck.command, true
			}
		}
		if !known {
			s.Notes = append(s.Notes, fmt.Sprintf("%s: %s is not a key of OpenIM Server's webhooks.yml (the server ignores it; a typo?)", at, k))
			continue
		}
		if v.kind == yamlNull {
			continue
		}
		if v.kind != yamlMap {
			return nil, fmt.Errorf("%s: %s: expected a mapping (enable, timeout, ...), found a %s", at, k, v.kindName())
		}
		enable, timeout, fc := false, int64(5), (*bool)(nil)
		timeoutSet := false
		for _, field := range v.keys {
			fv := v.vals[field]
			fat := fmt.Sprintf("%s:%d", name, fv.line)
			switch field {
			case "enable":
				b, err := fv.boolean()
				if err != nil {
					return nil, fmt.Errorf("%s: %s.enable: %w", fat, k, err)
				}
				enable = b
			case "timeout":
				n, err := fv.integer()
				if err != nil {
					return nil, fmt.Errorf("%s: %s.timeout: %w", fat, k, err)
				}
				timeout, timeoutSet = n, true
			case "failedContinue":
				if !strings.HasPrefix(k, "before") {
					continue
				}
				b, err := fv.boolean()
				if err != nil {
					return nil, fmt.Errorf("%s: %s.failedContinue: %w", fat, k, err)
				}
				fc = &b
			case "deniedTypes", "allowedTypes", "attentionIds":
				if fv.kind == yamlSeq && len(fv.items) > 0 {
					s.Notes = append(s.Notes, fmt.Sprintf("%s: %s.%s filters which messages the server calls back for; imhook sends every generated callback", fat, k, field))
				}
			default:
				s.Notes = append(s.Notes, fmt.Sprintf("%s: %s.%s is not a setting OpenIM Server reads (enable, timeout, failedContinue, deniedTypes, attentionIds)", fat, k, field))
			}
		}
		if !enable {
			continue
		}
		if command == "" || openimUncalled[k] {
			s.Notes = append(s.Notes, fmt.Sprintf("%s: %s is enabled, but OpenIM Server main never sends it (its webhook has no caller)", at, k))
			if command == "" {
				continue
			}
		}
		e, _, ok := cat.Lookup(command)
		if !ok {
			continue
		}
		budget, words := Budget(version, timeout)
		if !timeoutSet {
			words = "timeout not set: the shipped 5"
			budget, _ = Budget(version, 5)
		}
		cs := CallbackSettings{Budget: budget, BudgetFrom: fmt.Sprintf("%s %s: %s", name, k, words)}
		if e.Kind == fixtures.Before {
			if fc == nil {
				f := false // an unset bool is false
				fc = &f
			}
			cs.FailedContinue = fc
		}
		s.Callbacks[e.Command] = cs
	}
	return s, nil
}

// Configure says what to put in config/webhooks.yml: url (the server
// appends /{command}) and a key per callback to enable.
func (openim) Configure(u string) string {
	u = strings.TrimRight(u, "/")
	addr := strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	return "OpenIM: in config/webhooks.yml set url and enable the callbacks to receive (the server appends /{command} to url; " +
		"'imhook serve --addr " + addr + " --openim-webhooks-yml' prints the whole file):\n" +
		"  url: " + u + "\n" +
		"  beforeSendSingleMsg: {enable: true, timeout: 5, failedContinue: true}\n" +
		"  afterSendSingleMsg: {enable: true, timeout: 5}"
}

// WebhooksYML is a config/webhooks.yml for a receiver at u: url, and
// every callback enabled with the shipped timeout (5 s) and, for
// before-callbacks, failedContinue as shipped (read by v3.0 to v3.6.x
// only).
func WebhooksYML(u string) string {
	var b strings.Builder
	b.WriteString("# OpenIM Server config/webhooks.yml for imhook serve: every callback enabled.\n")
	b.WriteString("# The server posts {url}/{command}; timeout is in seconds (capped at 15 by its HTTP client\n")
	b.WriteString("# since v3.4.0); failedContinue lets a before-callback's operation go on when the callback\n")
	b.WriteString("# fails or times out, in v3.0 to v3.6.x only: since v3.7.0 the server does not read it and\n")
	b.WriteString("# a failure always aborts the operation.\n")
	b.WriteString("url: " + strconv.Quote(strings.TrimRight(u, "/")) + "\n")
	for _, k := range openimConfigKeys {
		if k.command == "" {
			continue
		}
		fmt.Fprintf(&b, "%s: {enable: true, timeout: 5", k.key)
		if strings.HasPrefix(k.key, "before") {
			fmt.Fprintf(&b, ", failedContinue: %t", openimDefaultFailedContinue(k.command))
		}
		b.WriteString("}\n")
	}
	return b.String()
}
