package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/simulate"
)

// Each vendor's busiest callbacks are its own message callbacks, before
// and after a send, in the catalogue.
func TestBusiestCommandsAreInTheCatalogue(t *testing.T) {
	for _, v := range platform.All() {
		cs := v.BusiestCommands()
		if len(cs) == 0 {
			t.Errorf("%s: no busiest callbacks", v.Name())
		}
		for _, c := range cs {
			e, _, ok := fixtures.Default().Lookup(c)
			if !ok || e.Vendor != v.Name() || e.Text() == nil {
				t.Errorf("%s: %s is not a message callback of the vendor in the catalogue", v.Name(), c)
			}
		}
	}
}

// The plan has each vendor's parts in order, narrowed by Only and Skip and
// by the callbacks enabled; a kind that does not exist is an error.
func TestPlan(t *testing.T) {
	s := &simulate.Sender{Target: "http://127.0.0.1:1/"}
	parts, err := Plan(Options{Vendors: platform.Names(), Sender: s})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range parts {
		names = append(names, p.Name)
	}
	if len(parts) != 10 || names[0] != "callbacks tencent" || names[4] != "burst tencent" || names[9] != "burst openim" {
		t.Errorf("parts: %v", names)
	}
	only := func(e *fixtures.Entry) bool { return e.Command == "C2C.CallbackAfterSendMsg" || e.Vendor != "tencent" }
	parts, err = Plan(Options{Vendors: []string{"tencent"}, Sender: s, Only: []string{Callbacks, Burst}, Enabled: only})
	if err != nil || len(parts) != 2 || parts[0].What != "1 callback(s), one of each" || !strings.Contains(parts[1].What, "C2C.CallbackAfterSendMsg, 100 in flight") {
		t.Errorf("narrowed: %+v, %v", parts, err)
	}
	if _, err := Plan(Options{Vendors: []string{"tencent"}, Sender: s, Skip: []string{"fuzz"}}); err == nil || !strings.Contains(err.Error(), strings.Join(Kinds, ", ")) {
		t.Errorf("an unknown kind: %v", err)
	}
	if !slices.Equal(Kinds[:5], []string{Callbacks, Security, Robustness, Conversation, Burst}) {
		t.Errorf("kinds: %v", Kinds)
	}
}
