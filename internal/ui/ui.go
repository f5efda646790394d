// Package ui holds imhook's I/O streams, the per-stream colour decision and
// the one renderer of exchange records (text or JSON Lines). Commands write
// through it so that every line of output can be tested.
package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
	"github.com/tidwall/pretty"

	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/record"
)

// Streams are the command's standard streams.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY say whether each stream is a terminal.
	OutTTY, ErrTTY bool
	// Getenv reads the environment (tests replace it).
	Getenv func(string) string
}

// System returns the process's streams.
func System() *Streams {
	return &Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: isTerminal(os.Stdout), ErrTTY: isTerminal(os.Stderr), Getenv: os.Getenv}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// ColorEnabled decides colour for one stream: --color always/never win;
// with auto, NO_COLOR (any value) turns it off, CLICOLOR_FORCE (not "0")
// turns it on, CLICOLOR=0 turns it off, and otherwise only a terminal gets it.
func (s *Streams) ColorEnabled(mode string, tty bool) bool {
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if getenv("NO_COLOR") != "" {
		return false
	}
	if f := getenv("CLICOLOR_FORCE"); f != "" && f != "0" {
		return true
	}
	if getenv("CLICOLOR") == "0" {
		return false
	}
	return tty
}

// Palette colours text for one stream.
type Palette struct {
	on                                  bool
	green, red, yellow, cyan, dim, bold *color.Color
}

// NewPalette returns a palette that colours only when on.
func NewPalette(on bool) *Palette {
	mk := func(a ...color.Attribute) *color.Color {
		c := color.New(a...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return &Palette{on: on, green: mk(color.FgGreen, color.Bold), red: mk(color.FgRed, color.Bold),
		yellow: mk(color.FgYellow), cyan: mk(color.FgCyan), dim: mk(color.Faint), bold: mk(color.Bold)}
}

func (p *Palette) Green(s string) string  { return p.green.Sprint(s) }
func (p *Palette) Red(s string) string    { return p.red.Sprint(s) }
func (p *Palette) Yellow(s string) string { return p.yellow.Sprint(s) }
func (p *Palette) Cyan(s string) string   { return p.cyan.Sprint(s) }
func (p *Palette) Dim(s string) string    { return p.dim.Sprint(s) }
func (p *Palette) Bold(s string) string   { return p.bold.Sprint(s) }

// Severity colours a severity word.
func (p *Palette) Severity(s record.Severity) string {
	switch s {
	case record.Error:
		return p.Red(string(s))
	case record.Warning:
		return p.Yellow(string(s))
	}
	return p.Dim(string(s))
}

// Verdict colours a verdict word, upper-cased.
func (p *Palette) Verdict(v record.Verdict) string {
	switch v {
	case record.Pass:
		return p.Green("PASS")
	case record.Fail:
		return p.Red("FAIL")
	case record.NoReply:
		return p.Red("ERROR")
	}
	return p.Dim(strings.ToUpper(string(v)))
}

// Status colours an HTTP status.
func (p *Palette) Status(code int) string {
	s := fmt.Sprint(code)
	switch {
	case code == 200:
		return p.Green(s)
	case code >= 500 || code < 200:
		return p.Red(s)
	}
	return p.Yellow(s)
}

// Printer renders records: one JSON object a line on stdout, or a coloured
// line per exchange with its findings beneath.
type Printer struct {
	mu    sync.Mutex
	out   io.Writer
	json  bool
	quiet bool
	pal   *Palette
	// ShowInfo prints info findings in text mode.
	ShowInfo bool
	// ShowReply prints the reply's status and body beneath the findings in
	// text mode (simulate --data with a body that has findings of its own:
	// how the backend took it is the point).
	ShowReply bool
	// Strict shows the info findings that fail an exchange under --strict
	// (unknown fields).
	Strict bool
	buf    []byte
}

// NewPrinter writes to out; format is "text" or "json".
func NewPrinter(out io.Writer, format string, quiet bool, pal *Palette) *Printer {
	return &Printer{out: out, json: format == "json", quiet: quiet, pal: pal}
}

// jsonLine writes a record as one line (the caller holds p.mu).
func (p *Printer) jsonLine(r *record.Record) {
	p.buf = append(record.AppendJSON(p.buf[:0], r), '\n')
	_, _ = p.out.Write(p.buf)
}

// Record prints one exchange sent by imhook (simulate, replay).
func (p *Printer) Record(r *record.Record) { p.exchange(r, false) }

// Received prints one exchange received by imhook (serve).
func (p *Printer) Received(r *record.Record) { p.exchange(r, true) }

func (p *Printer) exchange(r *record.Record, received bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.jsonLine(r)
		return
	}
	if p.quiet && r.Verdict == record.Pass {
		return
	}
	var sb strings.Builder
	pal := p.pal
	name := r.Command
	if name == "" {
		name = r.Request.Method + " " + r.Request.URL
	}
	if received {
		p.receivedLine(&sb, r, name)
	} else {
		p.sentLine(&sb, r, name)
	}
	for _, f := range r.Findings {
		if f.Severity == record.Info && !p.ShowInfo && !(p.Strict && record.FailsStrictly(f)) {
			continue
		}
		where := ""
		if f.Path != "" {
			where = " " + pal.Bold(f.Path)
		}
		fmt.Fprintf(&sb, "      %s %s%s: %s\n", pal.Severity(f.Severity), pal.Dim(f.Rule), where, f.Message)
	}
	if p.ShowReply && r.Response != nil && !received {
		fmt.Fprintf(&sb, "      %s HTTP %s %s\n", pal.Cyan("reply"), pal.Status(r.Response.Status), replyBody(r.Response.Body))
	}
	io.WriteString(p.out, sb.String())
}

// receivedLine is the line of an exchange serve received: the callback,
// its verdict and findings count, the backend's leg, what the caller got.
func (p *Printer) receivedLine(sb *strings.Builder, r *record.Record, name string) {
	pal := p.pal
	shown := 0
	for _, f := range r.Findings {
		if f.Severity != record.Info || p.ShowInfo {
			shown++
		}
	}
	fmt.Fprintf(sb, "%s %s %s  %s", pal.Cyan("<--"), pal.Dim(r.Vendor), pal.Bold(name), pal.Verdict(r.Verdict))
	if shown > 0 {
		fmt.Fprintf(sb, "  %d finding(s)", shown)
	}
	if fw := r.Forward; fw != nil {
		// The second leg: what the backend did, then what the caller got.
		if fw.Status != 0 {
			fmt.Fprintf(sb, "  %s backend %s %s", pal.Cyan("==>"), pal.Status(fw.Status), FormatMS(fw.LatencyMS))
		} else {
			fmt.Fprintf(sb, "  %s backend %s", pal.Cyan("==>"), pal.Red("no reply"))
		}
	}
	if r.Response != nil {
		fmt.Fprintf(sb, "  %s %s %s", pal.Cyan("-->"), pal.Status(r.Response.Status), FormatMS(r.Response.LatencyMS))
		if r.Outcome != "" {
			fmt.Fprintf(sb, " %s", pal.Dim(string(r.Outcome)))
		}
	}
	sb.WriteByte('\n')
}

// sentLine is the line of an exchange imhook sent: the callback, the reply
// (or none) and the verdict.
func (p *Printer) sentLine(sb *strings.Builder, r *record.Record, name string) {
	pal := p.pal
	fmt.Fprintf(sb, "%s %s %s", pal.Cyan("-->"), pal.Dim(r.Vendor), pal.Bold(name))
	switch {
	case r.Response != nil:
		fmt.Fprintf(sb, "  %s %s %s", pal.Cyan("<--"), pal.Status(r.Response.Status), FormatMS(r.Response.LatencyMS))
		if r.Outcome != "" {
			fmt.Fprintf(sb, " %s", pal.Dim(string(r.Outcome)))
		}
	case r.Error != "":
		fmt.Fprintf(sb, "  %s %s", pal.Cyan("<--"), pal.Red("no reply"))
	}
	fmt.Fprintf(sb, "  %s\n", pal.Verdict(r.Verdict))
}

// replyShown is how much of a reply body ShowReply prints.
const replyShown = 400

// replyBody is a reply body on one line: compact JSON, or quoted text,
// clipped to replyShown characters.
func replyBody(b []byte) string {
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return "(empty body)"
	case json.Valid(t):
		var buf bytes.Buffer
		_ = json.Compact(&buf, t)
		s := buf.String()
		if n := utf8.RuneCountInString(s); n > replyShown {
			s = string([]rune(s)[:replyShown]) + fmt.Sprintf("… (%d bytes)", len(t))
		}
		return s
	}
	return jsonx.Snippet(t, replyShown)
}

// NotJudged prints a check that was not made (a probe whose baseline
// failed); the summary says why. Nothing in JSON: it has no record.
func (p *Printer) NotJudged(vendor, command, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		return
	}
	pal := p.pal
	fmt.Fprintf(p.out, "%s %s %s  %s  %s\n", pal.Dim("---"), pal.Dim(vendor), pal.Bold(command), name, pal.Yellow("NOT JUDGED (the baseline failed)"))
}

// Request prints a request that would be sent (--dry-run).
func (p *Printer) Request(r *record.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.jsonLine(r)
		return
	}
	var sb strings.Builder
	pal := p.pal
	fmt.Fprintf(&sb, "%s %s %s\n", pal.Cyan("-->"), pal.Dim(r.Vendor), pal.Bold(r.Command))
	fmt.Fprintf(&sb, "%s %s\n", r.Request.Method, r.Request.URL)
	names := make([]string, 0, len(r.Request.Headers))
	for k := range r.Request.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.Request.Headers[k] {
			fmt.Fprintf(&sb, "%s: %s\n", k, v)
		}
	}
	sb.WriteString("\n")
	sb.Write(PrettyJSON(r.Request.Body))
	for _, f := range r.Findings {
		fmt.Fprintf(&sb, "      %s %s %s: %s\n", pal.Severity(f.Severity), pal.Dim(f.Rule), f.Path, f.Message)
	}
	sb.WriteString("\n")
	io.WriteString(p.out, sb.String())
}

// PrettyJSON indents JSON (keeping key order) and leaves other bytes alone.
func PrettyJSON(b []byte) []byte {
	if !json.Valid(bytes.TrimSpace(b)) {
		out := append([]byte{}, b...)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		return out
	}
	return pretty.PrettyOptions(b, &pretty.Options{Width: 80, Indent: "  "})
}

// FormatMS renders a latency in milliseconds.
func FormatMS(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.2fs", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.2fms", ms)
}
