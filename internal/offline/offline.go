// Package offline validates whole inputs without sending anything (imhook
// validate): files, directories and stdin read as streams of JSON values,
// each told apart (a payload, a reply, a record, a summary) and checked:
// payloads with validate.Payload, replies with their vendor's judge,
// records as both, and with Consistency the story the records and payloads
// tell together. It stands above package validate, so that what sends and
// receives callbacks does not depend on the stream reader.
package offline

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/validate"
)

// What an item is taken for (Options.As).
const (
	AsAuto     = "auto"
	AsRequest  = "request"
	AsResponse = "response"
	AsRecord   = "record"
)

// Rule names of the findings about items as a whole.
const (
	RuleKind          = "input.kind"    // cannot tell what the item is
	RuleCommand       = "input.command" // the item names no callback imhook knows
	RuleReplyVendor   = "response.vendor"
	RuleRecord        = "record.format" // a record that does not decode
	RuleRecordCommand = "record.command"
	RuleNoReply       = "response.none"
)

// Options configure Stream.
type Options struct {
	As string // AsAuto (default), AsRequest, AsResponse or AsRecord
	// Command checks every payload as this callback, whatever its own
	// command field says, and gives replies their callback's kind.
	Command *fixtures.Entry
	// Vendor is the vendor of replies whose fields do not say.
	Vendor    string
	Catalogue *fixtures.Catalogue
	// Workers is how many items are checked at once (0: every core).
	Workers int
	// Stream's reading options (stdin, progress).
	Read stream.Options
	// Consistency also checks that the records and payloads, in input
	// order across all the sources, tell one consistent story (the
	// consistency.* rules, see Consistency).
	Consistency bool
}

// Stats count what Stream saw.
type Stats struct {
	Items, Files            int
	Errors, Warnings, Infos int
	Unreadable              int // inputs unreadable, empty or not JSON text (stream.Unusable; exit 2)
}

func (s *Stats) add(f stream.Finding) {
	switch f.Severity {
	case record.Error:
		s.Errors++
	case record.Warning:
		s.Warnings++
	default:
		s.Infos++
	}
	if stream.Unusable(&f.Finding) {
		// The reader's one item for an unusable input is no item of it.
		s.Unreadable++
		s.Items--
	}
}

// Batches: items are read on one goroutine, copied into batches of about
// batchBytes, checked on every core and their findings handed out in input
// order with at most window batches in flight; memory is bounded by
// window*batchBytes plus the longest item.
const (
	batchBytes = 256 << 10
	batchItems = 1024
)

type batch struct {
	items []stream.Item
	data  []byte
	ends  []int
	// results
	findings []stream.Finding
	counts   []int // findings per item
}

var batchPool = sync.Pool{New: func() any { return &batch{} }}

// Stream checks every item of the sources and calls emit with each finding,
// in input order. It returns what it counted; ctx ending stops it early.
func Stream(ctx context.Context, sources []stream.Source, o Options, emit func(stream.Finding)) Stats {
	if o.Catalogue == nil {
		o.Catalogue = fixtures.Default()
	}
	if o.As == "" {
		o.As = AsAuto
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	st := Stats{Files: len(sources)}
	var cons platform.Consistency
	if o.Consistency {
		cons = platform.NewConsistency()
	}
	in := make(chan *batch)
	go batches(ctx, sources, o.Read, in)
	stream.Ordered(ctx, workers, 2*workers+2, in, func(b *batch) *batch {
		for i := range b.items {
			it := &b.items[i]
			fs := o.Item(it)
			b.findings = append(b.findings, fs...)
			b.counts = append(b.counts, len(fs))
		}
		return b
	}, func(b *batch) {
		st.Items += len(b.items)
		out := func(f stream.Finding) {
			st.add(f)
			emit(f)
		}
		if cons == nil {
			for _, f := range b.findings {
				out(f)
			}
		} else {
			// The consistency check runs here, on one goroutine in input
			// order, each item's findings after its own.
			next := 0
			for i := range b.items {
				for _, f := range b.findings[next : next+b.counts[i]] {
					out(f)
				}
				next += b.counts[i]
				for _, f := range o.consistency(cons, &b.items[i]) {
					out(f)
				}
			}
		}
		b.items, b.data, b.ends, b.findings, b.counts = b.items[:0], b.data[:0], b.ends[:0], b.findings[:0], b.counts[:0]
		if cap(b.data) <= 4*batchBytes {
			batchPool.Put(b)
		}
	})
	return st
}

// batches reads the sources into batches of items (each item's bytes in
// the batch's data) and sends them on in, in input order; it closes in at
// the end, or when ctx ends.
func batches(ctx context.Context, sources []stream.Source, read stream.Options, in chan<- *batch) {
	defer close(in)
	b := batchPool.Get().(*batch)
	send := func() bool {
		for i := range b.items {
			if b.items[i].Err == nil {
				start := 0
				if i > 0 {
					start = b.ends[i-1]
				}
				b.items[i].Raw = b.data[start:b.ends[i]]
			}
		}
		select {
		case in <- b:
		case <-ctx.Done():
			return false
		}
		b = batchPool.Get().(*batch)
		return true
	}
	_ = stream.Walk(sources, read, func(it *stream.Item) error {
		held := *it
		held.Raw = nil
		b.data = append(b.data, it.Raw...)
		b.ends = append(b.ends, len(b.data))
		b.items = append(b.items, held)
		if len(b.data) >= batchBytes || len(b.items) >= batchItems {
			if !send() {
				return ctx.Err()
			}
		}
		return nil
	})
	if len(b.items) > 0 {
		send()
	}

}

// Item checks one item and returns its findings, located in its file.
func (o *Options) Item(it *stream.Item) []stream.Finding {
	located := func(line int, fs ...record.Finding) []stream.Finding {
		out := make([]stream.Finding, len(fs))
		for i, f := range fs {
			out[i] = stream.Finding{File: it.File, Line: line, Finding: f}
		}
		return out
	}
	syntax := func() []stream.Finding {
		f, line := it.Check()
		if f == nil {
			return nil
		}
		return located(line, *f)
	}
	if it.Err != nil {
		return syntax()
	}
	kind, vendor := o.As, ""
	if kind == AsAuto {
		// Classify reads broken JSON too; a record's decoder then finds
		// the break (records are most of a big input: one scan fewer).
		kind, vendor = stream.Classify(it.Raw)
		if kind == stream.KindUnknown && o.Command != nil && gjson.ParseBytes(it.Raw).IsObject() {
			kind = AsRequest
		}
	}
	if kind == AsRecord {
		var rec record.Record
		if err := record.Unmarshal(it.Raw, &rec); err != nil {
			if fs := syntax(); fs != nil {
				return fs
			}
			return located(it.Line, record.Finding{Severity: record.Error, Rule: RuleRecord, Message: "not a record: " + err.Error()})
		}
		return located(it.Line, o.record(&rec)...)
	}
	if fs := syntax(); fs != nil {
		return fs
	}
	var fs []record.Finding
	switch kind {
	case stream.KindSummary:
		// A run's summary line (simulate -o json ends with one): not a
		// callback, nothing to check.
	case AsRequest, stream.KindPayload:
		fs = o.payload(it.Raw)
	case AsResponse:
		fs = o.reply(it.Raw, vendor)
	default:
		fs = []record.Finding{{Severity: record.Error, Rule: RuleKind, Message: unknownKind(it.Raw)}}
	}
	return located(it.Line, fs...)
}

// consistency runs the consistency check on an item: a record's request
// body or a payload (replies and unreadable items have no part in it).
func (o *Options) consistency(c platform.Consistency, it *stream.Item) []stream.Finding {
	if it.Err != nil || len(it.Raw) == 0 {
		return nil
	}
	kind := o.As
	if kind == AsAuto {
		kind, _ = stream.Classify(it.Raw)
	}
	var fs []record.Finding
	switch kind {
	case AsRecord:
		fs = c.Record(it.Raw)
	case AsRequest, stream.KindPayload:
		fs = c.Payload(it.Raw)
	}
	out := make([]stream.Finding, len(fs))
	for i, f := range fs {
		out[i] = stream.Finding{File: it.File, Line: it.Line, Finding: f}
	}
	return out
}

func unknownKind(raw []byte) string {
	root := gjson.ParseBytes(raw)
	if !root.IsObject() {
		return "expected a JSON object (a payload, a reply or a record), found " + jsonx.Describe(root.Raw)
	}
	return "cannot tell what this object is: a payload names its callback (CallbackCommand, callbackCommand), " +
		"a reply is mostly the fields of a reply contract (ActionStatus, ErrorCode, ErrorInfo or actionCode, errCode, errMsg, errDlt, nextCode), a record has " +
		"request and time/vendor/command; say which with --as, or name the callback with --command"
}

// entry finds the catalogue entry of a command, with the finding that
// explains a miss or a former name.
func (o *Options) entry(command, rule string) (*fixtures.Entry, []record.Finding) {
	if command == "" {
		return nil, []record.Finding{{Severity: record.Error, Rule: rule,
			Message: "names no callback (no CallbackCommand or callbackCommand field); name it with --command"}}
	}
	// A former name finds its entry; the entry's own rules say what is
	// wrong with the name (quirk.legacy_command).
	e, f := validate.Lookup(o.Catalogue, command, rule)
	if f != nil {
		return nil, []record.Finding{*f}
	}
	return e, nil
}

func (o *Options) payload(raw []byte) []record.Finding {
	e := o.Command
	var fs []record.Finding
	if e == nil {
		e, fs = o.entry(stream.PayloadCommand(raw), RuleCommand)
		if e == nil {
			return fs
		}
	}
	return append(fs, validate.Payload(e, raw)...)
}

func (o *Options) reply(raw []byte, vendor string) []record.Finding {
	if vendor == "" {
		vendor = o.Vendor
	}
	if vendor == "" && o.Command != nil {
		vendor = o.Command.Vendor
	}
	if vendor == "" {
		root := gjson.ParseBytes(raw)
		vendor = platform.ReplyVendor(func(n string) bool { return root.Get(n).Exists() })
	}
	if vendor == "" {
		return []record.Finding{{Severity: record.Error, Rule: RuleReplyVendor,
			Message: "cannot tell whose reply this is (no ActionStatus, ErrorCode, ErrorInfo, actionCode, errCode, errMsg, errDlt or nextCode); name it with --vendor"}}
	}
	kind := fixtures.After
	if o.Command != nil {
		kind = o.Command.Kind
	}
	var spec *fixtures.ReplySpec
	if o.Command != nil {
		spec = o.Command.Reply
	}
	fs, _ := platform.For(vendor).JudgeReply(platform.Reply{Status: 200, Body: raw},
		platform.Judging{Kind: kind, PayloadValid: true, Reply: spec})
	return fs
}

// record re-judges a record: its request body against the catalogue and its
// reply against the vendor's contract, as if the exchange happened now. The
// findings the record carries are not repeated: they are what this judged
// when it was written, perhaps with an older imhook.
func (o *Options) record(rec *record.Record) []record.Finding {
	if rec.Request == nil {
		return []record.Finding{{Severity: record.Error, Rule: RuleRecord, Path: "request", Message: "the record has no request"}}
	}
	if rec.Command == "" {
		return []record.Finding{{Severity: record.Error, Rule: RuleRecordCommand, Path: "command",
			Message: "the record names no callback: the receiver did not recognise the request"}}
	}
	e, fs := o.entry(rec.Command, RuleRecordCommand)
	if e == nil {
		fs[0].Path = "command"
		return fs
	}
	pf := validate.Payload(e, rec.Request.Body)
	fs = append(fs, prefix(pf, "request.body")...)
	if rec.Response == nil {
		msg := rec.Error
		if msg == "" {
			msg = "the record has neither a response nor an error"
		}
		return append(fs, record.Finding{Severity: record.Error, Rule: RuleNoReply, Path: "response", Message: msg})
	}
	v := platform.For(e.Vendor)
	rf, _ := v.JudgeReply(platform.Reply{Status: rec.Response.Status, Header: rec.Response.Headers, Body: rec.Response.Body,
		Latency: time.Duration(rec.Response.LatencyMS * float64(time.Millisecond))},
		platform.JudgingFor(e, rec.Request.Body, !record.HasErrors(pf), v.Timeout(), ""))
	return append(fs, prefix(rf, "response.body")...)
}

func prefix(fs []record.Finding, p string) []record.Finding {
	for i := range fs {
		if fs[i].Path != "" {
			fs[i].Path = p + "." + fs[i].Path
		}
	}
	return fs
}
