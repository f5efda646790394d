package cmd

import (
	"strings"
	"time"

	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"github.com/schollz/progressbar/v3"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/offline"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/record"
)

type validateOptions struct {
	g   *Globals
	ctx context.Context

	Inputs  []string
	As      string
	Command string
	Vendor  string
	Strict  bool

	Consistency bool
}

func newValidateCmd(g *Globals, runF func(*validateOptions) error) *cobra.Command {
	o := &validateOptions{g: g}
	c := &cobra.Command{
		Use:   "validate FILE...|-",
		Short: "Check payloads, replies and recordings against the spec, offline",
		Long: `Check payloads, replies and whole recordings against the catalogue and the platforms'
reply contracts, offline: one line per finding, "file:line: severity rule path: message".
Exit 0 when nothing is wrong (warnings allowed, unless --strict), 1 when an item breaks the
spec or the contract, 2 when an input cannot be used (unreadable, empty, not JSON text).

More: 'imhook help checks' (what is checked; --as, --strict), 'imhook help inputs' (files,
JSON Lines, directories, stdin), 'imhook help consistency' (--consistency).`,
		Example: `  imhook validate payload.json
  imhook validate run.jsonl                            # a recording of simulate or serve
  imhook validate --as response --vendor openim reply.json
  imhook fixtures show C2C.CallbackAfterSendMsg | imhook validate -
  imhook validate recordings/ --strict -o json
  imhook validate --consistency conversation.jsonl     # simulate --scenario conversation --record conversation.jsonl`,
		Args: needArgs("FILE... or - (stdin)"),
		RunE: func(c *cobra.Command, args []string) error {
			o.Inputs, o.ctx = args, c.Context()
			if runF != nil {
				return runF(o)
			}
			return validateRun(o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.As, "as", offline.AsAuto, "what the items are: auto, request, response or record")
	f.StringVar(&o.Command, "command", "", "check payloads as this callback (and judge replies for its kind)")
	f.StringVar(&o.Vendor, "vendor", "", "the vendor of replies whose fields do not say: "+strings.Join(platform.Names(), " or "))
	registerStrict(c, &o.Strict, "warnings and unknown fields fail too (exit 1)")
	f.BoolVar(&o.Consistency, "consistency", false, "also check that the items, in order, tell one consistent story by each vendor's conversation model (consistency.* rules: 'imhook help consistency')")
	_ = c.RegisterFlagCompletionFunc("as", fixedCompletion(offline.AsAuto, offline.AsRequest, offline.AsResponse, offline.AsRecord))
	_ = c.RegisterFlagCompletionFunc("command", completeCommands(&o.Vendor))
	_ = c.RegisterFlagCompletionFunc("vendor", fixedCompletion(platform.Names()...))
	return c
}

func validateRun(o *validateOptions) error {
	g, ctx, args := o.g, o.ctx, o.Inputs
	vo, err := o.options()
	if err != nil {
		return err
	}
	sources, err := stream.Expand(args)
	if err != nil {
		return usageErrorf("%v", err)
	}
	bar := progressBar(g, sources, "validating")
	if bar != nil {
		vo.Read.Progress = func(n int) { _ = bar.Add(n) }
	}
	// The heap holds a bounded window of batches; a less eager collector
	// costs a few MiB and saves CPU on big inputs.
	defer debug.SetGCPercent(debug.SetGCPercent(200))
	out := bufio.NewWriterSize(g.Streams.Out, 64<<10)
	pal := g.OutPalette()
	fails := func(f record.Finding) bool {
		return f.Severity == record.Error || (o.Strict && record.FailsStrictly(f))
	}
	strictFails := 0 // warnings and unknown fields, which fail with --strict
	st := offline.Stream(ctx, sources, vo, func(f stream.Finding) {
		if f.Severity != record.Error && record.FailsStrictly(f.Finding) {
			strictFails++
		}
		if g.Quiet && !fails(f.Finding) {
			return
		}
		if g.JSON() {
			b, _ := json.Marshal(f)
			out.Write(append(b, '\n'))
			return
		}
		where := pal.Dim(f.Rule)
		if f.Path != "" {
			where += " " + pal.Bold(f.Path)
		}
		fmt.Fprintf(out, "%s:%d: %s %s: %s\n", f.File, f.Line, pal.Severity(f.Severity), where, f.Message)
	})
	if err := out.Flush(); err != nil {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("writing the output: %w", err)}
	}
	if bar != nil {
		_ = bar.Finish()
		_ = bar.Clear()
	}
	failed := st.Errors
	if o.Strict {
		failed += strictFails
	}
	if !g.Quiet {
		o.summary(st, strictFails)
	}
	switch {
	case ctx.Err() != nil:
		return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("interrupted")}
	case st.Unreadable > 0:
		// The findings and the summary have said which and why.
		return &ExitError{Code: ExitUsage, Silent: true, Err: fmt.Errorf("%d input(s) could not be used", st.Unreadable)}
	case failed > 0:
		return &ExitError{Code: ExitContract, Silent: true, Err: fmt.Errorf("%d finding(s) fail", failed)}
	}
	return nil
}

// options checks --as, --vendor and --command and returns the offline
// validation's options from them.
func (o *validateOptions) options() (offline.Options, error) {
	switch o.As {
	case offline.AsAuto, offline.AsRequest, offline.AsResponse, offline.AsRecord:
	default:
		return offline.Options{}, usageErrorf("--as must be auto, request, response or record, not %q", o.As)
	}
	if err := checkVendor(o.Vendor); err != nil {
		return offline.Options{}, err
	}
	vo := offline.Options{As: o.As, Vendor: o.Vendor, Read: stream.Options{Stdin: o.g.Streams.In}, Consistency: o.Consistency}
	if o.Command != "" {
		es, err := lookupEntries(o.g, []string{o.Command})
		if err != nil {
			return offline.Options{}, err
		}
		vo.Command = es[0]
		if o.Vendor != "" && o.Vendor != es[0].Vendor {
			return offline.Options{}, usageErrorf("--command %s is a %s callback, but --vendor says %s", es[0].Command, es[0].Vendor, o.Vendor)
		}
	}
	return vo, nil
}

// summary says on stderr how many items and inputs were read and what was
// found in them.
func (o *validateOptions) summary(st offline.Stats, strictFails int) {
	g := o.g
	epal := g.ErrPalette()
	s := fmt.Sprintf("%d item(s) in %d input(s): %s, %s, %d info", st.Items, st.Files,
		redIfWord(epal, st.Errors, "error(s)"), yellowIfWord(epal, st.Warnings, "warning(s)"), st.Infos)
	if o.Strict && strictFails > 0 {
		s += " (--strict: warnings and unknown fields fail)"
	}
	if st.Unreadable > 0 {
		s += fmt.Sprintf("; %s could not be used (unreadable, empty or not JSON text)", epal.Red(fmt.Sprintf("%d input(s)", st.Unreadable)))
	}
	fmt.Fprintln(g.Streams.ErrOut, s)
}

func redIfWord(p interface{ Red(string) string }, n int, word string) string {
	s := fmt.Sprintf("%d %s", n, word)
	if n > 0 {
		return p.Red(s)
	}
	return s
}

func yellowIfWord(p interface{ Yellow(string) string }, n int, word string) string {
	s := fmt.Sprintf("%d %s", n, word)
	if n > 0 {
		return p.Yellow(s)
	}
	return s
}

// progressBar is a byte-counting bar on stderr when it is a terminal and
// not -q; nil otherwise. With stdin among the sources the total is unknown
// and the bar is a spinner.
func progressBar(g *Globals, sources []stream.Source, what string) *progressbar.ProgressBar {
	if !g.Streams.ErrTTY || g.Quiet {
		return nil
	}
	var total int64
	for _, s := range sources {
		if s.Size < 0 {
			total = -1
			break
		}
		total += s.Size
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(g.Streams.ErrOut),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetRenderBlankState(true),
	)
}
