package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/platform"
	"github.com/imhook/imhook/simulate"
)

func registerScenario(c *cobra.Command, o *simulateOptions) {
	c.Flags().StringVar(&o.Scenario, "scenario", "", "send a generated, consistent sequence of callbacks instead of single ones: conversation (--count N callbacks, default 24)")
	c.Long += "\n\n" + scenarioHelp
	c.Example += "\n" + scenarioExamples
	_ = c.RegisterFlagCompletionFunc("scenario", fixedCompletion(platform.Tencent.(platform.Storyteller).Scenarios()...))
}

const scenarioHelp = `Scenarios: --scenario conversation sends a realistic, consistent sequence of Tencent
callbacks (--count N of them, default 24, at least 4; --seed N makes it repeatable). Two or
three users exchange one-to-one messages and read them (C2C.CallbackAfterSendMsg,
C2C.CallbackAfterMsgReport; about the first 3/5 of the callbacks), then a group of M = 4 to 6
members (those users and others) exchanges messages and read receipts
(Group.CallbackAfterSendMsg, Group.CallbackAfterReadReceipt). Each payload is generated from
the catalogue, its state fields are then set, and it passes validate with no errors:
  - a message raises the receiver's UnreadMsgNum (its total over all one-to-one
    conversations, as the document says) by one;
  - a read report sets the reporter's unread messages from that peer to 0 and reports the
    new total; its LastReadTime is not before the MsgTime of the messages read;
  - the group's MsgSeq increases by one a message; a read receipt gives, for each MsgSeq,
    ReadNum + UnreadNum = M - 1 (the members other than the sender) and ReadNum never
    falls; ReadReceiptMembers lists the members who have read it;
  - MsgTime, EventTime and LastReadTime move forward (1 to 20 s a callback, the last at or
    before --now); MsgKey stays MsgSeq_MsgRandom_MsgTime.
Record it (--record run.jsonl) and 'imhook validate --consistency run.jsonl' checks that a
recording keeps these invariants.`

const scenarioExamples = `  imhook simulate --scenario conversation --seed 7 --count 40 --record conversation.jsonl
  imhook validate --consistency conversation.jsonl`

// checkScenario refuses the flags that do not go with --scenario.
func checkScenario(o *simulateOptions, args []string) error {
	if o.Scenario == "" {
		return nil
	}
	known := false
	for _, s := range platform.Tencent.(platform.Storyteller).Scenarios() {
		if s == o.Scenario {
			known = true
		}
	}
	switch {
	case !known:
		return usageErrorf("--scenario %q: the scenarios are %s", o.Scenario, strings.Join(platform.Tencent.(platform.Storyteller).Scenarios(), ", "))
	case len(args) > 0 || o.All || o.Data != "":
		return usageErrorf("--scenario makes its own callbacks; drop the COMMAND arguments, --all and --data")
	case o.ci.Suite != "" || o.ci.Probe != "":
		return usageErrorf("--scenario does not go with --suite or --probe")
	case o.Duration > 0 || o.Concurrency > 0 || o.Rate > 0:
		return usageErrorf("--scenario sends its callbacks in order, one at a time; --count N sets how many, and --duration, --concurrency and --rate do not apply")
	case len(o.payload.Sets) > 0 || o.payload.Variant != "":
		return usageErrorf("--scenario sets the fields that keep it consistent; --set and --variant do not apply")
	case o.Vendor != "" && o.Vendor != fixtures.Tencent:
		return usageErrorf("--scenario conversation is made of Tencent callbacks; drop --vendor %s", o.Vendor)
	case o.Count < 0:
		return usageErrorf("--count must not be negative")
	case o.Count > 0 && o.Count < platform.MinScenarioCount:
		return usageErrorf("--count %d: a conversation has at least %d callbacks", o.Count, platform.MinScenarioCount)
	case o.Count > 1_000_000:
		return usageErrorf("--count %d: a scenario has at most 1000000 callbacks", o.Count)
	}
	return nil
}

// scenarioCallbacks makes the scenario's callbacks.
func scenarioCallbacks(o *simulateOptions) ([]simulate.Callback, error) {
	ps, err := platform.Tencent.(platform.Storyteller).Scenario(fixtures.Default(), o.Scenario,
		platform.ScenarioOptions{Seed: o.payload.Seed, Now: o.payload.now, Count: int(o.Count)})
	if err != nil {
		return nil, usageErrorf("--scenario: %v", err)
	}
	cbs := make([]simulate.Callback, len(ps))
	for i, p := range ps {
		cbs[i] = simulate.NewCallback(p.Entry, p.Body)
	}
	return cbs, nil
}
