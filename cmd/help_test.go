package cmd

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/ui"
)

// helpOf renders a command's --help as a user sees it.
func helpOf(t *testing.T, path ...string) string {
	t.Helper()
	r := runCmd(t, nil, "", append(path, "--help")...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("%v --help: %s", path, r)
	}
	return r.stdout
}

// commandPaths lists every command a user runs: runnable ones and groups,
// not the help topics, cobra's hidden ones or its per-shell completion
// scripts (whose help is cobra's own instructions).
func commandPaths() [][]string {
	root := NewRootCmd(&ui.Streams{})
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.Hidden || (!c.Runnable() && !c.HasSubCommands()) || c.Name() == "help" {
			return
		}
		if c.HasParent() && c.Parent().Name() == "completion" {
			return
		}
		out = append(out, path)
		for _, s := range c.Commands() {
			walk(s, append(slices.Clone(path), s.Name()))
		}
	}
	walk(root, nil)
	return out
}

// Each command's help opens with a short paragraph and its examples, all
// within the first 40 lines; the long explanations are help topics.
func TestHelpOpensWithExamples(t *testing.T) {
	paths := commandPaths()
	if len(paths) < 12 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	for _, path := range paths {
		name := strings.TrimSpace("imhook " + strings.Join(path, " "))
		lines := strings.Split(helpOf(t, path...), "\n")
		usage := slices.Index(lines, "Usage:")
		examples := slices.Index(lines, "Examples:")
		if usage < 0 || examples < 0 || examples < usage {
			t.Errorf("%s: no examples after the usage line", name)
			continue
		}
		if usage > 12 {
			t.Errorf("%s: %d lines before the usage line; keep the opening paragraph short and move the rest to a help topic", name, usage)
		}
		end := examples + 1
		for end < len(lines) && (lines[end] == "" || strings.HasPrefix(lines[end], "  ")) {
			end++
		}
		for end > examples && lines[end-1] == "" {
			end--
		}
		if end-examples < 2 {
			t.Errorf("%s: an empty Examples section", name)
		}
		if end > 40 {
			t.Errorf("%s: its examples end at line %d, after the first 40", name, end)
		}
	}
}

// The issue's own measure: simulate's examples are within 45 lines.
func TestSimulateHelpShowsExamplesEarly(t *testing.T) {
	lines := strings.Split(helpOf(t, "simulate"), "\n")
	i := slices.Index(lines, "Examples:")
	if i < 0 || i > 45-3 || !strings.HasPrefix(strings.TrimSpace(lines[i+2]), "imhook simulate --all") {
		t.Fatalf("Examples at line %d:\n%s", i+1, strings.Join(lines[:min(len(lines), 50)], "\n"))
	}
}

// Every 'imhook help TOPIC' that a help text or flag mentions exists.
func TestHelpTopicsLinked(t *testing.T) {
	root := NewRootCmd(&ui.Streams{})
	topics := map[string]bool{}
	for _, t := range helpTopics() {
		topics[t.Name()] = true
	}
	var texts []string
	for _, path := range commandPaths() {
		texts = append(texts, helpOf(t, path...))
	}
	for _, c := range root.Commands() {
		if topics[c.Name()] {
			texts = append(texts, c.Long)
		}
	}
	ref := regexp.MustCompile(`imhook help\s+([a-z]+)`)
	linked := map[string]bool{}
	for _, text := range texts {
		for _, m := range ref.FindAllStringSubmatch(text, -1) {
			if !topics[m[1]] {
				t.Errorf("'imhook help %s' is mentioned but is no topic", m[1])
			}
			linked[m[1]] = true
		}
	}
	for name := range topics {
		if !linked[name] {
			t.Errorf("topic %s is linked from no command's help", name)
		}
	}
	// The topics open with text, and help lists them.
	r := runCmd(t, nil, "", "help", "consistency")
	if r.code != 0 || !strings.Contains(r.stdout, "validate --consistency") || !strings.Contains(r.stdout, "consistency.unread") {
		t.Errorf("help consistency: %s", r)
	}
}

// Every default shown is the one used: replay keeps a recording's query
// values unless a flag is given, so it shows no fixed default for them.
func TestHelpDefaultsAreTrue(t *testing.T) {
	h := helpOf(t, "replay")
	for _, flag := range []string{"sdkappid", "client-ip", "platform"} {
		line := ""
		for _, l := range strings.Split(h, "\n") {
			if strings.Contains(l, "--"+flag+" ") {
				line = l
			}
		}
		if strings.Contains(line, `(default "`) || !strings.Contains(line, "(default: the recording's, else ") {
			t.Errorf("replay --%s: %s", flag, line)
		}
	}
	// A flag says its default once: never its own words and then a
	// different value (replay --concurrency is 1, or 64 in a load run).
	for _, path := range commandPaths() {
		for _, l := range strings.Split(helpOf(t, path...), "\n") {
			if strings.Contains(l, "(default:") && strings.Contains(l, "(default ") {
				t.Errorf("imhook %s: two defaults: %s", strings.Join(path, " "), l)
			}
		}
	}
	// simulate sends the default.
	if h := helpOf(t, "simulate"); !strings.Contains(h, `--sdkappid string`) || !strings.Contains(h, `(default "1400000000")`) {
		t.Errorf("simulate --sdkappid:\n%s", h)
	}
	// The completion help says what bash needs.
	if h := helpOf(t, "completion"); !strings.Contains(h, "bash-completion package") {
		t.Errorf("completion:\n%s", h)
	}
}
