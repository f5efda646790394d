package cmd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/ui"
)

// parse runs a command's constructor with a run function that only keeps
// the options (the GitHub CLI's runF): flag parsing, the environment and
// the checks that go with parsing, without sending anything. The options
// are nil when the run function was not reached.
func parse[O any](t *testing.T, env map[string]string, newCmd func(*Globals, func(*O) error) *cobra.Command, args ...string) (*O, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	g := &Globals{Output: "text", Color: "auto", Streams: &ui.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut,
		Getenv: func(k string) string { return env[k] }}}
	var got *O
	c := newCmd(g, func(o *O) error { got = o; return nil })
	c.SilenceErrors, c.SilenceUsage = true, true
	c.SetArgs(args)
	err := c.Execute()
	return got, err
}

func TestSimulateFlags(t *testing.T) {
	newCmd := newSimulateCmd
	o, err := parse(t, nil, newCmd, "C2C.CallbackAfterSendMsg", "--target", "tencent=http://a/cb", "--target", "openim=http://b/oim",
		"--count", "9", "--concurrency", "3", "--expect", "ok", "--sdkappid", "1400000009")
	if err != nil {
		t.Fatal(err)
	}
	if o.targets.per["tencent"] != "http://a/cb" || o.targets.per["openim"] != "http://b/oim" || o.targets.bare != "" ||
		o.Count != 9 || o.Concurrency != 3 || !o.loadMode() || o.outcome.Expect != "ok" || o.request.params().SdkAppID != "1400000009" {
		t.Errorf("%+v", o)
	}
	// IMHOOK_TARGET stands in for --target, comma-separated.
	o, err = parse(t, map[string]string{"IMHOOK_TARGET": "openim=http://b/oim, http://c/cb", "IMHOOK_TOKEN": "t"}, newCmd, "--all")
	if err != nil || o.targets.per["openim"] != "http://b/oim" || o.targets.bare != "http://c/cb" || o.request.Token != "t" {
		t.Errorf("IMHOOK_TARGET: %v %+v", err, o)
	}
	for _, args := range [][]string{
		{"--all", "C2C.CallbackAfterSendMsg"},
		{"--all", "--target", "tencent=http://a", "--target", "tencent=http://b"},
		{"--all", "--target", "http://a", "--target", "http://b"},
		{"--all", "--target", "ftp://a"},
		{"--all", "--vendor", "acme"},
		{"--suite", "s.json", "--probe", "security"},
		{"C2C.CallbackAfterSendMsg", "--rate", "5"},
		{"C2C.CallbackAfterSendMsg", "--count", "5", "--junit", "j.xml"},
	} {
		if o, err := parse(t, nil, newCmd, args...); err == nil || ExitCode(err) != ExitUsage || o != nil {
			t.Errorf("%v: %v (run: %v)", args, err, o != nil)
		}
	}
}

func TestReplayFlags(t *testing.T) {
	newCmd := newReplayCmd
	o, err := parse(t, nil, newCmd, "a.jsonl", "b.jsonl", "--vendor", "openim", "--platform", "Android", "--count", "10")
	if err != nil {
		t.Fatal(err)
	}
	keep := o.request.keep(false)
	if len(o.Inputs) != 2 || o.targets.Vendor != "openim" || keep.OptPlatform || !keep.SdkAppID || !o.loadMode() || o.concurrencySet {
		t.Errorf("%+v keep %+v", o, keep)
	}
	for _, args := range [][]string{
		{"a.jsonl", "--resign"},
		{"a.jsonl", "--compare", "--expect", "ok"},
		{"a.jsonl", "--count", "5", "--compare"},
		{"a.jsonl", "--concurrency", "0"},
	} {
		if _, err := parse(t, nil, newCmd, args...); ExitCode(err) != ExitUsage {
			t.Errorf("%v: %v", args, err)
		}
	}
}
