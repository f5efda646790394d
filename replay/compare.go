package replay

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/record"
)

// CompareReplies reports how a replayed reply differs from the recorded
// one: the HTTP status and the fields of the vendor's reply contract
// (Tencent ActionStatus, ErrorCode, ErrorInfo; OpenIM actionCode, errCode,
// errMsg, errDlt, nextCode), or the whole body when either is not a JSON
// object; and for a before-callback of e (nil: none) also the reply fields
// its reply section names: the fields the platform applies and those it
// copies back (OpenIM's nickName, groupID, ...; Tencent's MsgBody, ...).
// recErr is the recorded reason when no reply was recorded. Headers and
// latency are not compared. A finding's path names the field, and its
// message does not repeat it.
func CompareReplies(vendor string, e *fixtures.Entry, recorded *record.Message, recErr string, got *record.Message) []record.Finding {
	var out []record.Finding
	diff := func(path, format string, a ...any) {
		out = append(out, record.Finding{Severity: record.Error, Rule: RuleDiff, Path: path, Message: fmt.Sprintf(format, a...)})
	}
	switch {
	case recorded == nil && got == nil:
		return nil
	case recorded == nil:
		diff("", "no reply was recorded (%s); now HTTP %d", recErr, got.Status)
		return out
	case got == nil:
		diff("", "HTTP %d was recorded; now no reply", recorded.Status)
		return out
	}
	if recorded.Status != got.Status {
		diff("status", "recorded %d, replayed %d", recorded.Status, got.Status)
	}
	a, b := bytes.TrimSpace(recorded.Body), bytes.TrimSpace(got.Body)
	ra, rb := gjson.ParseBytes(a), gjson.ParseBytes(b)
	if !gjson.ValidBytes(a) || !gjson.ValidBytes(b) || !ra.IsObject() || !rb.IsObject() {
		if !bytes.Equal(a, b) {
			diff("", "body: recorded %s, replayed %s", jsonx.Snippet(a, 80), jsonx.Snippet(b, 80))
		}
		return out
	}
	for _, f := range platform.For(vendor).ReplyFields() {
		x, y := ra.Get(f), rb.Get(f)
		if sameValue(x, y) {
			continue
		}
		diff(f, "recorded %s, replayed %s", show(x), show(y))
	}
	if e == nil || e.Kind != fixtures.Before || e.Reply == nil {
		return out
	}
	for _, fd := range e.Reply.Fields {
		p := jsonx.Escape(fd.Name)
		x, y := ra.Get(p), rb.Get(p)
		if sameValue(x, y) {
			continue
		}
		what := "a field the platform applies"
		if slices.Contains(e.Reply.Echo, fd.Name) {
			what = "a field the platform always copies back"
		}
		for _, d := range diffPaths(p, x, y, maxPathDiffs) {
			diff(d.path, "%s: %s", what, d.text)
		}
	}
	return out
}

// maxPathDiffs bounds the differences reported within one reply field: a
// replaced message body differs everywhere, and the first few places say
// what changed.
const maxPathDiffs = 8

type pathDiff struct{ path, text string }

// diffPaths lists where two JSON values differ, by path: an object's keys
// (the recorded one's in its order, then the replayed one's new keys), an
// array's items by index, or the value itself where the kinds differ or a
// scalar changed ("MsgBody.0.MsgContent: recorded an object, replayed
// nothing (absent)"). At most limit places are listed; one more entry says
// how many were left out.
func diffPaths(path string, x, y gjson.Result, limit int) []pathDiff {
	var out []pathDiff
	left := 0
	add := func(p string, a, b gjson.Result) {
		if len(out) < limit {
			out = append(out, pathDiff{p, fmt.Sprintf("recorded %s, replayed %s", show(a), show(b))})
		} else {
			left++
		}
	}
	var walk func(p string, a, b gjson.Result)
	walk = func(p string, a, b gjson.Result) {
		switch {
		case sameValue(a, b):
		case a.IsObject() && b.IsObject():
			var keys []string
			seen := map[string]bool{}
			for _, r := range []gjson.Result{a, b} {
				r.ForEach(func(k, _ gjson.Result) bool {
					if !seen[k.Str] {
						seen[k.Str] = true
						keys = append(keys, k.Str)
					}
					return true
				})
			}
			for _, k := range keys {
				ek := jsonx.Escape(k)
				walk(p+"."+ek, a.Get(ek), b.Get(ek))
			}
		case a.IsArray() && b.IsArray():
			xs, ys := a.Array(), b.Array()
			for i := 0; i < max(len(xs), len(ys)); i++ {
				var xi, yi gjson.Result
				if i < len(xs) {
					xi = xs[i]
				}
				if i < len(ys) {
					yi = ys[i]
				}
				walk(jsonx.Index(p, i), xi, yi)
			}
		default:
			add(p, a, b)
		}
	}
	walk(path, x, y)
	if left > 0 {
		out = append(out, pathDiff{path, fmt.Sprintf("and %d more differences within it", left)})
	}
	return out
}

// CompareOutcome reports a replayed reply whose outcome (what the platform
// does with it) differs from the recorded one.
func CompareOutcome(recorded, got record.Outcome) []record.Finding {
	if recorded == got {
		return nil
	}
	word := func(o record.Outcome) string {
		if o == "" {
			return "none (the reply broke the contract)"
		}
		return string(o)
	}
	return []record.Finding{{Severity: record.Error, Rule: RuleDiff, Path: "outcome",
		Message: fmt.Sprintf("outcome: recorded %s, replayed %s: the platform now does something else with the operation", word(recorded), word(got))}}
}

func sameValue(x, y gjson.Result) bool {
	if x.Exists() != y.Exists() {
		return false
	}
	if !x.Exists() {
		return true
	}
	if x.Type != y.Type {
		return false
	}
	switch x.Type {
	case gjson.String:
		return x.Str == y.Str
	case gjson.Number:
		return x.Raw == y.Raw || x.Float() == y.Float()
	}
	return strings.TrimSpace(x.Raw) == strings.TrimSpace(y.Raw)
}

func show(v gjson.Result) string {
	if !v.Exists() {
		return "nothing (absent)"
	}
	return jsonx.Describe(v.Raw)
}
