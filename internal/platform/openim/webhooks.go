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

// MaxWebhooksBytes bounds the webhooks.yml that ParseWebhooks reads: the
// shipped file is about 10 KB.
const MaxWebhooksBytes = 1 << 20

// ParseWebhooks reads OpenIM Server's config/webhooks.yml (name is the
// file's name, for messages) as the server's config loader does: url, and
// for each callback key enable, timeout and failedContinue, with the budgets
// and failure policy of the release of version (an --openim-version value).
//
// The server loads the file with viper (pkg/common/config/load_config.go of
// github.com/openimsdk/open-im-server at 16d2faa: viper.ReadInConfig, then
// Unmarshal into the Webhooks struct by its mapstructure tags), so keys are
// case-insensitive (BeforeSendSingleMsg is beforeSendSingleMsg), anchors,
// aliases and merge keys are YAML's, only the first document counts, and
// values are decoded weakly typed as viper's decoder does ("true" is true,
// 2.5 seconds is 2). Environment variables that the server's prefix maps
// onto keys can override the file; imhook reads the file alone.
//
// Bounds: the file is at most MaxWebhooksBytes; the YAML module refuses
// nesting deeper than 10000 levels and a document whose alias expansion
// exceeds its ratio (past 100 aliases and 1000 decoded nodes, at most 99%
// of the nodes decoded for documents up to 400000 nodes may come from
// aliases, falling to 10% at 4000000), so a "billion laughs" file is
// refused before it is expanded.
func ParseWebhooks(data []byte, name, version string) (*Settings, error) {
	if len(data) > MaxWebhooksBytes {
		return nil, fmt.Errorf("%s: %d bytes; a webhooks.yml is at most %d (the shipped one is about 10 KB)", name, len(data), MaxWebhooksBytes)
	}
	root, values, extraDocs, err := readYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if root == nil {
		return nil, fmt.Errorf("%s: the file is empty; expected OpenIM's config/webhooks.yml (url: and a key per callback)", name)
	}
	if values == nil {
		return nil, fmt.Errorf("%s:%d: expected a mapping (url: and a key per callback), found %s", name, root.Line, nodeKind(root))
	}
	s := &Settings{Source: name, Callbacks: map[string]CallbackSettings{}}
	if extraDocs > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%s: the file holds %d more YAML documents after the first; the server reads the first only", name, extraDocs))
	}
	lines := keyLines(root)
	keys, err := foldKeys(values, lines, name)
	if err != nil {
		return nil, err
	}
	cat := fixtures.Default()
	for _, k := range keys {
		v := values[k.raw]
		at := fmt.Sprintf("%s:%d", name, k.line)
		if k.folded == "url" {
			switch u := v.(type) {
			case nil:
			case map[string]any, []any:
				return nil, fmt.Errorf("%s: url: expected a URL, found %s", at, valueKind(v))
			default:
				s.Target = strings.TrimSpace(fmt.Sprint(u))
			}
			continue
		}
		key, command, known := "", "", false
		for _, ck := range openimConfigKeys {
			if strings.EqualFold(ck.key, k.raw) {
				key, command, known = ck.key, ck.command, true
			}
		}
		if !known {
			s.Notes = append(s.Notes, fmt.Sprintf("%s: %s is not a key of OpenIM Server's webhooks.yml (the server ignores it; a typo?)", at, k.raw))
			continue
		}
		if v == nil {
			continue
		}
		fields, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %s: expected a mapping (enable, timeout, ...), found %s", at, k.raw, valueKind(v))
		}
		cs, enabled, notes, err := readCallback(key, k, fields, lines, name, version)
		s.Notes = append(s.Notes, notes...)
		if err != nil {
			return nil, err
		}
		if !enabled {
			continue
		}
		if command == "" || openimUncalled[key] {
			s.Notes = append(s.Notes, fmt.Sprintf("%s: %s is enabled, but OpenIM Server main never sends it (its webhook has no caller)", at, k.raw))
			if command == "" {
				continue
			}
		}
		e, _, ok := cat.Lookup(command)
		if !ok {
			continue
		}
		if e.Kind != fixtures.Before {
			cs.FailedContinue = nil
		}
		s.Callbacks[e.Command] = cs
	}
	return s, nil
}

// readCallback reads one callback key's settings as the server's decoder
// does: enable, timeout, failedContinue (before-callbacks), and notes on
// the filters and on keys the server does not read.
func readCallback(key string, k yamlKey, fields map[string]any, lines map[string]int, name, version string) (cs CallbackSettings, enabled bool, notes []string, err error) {
	timeout, timeoutSet := int64(5), false
	fc := false
	fkeys, err := foldKeys(fields, lines, name, k.raw)
	if err != nil {
		return cs, false, nil, err
	}
	for _, f := range fkeys {
		fv := fields[f.raw]
		fat := fmt.Sprintf("%s:%d", name, f.line)
		switch f.folded {
		case "enable":
			if enabled, err = weakBool(fv); err != nil {
				return cs, false, notes, fmt.Errorf("%s: %s.%s: %w", fat, k.raw, f.raw, err)
			}
		case "timeout":
			n, note, err := weakInt(fv)
			if err != nil {
				return cs, false, notes, fmt.Errorf("%s: %s.%s: %w", fat, k.raw, f.raw, err)
			}
			if note != "" {
				notes = append(notes, fmt.Sprintf("%s: %s.%s: %s", fat, k.raw, f.raw, note))
			}
			timeout, timeoutSet = n, true
		case "failedcontinue":
			if !strings.HasPrefix(key, "before") {
				continue
			}
			if fc, err = weakBool(fv); err != nil {
				return cs, false, notes, fmt.Errorf("%s: %s.%s: %w", fat, k.raw, f.raw, err)
			}
		case "deniedtypes", "allowedtypes", "attentionids":
			if l, ok := fv.([]any); ok && len(l) > 0 {
				notes = append(notes, fmt.Sprintf("%s: %s.%s filters which messages the server calls back for; imhook sends every generated callback", fat, k.raw, f.raw))
			}
		default:
			notes = append(notes, fmt.Sprintf("%s: %s.%s is not a setting OpenIM Server reads (enable, timeout, failedContinue, deniedTypes, attentionIds)", fat, k.raw, f.raw))
		}
	}
	budget, words := Budget(version, timeout)
	if !timeoutSet {
		words = "timeout not set: the shipped 5"
		budget, _ = Budget(version, 5)
	}
	return CallbackSettings{Budget: budget, BudgetFrom: fmt.Sprintf("%s %s: %s", name, key, words), FailedContinue: &fc}, enabled, notes, nil
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
