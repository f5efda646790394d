// Package platform is the registry of the vendors imhook knows: each
// vendor's wire rules live in a package of their own (internal/platform/tencent,
// internal/platform/openim) over the shared types and judging machinery
// (internal/platform/wire); the conversation models
// (internal/platform/conversation) sit above them, and this package joins a
// vendor to its model and is the one place callers ask (For, Lookup, All,
// Identify). Nothing else in imhook knows a vendor's URL scheme or reply
// shape.
package platform

import (
	"net/http"
	"strings"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform/conversation"
	"github.com/imhook/imhook/internal/platform/openim"
	"github.com/imhook/imhook/internal/platform/tencent"
	"github.com/imhook/imhook/record"
)

// Names lists the vendors' names, in the registry's order.
func Names() []string {
	out := make([]string, len(registry))
	for i, v := range registry {
		out[i] = v.Name()
	}
	return out
}

// Storyteller is a vendor with a conversation model: scenarios that make a
// consistent sequence of callbacks (simulate --scenario), and a check that a
// recording keeps the model's invariants (validate --consistency).
type Storyteller interface {
	Vendor
	// Scenarios names the vendor's scenarios.
	Scenarios() []string
	// Scenario makes the callbacks of a scenario, in order.
	Scenario(cat *fixtures.Catalogue, name string, o ScenarioOptions) ([]generate.Payload, error)
	// NewConsistency starts a check of a recording, item by item in order.
	NewConsistency() Consistency
	// ConsistencyDoc defines the invariants for help texts.
	ConsistencyDoc() string
}

// Tencent and OpenIM are the vendors: their wire rules with their
// conversation models.
var (
	Tencent Vendor = storied{tencent.Vendor, conversation.Tencent}
	OpenIM  Vendor = storied{openim.Vendor, conversation.OpenIM}
)

// model is a vendor's conversation model: Storyteller less the wire rules.
type model interface {
	Scenarios() []string
	Scenario(cat *fixtures.Catalogue, name string, o ScenarioOptions) ([]generate.Payload, error)
	NewConsistency() Consistency
	ConsistencyDoc() string
}

// storied is a vendor's wire rules joined to its conversation model.
type storied struct {
	Vendor
	model
}

// BodyFree is v's wire.BodyFreeRequests, when its requests are so.
func BodyFree(v Vendor) (BodyFreeRequests, bool) {
	if s, ok := v.(storied); ok {
		v = s.Vendor
	}
	bf, ok := v.(BodyFreeRequests)
	return bf, ok
}

// registry lists the vendors imhook knows, in the order they are tried and
// shown. It is the only list of vendors.
var registry = []Vendor{Tencent, OpenIM}

// All returns the vendors, in the registry's order.
func All() []Vendor { return registry }

// Identify finds the vendor and command of a received callback: Tencent by
// its CallbackCommand query parameter, OpenIM by the last path segment.
func Identify(r *http.Request) (Vendor, string) {
	for _, v := range registry {
		if cmd := v.Identify(r); cmd != "" {
			return v, cmd
		}
	}
	return nil, ""
}

// For returns the wire rules of a catalogue vendor.
func For(name string) Vendor {
	v, ok := Lookup(name)
	if !ok {
		panic("platform: unknown vendor " + name)
	}
	return v
}

// Lookup returns the vendor of a name ("tencent", "openim").
func Lookup(name string) (Vendor, bool) {
	for _, v := range registry {
		if v.Name() == name {
			return v, true
		}
	}
	return nil, false
}

// NewConsistency checks items against the conversation model of every
// vendor that has one (Storyteller).
func NewConsistency() Consistency {
	var cs consistencies
	for _, v := range registry {
		if s, ok := v.(Storyteller); ok {
			cs = append(cs, s.NewConsistency())
		}
	}
	return cs
}

type consistencies []Consistency

func (cs consistencies) Record(raw []byte) []record.Finding {
	var out []record.Finding
	for _, c := range cs {
		out = append(out, c.Record(raw)...)
	}
	return out
}

func (cs consistencies) Payload(raw []byte) []record.Finding {
	var out []record.Finding
	for _, c := range cs {
		out = append(out, c.Payload(raw)...)
	}
	return out
}

// ReplyVendor tells whose reply a JSON object body is by its contract
// fields (exact keys): ActionStatus, ErrorCode or ErrorInfo is Tencent's,
// actionCode, errCode, errMsg, errDlt or nextCode OpenIM's. It returns ""
// when the body has none of them.
func ReplyVendor(fields func(name string) bool) string {
	for _, v := range registry {
		for _, f := range v.ReplyFields() {
			if fields(f) {
				return v.Name()
			}
		}
	}
	return ""
}

// ConsistencyDoc joins the consistency rules of every vendor that has a
// conversation model, for help texts.
func ConsistencyDoc() string {
	var docs []string
	for _, v := range registry {
		if s, ok := v.(Storyteller); ok {
			docs = append(docs, s.ConsistencyDoc())
		}
	}
	return strings.Join(docs, "\n")
}
