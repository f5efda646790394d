package wire

import (
	"strings"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// Answer is what a reply asks of the platform, as the vendor's own judge
// reads it for the release in force: whether it lets the callback's
// operation go on (Accepts) or refuses it, and in a few words what the reply
// was. The probes ask it whether a backend accepted a callback (a valid one
// must be accepted, a forged one refused); there is no other notion of
// accepting.
type Answer struct {
	// Accepts: the judge finds no error and an outcome that lets the
	// operation go on (ok, modify, continue).
	Accepts bool
	// Outcome is the outcome the judge gives ("" when the reply breaks
	// the contract).
	Outcome record.Outcome
	// What says what the reply was: "HTTP 403; ActionStatus OK, ErrorCode
	// 0", "actionCode 0, errCode 2000, errMsg Success, nextCode 2".
	What string
}

// AnswerOf judges r with v's judge as j says (the release, the command), as
// the reply to a before-callback: an after-callback's reply changes nothing
// on the platform, but what it asks is read by the same rules (the vendor's
// general before-callback rules, without a reply section), so that a
// backend's refusal of an after-callback counts as one. The latency is not
// part of the answer (j's budget is ignored).
func AnswerOf(v Vendor, r Reply, j Judging) Answer {
	j.Budget, j.BudgetFrom, j.Expect = 0, "", ""
	if j.Kind != fixtures.Before {
		j.Kind, j.Reply, j.Request = fixtures.Before, nil, nil
	}
	fs, outcome := v.JudgeReply(r, j)
	accepts := !record.HasErrors(fs)
	switch outcome {
	case record.OutcomeOK, record.OutcomeModify, record.OutcomeContinue:
	default:
		accepts = false
	}
	return Answer{Accepts: accepts, Outcome: outcome, What: describe(v, r, fs)}
}

// describe says in a few words what a reply was: its status when it is not
// 200, and the contract's fields it has, or what kept the judge from
// reading them.
func describe(v Vendor, r Reply, fs []record.Finding) string {
	var parts []string
	if r.Status != 200 {
		parts = append(parts, "HTTP "+StatusText(r.Status))
	}
	for _, f := range fs {
		if f.Severity != record.Error {
			continue
		}
		switch f.Rule {
		case RuleEmpty:
			return strings.Join(append(parts, "an empty body"), "; ")
		case RuleJSON:
			return strings.Join(append(parts, "a body that is not JSON"), "; ")
		case RuleObject:
			return strings.Join(append(parts, "JSON that is not an object"), "; ")
		}
	}
	root := jsonx.Parse(r.Body)
	var fields []string
	for _, name := range v.ReplyFields() {
		val := root.Get(jsonx.Escape(name))
		switch {
		case !val.Exists(), val.Type == gjson.String && val.Str == "":
			continue
		case val.Type == gjson.String && len(val.Str) <= 40:
			fields = append(fields, name+" "+val.Str)
		case len(val.Raw) <= 40:
			fields = append(fields, name+" "+val.Raw)
		default:
			fields = append(fields, name+" "+jsonx.Snippet([]byte(val.Raw), 40))
		}
	}
	if len(fields) == 0 {
		fields = append(fields, "none of the fields "+strings.Join(v.ReplyFields(), ", "))
	}
	return strings.Join(append(parts, strings.Join(fields, ", ")), "; ")
}
