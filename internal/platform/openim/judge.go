package openim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// openimRules is how a range of OpenIM Server releases treats a webhook's
// reply, its failures and its timeout. Sources, in
// github.com/openimsdk/open-im-server at each release's tag:
// pkg/callbackstruct/common.go (CommonCallbackResp and Parse),
// pkg/common/http/http_client.go (callBackPostReturn, until v3.6.x) and
// pkg/common/webhook/http_client.go (Client.post, v3.7.0 and later), and
// pkg/common/config/config.go (failedContinue, declared on main but never
// read).
type openimRules struct {
	// name names the releases in messages.
	name string
	// actionBits is actionCode's width: a Go int (64 bits) until v3.4.0,
	// an int32 since v3.4.2.
	actionBits int
	// nextCode: the reply struct has nextCode (v3.4.2 and later); before,
	// a nextCode key is an unknown field the decoder skips.
	nextCode bool
	// stops says when Parse fails, which stops a before-callback's
	// operation; stopWords says it in words.
	stops     func(action, errCode, next int64) bool
	stopWords string
	// parseLogged: Parse's error is only logged (v3.6.x), so no reply stops
	// an operation.
	parseLogged bool
	// failedContinue: the release reads failedContinue: a network or decode
	// failure of a before-callback lets the operation go on when it is true
	// (v3.0 to v3.6.x; since v3.7.0 a failure always aborts).
	failedContinue bool
	// queued: after-callbacks are posted from a memory queue that nobody
	// waits on (v3.7.0 and later); before, the server waited for them and
	// logged their errors.
	queued bool
}

var (
	openimRulesV30 = openimRules{name: "OpenIM Server v3.0 to v3.4.0", actionBits: 64,
		stops:     func(a, e, _ int64) bool { return a != 0 || e != 0 },
		stopWords: "it stops an operation when actionCode or errCode is not 0 (it has no nextCode)", failedContinue: true}
	openimRulesV342 = openimRules{name: "OpenIM Server v3.4.2 to v3.5.x", actionBits: 32, nextCode: true,
		stops:     func(a, _, n int64) bool { return a != 0 || n == 1 },
		stopWords: "it stops an operation when actionCode is not 0 or nextCode is 1", failedContinue: true}
	openimRulesV36 = openimRules{name: "OpenIM Server v3.6.x", actionBits: 32, nextCode: true,
		stops:     func(int64, int64, int64) bool { return false },
		stopWords: "it only logs what the reply asks and never stops an operation on it", parseLogged: true, failedContinue: true}
	openimRulesV37 = openimRules{name: "OpenIM Server v3.7 and later", actionBits: 32, nextCode: true,
		stops:     func(a, _, n int64) bool { return a == 0 && n == 1 },
		stopWords: "it stops an operation only on actionCode 0 with nextCode 1", queued: true}
)

// openimRulesFor returns the rules of an --openim-version value: the
// documents' form and main are judged as v3.7 and later; an unreadable
// value too (the flag is checked where it is read).
func openimRulesFor(version string) (*openimRules, fixtures.Release) {
	if version == "" {
		return &openimRulesV37, fixtures.Release{3, 1 << 20, 0}
	}
	if r, ok := openimRulesCache.Load(version); ok {
		c := r.(openimRulesCached)
		return c.rules, c.rel
	}
	rules, rel := openimRulesOf(version)
	openimRulesCache.Store(version, openimRulesCached{rules, rel})
	return rules, rel
}

// openimRulesCache holds the rules of each --openim-version value a run
// judges with: a load run judges every reply, and reading the version
// each time was a regular expression per reply.
var openimRulesCache sync.Map // string -> openimRulesCached

type openimRulesCached struct {
	rules *openimRules
	rel   fixtures.Release
}

func openimRulesOf(version string) (*openimRules, fixtures.Release) {
	form, rel, err := Form(version)
	switch {
	case err != nil || form == FormDocs:
		return &openimRulesV37, fixtures.Release{3, 1 << 20, 0}
	case rel.Less(fixtures.Release{3, 4, 2}):
		return &openimRulesV30, rel
	case rel.Less(fixtures.Release{3, 6, 0}):
		return &openimRulesV342, rel
	case rel.Less(fixtures.Release{3, 7, 0}):
		return &openimRulesV36, rel
	}
	return &openimRulesV37, rel
}

// ClientCap is the timeout of OpenIM Server's HTTP client since
// v3.4.0: it caps every callback's timeout (utils/httputil in
// openimsdk/tools; pkg/common/http/http_client.go before v3.7.0).
const ClientCap = 15 * time.Second

// openimNoLimitWait is how long imhook waits for a release without a limit
// (v3.0 to v3.3.x with timeout 0 or less).
const openimNoLimitWait = time.Minute

// Budget is the time a release waits for a reply to a callback whose
// webhooks.yml timeout is seconds, and how that came about: the timeout is
// a context deadline; since v3.4.0 the client's 15 s caps it (and applies
// when the timeout is 0 or less); v3.0 to v3.3.x had no cap and no limit
// at all without a timeout (imhook then waits a minute).
func Budget(version string, seconds int64) (time.Duration, string) {
	rules, rel := openimRulesFor(version)
	capped := !rel.Less(fixtures.Release{3, 4, 0})
	d := time.Duration(seconds) * time.Second
	switch {
	case seconds <= 0 && capped:
		return ClientCap, fmt.Sprintf("timeout %d: no deadline of its own, so the client's %s applies (%s)", seconds, ClientCap, rules.name)
	case seconds <= 0:
		return openimNoLimitWait, fmt.Sprintf("timeout %d: %s waits without a limit; imhook waits %s", seconds, rules.name, openimNoLimitWait)
	case capped && (seconds > int64(ClientCap/time.Second)):
		return ClientCap, fmt.Sprintf("timeout %d, capped at %s by the server's HTTP client (v3.4.0 and later)", seconds, ClientCap)
	}
	return d, fmt.Sprintf("timeout %d", seconds)
}

// openimDefaultFailedContinue is failedContinue as the shipped
// config/webhooks.yml sets it (main): true for the before-callbacks but
// the conversation ones (false) and beforeAddBlack (left empty: false).
func openimDefaultFailedContinue(command string) bool {
	k := openimConfigKey(command)
	return k != "" && strings.HasPrefix(k, "before") && !strings.Contains(k, "Conversations") && k != "beforeAddBlack"
}

// failedContinue is the failedContinue a judgement assumes: the
// configuration's, else the shipped webhooks.yml's.
func failedContinue(j wire.Judging, command string) (bool, string) {
	if j.FailedContinue != nil {
		return *j.FailedContinue, "failedContinue: " + strconv.FormatBool(*j.FailedContinue)
	}
	fc := openimDefaultFailedContinue(command)
	return fc, "failedContinue: " + strconv.FormatBool(fc) + " in the shipped webhooks.yml"
}

// Missed says what OpenIM Server does with a callback that got no reply
// within the budget, by release.
func (openim) Missed(j wire.Judging) string {
	rules, _ := openimRulesFor(j.Version)
	what := "no reply within " + wire.BudgetWords(j, "OpenIM's default, timeout: 5 in the shipped webhooks.yml")
	return what + ": " + rules.failure(j, "a network error, 90004")
}

// failure says what a release does when a callback fails (no reply in
// time, or a reply it cannot decode, as why says).
func (rules *openimRules) failure(j wire.Judging, why string) string {
	return rules.cached(j, why, func() string { return rules.failureOf(j, why) })
}

// cannotDecode is the end of a finding about a reply the release cannot
// decode.
func (rules *openimRules) cannotDecode(j wire.Judging) string {
	return rules.cached(j, "\x00decode", func() string {
		return "; the server cannot decode it: " + rules.failureOf(j, "error 90007, response format error")
	})
}

// cached returns a sentence about a failure, made once for each release,
// kind of callback and failedContinue: the judge says one for every wrongly
// typed field, and a load run judges every reply.
func (rules *openimRules) cached(j wire.Judging, what string, build func() string) string {
	fc := openimDefaultFailedContinue(j.Command)
	if j.FailedContinue != nil {
		fc = *j.FailedContinue
	}
	key := failureKey{rules.name, j.Kind, what, j.FailedContinue != nil, fc}
	failureMu.RLock()
	m, ok := failureWords[key]
	failureMu.RUnlock()
	if ok {
		return m
	}
	m = build()
	failureMu.Lock()
	failureWords[key] = m
	failureMu.Unlock()
	return m
}

type failureKey struct {
	rules, kind, what string
	explicit, fc      bool
}

var (
	failureMu    sync.RWMutex
	failureWords = map[failureKey]string{}
)

func (rules *openimRules) failureOf(j wire.Judging, why string) string {
	if j.Kind != fixtures.Before {
		if rules.queued {
			return fmt.Sprintf("%s drops it (%s): it posts after-callbacks from a queue and waits for no reply", rules.name, why)
		}
		return fmt.Sprintf("%s logs it (%s) and goes on: the operation has happened already", rules.name, why)
	}
	if !rules.failedContinue {
		return fmt.Sprintf("%s aborts the operation (%s); failedContinue is not read since v3.7.0", rules.name, why)
	}
	fc, src := failedContinue(j, j.Command)
	if fc {
		return fmt.Sprintf("%s goes on as if no callback were configured (%s; %s)", rules.name, why, src)
	}
	return fmt.Sprintf("%s aborts the operation (%s; %s)", rules.name, why, src)
}

// openimReply is the server's CommonCallbackResp since v3.4.2; the judge
// decodes replies with encoding/json into it, exactly as the server does.
type openimReply struct {
	ActionCode int32  `json:"actionCode"`
	ErrCode    int32  `json:"errCode"`
	ErrMsg     string `json:"errMsg"`
	ErrDlt     string `json:"errDlt"`
	NextCode   int32  `json:"nextCode"`
}

// openimReplyV30 is CommonCallbackResp of v3.0.0 to v3.4.0: actionCode a Go
// int, no nextCode.
type openimReplyV30 struct {
	ActionCode int    `json:"actionCode"`
	ErrCode    int32  `json:"errCode"`
	ErrMsg     string `json:"errMsg"`
	ErrDlt     string `json:"errDlt"`
}

var openimFields = [...]struct {
	name string
	num  bool
}{{"actionCode", true}, {"errCode", true}, {"errMsg", false}, {"errDlt", false}, {"nextCode", true}}

// openimFieldNames are the names of openimFields.
var openimFieldNames = func() []string {
	out := make([]string, len(openimFields))
	for i, f := range openimFields {
		out[i] = f.name
	}
	return out
}()

// decode decodes a reply as the release does.
func (rules *openimRules) decode(body []byte) (action, errCode, next int64, errMsg string, err error) {
	if !rules.nextCode {
		var rep openimReplyV30
		err = json.Unmarshal(body, &rep)
		return int64(rep.ActionCode), int64(rep.ErrCode), 0, rep.ErrMsg, err
	}
	var rep openimReply
	err = json.Unmarshal(body, &rep)
	return int64(rep.ActionCode), int64(rep.ErrCode), int64(rep.NextCode), rep.ErrMsg, err
}

// JudgeReply checks OpenIM's reply contract as the release of
// Judging.Version (--openim-version; by default v3.7 and later) applies
// it: the status is ignored, the body must decode into CommonCallbackResp
// (int32 numbers and strings) or the call fails with 90007, and what stops
// a before-callback's operation depends on the release (openimRules).
//
// The outcome: stop (the reply stops a before-callback's operation), modify
// (the operation continues with a reply field of the callback's reply
// section that changes something), else continue; after-callbacks always
// continue. An undecodable reply has no outcome, unless the release reads
// failedContinue and it is true: then the operation continues.
func (openim) JudgeReply(r wire.Reply, j wire.Judging) ([]record.Finding, record.Outcome) {
	return wire.Judge(&contract, r, j)
}

// contract is OpenIM's part of the judging pipeline: the server ignores the
// status, decodes the body as it came, takes null as an empty object, and
// what it does with a reply it cannot decode depends on the release.
var contract = wire.Contract[openimRead]{
	Vendor: openim{},
	Status: func(f wire.Findings, r wire.Reply) wire.Findings {
		if r.Status != http.StatusOK {
			f.Add(record.Warning, wire.RuleStatus, "", fmt.Sprintf("HTTP %s: the OpenIM server ignores the status and decodes the body anyway", wire.StatusText(r.Status)))
		}
		return f
	},
	Raw: true,
	Empty: func(j wire.Judging) string {
		return `the reply body is empty` + undecodable(j) + `. Answer {"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`
	},
	NotJSON: undecodable,
	NotObject: func(j wire.Judging, found string) string {
		return "expected a JSON object, found " + found + undecodable(j)
	},
	Null:        "the reply is null: every field decodes to zero, so the server carries on",
	Broken:      brokenOutcome,
	Fields:      openimFieldsOf,
	NullApplies: true,
	Unreadable:  undecodable,
	Shapes:      true,
	Unshaped:    "; the server decodes the field into its struct and applies any value of the right type as it stands, which its documents do not describe",
	Decide:      openimDecide,
}

// undecodable says what the release judged with does with a reply it
// cannot decode (the end of a finding's message).
func undecodable(j wire.Judging) string {
	rules, _ := openimRulesFor(j.Version)
	return rules.cannotDecode(j)
}

// brokenOutcome is the outcome of a reply the release cannot decode: none,
// unless a before-callback's failure lets the operation go on.
func brokenOutcome(j wire.Judging) record.Outcome {
	rules, _ := openimRulesFor(j.Version)
	if j.Kind == fixtures.Before && rules.failedContinue {
		if fc, _ := failedContinue(j, j.Command); fc {
			return record.OutcomeContinue
		}
	}
	return ""
}

// openimRead is what the judge reads of a reply: the values the release
// decodes (or its decoder's error), which contract fields the body has,
// and how many of them have a type the server cannot decode.
type openimRead struct {
	rules                 *openimRules
	action, errCode, next int64
	errMsg                string
	decodeErr             error
	found                 [len(openimFields)]gjson.Result
	present, exact        [len(openimFields)]bool
	anyPresent            bool
	typeErrs              int
}

// openimFieldsOf decodes the reply as the release does and checks each
// contract field's type, finding each as Go's decoder does: an exact key
// wins, otherwise a case-insensitive match; the last occurrence wins.
func openimFieldsOf(f wire.Findings, root gjson.Result, body []byte, j wire.Judging) (wire.Findings, openimRead) {
	rules, _ := openimRulesFor(j.Version)
	o := openimRead{rules: rules}
	o.action, o.errCode, o.next, o.errMsg, o.decodeErr = rules.decode(body)
	root.ForEach(func(k, v gjson.Result) bool {
		contract := false
		for i, fd := range openimFields {
			switch {
			case k.Str == fd.name:
				o.found[i], o.present[i], o.exact[i] = v, true, true
				contract = true
			case strings.EqualFold(k.Str, fd.name) && !o.exact[i]:
				o.found[i], o.present[i] = v, true
				contract = true
				f.Add(record.Warning, wire.RuleKeyCase, jsonx.PathJoin("", k.Str), fmt.Sprintf("the key %q is not %q: Go's decoder in the server matches it case-insensitively, other receivers and tools may not", k.Str, fd.name))
			}
		}
		if !contract {
			f.UnreadKey(k.Str, openimFieldNames, j, "OpenIM")
		}
		return true
	})
	for i, fd := range openimFields {
		o.anyPresent = o.anyPresent || o.present[i]
		if v := o.found[i]; o.present[i] && v.Type != gjson.Null {
			var bad bool
			f, bad = openimFieldType(f, rules, fd.name, fd.num, v, j)
			if bad {
				o.typeErrs++
			}
		}
	}
	return f, o
}

// openimFieldType checks one contract field's value against the type the
// release decodes it into; bad reports a value the server cannot decode.
func openimFieldType(f wire.Findings, rules *openimRules, name string, num bool, v gjson.Result, j wire.Judging) (_ wire.Findings, bad bool) {
	if name == "nextCode" && !rules.nextCode {
		if v.Type != gjson.Number || v.Raw != "0" {
			f.Add(record.Warning, wire.RuleNextCode, "nextCode", fmt.Sprintf("nextCode is %s: %s has no nextCode and skips it (it arrived in v3.4.2)", jsonx.Describe(v.Raw), rules.name))
		}
		return f, false
	}
	if !num {
		if v.Type != gjson.String {
			f.Add(record.Error, wire.RuleType, name, fmt.Sprintf("expected a string, found %s%s", jsonx.Describe(v.Raw), undecodable(j)))
			return f, true
		}
		return f, false
	}
	bits := 32
	if name == "actionCode" {
		bits = rules.actionBits
	}
	word := "an int32"
	if bits == 64 {
		word = "an integer (a Go int)"
	}
	switch {
	case v.Type != gjson.Number:
		msg := fmt.Sprintf("expected %s, found %s%s", word, jsonx.Describe(v.Raw), undecodable(j))
		if name == "nextCode" && v.Type == gjson.String {
			msg += `. The document's own sample shows "nextCode": "", which is exactly this mistake`
		}
		f.Add(record.Error, wire.RuleType, name, msg)
	case strings.ContainsAny(v.Raw, ".eE"):
		f.Add(record.Error, wire.RuleType, name, fmt.Sprintf("expected %s, found the number %s (a fraction or exponent)%s", word, v.Raw, undecodable(j)))
	default:
		if _, err := strconv.ParseInt(v.Raw, 10, bits); err == nil {
			return f, false
		}
		lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
		if bits == 64 {
			lo, hi = math.MinInt64, math.MaxInt64
		}
		f.Add(record.Error, wire.RuleRange, name, fmt.Sprintf("expected %s (%d..%d), found %s%s", word, lo, hi, v.Raw, undecodable(j)))
	}
	return f, true
}

// openimDecide is the outcome of a decoded reply as the release acts on
// it: stop, modify (an applied field takes effect) or continue; none, or
// what a failure does, when the server cannot decode it.
func openimDecide(f wire.Findings, o openimRead, a wire.Applied, j wire.Judging) (wire.Findings, record.Outcome) {
	if o.decodeErr != nil {
		if o.typeErrs+a.TypeErrors == 0 {
			// A case the field checks did not foresee: report Go's own words.
			var te *json.UnmarshalTypeError
			path := ""
			if errors.As(o.decodeErr, &te) {
				path = te.Field
			}
			f.Add(record.Error, wire.RuleType, path, o.decodeErr.Error()+undecodable(j))
		}
		return f, brokenOutcome(j)
	}
	if o.typeErrs+a.TypeErrors > 0 {
		return f, brokenOutcome(j)
	}
	f = o.missing(f)
	rules := o.rules
	asks := rules.stops(o.action, o.errCode, o.next)
	outcome := record.OutcomeContinue
	switch {
	case j.Kind == fixtures.Before && asks:
		outcome = record.OutcomeStop
		// A stopped operation copies nothing back.
		f = slices.DeleteFunc(f, func(x record.Finding) bool { return x.Rule == wire.RuleEcho })
	case j.Kind == fixtures.Before && a.Takes:
		outcome = record.OutcomeModify
	}
	return o.advice(f, asks, outcome, j), outcome
}

// missing notes contract fields the reply leaves out (they decode to
// zero), or that it has none of them.
func (o *openimRead) missing(f wire.Findings) wire.Findings {
	if !o.anyPresent {
		f.Add(record.Warning, wire.RuleEmptyObject, "", "the reply has none of actionCode, errCode, errMsg, errDlt, nextCode: every field decodes to zero, so the server carries on")
		return f
	}
	var missing []string
	for i, fd := range openimFields {
		if !o.present[i] && (fd.name != "nextCode" || o.rules.nextCode) {
			missing = append(missing, fd.name)
		}
	}
	if len(missing) > 0 {
		f.Add(record.Info, wire.RuleMissing, "", "missing "+strings.Join(missing, ", ")+": they decode to zero")
	}
	return f
}

// advice says what the codes mean where the outcome alone does not: codes
// the server ignores, a refused valid callback, a nextCode without meaning.
func (o *openimRead) advice(f wire.Findings, asks bool, outcome record.Outcome, j wire.Judging) wire.Findings {
	rules, action, errCode, next := o.rules, o.action, o.errCode, o.next
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
		f.Add(record.Error, wire.RuleRefused, stopPath(rules, action, errCode, next), fmt.Sprintf("actionCode %d, errCode %d, nextCode %d stop the operation of a valid callback on %s (%s; errMsg %q); a backend should let a valid callback continue, or use --expect stop", action, errCode, next, rules.name, rules.stopWords, o.errMsg))
	case outcome != record.OutcomeStop && action != 0:
		f.Add(record.Warning, wire.RuleActionCode, "actionCode", fmt.Sprintf("actionCode %d: %s: %s, so it carries on regardless", action, rules.name, rules.stopWords))
	}
	if rules.nextCode && next != 0 && next != 1 {
		f.Add(record.Warning, wire.RuleNextCode, "nextCode", fmt.Sprintf("nextCode %d: only 1 has a meaning (stop)", next))
	}
	return f
}

// stopPath is the field that stopped an operation, for the finding's path.
func stopPath(rules *openimRules, action, errCode, next int64) string {
	switch {
	case action != 0:
		return "actionCode"
	case rules.nextCode && next == 1:
		return "nextCode"
	case errCode != 0:
		return "errCode"
	}
	return ""
}
