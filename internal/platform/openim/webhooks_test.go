package openim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
)

// Every OpenIM callback of the catalogue has its webhooks.yml key, and each
// key names a callback of the catalogue (but the one without any).
func TestOpenIMConfigKeysCoverTheCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range openimConfigKeys {
		if k.command == "" {
			continue
		}
		e, _, ok := fixtures.Default().Lookup(k.command)
		if !ok || e.Vendor != fixtures.OpenIM || e.Command != k.command {
			t.Errorf("%s: %s is not an OpenIM callback of the catalogue", k.key, k.command)
			continue
		}
		if (e.Kind == fixtures.Before) != strings.HasPrefix(k.key, "before") && k.key != "afterRevokeMsg" {
			t.Errorf("%s is a %s-callback", k.key, e.Kind)
		}
		if seen[k.command] {
			t.Errorf("%s has two keys", k.command)
		}
		seen[k.command] = true
	}
	for _, e := range fixtures.Default().Entries() {
		if e.Vendor == fixtures.OpenIM && !seen[e.Command] {
			t.Errorf("%s has no webhooks.yml key", e.Command)
		}
	}
}

// The file serve prints for an address reads back: its url, every callback
// enabled with the shipped timeout and failedContinue.
func TestOpenIMWebhooksYMLRoundTrip(t *testing.T) {
	const u = "http://127.0.0.1:9000"
	s, err := ParseWebhooks([]byte(WebhooksYML(u+"/")), "webhooks.yml", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Target != u {
		t.Errorf("url %q, want %q", s.Target, u)
	}
	n := 0
	for _, e := range fixtures.Default().Entries() {
		if e.Vendor != fixtures.OpenIM {
			continue
		}
		n++
		cs, ok := s.Callbacks[e.Command]
		if !ok {
			t.Errorf("%s is not enabled", e.Command)
			continue
		}
		if cs.Budget != 5*time.Second || !strings.Contains(cs.BudgetFrom, "webhooks.yml "+openimConfigKey(e.Command)+": timeout 5") {
			t.Errorf("%s: budget %s from %q", e.Command, cs.Budget, cs.BudgetFrom)
		}
		if (cs.FailedContinue != nil) != (e.Kind == fixtures.Before) {
			t.Errorf("%s: failedContinue %v", e.Command, cs.FailedContinue)
		} else if cs.FailedContinue != nil && *cs.FailedContinue != openimDefaultFailedContinue(e.Command) {
			t.Errorf("%s: failedContinue %t", e.Command, *cs.FailedContinue)
		}
	}
	if len(s.Callbacks) != n || n != 52 {
		t.Errorf("%d callbacks enabled of %d", len(s.Callbacks), n)
	}
	if len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "afterUserKickOff") {
		t.Errorf("notes: %q", s.Notes)
	}
	if !openimDefaultFailedContinue("callbackBeforeSendSingleMsgCommand") || openimDefaultFailedContinue("callbackBeforeAddBlackCommand") ||
		openimDefaultFailedContinue("callbackBeforeCreateSingleChatConversationsCommand") || openimDefaultFailedContinue("callbackAfterSendSingleMsgCommand") {
		t.Error("the shipped failedContinue values")
	}
}

// A file in the shape of the shipped one: comments, block and flow lists,
// a key left empty, quoted values; only enabled callbacks run, with their
// timeouts as the release applies them.
func TestParseOpenIMWebhooks(t *testing.T) {
	const file = `---
# webhooks for the staging server
url: 'http://backend:8080/openim'   # the server appends /{command}
beforeSendSingleMsg:
  enable: true
  timeout: 3
  failedContinue: false
  # Only the contentType not in deniedTypes will send the callback.
  deniedTypes: []
afterSendSingleMsg:
  enable: True
  timeout: 30
  attentionIds:
    - "user#1"
    - user2
beforeAddBlack:
  enable: true
  timeout: 5
  failedContinue:
afterSendGroupMsg: {enable: false, timeout: 5}
beforeUpdateUserInfo: {enable: true, failedContinue: true, deniedTypes: [101, 102]}
afterGroupMsgRevoke: {enable: true}
afterUserOnline:
beforeSomething: {enable: true}
`
	s, err := ParseWebhooks([]byte(file), "webhooks.yml", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Target != "http://backend:8080/openim" {
		t.Errorf("url %q", s.Target)
	}
	want := []string{"callbackAfterSendSingleMsgCommand", "callbackBeforeAddBlackCommand", "callbackBeforeSendSingleMsgCommand", "callbackBeforeUpdateUserInfoCommand"}
	if got := slices.Sorted(maps.Keys(s.Callbacks)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("enabled %v, want %v", got, want)
	}
	check := func(cmd string, budget time.Duration, from string, fc *bool) {
		t.Helper()
		cs := s.Callbacks[cmd]
		if cs.Budget != budget || !strings.Contains(cs.BudgetFrom, from) {
			t.Errorf("%s: %s from %q, want %s from %q", cmd, cs.Budget, cs.BudgetFrom, budget, from)
		}
		if (cs.FailedContinue == nil) != (fc == nil) || fc != nil && *cs.FailedContinue != *fc {
			t.Errorf("%s: failedContinue %v, want %v", cmd, cs.FailedContinue, fc)
		}
	}
	yes, no := true, false
	check("callbackBeforeSendSingleMsgCommand", 3*time.Second, "webhooks.yml beforeSendSingleMsg: timeout 3", &no)
	check("callbackAfterSendSingleMsgCommand", 15*time.Second, "timeout 30, capped at 15s", nil)
	check("callbackBeforeAddBlackCommand", 5*time.Second, "timeout 5", &no)
	check("callbackBeforeUpdateUserInfoCommand", 5*time.Second, "timeout not set", &yes)
	notes := strings.Join(s.Notes, "\n")
	for _, w := range []string{"webhooks.yml:13: afterSendSingleMsg.attentionIds", "beforeUpdateUserInfo.deniedTypes", "afterGroupMsgRevoke is enabled", "beforeSomething is not a key"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes do not say %q:\n%s", w, notes)
		}
	}
	if strings.Contains(notes, "beforeSendSingleMsg.deniedTypes") {
		t.Errorf("an empty deniedTypes is noted:\n%s", notes)
	}
	// The same file judged for v3.3: no cap.
	s, err = ParseWebhooks([]byte(file), "webhooks.yml", "v3.3")
	if err != nil {
		t.Fatal(err)
	}
	if b := s.Callbacks["callbackAfterSendSingleMsgCommand"].Budget; b != 30*time.Second {
		t.Errorf("v3.3: budget %s, want 30s", b)
	}
}

// What the server's loader would refuse is an error that names the line;
// what it reads otherwise than the file seems to say is a note.
func TestParseOpenIMWebhooksErrors(t *testing.T) {
	for _, tc := range []struct{ file, words string }{
		{"", "empty"},
		{"# nothing\n", "empty"},
		{"- a\n- b\n", "webhooks.yml:1: expected a mapping (url: and a key per callback), found a sequence"},
		{"url: x\n\tbeforeSendSingleMsg: {}\n", "line 2"},
		{"beforeSendSingleMsg:\n  enable: yes\n", `webhooks.yml:2: beforeSendSingleMsg.enable: expected true or false, found "yes"`},
		{"beforeSendSingleMsg:\n  enable: true\n  timeout: five\n", `webhooks.yml:3: beforeSendSingleMsg.timeout: expected a whole number of seconds, found "five"`},
		{"url: \"http://x\n", "yaml: line 2: found unexpected end of stream"},
		{"beforeSendSingleMsg: {enable: true\n", "line 1"},
		{"url: a\nurl: b\n", `line 2: mapping key "url" already defined at line 1`},
		{"beforeSendSingleMsg:\n  enable: true\n    timeout: 5\n", "line 3"},
		{"beforeSendSingleMsg: true\n", "webhooks.yml:1: beforeSendSingleMsg: expected a mapping (enable, timeout, ...), found the value true"},
		{"just text\n", "expected a mapping (url: and a key per callback), found the scalar \"just text\""},
		{"beforeSendSingleMsg: {enable: true}\nBeforeSendSingleMsg: {enable: false}\n", "webhooks.yml:2: BeforeSendSingleMsg and beforeSendSingleMsg (line 1) are one key for OpenIM Server"},
		{"beforeSendSingleMsg: {enable: true, Enable: false}\n", "(line 1) are one key for OpenIM Server"},
		{"x: *nowhere\n", "unknown anchor"},
		{strings.Repeat("#", MaxWebhooksBytes+1), "a webhooks.yml is at most"},
		{billionLaughs, "excessive aliasing"},
	} {
		_, err := ParseWebhooks([]byte(tc.file), "webhooks.yml", "")
		if err == nil || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("%.60q: %v, want an error saying %q", tc.file, err, tc.words)
		}
	}
}

// billionLaughs expands to 10^9 nodes through nine levels of aliases.
var billionLaughs = func() string {
	var b strings.Builder
	b.WriteString("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for c := 'b'; c <= 'i'; c++ {
		p := string(c - 1)
		fmt.Fprintf(&b, "%c: &%c [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", c, c, p, p, p, p, p, p, p, p, p)
	}
	b.WriteString("url: *i\n")
	return b.String()
}()

// The server's loader reads keys case-insensitively and YAML's anchors,
// aliases and merge keys, decodes values weakly typed and reads the first
// document only: imhook reads a file the same way.
func TestParseOpenIMWebhooksAsTheServerLoads(t *testing.T) {
	const file = `hook: &hook {enable: true, timeout: 4}
url: http://backend:8080/openim
BeforeSendSingleMsg:
  Enable: "true"
  timeout: 2.5
  FailedContinue: 1
afterSendSingleMsg: *hook
beforeAddBlack:
  <<: *hook
  failedContinue: true
afterSendGroupMsg: {enable: "", timeout: "0x10"}
---
url: http://elsewhere
`
	s, err := ParseWebhooks([]byte(file), "webhooks.yml", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Target != "http://backend:8080/openim" {
		t.Errorf("url %q", s.Target)
	}
	want := []string{"callbackAfterSendSingleMsgCommand", "callbackBeforeAddBlackCommand", "callbackBeforeSendSingleMsgCommand"}
	if got := slices.Sorted(maps.Keys(s.Callbacks)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("enabled %v, want %v", got, want)
	}
	yes := true
	for cmd, w := range map[string]struct {
		budget time.Duration
		fc     *bool
	}{
		"callbackBeforeSendSingleMsgCommand": {2 * time.Second, &yes},
		"callbackAfterSendSingleMsgCommand":  {4 * time.Second, nil},
		"callbackBeforeAddBlackCommand":      {4 * time.Second, &yes},
	} {
		cs := s.Callbacks[cmd]
		if cs.Budget != w.budget || (cs.FailedContinue == nil) != (w.fc == nil) || w.fc != nil && *cs.FailedContinue != *w.fc {
			t.Errorf("%s: %s, failedContinue %v; want %s, %v", cmd, cs.Budget, cs.FailedContinue, w.budget, w.fc)
		}
	}
	notes := strings.Join(s.Notes, "\n")
	for _, w := range []string{"webhooks.yml:5: BeforeSendSingleMsg.timeout: 2.5 is read as 2", "1 more YAML documents after the first", "webhooks.yml:1: hook is not a key"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes do not say %q:\n%s", w, notes)
		}
	}
	if strings.Contains(notes, "BeforeSendSingleMsg is not a key") {
		t.Errorf("a key in another case is called unknown:\n%s", notes)
	}
}

// FuzzParseWebhooks: the reader never panics, and a file it reads enables
// only callbacks of the catalogue, each with a budget.
func FuzzParseWebhooks(f *testing.F) {
	f.Add(WebhooksYML("http://127.0.0.1:9000"))
	f.Add("a: &a {enable: true}\nbeforeSendSingleMsg: *a\nAfterSendSingleMsg: {<<: *a, timeout: '7'}\n")
	f.Add("url: [1, {b: c}]\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseWebhooks([]byte(s), "webhooks.yml", "")
		if err != nil {
			return
		}
		for cmd, cs := range st.Callbacks {
			if _, _, ok := fixtures.Default().Lookup(cmd); !ok || cs.BudgetFrom == "" {
				t.Fatalf("%s: %+v", cmd, cs)
			}
		}
	})
}
