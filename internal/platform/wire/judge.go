package wire

import (
	"bytes"
	"fmt"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// Contract is a vendor's part of the one judging pipeline (Judge): its
// words for the replies its platform cannot read, and the two hooks that
// read its contract's fields (Fields) and decide the outcome (Decide). The
// steps themselves are Judge's: the status, the common checks (latency,
// truncation), an empty body, JSON, an object, the contract's fields, the
// applied fields of the callback's reply section, the outcome and the
// expected outcome. S is what Fields read for Decide.
//
// Hooks take and return the findings as a value (the append idiom), so that
// judging a reply that breaks nothing allocates nothing.
type Contract[S any] struct {
	// Vendor words a late reply (Missed).
	Vendor Vendor
	// Status judges the HTTP status.
	Status func(f Findings, r Reply) Findings
	// Raw: the platform reads the body as it came, so JSON errors count
	// positions from its first byte; otherwise white space around it is
	// trimmed first.
	Raw bool
	// Empty is the message of an empty body (rule response.empty).
	Empty func(j Judging) string
	// NotJSON ends the message of a body that is not JSON (response.json).
	NotJSON func(j Judging) string
	// NotObject is the message of JSON that is not an object, found
	// describing it (response.object).
	NotObject func(j Judging, found string) string
	// Null, when set, is the warning for a null body, which the platform
	// decodes as an empty object and continues on (response.empty_object).
	Null string
	// Broken is the outcome of a reply the platform cannot read: none, or
	// what the platform does on such a failure.
	Broken func(j Judging) record.Outcome
	// Fields reads and checks the contract's fields of an object reply, and
	// notes the keys the platform does not read (Findings.UnreadKey, in the
	// same pass over the keys: a second pass was a third of the judging of
	// an accepting reply).
	Fields func(f Findings, root gjson.Result, body []byte, j Judging) (Findings, S)
	// NullApplies: a null applied field is the platform's "no change"
	// rather than a wrong type (Extras' nullOK).
	NullApplies bool
	// Unreadable ends the message of a wrongly typed applied field: what
	// the platform does with the reply then (nil: nothing to add).
	Unreadable func(j Judging) string
	// Shapes: a reply that lets the operation go on has its applied fields
	// held to the shapes the catalogue gives them (Shapes, shape.go);
	// Unshaped ends the message of one that breaks its shape (an unknown
	// element type, an element without its content, an empty list): what
	// the platform does with it, in its documents' words.
	Shapes   bool
	Unshaped string
	// Decide is the outcome of a reply whose fields Fields read: the
	// platform's meaning of them, given what the applied fields do.
	Decide func(f Findings, s S, a Applied, j Judging) (Findings, record.Outcome)
}

// Applied is what the check of a before-callback's applied reply fields
// found: the number of wrongly typed fields and whether one takes effect.
type Applied struct {
	TypeErrors int
	Takes      bool
}

// Judge is the judging pipeline of every vendor's reply (Vendor.JudgeReply):
// the shared steps, with c's words and hooks where vendors differ.
func Judge[S any](c *Contract[S], r Reply, j Judging) ([]record.Finding, record.Outcome) {
	var f Findings
	f = c.Status(f, r)
	f.Common(r, j, c.Vendor)
	f, outcome := c.judgeBody(f, r, j)
	f.ExpectOutcome(j, outcome)
	return f, outcome
}

// judgeBody is Judge's steps from the body on.
func (c *Contract[S]) judgeBody(f Findings, r Reply, j Judging) (Findings, record.Outcome) {
	body := bytes.TrimSpace(r.Body)
	if len(body) == 0 {
		f.Add(record.Error, RuleEmpty, "", c.Empty(j))
		return f, c.Broken(j)
	}
	if c.Raw {
		body = r.Body
	}
	if se := jsonx.Check(body); se != nil {
		what := "JSON"
		if LooksHTML(body) {
			what = "JSON but an HTML page"
		}
		f.Add(record.Error, RuleJSON, "", fmt.Sprintf("the reply is not %s (%s); found %s%s", what, se.Error(), jsonx.Snippet(body, 80), c.NotJSON(j)))
		return f, c.Broken(j)
	}
	root := jsonx.Parse(body)
	if c.Null != "" && root.Type == gjson.Null {
		f.Add(record.Warning, RuleEmptyObject, "", c.Null)
		return f, record.OutcomeContinue
	}
	if !root.IsObject() {
		f.Add(record.Error, RuleObject, "", c.NotObject(j, jsonx.Describe(root.Raw)))
		return f, c.Broken(j)
	}
	f, s := c.Fields(f, root, body, j)
	var a Applied
	if j.Kind == fixtures.Before && j.Reply != nil {
		suffix := ""
		if c.Unreadable != nil {
			suffix = c.Unreadable(j)
		}
		a.TypeErrors, a.Takes = f.Extras(root, j.Reply, j.Request, c.NullApplies, suffix)
	}
	f, outcome := c.Decide(f, s, a, j)
	if c.Shapes && a.TypeErrors == 0 && j.Kind == fixtures.Before && j.Reply != nil && goesOn(outcome) {
		// The platform applies the fields: a field it cannot apply as it
		// stands leaves the reply without an outcome, as a wrong type does.
		if f.Shapes(root, j.Reply, c.Unshaped) > 0 {
			outcome = ""
		}
	}
	return f, outcome
}

// goesOn reports an outcome that lets the operation go on (and applies the
// reply's fields).
func goesOn(o record.Outcome) bool {
	return o == record.OutcomeOK || o == record.OutcomeModify || o == record.OutcomeContinue
}
