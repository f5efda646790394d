package tencent

import (
	"bytes"
	"fmt"
	"net/http"
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
	var f wire.Findings
	defer func() { f.ExpectOutcome(j, outcome); fs = f }()
	if r.Status != http.StatusOK {
		msg := fmt.Sprintf("expected HTTP 200, found %s; Tencent counts any other status as a failed callback", wire.StatusText(r.Status))
		if r.Status >= 300 && r.Status < 400 {
			msg += fmt.Sprintf("; redirects are not followed (Location: %q)", r.Header.Get("Location"))
		}
		f.Add(record.Error, wire.RuleStatus, "", msg)
	}
	f.Common(r, j, Vendor)
	body := bytes.TrimSpace(r.Body)
	if len(body) == 0 {
		f.Add(record.Error, wire.RuleEmpty, "", `the reply body is empty; expected a JSON object such as {"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
		return f, ""
	}
	if se := jsonx.Check(body); se != nil {
		what := "JSON"
		if wire.LooksHTML(body) {
			what = "JSON but an HTML page"
		}
		f.Add(record.Error, wire.RuleJSON, "", fmt.Sprintf("the reply is not %s (%s); found %s. Tencent counts a reply it cannot parse as a failed callback", what, se.Error(), jsonx.Snippet(body, 80)))
		return f, ""
	}
	root := jsonx.Parse(body)
	if !root.IsObject() {
		f.Add(record.Error, wire.RuleObject, "", "expected a JSON object with ActionStatus, ErrorCode and ErrorInfo, found "+jsonx.Describe(root.Raw))
		return f, ""
	}
	// One pass over the reply for the three fields (the first occurrence of
	// each, as gjson.Get finds it).
	var status, code, info gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Str == "ActionStatus" && !status.Exists():
			status = v
		case k.Str == "ErrorCode" && !code.Exists():
			code = v
		case k.Str == "ErrorInfo" && !info.Exists():
			info = v
		}
		return true
	})
	tencentField(&f, root, "ActionStatus", status, gjson.String)
	tencentField(&f, root, "ErrorCode", code, gjson.Number)
	tencentField(&f, root, "ErrorInfo", info, gjson.String)
	// The meaning of ErrorCode is judged below only when it is an integer.
	intCode := code.Type == gjson.Number
	if intCode && strings.ContainsAny(code.Raw, ".eE") {
		intCode = false
		f.Add(record.Error, wire.RuleType, "ErrorCode", "expected an integer, found the number "+code.Raw)
	}
	if _, err := strconv.ParseInt(code.Raw, 10, 64); intCode && err != nil {
		intCode = false
		f.Add(record.Error, wire.RuleRange, "ErrorCode", "expected an integer, found "+code.Raw+", which does not fit in 64 bits")
	}
	typeErrs, applied := 0, false
	if j.Kind == fixtures.Before && j.Reply != nil {
		typeErrs, applied = f.Extras(root, j.Reply, j.Request, false, "")
	}
	if !status.Exists() || status.Type != gjson.String {
		return f, ""
	}
	switch status.Str {
	case "OK":
		if !intCode {
			return f, ""
		}
		n := code.Int()
		if j.Kind != fixtures.Before {
			if n != 0 {
				f.Add(record.Warning, wire.RuleErrorCode, "ErrorCode", fmt.Sprintf("ErrorCode %d with ActionStatus OK: 0 means success; Tencent ignores an after-callback's result, so this is only suspicious", n))
			}
			outcome = record.OutcomeOK
			break
		}
		documented := true
		if j.Reply != nil {
			outcome, documented = j.Reply.CodeOutcome(n)
		} else {
			outcome, documented = tencentDefaultCode(n)
		}
		if !documented {
			f.Add(record.Warning, wire.RuleErrorCode, "ErrorCode", fmt.Sprintf("ErrorCode %d with ActionStatus OK: this before-callback documents %s; imhook takes it as %s", n, tencentCodesLabel(j.Reply), outcome))
		}
		if outcome == record.OutcomeOK && applied {
			outcome = record.OutcomeModify
		}
		if j.Expect == "" && documented && (outcome == record.OutcomeReject || outcome == record.OutcomeDiscard) {
			verb := map[record.Outcome]string{record.OutcomeReject: "rejects", record.OutcomeDiscard: "silently discards"}[outcome]
			if j.PayloadValid {
				f.Add(record.Error, wire.RuleRefused, "ErrorCode", fmt.Sprintf("ErrorCode %d %s the operation of a valid callback; a backend should allow a valid callback (ErrorCode 0), or use --expect %s", n, verb, outcome))
			} else {
				f.Add(record.Info, wire.RuleRefused, "ErrorCode", fmt.Sprintf("ErrorCode %d %s the operation of an invalid callback, as a careful backend does", n, verb))
			}
		}
	case "FAIL":
		outcome = record.OutcomeFail
		if j.Expect != "" {
			break
		}
		if j.PayloadValid {
			f.Add(record.Error, wire.RuleRefused, "ActionStatus", fmt.Sprintf("the backend answered FAIL (ErrorCode %s, ErrorInfo %q) to a valid callback; a backend should accept a valid callback", code.Raw, info.String()))
		} else {
			f.Add(record.Info, wire.RuleRefused, "ActionStatus", "the backend answered FAIL to an invalid callback, as a careful backend does")
		}
	default:
		msg := fmt.Sprintf(`expected "OK" or "FAIL", found %s`, status.Raw)
		if strings.EqualFold(status.Str, "ok") || strings.EqualFold(status.Str, "fail") {
			msg += " (the value is case-sensitive)"
		}
		f.Add(record.Error, wire.RuleActionState, "ActionStatus", msg)
	}
	if typeErrs > 0 {
		outcome = ""
	}
	return f, outcome
}
