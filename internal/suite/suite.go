// Package suite reads imhook suite files: a versioned JSON list of named
// steps, each a callback to send with its overrides and what its exchange
// must show.
//
//	{"version": 1,
//	 "steps": [
//	   {"name": "send", "command": "C2C.CallbackAfterSendMsg",
//	    "set": {"From_Account": "${env:SENDER|alice}"},
//	    "expect": {"max_latency": "500ms", "reply": {"ActionStatus": "OK"}, "verdict": "pass"}},
//	   {"name": "again", "command": "C2C.CallbackAfterSendMsg",
//	    "set": {"MsgKey": "${step:send.request.body.MsgKey}"}}]}
//
// A string may hold ${env:VAR|default} (the environment; without a default
// the variable must be set) and ${step:NAME.PATH} (a gjson path into the
// record of an earlier step). A string that is exactly one reference takes
// the referenced JSON value with its type; elsewhere the reference's text is
// spliced in. Errors name the step and the key.
package suite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/record"
)

// SecretVar is the environment variable a suite may not reference: the
// callback token.
const SecretVar = "IMHOOK_TOKEN"

// Version is the suite file version imhook reads.
const Version = 1

// Verdicts a step may expect (record verdicts).
var Verdicts = []string{string(record.Pass), string(record.Fail), string(record.NoReply)}

// Suite is a loaded suite file.
type Suite struct {
	File  string
	Dir   string // data files are relative to it
	Steps []*RawStep
}

// RawStep is a step as written, with its references not yet resolved.
type RawStep struct {
	Index int // 1-based
	Name  string
	tree  map[string]any
}

// Step is a resolved step.
type Step struct {
	Index   int
	Name    string
	Command string
	Set     []Set
	// Data is the body to send instead of a generated one (nil: generate).
	Data     []byte
	DataFile string
	Expect   Expect
}

// Set is one override: a gjson/sjson path and a JSON value.
type Set struct {
	Path  string
	Value json.RawMessage
}

// Expect is what a step's exchange must show. Outcome is the platform
// outcome the reply must have, as with simulate --expect.
type Expect struct {
	MaxLatency time.Duration
	Reply      []ReplyField
	Verdict    record.Verdict // default pass
	Outcome    record.Outcome
}

// ReplyField is a reply body value at a gjson path.
type ReplyField struct {
	Path  string
	Value json.RawMessage
}

// Error is an error in a suite file: it names the step and the key.
type Error struct {
	File string
	Step string // "" for the file's own keys
	Key  string
	Msg  string
	// Line and Col locate a JSON syntax error in the file (1-based; 0 for
	// other errors, which the step and key locate).
	Line, Col int
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 && e.Key != "" {
		// A key of the file, at its line (a syntax error's Msg holds its
		// own line and column).
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Step != "" {
		fmt.Fprintf(&b, ": step %s", e.Step)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

var (
	stepKeys   = []string{"name", "command", "set", "data", "expect"}
	expectKeys = []string{"max_latency", "reply", "verdict", "outcome"}
	nameRE     = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	refRE      = regexp.MustCompile(`\$\{([^}]*)\}`)
)

// Load reads and checks a suite file: its version, each step's keys and
// types, and every reference (an env variable without a default must be
// set; a step reference must name an earlier step).
func Load(path string, getenv func(string) string) (*Suite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	s := &Suite{File: path, Dir: filepath.Dir(path)}
	ferr := func(step, key, format string, a ...any) error {
		return &Error{File: path, Step: step, Key: key, Msg: fmt.Sprintf(format, a...)}
	}
	steps, err := topLevel(path, b)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for i, raw := range steps {
		label := fmt.Sprintf("#%d", i+1)
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var tree map[string]any
		if err := d.Decode(&tree); err != nil || tree == nil {
			return nil, ferr(label, "", "expected a JSON object")
		}
		name, ok := tree["name"].(string)
		if !ok || name == "" {
			return nil, ferr(label, "name", "missing: every step has a name (letters, digits, _ and -)")
		}
		if !nameRE.MatchString(name) {
			return nil, ferr(label, "name", "%q: use letters, digits, _ and - (references read NAME.path)", name)
		}
		label = fmt.Sprintf("%q (#%d)", name, i+1)
		if j, dup := seen[name]; dup {
			return nil, ferr(label, "name", "the name is taken by step #%d", j)
		}
		seen[name] = i + 1
		for k := range tree {
			if !contains(stepKeys, k) {
				return nil, ferr(label, k, "unknown key (a step has %s)", strings.Join(stepKeys, ", "))
			}
		}
		rs := &RawStep{Index: i + 1, Name: name, tree: tree}
		// References: syntax, env variables, earlier steps.
		if err := checkRefs(tree, i, seen, getenv, func(key, msg string) error { return ferr(label, key, "%s", msg) }); err != nil {
			return nil, err
		}
		// Check what can be checked before running: the step with its
		// references left unresolved.
		st, err := s.parse(rs, rs.tree, true)
		if err != nil {
			return nil, err
		}
		if err := setBounds(nil, st.Set); err != nil {
			return nil, located(err, path, label, b, fmt.Sprintf("steps.%d.set", i))
		}
		s.Steps = append(s.Steps, rs)
	}
	return s, nil
}

// Resolve expands a step's references: env from getenv, steps from the
// records of earlier steps (JSON), and parses it.
func (s *Suite) Resolve(rs *RawStep, getenv func(string) string, records map[string][]byte) (*Step, error) {
	label := fmt.Sprintf("%q (#%d)", rs.Name, rs.Index)
	tree, err := mapStrings(rs.tree, "", func(key, str string) (any, error) {
		raw, err := expand(str, func(kind, arg string) (json.RawMessage, error) {
			if kind == "env" {
				v, def, _ := strings.Cut(arg, "|")
				val := getenv(v)
				if val == "" {
					val = def
				}
				b, _ := json.Marshal(val)
				return b, nil
			}
			sname, p, _ := strings.Cut(arg, ".")
			rec, ok := records[sname]
			if !ok {
				return nil, fmt.Errorf("${step:%s}: step %q has no record", arg, sname)
			}
			v := gjson.GetBytes(rec, p)
			if !v.Exists() {
				return nil, fmt.Errorf("${step:%s}: the record of step %q has nothing at %s", arg, sname, p)
			}
			return json.RawMessage(v.Raw), nil
		})
		if err != nil {
			return nil, &Error{File: s.File, Step: label, Key: key, Msg: err.Error()}
		}
		var out any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		_ = d.Decode(&out)
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return s.parse(rs, tree.(map[string]any), false)
}

// parse turns a step's tree into a Step; with lenient, values that still
// hold references are not checked.
func (s *Suite) parse(rs *RawStep, tree map[string]any, lenient bool) (*Step, error) {
	label := fmt.Sprintf("%q (#%d)", rs.Name, rs.Index)
	ferr := func(key, format string, a ...any) error {
		return &Error{File: s.File, Step: label, Key: key, Msg: fmt.Sprintf(format, a...)}
	}
	unresolved := func(v any) bool {
		if !lenient {
			return false
		}
		found := false
		_ = walkStrings(v, "", func(_, str string) error {
			found = found || strings.Contains(str, "${")
			return nil
		})
		return found
	}
	st := &Step{Index: rs.Index, Name: rs.Name, Expect: Expect{Verdict: record.Pass}}
	if v, ok := tree["command"]; ok {
		c, isStr := v.(string)
		if !isStr || c == "" {
			return nil, ferr("command", "expected a callback command string, found %s", describe(v))
		}
		st.Command = c
	}
	if v, ok := tree["set"]; ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, ferr("set", "expected an object of gjson path to value, found %s", describe(v))
		}
		for _, k := range sortedKeys(m) {
			if k == "" {
				return nil, ferr("set", "an empty path")
			}
			b, _ := json.Marshal(m[k])
			st.Set = append(st.Set, Set{Path: k, Value: b})
		}
	}
	if v, ok := tree["data"]; ok {
		switch d := v.(type) {
		case string:
			if !unresolved(d) {
				p := d
				if !filepath.IsAbs(p) {
					p = filepath.Join(s.Dir, p)
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return nil, ferr("data", "%v", err)
				}
				st.Data, st.DataFile = b, d
			}
		case map[string]any:
			st.Data, _ = json.Marshal(d)
		default:
			return nil, ferr("data", "expected a file name or an inline JSON object, found %s", describe(v))
		}
	}
	if st.Command == "" && tree["data"] == nil {
		return nil, ferr("command", "missing: name the callback to send (or give data whose body names it)")
	}
	if v, ok := tree["expect"]; ok {
		if err := parseExpect(&st.Expect, v, unresolved, ferr); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// Check compares an exchange's record with the step's expectation
// (outcome aside) and returns one error finding for each miss.
func (st *Step) Check(rec *record.Record) []record.Finding {
	var out []record.Finding
	miss := func(path, expected, found string) {
		out = append(out, record.Finding{Severity: record.Error, Rule: "suite.expect", Path: path,
			Message: fmt.Sprintf("step %s: expected %s, found %s", st.Name, expected, found)})
	}
	if rec.Verdict != st.Expect.Verdict {
		miss("verdict", "verdict "+string(st.Expect.Verdict), "verdict "+string(rec.Verdict))
	}
	if st.Expect.MaxLatency > 0 {
		switch {
		case rec.Response == nil:
			miss("latency", "a reply within "+st.Expect.MaxLatency.String(), "no reply")
		case time.Duration(rec.Response.LatencyMS*float64(time.Millisecond)) > st.Expect.MaxLatency:
			miss("latency", "a reply within "+st.Expect.MaxLatency.String(), fmt.Sprintf("%.2f ms", rec.Response.LatencyMS))
		}
	}
	for _, f := range st.Expect.Reply {
		want := string(f.Value)
		if rec.Response == nil {
			miss(f.Path, "reply "+f.Path+" = "+want, "no reply")
			continue
		}
		got := gjson.GetBytes(rec.Response.Body, f.Path)
		if !got.Exists() {
			miss(f.Path, "reply "+f.Path+" = "+want, "no such field")
			continue
		}
		if !sameJSON([]byte(got.Raw), f.Value) {
			miss(f.Path, "reply "+f.Path+" = "+want, got.Raw)
		}
	}
	return out
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

// expand replaces the ${kind:arg} references in s. A string that is one
// reference and nothing else becomes the reference's JSON value; otherwise
// each reference's text (a string's contents, other values' JSON) is
// spliced into the string.
func expand(s string, ref func(kind, arg string) (json.RawMessage, error)) (json.RawMessage, error) {
	locs := refRE.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		if strings.Contains(s, "${") {
			return nil, fmt.Errorf("%q: an unclosed ${", s)
		}
		b, _ := json.Marshal(s)
		return b, nil
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		inner := s[l[2]:l[3]]
		kind, arg, ok := strings.Cut(inner, ":")
		if !ok || (kind != "env" && kind != "step") {
			return nil, fmt.Errorf("${%s}: expected ${env:VAR|default} or ${step:NAME.path}", inner)
		}
		v, err := ref(kind, arg)
		if err != nil {
			return nil, err
		}
		if l[0] == 0 && l[1] == len(s) {
			return v, nil
		}
		b.WriteString(s[last:l[0]])
		if r := gjson.ParseBytes(v); r.Type == gjson.String {
			b.WriteString(r.Str)
		} else {
			b.Write(v)
		}
		last = l[1]
	}
	b.WriteString(s[last:])
	out, _ := json.Marshal(b.String())
	return out, nil
}

// walkStrings calls fn for each string value (and object key path).
func walkStrings(v any, key string, fn func(key, s string) error) error {
	_, err := mapStrings(v, key, func(k, s string) (any, error) { return s, fn(k, s) })
	return err
}

// mapStrings rebuilds v with each string replaced by fn's value.
func mapStrings(v any, key string, fn func(key, s string) (any, error)) (any, error) {
	join := func(k string) string {
		if key == "" {
			return k
		}
		return key + "." + k
	}
	switch t := v.(type) {
	case string:
		return fn(key, t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, c := range t {
			nv, err := mapStrings(c, join(k), fn)
			if err != nil {
				return nil, err
			}
			out[k] = nv
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, c := range t {
			nv, err := mapStrings(c, join(fmt.Sprint(i)), fn)
			if err != nil {
				return nil, err
			}
			out[i] = nv
		}
		return out, nil
	}
	return v, nil
}

func describe(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		b = append(b[:57], "..."...)
	}
	return string(b)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// topLevel checks a suite file's own JSON (with the line and column of a
// mistake, as validate reports them), its keys and version, and returns
// its steps as written.
func topLevel(path string, b []byte) ([]json.RawMessage, error) {
	ferr := func(step, key, format string, a ...any) error {
		return &Error{File: path, Step: step, Key: key, Msg: fmt.Sprintf(format, a...)}
	}
	// The file's own JSON first, with the line and column of a mistake,
	// as validate reports them.
	switch why := jsonx.NotText(b); {
	case why != "":
		return nil, ferr("", "", "not JSON text: %s", why)
	case len(bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))) == 0:
		return nil, ferr("", "", "the file is empty; a suite is {\"version\": %d, \"steps\": [...]} ('imhook help suites')", Version)
	}
	if se := jsonx.Check(b); se != nil {
		return nil, &Error{File: path, Line: se.Line, Col: se.Col, Msg: "not valid JSON: " + se.Error()}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		if se := new(json.SyntaxError); errors.As(err, &se) && strings.Contains(se.Error(), "exceeded max depth") {
			// Valid JSON (the check above does not bound depth), deeper
			// than the decoder goes.
			line, col := jsonx.Position(b, int(se.Offset))
			return nil, &Error{File: path, Line: line, Col: col, Msg: fmt.Sprintf("line %d, column %d: nested more than %d levels deep, the most a suite may be (a suite's values are a few levels deep)", line, col, jsonx.MaxDepth)}
		}
		return nil, ferr("", "", "expected a JSON object {\"version\": %d, \"steps\": [...]}, found %s", Version, jsonx.Describe(string(bytes.TrimSpace(b))))
	}
	for k := range top {
		if k != "version" && k != "steps" {
			return nil, ferr("", k, "unknown key (a suite has version and steps)")
		}
	}
	var version int
	if raw, ok := top["version"]; !ok {
		return nil, ferr("", "version", "missing; this imhook reads version %d", Version)
	} else if err := json.Unmarshal(raw, &version); err != nil || version != Version {
		return nil, ferr("", "version", "%s is not a version this imhook reads (%d)", raw, Version)
	}
	var steps []json.RawMessage
	if err := json.Unmarshal(top["steps"], &steps); err != nil || len(steps) == 0 {
		return nil, ferr("", "steps", "expected a non-empty array of steps")
	}
	return steps, nil
}

// parseExpect reads a step's expect object into x; values that hold
// references are left for when they are resolved (unresolved).
func parseExpect(x *Expect, v any, unresolved func(any) bool, ferr func(key, format string, a ...any) error) error {
	m, isMap := v.(map[string]any)
	if !isMap {
		return ferr("expect", "expected an object, found %s", describe(v))
	}
	for k := range m {
		if !contains(expectKeys, k) {
			return ferr("expect."+k, "unknown key (expect has %s)", strings.Join(expectKeys, ", "))
		}
	}
	if v, ok := m["max_latency"]; ok && !unresolved(v) {
		str, isStr := v.(string)
		d, err := time.ParseDuration(str)
		if !isStr || err != nil || d <= 0 {
			return ferr("expect.max_latency", "expected a positive duration such as \"500ms\", found %s", describe(v))
		}
		x.MaxLatency = d
	}
	if v, ok := m["verdict"]; ok && !unresolved(v) {
		str, _ := v.(string)
		if !contains(Verdicts, str) {
			return ferr("expect.verdict", "expected one of %s, found %s", strings.Join(Verdicts, ", "), describe(v))
		}
		x.Verdict = record.Verdict(str)
	}
	if v, ok := m["reply"]; ok {
		rm, isMap := v.(map[string]any)
		if !isMap {
			return ferr("expect.reply", "expected an object of gjson path to value, found %s", describe(v))
		}
		for _, k := range sortedKeys(rm) {
			b, _ := json.Marshal(rm[k])
			x.Reply = append(x.Reply, ReplyField{Path: k, Value: b})
		}
	}
	if v, ok := m["outcome"]; ok {
		str, isStr := v.(string)
		if !isStr || str == "" {
			return ferr("expect.outcome", "expected an outcome name, found %s", describe(v))
		}
		x.Outcome = record.Outcome(str)
	}

	return nil
}

// checkRefs checks the references in a step's strings (the step at index
// i, 0-based): their syntax, that an env variable without a default is set
// and is not the token, that a step reference names an earlier step and a
// path. bad makes the error of a key.
func checkRefs(tree map[string]any, i int, seen map[string]int, getenv func(string) string, bad func(key, msg string) error) error {
	return walkStrings(tree, "", func(key, str string) error {
		_, err := expand(str, func(kind, arg string) (json.RawMessage, error) {
			switch kind {
			case "env":
				v, def, hasDef := strings.Cut(arg, "|")
				if v == "" {
					return nil, fmt.Errorf("${env:} names no variable")
				}
				if v == SecretVar {
					return nil, fmt.Errorf("${env:%s}: the callback token is never written anywhere, and a body is written to records and reports", v)
				}
				if getenv(v) == "" && !hasDef {
					return nil, fmt.Errorf("${env:%s}: the variable is not set and has no default (write ${env:%s|default})", v, v)
				}
				_ = def
			case "step":
				sname, p, _ := strings.Cut(arg, ".")
				j, ok := seen[sname]
				switch {
				case !ok:
					return nil, fmt.Errorf("${step:%s}: no step is named %q", arg, sname)
				case j >= i+1:
					return nil, fmt.Errorf("${step:%s}: a step can only use earlier steps", arg)
				case p == "":
					return nil, fmt.Errorf("${step:%s}: give a path into its record, such as %s.request.body.MsgKey", arg, sname)
				}
			}
			return json.RawMessage(`""`), nil
		})
		if err != nil {
			return bad(key, err.Error())
		}
		return nil
	})
}

// setBounds checks a step's sets against the bounds of e (nil: those of
// every callback; generate.CheckSets): a *generate.SetError.
func setBounds(e *fixtures.Entry, sets []Set) error {
	gs := make([]generate.Set, len(sets))
	for i, s := range sets {
		gs[i] = generate.Set{Path: s.Path, Value: s.Value}
	}
	return generate.CheckSets(e, gs)
}

// located is a set path's error as an *Error at the line of its key in
// the file b (under the gjson path set of the step's set object).
func located(err error, file, step string, b []byte, set string) error {
	e := &Error{File: file, Step: step, Key: "set", Msg: err.Error()}
	var se *generate.SetError
	if errors.As(err, &se) {
		e.Msg = se.Msg
		r := gjson.GetBytes(b, set)
		if se.Path != "" {
			e.Key = "set." + se.Path
			r = gjson.GetBytes(b, set+"."+jsonx.Escape(se.Path))
		}
		if r.Exists() {
			e.Line, e.Col = jsonx.Position(b, r.Index)
		}
	}
	return e
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Commands lists the callbacks the steps name, as far as the file says
// without running it: a literal "command", or the command field of inline
// data. Steps that name theirs by a reference are left out.
func (s *Suite) Commands() []string {
	var out []string
	for _, rs := range s.Steps {
		switch c := rs.tree["command"].(type) {
		case string:
			if !strings.Contains(c, "${") {
				out = append(out, c)
			}
			continue
		}
		if d, ok := rs.tree["data"].(map[string]any); ok {
			b, _ := json.Marshal(d)
			if c, _ := fixtures.BodyCommand(b); c != "" && !strings.Contains(c, "${") {
				out = append(out, c)
			}
		}
	}
	return out
}
