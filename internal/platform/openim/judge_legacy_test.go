package openim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// legacyJudgeReply is JudgeReply as it was before the judging pipeline
// (wire.Judge): the differential tests hold the pipeline to it.
func legacyJudgeReply(r wire.Reply, j wire.Judging) (fs []record.Finding, outcome record.Outcome) {
	rules, _ := openimRulesFor(j.Version)
	var f wire.Findings
	defer func() { f.ExpectOutcome(j, outcome); fs = f }()
	if r.Status != http.StatusOK {
		f.Add(record.Warning, wire.RuleStatus, "", fmt.Sprintf("HTTP %s: the OpenIM server ignores the status and decodes the body anyway", wire.StatusText(r.Status)))
	}
	f.Common(r, j, Vendor)
	// undecodable says what the release does with a reply it cannot
	// decode.
	undecodable := func() string { return rules.cannotDecode(j) }
	// brokenOutcome is the outcome of a reply the release cannot decode:
	// none, unless a before-callback's failure lets the operation go on.
	brokenOutcome := func() record.Outcome {
		if j.Kind == fixtures.Before && rules.failedContinue {
			if fc, _ := failedContinue(j, j.Command); fc {
				return record.OutcomeContinue
			}
		}
		return ""
	}
	if len(bytes.TrimSpace(r.Body)) == 0 {
		f.Add(record.Error, wire.RuleEmpty, "", `the reply body is empty`+undecodable()+`. Answer {"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`)
		return f, brokenOutcome()
	}
	action, errCode, next, errMsg, decodeErr := rules.decode(r.Body)
	if se := jsonx.Check(r.Body); se != nil {
		what := "JSON"
		if wire.LooksHTML(r.Body) {
			what = "JSON but an HTML page"
		}
		f.Add(record.Error, wire.RuleJSON, "", fmt.Sprintf("the reply is not %s (%s); found %s%s", what, se.Error(), jsonx.Snippet(r.Body, 80), undecodable()))
		return f, brokenOutcome()
	}
	root := jsonx.Parse(r.Body)
	if root.Type == gjson.Null {
		f.Add(record.Warning, wire.RuleEmptyObject, "", "the reply is null: every field decodes to zero, so the server carries on")
		return f, record.OutcomeContinue
	}
	if !root.IsObject() {
		f.Add(record.Error, wire.RuleObject, "", "expected a JSON object, found "+jsonx.Describe(root.Raw)+undecodable())
		return f, brokenOutcome()
	}
	// Find each field as Go's decoder does: an exact key wins, otherwise a
	// case-insensitive match; the last occurrence wins.
	found := map[string]gjson.Result{}
	exact := map[string]bool{}
	root.ForEach(func(k, v gjson.Result) bool {
		for _, fd := range openimFields {
			switch {
			case k.Str == fd.name:
				found[fd.name], exact[fd.name] = v, true
			case strings.EqualFold(k.Str, fd.name) && !exact[fd.name]:
				found[fd.name] = v
				f.Add(record.Warning, wire.RuleKeyCase, jsonx.PathJoin("", k.Str), fmt.Sprintf("the key %q is not %q: Go's decoder in the server matches it case-insensitively, other receivers and tools may not", k.Str, fd.name))
			}
		}
		return true
	})
	typeErrs := 0
	for _, fd := range openimFields {
		v, ok := found[fd.name]
		if !ok || v.Type == gjson.Null {
			continue
		}
		if fd.name == "nextCode" && !rules.nextCode {
			if v.Type == gjson.Number && v.Raw == "0" {
				continue
			}
			f.Add(record.Warning, wire.RuleNextCode, "nextCode", fmt.Sprintf("nextCode is %s: %s has no nextCode and skips it (it arrived in v3.4.2)", jsonx.Describe(v.Raw), rules.name))
			continue
		}
		if fd.num {
			bits := 32
			if fd.name == "actionCode" {
				bits = rules.actionBits
			}
			word := "an int32"
			if bits == 64 {
				word = "an integer (a Go int)"
			}
			if v.Type != gjson.Number {
				typeErrs++
				msg := fmt.Sprintf("expected %s, found %s%s", word, jsonx.Describe(v.Raw), undecodable())
				if fd.name == "nextCode" && v.Type == gjson.String {
					msg += `. The document's own sample shows "nextCode": "", which is exactly this mistake`
				}
				f.Add(record.Error, wire.RuleType, fd.name, msg)
				continue
			}
			if strings.ContainsAny(v.Raw, ".eE") {
				typeErrs++
				f.Add(record.Error, wire.RuleType, fd.name, fmt.Sprintf("expected %s, found the number %s (a fraction or exponent)%s", word, v.Raw, undecodable()))
				continue
			}
			if _, err := strconv.ParseInt(v.Raw, 10, bits); err != nil {
				typeErrs++
				lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
				if bits == 64 {
					lo, hi = math.MinInt64, math.MaxInt64
				}
				f.Add(record.Error, wire.RuleRange, fd.name, fmt.Sprintf("expected %s (%d..%d), found %s%s", word, lo, hi, v.Raw, undecodable()))
			}
			continue
		}
		if v.Type != gjson.String {
			typeErrs++
			f.Add(record.Error, wire.RuleType, fd.name, fmt.Sprintf("expected a string, found %s%s", jsonx.Describe(v.Raw), undecodable()))
		}
	}
	applied := false
	if j.Kind == fixtures.Before && j.Reply != nil {
		n := 0
		n, applied = f.Extras(root, j.Reply, j.Request, true, undecodable())
		typeErrs += n
	}
	if decodeErr != nil {
		if typeErrs == 0 {
			// A case the field checks did not foresee: report Go's own words.
			var te *json.UnmarshalTypeError
			path := ""
			if errors.As(decodeErr, &te) {
				path = te.Field
			}
			f.Add(record.Error, wire.RuleType, path, decodeErr.Error()+undecodable())
		}
		return f, brokenOutcome()
	}
	if typeErrs > 0 {
		return f, brokenOutcome()
	}
	if len(found) == 0 {
		f.Add(record.Warning, wire.RuleEmptyObject, "", "the reply has none of actionCode, errCode, errMsg, errDlt, nextCode: every field decodes to zero, so the server carries on")
	} else {
		var missing []string
		for _, fd := range openimFields {
			if _, ok := found[fd.name]; !ok && (fd.name != "nextCode" || rules.nextCode) {
				missing = append(missing, fd.name)
			}
		}
		if len(missing) > 0 {
			f.Add(record.Info, wire.RuleMissing, "", "missing "+strings.Join(missing, ", ")+": they decode to zero")
		}
	}
	asks := rules.stops(action, errCode, next)
	outcome = record.OutcomeContinue
	switch {
	case j.Kind == fixtures.Before && asks:
		outcome = record.OutcomeStop
		// A stopped operation copies nothing back.
		f = slices.DeleteFunc(f, func(x record.Finding) bool { return x.Rule == wire.RuleEcho })
	case j.Kind == fixtures.Before && applied:
		outcome = record.OutcomeModify
	}
	switch {
	case j.Kind != fixtures.Before && action != 0:
		f.Add(record.Warning, wire.RuleActionCode, "actionCode", fmt.Sprintf("actionCode %d: the server ignores an after-callback's reply and carries on (to a before-callback, %s: %s)", action, rules.name, rules.stopWords))
	case j.Kind != fixtures.Before && (asks || rules.nextCode && next == 1):
		path := stopPath(rules, action, errCode, next)
		rule := wire.RuleNextCode
		if path != "nextCode" {
			rule = wire.RuleErrorCode
		}
		f.Add(record.Warning, rule, path, fmt.Sprintf("errCode %d, nextCode %d ask the server to stop, but the server ignores an after-callback's reply", errCode, next))
	case rules.parseLogged && (action != 0 || next == 1):
		f.Add(record.Warning, wire.RuleActionCode, stopPath(&openimRulesV342, action, errCode, next), fmt.Sprintf("actionCode %d with nextCode %d: %s: %s, so the operation goes on (v3.4.2 to v3.5.x stopped it; v3.7 and later stops on actionCode 0 with nextCode 1 only)", action, next, rules.name, rules.stopWords))
	case outcome == record.OutcomeStop && j.PayloadValid && j.Expect == "":
		f.Add(record.Error, wire.RuleRefused, stopPath(rules, action, errCode, next), fmt.Sprintf("actionCode %d, errCode %d, nextCode %d stop the operation of a valid callback on %s (%s; errMsg %q); a backend should let a valid callback continue, or use --expect stop", action, errCode, next, rules.name, rules.stopWords, errMsg))
	case outcome != record.OutcomeStop && action != 0:
		f.Add(record.Warning, wire.RuleActionCode, "actionCode", fmt.Sprintf("actionCode %d: %s: %s, so it carries on regardless", action, rules.name, rules.stopWords))
	}
	if rules.nextCode && next != 0 && next != 1 {
		f.Add(record.Warning, wire.RuleNextCode, "nextCode", fmt.Sprintf("nextCode %d: only 1 has a meaning (stop)", next))
	}
	return f, outcome
}
