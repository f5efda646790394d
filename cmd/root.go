package cmd

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/ui"
	"github.com/imhook/imhook/record"
)

// Globals are the flags every command takes.
type Globals struct {
	Output string
	Color  string
	Quiet  bool

	Streams *ui.Streams
}

// JSON reports -o json.
func (g *Globals) JSON() bool { return g.Output == "json" }

// OutPalette and ErrPalette colour each stream on its own terms.
func (g *Globals) OutPalette() *ui.Palette {
	return ui.NewPalette(g.Streams.ColorEnabled(g.Color, g.Streams.OutTTY))
}

// ErrPalette colours the error stream (stderr).
func (g *Globals) ErrPalette() *ui.Palette {
	return ui.NewPalette(g.Streams.ColorEnabled(g.Color, g.Streams.ErrTTY))
}

// Printer renders records on stdout.
func (g *Globals) Printer() *ui.Printer {
	return ui.NewPrinter(g.Streams.Out, g.Output, g.Quiet, g.OutPalette())
}

// Notef writes a note for people on stderr unless -q.
func (g *Globals) Notef(format string, a ...any) {
	if g.Quiet {
		return
	}
	fmt.Fprintf(g.Streams.ErrOut, "imhook: "+format+"\n", a...)
}

// warn writes a warning about the user's input on stderr, even with -q: a
// --set that does not do what it says is worth the line.
func (g *Globals) warn(msg string) {
	fmt.Fprintf(g.Streams.ErrOut, "imhook: %s\n", msg)
}

func (g *Globals) getenv(k string) string {
	if g.Streams.Getenv != nil {
		return g.Streams.Getenv(k)
	}
	return os.Getenv(k)
}

// NewRootCmd builds the command tree on the given streams.
func NewRootCmd(s *ui.Streams) *cobra.Command {
	g := &Globals{Streams: s}
	root := &cobra.Command{
		Use:   "imhook",
		Short: "Simulate, receive, replay and validate IM webhooks (Tencent Cloud Chat, OpenIM)",
		Long: `imhook plays both sides of an instant-messaging webhook: the IM platform (it generates
spec-conformant callbacks, signs them, sends them to your backend and judges each reply
against the platform's contract) and the backend (it receives callbacks, checks them and
records every exchange). Recordings replay against a new build and validate offline.

Supported: Tencent Cloud Chat / IM third-party callbacks and OpenIM webhooks.`,
		Example: `  imhook simulate --all                               # every callback against the built-in receiver
  imhook simulate C2C.CallbackAfterSendMsg --target http://localhost:8080/im/callback
  imhook check --target tencent=http://localhost:8080/im/callback   # everything a careful CI runs
  imhook serve --record calls.jsonl                   # a receiver for a real platform
  imhook replay calls.jsonl --target http://localhost:8080/im/callback --compare
  imhook validate calls.jsonl
  imhook fixtures list
  imhook fixtures show Group.CallbackAfterReadReceipt --seed 7
  imhook help environment                             # exit codes and environment variables`,
		Version:       currentBuildInfo().String(),
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			switch g.Output {
			case "text", "json":
			default:
				return usageErrorf("--output must be text or json, not %q", g.Output)
			}
			switch g.Color {
			case "auto", "always", "never":
			default:
				return usageErrorf("--color must be auto, always or never, not %q", g.Color)
			}
			return nil
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.Output, "output", "o", "text", "output format: text or json (JSON Lines on stdout)")
	pf.StringVar(&g.Color, "color", "auto", "colour: auto, always or never (honours NO_COLOR, CLICOLOR, CLICOLOR_FORCE)")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "print only failures and errors")
	_ = root.RegisterFlagCompletionFunc("output", fixedCompletion("text", "json"))
	_ = root.RegisterFlagCompletionFunc("color", fixedCompletion("auto", "always", "never"))
	root.SetFlagErrorFunc(flagError)

	root.AddCommand(newFixturesCmd(g), newSimulateCmd(g, nil), newServeCmd(g, nil), newReplayCmd(g, nil), newValidateCmd(g, nil),
		newReportCmd(g, nil), newCheckCmd(g, nil), newVersionCmd(g))
	for _, t := range helpTopics() {
		root.AddCommand(t)
	}
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Long, c.Example = completionLong, completionExample
	}
	return root
}

// Execute runs imhook on the process's streams and returns the exit code.
func Execute() int {
	// SIGHUP (a closed terminal) ends a run as SIGTERM does: serve drains
	// and summarises; nothing needs it to reopen files (record.Writer.Watch
	// notices a rotated record file by itself).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return Run(ctx, ui.System(), os.Args[1:])
}

// Run runs imhook with args and returns the exit code; errors are printed
// on the streams' stderr.
func Run(ctx context.Context, s *ui.Streams, args []string) int {
	root := NewRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := ExitCode(err)
	if err != nil && !silent(err) {
		// A URL quoted in an error (a --target that cannot be used) keeps
		// no user:password@.
		fmt.Fprintf(s.ErrOut, "imhook: %s\n", record.RedactText(unknownCommand(root, err).Error()))
	}
	return code
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeCommands offers the catalogue's commands (with their titles).
func completeCommands(vendor *string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, e := range fixtures.Default().Entries() {
			if vendor != nil && *vendor != "" && e.Vendor != *vendor {
				continue
			}
			if strings.HasPrefix(strings.ToLower(e.Command), strings.ToLower(prefix)) {
				out = append(out, e.Command+"\t"+e.Title)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// lookupEntries resolves command names; an unknown one is a usage error that
// lists the close matches.
func lookupEntries(g *Globals, names []string) ([]*fixtures.Entry, error) {
	cat := fixtures.Default()
	var out []*fixtures.Entry
	for _, n := range names {
		e, alias, ok := cat.Lookup(n)
		if !ok {
			msg := fmt.Sprintf("unknown callback %q", n)
			if s := cat.Suggest(n); len(s) > 0 {
				msg += "; close matches: " + strings.Join(s, ", ")
			}
			return nil, usageErrorf("%s\nsee 'imhook fixtures list' for every callback", msg)
		}
		if alias != nil {
			g.Notef("%s is the name %s used for %s; using %s", alias.Command, alias.Versions, e.Command, e.Command)
		}
		out = append(out, e)
	}
	return out, nil
}

const completionLong = `Print a script that makes your shell complete imhook's commands, flags and the catalogue's
callback names. bash needs the bash-completion package (apt install bash-completion; macOS:
brew install bash-completion@2): without it, Tab prints "_get_comp_words_by_ref: command
not found". Each shell's help (imhook completion bash --help) says how to load the script in
every new shell.`

const completionExample = `  source <(imhook completion bash)                          # bash, this shell (needs bash-completion)
  imhook completion bash > ~/.local/share/bash-completion/completions/imhook   # bash, every shell
  imhook completion zsh > "${fpath[1]}/_imhook"              # zsh (compinit must be on)
  imhook completion fish > ~/.config/fish/completions/imhook.fish
  imhook completion powershell | Out-String | Invoke-Expression`
