package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// Rule names of the outcome and the applied reply fields.
const (
	RuleExpect = "expect.outcome"
	RuleEcho   = "response.echo"
)

// ExpectOutcome compares the outcome with the expected one, when one is set.
func (f *Findings) ExpectOutcome(j Judging, outcome record.Outcome) {
	if j.Expect == "" || j.Expect == outcome {
		return
	}
	found := outcome
	if found == "" {
		found = "no outcome (the reply breaks the contract, or the platform fails on it)"
	}
	f.Add(record.Error, RuleExpect, "", fmt.Sprintf("expected the outcome %s, found %s", j.Expect, found))
}

// Extras checks the reply fields a before-callback's reply section lists:
// their types (each wrong type is an error; suffix explains its effect),
// echo fields that are missing, and whether one of them takes effect
// (present, not null, not empty where that matters, and different from the
// request's field of the same name). It returns the number of type errors
// and whether a field applies.
func (f *Findings) Extras(root gjson.Result, spec *fixtures.ReplySpec, request []byte, nullOK bool, suffix string) (typeErrs int, applied bool) {
	for _, fd := range spec.Fields {
		v := root.Get(jsonx.Escape(fd.Name))
		if !v.Exists() {
			switch {
			case containsStr(spec.Echo, fd.Name):
				f.Add(record.Error, RuleEcho, fd.Name, echoMissing(fd.Name))
				applied = true
			case fd.Required:
				f.Add(record.Warning, RuleMissing, fd.Name, fmt.Sprintf("the document requires %s in the reply", fd.Name))
			}
			continue
		}
		n := typeErrs
		typeErrs += f.typeCheck(v, fd, jsonx.Escape(fd.Name), nullOK, suffix)
		if typeErrs > n || v.Type == gjson.Null {
			continue
		}
		// The conditions the platform puts on applying the field: a failed
		// error check means the platform fails the operation, so the reply
		// has no outcome, as a reply of the wrong type has none.
		if failed := f.applyChecks(v, fd, spec, request); failed {
			typeErrs++
			continue
		}
		if applied {
			continue
		}
		if spec.IsNonEmpty(fd.Name) && (v.Type == gjson.String && v.Str == "" || v.IsArray() && !v.Get("0").Exists()) {
			continue
		}
		if c := spec.When[fd.Name]; c != nil && !anyItem(v, c) {
			continue
		}
		if request != nil {
			if r := gjson.GetBytes(request, jsonx.Escape(fd.Name)); r.Exists() && SameJSON(r.Raw, v.Raw) {
				continue
			}
		}
		applied = true
	}
	return typeErrs, applied
}

// RuleApply is a reply field that the platform cannot apply as it stands.
const RuleApply = "response.apply"

// applyChecks holds a present, non-null reply field to the reply section's
// checks on it and reports whether an error check failed.
func (f *Findings) applyChecks(v gjson.Result, fd *fixtures.Field, spec *fixtures.ReplySpec, request []byte) (failed bool) {
	for _, c := range spec.ChecksOn(fd.Name) {
		var what string
		switch c.Must {
		case fixtures.MustJSONObject:
			if v.Type != gjson.String || json.Unmarshal([]byte(v.Str), &struct{}{}) == nil {
				continue
			}
			what = fmt.Sprintf("%s is %s, which is not the text of a JSON object", fd.Name, jsonx.Describe(v.Raw))
		case fixtures.MustRequestNonNull:
			r := gjson.GetBytes(request, jsonx.Escape(fd.Name))
			if request == nil || r.Exists() && r.Type != gjson.Null {
				continue
			}
			what = fmt.Sprintf("the reply sets %s, but the request's %s is null", fd.Name, fd.Name)
			if !r.Exists() {
				what = fmt.Sprintf("the reply sets %s, but the request has no %s", fd.Name, fd.Name)
			}
		case fixtures.MustCaveat:
			what = "the reply sets " + fd.Name
		}
		sev := record.Severity(c.Severity)
		f.Add(sev, RuleApply, jsonx.Escape(fd.Name), what+": "+c.Doc)
		if sev == record.Error {
			failed = true
		}
	}
	return failed
}

// echoMissing says what the platform does with a reply that lacks a field
// it copies back: OpenIM Server's set-group-info callbacks copy groupID,
// groupName, faceURL and introduction from every reply (datautil.
// NotNilReplace given a non-nil pointer, internal/rpc/group/callback.go of
// github.com/openimsdk/open-im-server), so a missing one becomes "".
func echoMissing(name string) string {
	msg := fmt.Sprintf("the reply has no %s: the server copies %s back from every reply that lets the operation go on, whether the reply holds it or not, so the operation goes on without the request's %s (\"\", or null: left unchanged)", name, name, name)
	if strings.HasSuffix(name, "ID") {
		msg += " (the update then names no " + strings.TrimSuffix(name, "ID") + ": the operation is broken)"
	}
	return msg + "; echo the request's value"
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// anyItem reports whether an item of the array meets the condition.
func anyItem(arr gjson.Result, c *fixtures.Cond) bool {
	want := c.ValueParsed()
	found := false
	arr.ForEach(func(_, item gjson.Result) bool {
		v := item.Get(jsonx.Escape(c.Path))
		if !v.Exists() {
			return true
		}
		found = compare(v, c.Op, want)
		return !found
	})
	return found
}

func compare(v gjson.Result, op string, want gjson.Result) bool {
	if v.Type == gjson.Number && want.Type == gjson.Number {
		a, b := v.Float(), want.Float()
		switch op {
		case "eq":
			return a == b
		case "ne":
			return a != b
		case "lt":
			return a < b
		case "le":
			return a <= b
		case "gt":
			return a > b
		case "ge":
			return a >= b
		}
	}
	eq := SameJSON(v.Raw, want.Raw)
	return op == "eq" && eq || op == "ne" && !eq
}

// SameJSON compares two JSON texts, ignoring insignificant whitespace.
func SameJSON(a, b string) bool {
	if a == b {
		return true
	}
	return bytes.Equal(jsonx.AppendCompact(nil, []byte(a)), jsonx.AppendCompact(nil, []byte(b)))
}

// typeCheck checks a reply value against its field spec and returns the
// number of errors. null passes when nullOK (OpenIM: Go decodes null into
// anything) or the field is nullable.
func (f *Findings) typeCheck(v gjson.Result, fd *fixtures.Field, path string, nullOK bool, suffix string) int {
	bad := func(what string) int {
		f.Add(record.Error, RuleType, path, fmt.Sprintf("expected %s, found %s%s", what, jsonx.Describe(v.Raw), suffix))
		return 1
	}
	if v.Type == gjson.Null {
		if nullOK || fd.Nullable {
			return 0
		}
		return bad(typeWord(fd))
	}
	switch fd.Type {
	case "string":
		if v.Type != gjson.String {
			return bad("a string")
		}
	case "boolean":
		if v.Type != gjson.True && v.Type != gjson.False {
			return bad("a boolean")
		}
	case "number":
		if v.Type != gjson.Number {
			return bad("a number")
		}
	case "integer":
		if v.Type != gjson.Number || strings.ContainsAny(v.Raw, ".eE") {
			return bad(typeWord(fd))
		}
		n, err := strconv.ParseInt(v.Raw, 10, 64)
		b := fd.Bounds
		if err != nil || b.HasMin && n < b.MinI || b.HasMax && n > b.MaxI {
			f.Add(record.Error, RuleRange, path, fmt.Sprintf("expected %s (%s), found %s%s", typeWord(fd), b.RangeLabel(true), v.Raw, suffix))
			return 1
		}
	case "object":
		if !v.IsObject() {
			return bad("an object")
		}
		return f.objectCheck(v, fd, path, nullOK, suffix)
	case "array":
		if !v.IsArray() {
			return bad("an array")
		}
		errs, i := 0, 0
		v.ForEach(func(_, item gjson.Result) bool {
			errs += f.typeCheck(item, fd.Items, jsonx.Index(path, i), nullOK, suffix)
			i++
			return errs < 10
		})
		return errs
	}
	return 0
}

func (f *Findings) objectCheck(v gjson.Result, fd *fixtures.Field, path string, nullOK bool, suffix string) int {
	errs := 0
	for _, c := range fd.Fields {
		cv := v.Get(jsonx.Escape(c.Name))
		if !cv.Exists() {
			continue
		}
		p := jsonx.PathJoin(path, c.Name)
		if c.Switch != "" && cv.IsObject() {
			if cs := c.Case(v.Get(jsonx.Escape(c.Switch)).String()); cs != nil {
				errs += f.objectCheck(cv, cs, p, nullOK, suffix)
			}
			continue
		}
		errs += f.typeCheck(cv, c, p, nullOK, suffix)
	}
	return errs
}

func typeWord(fd *fixtures.Field) string {
	switch fd.Type {
	case "integer":
		if fd.Format == "int32" {
			return "an int32"
		}
		if fd.Format != "" {
			return "an integer (" + fd.Format + ")"
		}
		return "an integer"
	case "array", "object":
		return "an " + fd.Type
	}
	return "a " + fd.Type
}

// AnswerBody is the reply a receiver sends in a mode to a callback of e
// with the given request body: ReplyBody's, plus for a before-callback the
// reply fields of its reply section: modify carries them changed
// (modifiedFields), ok carries what an allowing reply needs (allowFields:
// the fields the platform copies back, echoed, and a required per-target
// decision allowing every target).
func AnswerBody(v Vendor, mode string, e *fixtures.Entry, request []byte, info string) []byte {
	var extra []byte
	if e != nil && !RequestIndependent(e) {
		switch mode {
		case ReplyModify:
			extra, mode = modifiedFields(e.Reply, request), ReplyOK
		case ReplyOK:
			extra = allowFields(e.Reply, request)
		case ReplyFail:
			// A failure the platform carries on after (OpenIM's actionCode
			// 1) still has the fields it copies back echoed.
			extra = echoFields(e.Reply, request)
		}
	}
	if mode == ReplyModify {
		mode = ReplyOK
	}
	b := v.ReplyBody(mode, info)
	if len(extra) == 0 {
		return b
	}
	// b may be a shared constant (ReplyBody's OK reply): build a new slice.
	trimmed := bytes.TrimRight(b, "} \n")
	out := make([]byte, 0, len(trimmed)+len(extra)+1)
	return append(append(append(out, trimmed...), extra...), '}')
}

// RequestIndependent reports whether what a receiver answers to a callback of
// e and how that answer is judged do not depend on the callback's body: the
// AnswerBody of every mode (with a fixed info) is the same for every request,
// and JudgeReply does not read Judging.Request. That holds unless e is a
// before-callback whose reply section lists fields (AnswerBody echoes or
// fills them from the request, and the judge compares them with it).
func RequestIndependent(e *fixtures.Entry) bool {
	return e.Kind != fixtures.Before || e.Reply == nil || len(e.Reply.Fields) == 0
}

// echoFields builds the fields the platform copies back from every reply
// (the reply section's echo), with the request's values.
func echoFields(spec *fixtures.ReplySpec, request []byte) []byte {
	if len(spec.Echo) == 0 {
		return nil
	}
	return allowFields(&fixtures.ReplySpec{Fields: spec.Fields, Echo: spec.Echo}, request)
}

// allowFields builds the fields an allowing reply carries: echo fields with
// the request's values, and a required array of per-target decisions with
// one item per target of the request, none meeting the when-condition.
func allowFields(spec *fixtures.ReplySpec, request []byte) []byte {
	var out []byte
	var req gjson.Result
	parsed := false
	for _, fd := range spec.Fields {
		echo := containsStr(spec.Echo, fd.Name)
		when := spec.When[fd.Name]
		if !echo && (!fd.Required || when == nil) {
			continue
		}
		if !parsed {
			req, parsed = gjson.ParseBytes(request), true
		}
		var v []byte
		if echo {
			if r := req.Get(jsonx.Escape(fd.Name)); r.Exists() {
				v = []byte(r.Raw)
			}
		} else {
			v = decisions(fd, req, when)
		}
		if v == nil {
			continue
		}
		out = append(out, ',')
		out = jsonx.AppendString(out, fd.Name)
		out = append(out, ':')
		out = append(out, v...)
	}
	return out
}

// decisions answers each target of the request: the targets are the items
// of the request's first array of objects that carry the decision's ID
// field (To_Account in FriendItem); each decision copies the IDs and sets the
// when-field to a value that does not meet the condition (allow).
func decisions(fd *fixtures.Field, req gjson.Result, when *fixtures.Cond) []byte {
	it := fd.Items
	if it == nil || it.Type != "object" {
		return nil
	}
	var ids []string
	for _, c := range it.Fields {
		if isID(c.Name) && c.Type == "string" {
			ids = append(ids, c.Name)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var targets gjson.Result
	req.ForEach(func(_, v gjson.Result) bool {
		if v.IsArray() && v.Get("0."+jsonx.Escape(ids[0])).Exists() {
			targets = v
			return false
		}
		return true
	})
	b := []byte{'['}
	n := 0
	targets.ForEach(func(_, item gjson.Result) bool {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, '{')
		for i, id := range ids {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonx.AppendString(b, id)
			b = append(b, ':')
			b = jsonx.AppendString(b, item.Get(jsonx.Escape(id)).String())
		}
		b = append(b, ',')
		b = jsonx.AppendString(b, when.Path)
		b = append(b, ':')
		b = append(b, unmeet(when)...)
		// Other required text fields of a decision (ResultInfo) say nothing.
		for _, c := range it.Fields {
			if c.Required && c.Type == "string" && !isID(c.Name) && c.Name != when.Path {
				b = append(b, ',')
				b = jsonx.AppendString(b, c.Name)
				b = append(b, `:""`...)
			}
		}
		b = append(b, '}')
		return true
	})
	return append(b, ']')
}

// unmeet returns a value that does not meet a condition.
func unmeet(c *fixtures.Cond) []byte {
	v := c.ValueParsed()
	if v.Type == gjson.Number {
		switch c.Op {
		case "eq", "gt", "ge":
			return strconv.AppendInt(nil, v.Int()-1, 10)
		case "lt", "le":
			return strconv.AppendInt(nil, v.Int()+1, 10)
		}
	}
	return []byte(v.Raw)
}

// modifiedFields builds the reply fields of a "modify" answer from the
// reply section: text fields say "[modified by imhook]", a message body
// becomes one TIMTextElem, IDs, numbers and flags are taken from the request
// (an ID list keeps its first ID), arrays of objects get one item built from
// the request's first, and a when-condition is met. It returns the fields as
// `,"name":value...` to close a reply object with.
func modifiedFields(spec *fixtures.ReplySpec, request []byte) []byte {
	req := gjson.ParseBytes(request)
	var out []byte
	for _, fd := range spec.Fields {
		if !canApply(spec, fd, req) {
			continue
		}
		v := modValue(fd, req.Get(jsonx.Escape(fd.Name)), req, spec.When[fd.Name], containsStr(spec.Echo, fd.Name))
		if v == nil {
			continue
		}
		out = append(out, ',')
		out = jsonx.AppendString(out, fd.Name)
		out = append(out, ':')
		out = append(out, v...)
	}
	return out
}

// canApply reports whether a "modify" answer may set the field: not when
// the platform's checks on it would fail or warn for this request (the
// platform writes through a pointer the request shows null, or the request
// cannot show whether it can).
func canApply(spec *fixtures.ReplySpec, fd *fixtures.Field, req gjson.Result) bool {
	for _, c := range spec.ChecksOn(fd.Name) {
		switch c.Must {
		case fixtures.MustCaveat:
			return false
		case fixtures.MustRequestNonNull:
			if r := req.Get(jsonx.Escape(fd.Name)); !r.Exists() || r.Type == gjson.Null {
				return false
			}
		}
	}
	return true
}

// ModifiedText is what "modify" answers put in text fields.
const ModifiedText = "[modified by imhook]"

// ModifiedURL is what "modify" answers put in URL fields (faceURL).
const ModifiedURL = "https://imhook.invalid/modified.png"

func isID(name string) bool {
	return strings.HasSuffix(name, "ID") || strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "_Account") ||
		strings.HasSuffix(name, "IDs") || strings.HasSuffix(name, "IDList")
}

// modValue is a value for an applied reply field that changes what the
// request has (the modify answer), or nil when imhook has none.
func modValue(fd *fixtures.Field, same, root gjson.Result, when *fixtures.Cond, echo bool) []byte {
	if isID(fd.Name) && fd.Type == "string" || echo && fd.Type != "string" {
		if same.Exists() {
			return []byte(same.Raw)
		}
		if v := findKey(root, fd.Name); v.Exists() {
			return []byte(v.Raw)
		}
		return nil
	}
	switch fd.Type {
	case "string":
		if same.Type == gjson.String && gjson.Valid(same.Str) && strings.HasPrefix(same.Str, "{") {
			// JSON text (message content): keep it valid.
			return []byte(same.Raw)
		}
		if strings.HasSuffix(fd.Name, "URL") {
			return jsonx.AppendString(nil, ModifiedURL)
		}
		return jsonx.AppendString(nil, ModifiedText)
	case "integer", "number", "boolean":
		if same.Exists() && same.Type != gjson.Null {
			return []byte(same.Raw)
		}
		return nil
	case "object":
		if len(fd.Fields) == 0 {
			return nil
		}
		return modObject(fd, same, root, nil)
	case "array":
		return modArray(fd, same, root, when)
	}
	return nil
}

// modArray is modValue for an array field.
func modArray(fd *fixtures.Field, same, root gjson.Result, when *fixtures.Cond) []byte {
	it := fd.Items
	switch {
	case it.Type == "string" && same.IsArray() && same.Get("0").Exists():
		// Keep the first ID of two or more; add one to a single ID.
		if same.Get("1").Exists() {
			return append(append([]byte{'['}, same.Get("0").Raw...), ']')
		}
		b := append(append([]byte{'['}, same.Get("0").Raw...), ',')
		b = jsonx.AppendString(b, "imhook_added")
		return append(b, ']')
	case it.Type == "string":
		// A list the request lacks (refused invitees): the request's
		// first ID of a list.
		if id := firstListedID(root); id.Exists() {
			return append(append([]byte{'['}, id.Raw...), ']')
		}
		return nil
	case it.Type == "object" && hasCase(it, "TIMTextElem"):
		b := []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":`)
		b = jsonx.AppendString(b, ModifiedText)
		return append(b, "}}]"...)
	case it.Type == "object":
		item := modObject(it, same.Get("0"), root, when)
		if item == nil {
			return nil
		}
		return append(append([]byte{'['}, item...), ']')
	}
	return nil
}

func hasCase(f *fixtures.Field, name string) bool {
	for _, c := range f.Fields {
		if c.Switch != "" && c.Case(name) != nil {
			return true
		}
	}
	return false
}

// modObject builds an object from the field's children, using base (the
// request's corresponding object, perhaps absent) and meeting when.
func modObject(fd *fixtures.Field, base, root gjson.Result, when *fixtures.Cond) []byte {
	b := []byte{'{'}
	n := 0
	for _, c := range fd.Fields {
		var v []byte
		if when != nil && c.Name == when.Path {
			v = meet(when)
		} else {
			v = modValue(c, base.Get(jsonx.Escape(c.Name)), root, nil, false)
		}
		if v == nil {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = jsonx.AppendString(b, c.Name)
		b = append(b, ':')
		b = append(b, v...)
	}
	if n == 0 {
		return nil
	}
	return append(b, '}')
}

// meet returns a value that meets a condition.
func meet(c *fixtures.Cond) []byte {
	v := c.ValueParsed()
	if v.Type == gjson.Number {
		switch c.Op {
		case "ne", "gt":
			return strconv.AppendInt(nil, v.Int()+1, 10)
		case "lt":
			return strconv.AppendInt(nil, v.Int()-1, 10)
		}
	}
	return []byte(v.Raw)
}

// findKey returns the first value named key anywhere in v (depth first).
func findKey(v gjson.Result, key string) gjson.Result {
	var found gjson.Result
	v.ForEach(func(k, c gjson.Result) bool {
		if k.Type == gjson.String && k.Str == key {
			found = c
			return false
		}
		if c.IsObject() || c.IsArray() {
			if r := findKey(c, key); r.Exists() {
				found = r
				return false
			}
		}
		return true
	})
	return found
}

// firstListedID finds the request's first ID in a top-level list: the
// first string of an array of strings, or the first ID field of an array of
// objects (DestinationMembers[0].Member_Account).
func firstListedID(root gjson.Result) gjson.Result {
	var found gjson.Result
	root.ForEach(func(_, v gjson.Result) bool {
		first := v.Get("0")
		switch {
		case !v.IsArray():
		case first.Type == gjson.String:
			found = first
		case first.IsObject():
			first.ForEach(func(k, c gjson.Result) bool {
				if isID(k.Str) && c.Type == gjson.String {
					found = c
					return false
				}
				return true
			})
		}
		return !found.Exists()
	})
	return found
}

// ReplyModeFor is the receiver's reply mode (ReplyModes) whose answer has
// the outcome: the Tencent outcomes share the modes' names; OpenIM's continue
// is ok and stop is reject.
func ReplyModeFor(outcome record.Outcome) string {
	switch outcome {
	case record.OutcomeContinue:
		return ReplyOK
	case record.OutcomeStop:
		return ReplyReject
	}
	return string(outcome)
}
