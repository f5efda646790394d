// Package openim is OpenIM Server's webhook wire rules: the request each
// release sends (URL form, operationID header, command names), how a
// receiver recognises and checks one, the reply contract and its judge per
// release (judge.go), the replies a receiver sends, the security probes'
// forgeries, and the reader of the server's webhooks.yml (webhooks.go,
// yaml.go). The registry (internal/platform) lists it.
package openim

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// Vendor is OpenIM Server's webhook wire rules. Sources: the webhook docs
// (https://docs.openim.io/restapi/webhooks) and the server's code
// (github.com/openimsdk/open-im-server: pkg/common/webhook/http_client.go,
// pkg/callbackstruct/common.go).
var Vendor wire.Vendor = openim{}

type openim struct{}

func (openim) Name() string  { return fixtures.OpenIM }
func (openim) Title() string { return "OpenIM" }

// Timeout is the per-callback timeout of the shipped config/webhooks.yml
// (5 s); the server caps any setting at its client's 15 s.
func (openim) Timeout() time.Duration { return 5 * time.Second }

// The URL forms of OpenIM Server releases: the documents' form, and what
// each release's webhook client sends (its http_client.go).
const (
	FormDocs  = "docs"  // {url}/{command}?contenttype=json: the documents, no release
	FormPath  = "path"  // {url}/{command}: v3.4.2 and later
	FormQuery = "query" // {url}?command={command}: v3.0.0 to v3.4.0
)

// Versions are example values of --openim-version, for help and
// completion.
var Versions = []string{FormDocs, "v3.8", "v3.7", "v3.6", "v3.5", "v3.4.2", "v3.4.0", "v3.0"}

// Form reads an --openim-version value: "" or "docs" (the documents'
// form), "main"/"latest", or a release such as v3.7, 3.4.2, v3.8.3-patch.16.
// It returns the URL form and the release, whose command names NewRequest
// uses (v3.4.2 to v3.6.x: callbackGroupMsgReadCommand and the other older
// names of the catalogue's aliases).
func Form(version string) (form string, rel fixtures.Release, err error) {
	switch strings.ToLower(strings.TrimSpace(version)) {
	case "", FormDocs:
		return FormDocs, fixtures.Release{}, nil
	case "main", "latest":
		return FormPath, fixtures.Release{3, 1 << 20, 0}, nil
	}
	rel, ok := fixtures.ParseRelease(version)
	switch {
	case !ok:
		return "", rel, fmt.Errorf("%q is not an OpenIM Server version (docs, main, or a release such as v3.7, v3.4.2, v3.0)", version)
	case rel[0] < 3:
		return "", rel, fmt.Errorf("OpenIM Server %s is older than v3: v2 posted every callback to the configured URL with another body, which imhook does not reproduce", version)
	case rel.Less(fixtures.Release{3, 4, 2}):
		return FormQuery, rel, nil
	}
	return FormPath, rel, nil
}

// NewRequest builds the request an OpenIM Server release sends
// (p.OpenIMVersion): by default POST {target}/{command}?contenttype=json, the
// documents' form; v3.7 and later {target}/{command} with no query; v3.4.2 to
// v3.6.x the same with the older command names in URL and body; v3.0 to
// v3.4.0 {target}?command={command}. The server joins URL and command as
// strings (so a trailing slash gives //command and a query in target
// swallows the command); imhook does the same.
func (openim) NewRequest(target, command string, body []byte, p wire.Params) (*http.Request, error) {
	form, rel, err := Form(p.OpenIMVersion)
	if err != nil {
		return nil, err
	}
	var u string
	switch form {
	case FormDocs:
		u = target + "/" + command
		if strings.Contains(u, "?") {
			u += "&contenttype=json"
		} else {
			u += "?contenttype=json"
		}
	default:
		e, _, ok := fixtures.Default().Lookup(command)
		if ok && e.Vendor == fixtures.OpenIM {
			if name := e.NameIn(rel); name != command {
				body = renameCommand(body, name)
				command = name
			}
		} else {
			e = nil
		}
		if form == FormQuery {
			u = target + "?command=" + command
		} else {
			u = target + "/" + command
		}
		if key := releaseKey(e, rel, body); key != "" {
			// main's after-send callbacks: the server parses the URL and
			// sets key in its query (url.Values.Encode, so + / = arrive
			// percent-encoded and the parameters sorted).
			pu, err := url.Parse(u)
			if err != nil {
				return nil, err
			}
			q := pu.Query()
			q.Set("key", key)
			pu.RawQuery = q.Encode()
			u = pu.String()
		}
		body = goEncoded(body)
	}
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	op := p.OperationID
	if op == "" {
		// The server sends the operation's ID in the header and, where the
		// request struct has it, in the body: one value.
		if v := jsonx.Get(body, "operationID").String(); headerSafe(v) {
			op = v
		}
	}
	if op == "" {
		op = NewOperationID()
	}
	// The server sets "operationID"; Go canonicalises it on the wire.
	req.Header.Set("operationID", op)
	return req, nil
}

// headerSafe reports a value net/http sends as a header value as it is:
// printable ASCII (a body's operationID may hold anything).
func headerSafe(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// releaseKey is the key query parameter a release sends with a callback
// (the catalogue's release shapes say which): base64 (standard, padded) of
// the JSON object of the named fields of the message, a field the body
// lacks empty, as OpenIM Server main's buildKeyMsgDataQuery makes it for
// afterSendSingleMsg, afterSendGroupMsg and afterMsgSaveDB.
func releaseKey(e *fixtures.Entry, rel fixtures.Release, body []byte) string {
	if e == nil {
		return ""
	}
	for _, rs := range e.ReleaseShapes(rel) {
		if len(rs.Key) == 0 {
			continue
		}
		b := []byte{'{'}
		for i, k := range rs.Key {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonx.AppendString(b, k)
			b = append(b, ':')
			b = jsonx.AppendString(b, jsonx.Get(body, jsonx.Escape(k)).String())
		}
		b = append(b, '}')
		return base64.StdEncoding.EncodeToString(b)
	}
	return ""
}

// goEncoded returns the body as the server's Go encoder writes it
// (json.Encoder): <, > and & in strings escaped as \u003c, \u003e and
// \u0026, and a trailing newline.
func goEncoded(body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body) + 16)
	json.HTMLEscape(&buf, bytes.TrimRight(body, " \t\r\n"))
	buf.WriteByte('\n')
	return buf.Bytes()
}

// renameCommand returns a copy of body whose callbackCommand is name.
func renameCommand(body []byte, name string) []byte {
	v := gjson.GetBytes(body, "callbackCommand")
	if v.Type != gjson.String || v.Index <= 0 {
		return body
	}
	out := make([]byte, 0, len(body)+len(name))
	out = append(out, body[:v.Index]...)
	out = jsonx.AppendString(out, name)
	return append(out, body[v.Index+len(v.Raw):]...)
}

// NewOperationID makes an operation ID of the kind OpenIM clients send: the
// Unix time in milliseconds followed by random digits.
func NewOperationID() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%d%06d", time.Now().UnixMilli(), n.Int64())
}

// Identify takes the last path segment, which the server (v3.4.2 and later)
// sets to the command ({url}/{command}), or the command query parameter that
// v3.0 to v3.4.0 sent ({url}?command=...) under any path.
func (openim) Identify(r *http.Request) string {
	name, _ := openimCommand(r)
	return name
}

// openimCommand finds the command a request names and whether the command
// query parameter names it: the query's command wins over the last path
// segment (the shipped url, http://127.0.0.1:10006/callbackExample, ends in
// a segment that starts with "callback" too), unless the segment is a
// command of the catalogue; without a command query parameter, a last path
// segment that starts with "callback".
func openimCommand(r *http.Request) (name string, viaQuery bool) {
	p := strings.TrimRight(r.URL.Path, "/")
	seg := p[strings.LastIndexByte(p, '/')+1:]
	if r.URL.RawQuery != "" {
		var q wire.QueryParams
		q.Parse(r.URL.RawQuery, openimParams)
		if c, _ := q.Exactly(oqCommand); isCallbackName(c) && !(isCallbackName(seg) && knownOpenIMCommand(seg)) {
			return c, true
		}
	}
	if isCallbackName(seg) {
		return seg, false
	}
	return "", false
}

// isCallbackName reports a name in OpenIM's command spelling (callback...).
func isCallbackName(s string) bool {
	return len(s) >= len("callback") && strings.EqualFold(s[:len("callback")], "callback")
}

// knownOpenIMCommand reports a command or former command name of the
// catalogue's OpenIM callbacks.
func knownOpenIMCommand(name string) bool {
	e, _, ok := fixtures.Default().Lookup(name)
	return ok && e.Vendor == fixtures.OpenIM
}

// namesEntry reports whether name is the entry's command or a former name of
// it (the document's own sample pairs a new URL with an old body name; the
// payload check warns about that).
func namesEntry(e *fixtures.Entry, name string) bool {
	if strings.EqualFold(name, e.Command) {
		return true
	}
	for _, a := range e.Aliases {
		if strings.EqualFold(name, a.Command) {
			return true
		}
	}
	return false
}

// CheckRequest checks that the body's callbackCommand names the same command
// as the URL (the server fills both from one value), and the headers the
// server always sends.
func (openim) CheckRequest(r *http.Request, body []byte, e *fixtures.Entry, _ wire.Expect) []record.Finding {
	var f wire.Findings
	// jsonx.Get, not gjson.GetBytes: the value is compared and quoted, not
	// kept, so it need not be copied out of the body.
	if v := jsonx.Get(body, "callbackCommand"); v.Type == gjson.String && !namesEntry(e, v.Str) {
		f.Add(record.Error, wire.RuleCommand, "callbackCommand", fmt.Sprintf("the URL names %s but the body's callbackCommand is %q: the OpenIM server fills both from one value, so they always agree", e.Command, v.Str))
	}
	f.Add(record.Info, wire.RuleOpenIMVersion, "", "looks like "+openimRelease(r, e))
	if headerValue(r.Header, operationIDKey) == "" {
		f.Add(record.Info, wire.RuleHeader, "", "no operationID header: the OpenIM server always sends one (use it to make processing idempotent)")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		f.Add(record.Warning, wire.RuleHeader, "", fmt.Sprintf("Content-Type is %q; the OpenIM server sends application/json; charset=utf-8", ct))
	}
	return f
}

// operationIDKey is the operationID header's name as Go's header map holds
// it (Header.Get canonicalises its argument on every call: an allocation
// for this name).
var operationIDKey = http.CanonicalHeaderKey("operationID")

// headerValue is h.Get(key) for a key in canonical form.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// The query parameters openimRelease reads, as indexes of openimParams.
const (
	oqCommand = iota
	oqContentType
	oqKey
)

var openimParams = []string{"command", "contenttype", "key"}

// openimRelease says which OpenIM Server release sends a request like r:
// the URL form (?command=, /{command}, the documents' ?contenttype=json,
// main's ?key=) and the command name (an alias names its releases).
func openimRelease(r *http.Request, e *fixtures.Entry) string {
	var q wire.QueryParams
	q.Parse(r.URL.RawQuery, openimParams)
	name, viaQuery := openimCommand(r)
	if name == "" {
		name, _ = q.Exactly(oqCommand)
		viaQuery = true
	}
	var alias *fixtures.Alias
	for i := range e.Aliases {
		if strings.EqualFold(e.Aliases[i].Command, name) {
			alias = &e.Aliases[i]
		}
	}
	_, contentType := q.Exactly(oqContentType)
	_, key := q.Exactly(oqKey)
	switch {
	case viaQuery:
		return "OpenIM Server v3.0 to v3.4.0 (POST {url}?command={command})"
	case contentType:
		return "the documents' form ({url}/{command}?contenttype=json); no OpenIM Server release sends that query (imhook simulate does by default; --openim-version sends a release's form)"
	case alias != nil:
		return alias.Versions + " (POST {url}/{command} with the older name " + alias.Command + ")"
	case key:
		return "OpenIM Server main after 2025-02 ({url}/{command}?key=..., on the after-send callbacks)"
	}
	var last fixtures.Release
	for _, a := range e.Aliases {
		if last.Less(a.To) {
			last = a.To
		}
	}
	if last == (fixtures.Release{}) {
		return "OpenIM Server v3.4.2 or later (POST {url}/{command})"
	}
	to := fmt.Sprintf("v%d.%d.x", last[0], last[1])
	return "OpenIM Server later than " + to + " (POST {url}/{command} with the current name; " + to + " and older sent another name)"
}

// ReplyBody is CommonCallbackResp: ok continues, reject (and discard) stop a
// before-callback's operation with actionCode 0 and nextCode 1, fail is
// actionCode 1 (the server carries on regardless).
func (o openim) ReplyBody(mode, info string) []byte {
	if mode == wire.ReplyOK && info == "" {
		return bytes.Clone(openimOKReply) // precomputed; a copy, so that callers may change it
	}
	return o.replyBody(mode, info)
}

var openimOKReply = openim{}.replyBody(wire.ReplyOK, "")

func (openim) replyBody(mode, info string) []byte {
	action, errCode, next := 0, 0, 0
	switch mode {
	case wire.ReplyFail:
		action, errCode = 1, 1
	case wire.ReplyReject, wire.ReplyDiscard:
		errCode, next = 20001, 1
	}
	return fmt.Appendf(nil, `{"actionCode":%d,"errCode":%d,"errMsg":%s,"errDlt":"","nextCode":%d}`, action, errCode, wire.JSONString(info), next)
}

func (openim) Outcomes() []record.Outcome { return fixtures.VendorOutcomes(fixtures.OpenIM) }
func (openim) ProbeCommand() string       { return "callbackAfterSendSingleMsgCommand" }
func (openim) UnknownCommand() string     { return "callbackAfterImhookProbeCommand" }

// BusiestCommands: every single and group chat message passes the
// before-send and after-send callbacks (when enabled in webhooks.yml).
func (openim) BusiestCommands() []string {
	return []string{"callbackAfterSendSingleMsgCommand", "callbackBeforeSendSingleMsgCommand", "callbackAfterSendGroupMsgCommand", "callbackBeforeSendGroupMsgCommand"}
}

func (openim) ReplyFields() []string {
	out := make([]string, len(openimFields))
	for i, f := range openimFields {
		out[i] = f.name
	}
	return out
}

// ReplySchema is OpenIM's CommonCallbackResp: five fields, none required,
// int32 numbers.
func (openim) ReplySchema(e *fixtures.Entry) map[string]any {
	int32s := func(doc string) map[string]any {
		return map[string]any{"type": "integer", "minimum": int64(-1 << 31), "maximum": int64(1<<31 - 1), "description": doc}
	}
	return wire.WithApplied(map[string]any{
		"$schema":     fixtures.SchemaDialect,
		"$id":         "urn:imhook:schema:openim:reply",
		"title":       "OpenIM webhook reply (CommonCallbackResp)",
		"description": "The business server's reply; OpenIM decodes it into int32 and string fields (a string nextCode fails with 90007). A before-callback stops the operation only when actionCode is 0 and nextCode is 1. Before-callbacks may carry extra fields that modify the operation.",
		"type":        "object",
		"properties": map[string]any{
			"actionCode": int32s("0: the business server handled the request"),
			"errCode":    int32s("error code passed to the client when rejecting (20001-29999 advised)"),
			"errMsg":     map[string]any{"type": "string", "description": "error message passed to the client"},
			"errDlt":     map[string]any{"type": "string", "description": "error detail"},
			"nextCode":   int32s("1 with actionCode 0: stop the operation"),
		},
	}, e, func(fs map[string]any) map[string]any {
		// The server decodes null into any field: it applies nothing.
		return map[string]any{"anyOf": []any{fs, map[string]any{"type": "null"}}}
	})
}

// Replay keeps a recording's operationID header.
func (openim) Replay(rec *record.Record, target string, p wire.Params, _ wire.Keep, _ time.Time) (string, wire.Params, []record.Finding) {
	if op := rec.Request.Headers.Get("operationID"); op != "" {
		p.OperationID = op
	}
	return target, p, nil
}

// Retry: OpenIM Server never resends a callback.
func (openim) Retry(*fixtures.Entry) string { return "" }
