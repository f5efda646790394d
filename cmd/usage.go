package cmd

import (
	"errors"
	"fmt"
	"github.com/imhook/imhook/internal/textdist"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Usage errors in imhook's own words: a flag that does not exist (with the
// closest ones), a flag value that does not parse (with what the flag
// takes), arguments missing or too many, an unknown subcommand. Each ends
// with one "see 'imhook X --help'" line.

// seeHelp appends the one line that points at the command's help.
func seeHelp(c *cobra.Command, msg string) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%s\nsee '%s --help'", msg, c.CommandPath())}
}

// flagError rewrites pflag's parse errors (cobra's FlagErrorFunc).
func flagError(c *cobra.Command, err error) error {
	var (
		notExist *pflag.NotExistError
		required *pflag.ValueRequiredError
		invalid  *pflag.InvalidValueError
		syntax   *pflag.InvalidSyntaxError
	)
	switch {
	case errors.As(err, &notExist):
		return seeHelp(c, unknownFlag(c, notExist))
	case errors.As(err, &required):
		f := required.GetFlag()
		return seeHelp(c, fmt.Sprintf("--%s needs a value, for example --%s %s", f.Name, f.Name, flagExample(f)))
	case errors.As(err, &invalid):
		return seeHelp(c, invalidValue(invalid.GetFlag(), invalid.GetValue(), invalid.Unwrap()))
	case errors.As(err, &syntax):
		return seeHelp(c, fmt.Sprintf("%s is not a flag: flags are --name or -n", syntax.GetSpecifiedFlag()))
	}
	return seeHelp(c, err.Error())
}

// unknownFlag says which flag is unknown and names the closest ones.
func unknownFlag(c *cobra.Command, e *pflag.NotExistError) string {
	name := e.GetSpecifiedName()
	given := "--" + name
	if sh := e.GetSpecifiedShortnames(); sh != "" {
		if sh != name {
			given = fmt.Sprintf("-%s (in -%s)", name, sh)
		} else {
			given = "-" + name
		}
		// -target: a long flag with one dash.
		if f := c.Flags().Lookup(sh); f != nil && len(sh) > 1 {
			return fmt.Sprintf("unknown flag -%s: did you mean --%s? (long flags take two dashes)", sh, f.Name)
		}
		if ss := suggestFlags(c, sh); len(sh) > 1 && len(ss) > 0 {
			return fmt.Sprintf("unknown flag -%s: did you mean %s? (long flags take two dashes)", sh, strings.Join(ss, " or "))
		}
	}
	if ss := suggestFlags(c, name); len(ss) > 0 {
		return fmt.Sprintf("unknown flag %s: did you mean %s?", given, strings.Join(ss, " or "))
	}
	return fmt.Sprintf("unknown flag %s: '%s' has no such flag", given, c.CommandPath())
}

// suggestFlags lists the command's flags closest to name (at most three,
// nearest first): one or two edits away, or starting with it.
func suggestFlags(c *cobra.Command, name string) []string {
	q := strings.ToLower(strings.TrimLeft(name, "-"))
	if q == "" {
		return nil
	}
	limit := 2
	if len(q) < 5 {
		limit = 1
	}
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := textdist.Levenshtein(q, f.Name)
		if len(q) >= 3 && strings.HasPrefix(f.Name, q) {
			d = min(d, 1)
		}
		if d <= limit {
			cs = append(cs, cand{"--" + f.Name, d})
		}
	})
	var out []string
	for d := 0; d <= limit && len(out) < 3; d++ {
		for _, x := range cs {
			if x.d == d && len(out) < 3 {
				out = append(out, x.name)
			}
		}
	}
	return out
}

// invalidValue says what a flag takes, by its type.
func invalidValue(f *pflag.Flag, value string, cause error) string {
	what := "a valid value"
	switch f.Value.Type() {
	case "int", "int32", "int64":
		what = "a whole number, for example " + flagExample(f)
	case "uint", "uint32", "uint64":
		what = "a whole number of 0 or more, for example " + flagExample(f)
	case "float32", "float64":
		what = "a number, for example " + flagExample(f)
	case "duration":
		what = "a duration with its unit, for example 500ms, 2s or 1m30s"
	case "bool":
		return fmt.Sprintf("--%s=%s: expected true or false (--%s alone means true)", f.Name, value, f.Name)
	}
	if errors.Is(cause, strconv.ErrRange) {
		return fmt.Sprintf("--%s %s: out of range; expected %s", f.Name, value, what)
	}
	return fmt.Sprintf("--%s %q: expected %s", f.Name, value, what)
}

// flagExample is a value that fits the flag, for messages.
func flagExample(f *pflag.Flag) string {
	switch f.Name {
	case "count":
		return "1000"
	case "concurrency":
		return "16"
	case "rate":
		return "200 (a second) or 0.5"
	case "seed":
		return "7"
	case "max-failures":
		return "3"
	case "fail-rate":
		return "0.1"
	}
	switch f.Value.Type() {
	case "int", "int32", "int64", "uint", "uint32", "uint64":
		return "10"
	case "float32", "float64":
		return "2.5"
	case "duration":
		return "2s"
	case "bool":
		return "true"
	}
	return strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
}

// needArgs is an Args validator: at least one argument, which is what
// what says.
func needArgs(what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return seeHelp(c, fmt.Sprintf("%s takes %s", c.CommandPath(), what))
		}
		return nil
	}
}

// oneArg is an Args validator: exactly one argument, which is what what
// says.
func oneArg(what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != 1 {
			return seeHelp(c, fmt.Sprintf("%s takes one %s, not %d", c.CommandPath(), what, len(args)))
		}
		return nil
	}
}

// noArgs is an Args validator for commands that take only flags.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return seeHelp(c, fmt.Sprintf("%s takes no arguments, only flags: %q is not one", c.CommandPath(), args[0]))
	}
	return nil
}

// groupRun makes a command of subcommands say so when it is given an
// unknown one (cobra would print its help and exit 0), and print its help
// when given none.
func groupRun(c *cobra.Command) {
	c.Args = cobra.ArbitraryArgs
	c.SuggestionsMinimumDistance = 2
	c.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		msg := fmt.Sprintf("unknown command %q for '%s'", args[0], c.CommandPath())
		if ss := c.SuggestionsFor(args[0]); len(ss) > 0 {
			msg += ": did you mean " + strings.Join(ss, " or ") + "?"
		}
		return seeHelp(c, msg)
	}
}

// unknownCommand rewrites cobra's error for an unknown command of the root
// (imhook simulat) in the words of groupRun; other errors pass.
func unknownCommand(root *cobra.Command, err error) error {
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	rest, ok := strings.CutPrefix(err.Error(), "unknown command ")
	if !ok {
		return err
	}
	name, err2 := strconv.QuotedPrefix(rest)
	if err2 != nil {
		return err
	}
	name, _ = strconv.Unquote(name)
	out := fmt.Sprintf("unknown command %q for '%s'", name, root.CommandPath())
	if ss := root.SuggestionsFor(name); len(ss) > 0 {
		out += ": did you mean " + strings.Join(ss, " or ") + "?"
	}
	return fmt.Errorf("%s\nsee '%s --help'", out, root.CommandPath())
}
