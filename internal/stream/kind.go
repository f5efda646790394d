package stream

import (
	"bytes"
	"slices"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
)

// Kinds of item.
const (
	KindRecord   = "record"   // an exchange record (ARCHITECTURE.md, "The record")
	KindPayload  = "payload"  // a callback's request body
	KindResponse = "response" // a backend's reply body
	KindSummary  = "summary"  // a run's summary ({"summary": {...}}, as -o json ends)
	KindUnknown  = ""
)

// recordFields are the fields that, beside an object "request", mark a record.
var recordFields = []string{"time", "vendor", "command", "verdict", "findings"}

// Classify tells a record, a payload and a reply apart by their fields: a
// record has a "request" object and one of verdict, findings, vendor,
// command, time; a payload names its callback (CallbackCommand,
// callbackCommand); a reply's fields are mostly those of a vendor's reply
// contract. vendor
// is the payload's or reply's vendor when its fields say. Anything else,
// arrays and scalars included, is KindUnknown.
func Classify(raw []byte) (kind, vendor string) {
	// GetBytes reads raw in place: records are most of a big input, and
	// ParseBytes would copy each.
	if start := bytes.TrimLeft(raw, " \t\r\n"); len(start) == 0 || start[0] != '{' {
		return KindUnknown, ""
	}
	if s := gjson.GetBytes(raw, "summary"); s.IsObject() && s.Get("exchanges").Exists() {
		return KindSummary, ""
	}
	if gjson.GetBytes(raw, "request").IsObject() {
		for _, f := range recordFields {
			if gjson.GetBytes(raw, f).Exists() {
				return KindRecord, ""
			}
		}
	}
	if _, v := fixtures.BodyCommand(raw); v != "" {
		return KindPayload, v
	}
	root := gjson.ParseBytes(raw)
	for _, v := range platform.All() {
		if root.Get(fixtures.CommandField(v.Name())).Exists() {
			return KindPayload, v.Name()
		}
	}
	// A reply is mostly its contract's fields (a payload may carry some of
	// them too: C2C.CallbackAfterSendMsg has ErrorCode and ErrorInfo).
	keys := 0
	hits := map[string]int{}
	root.ForEach(func(k, _ gjson.Result) bool {
		keys++
		for _, v := range platform.All() {
			if slices.Contains(v.ReplyFields(), k.Str) {
				hits[v.Name()]++
			}
		}
		return true
	})
	for _, v := range platform.All() {
		if n := hits[v.Name()]; n > 0 && 2*n > keys {
			return KindResponse, v.Name()
		}
	}
	return KindUnknown, ""
}

// PayloadCommand is the callback a payload names in its own command field,
// or "".
func PayloadCommand(raw []byte) string {
	c, _ := fixtures.BodyCommand(raw)
	return c
}
