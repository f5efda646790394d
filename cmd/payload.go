package cmd

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
)

// payloadOptions are the flags that shape a generated payload; fixtures show
// and simulate share them.
type payloadOptions struct {
	Seed    uint64
	Now     string
	Sets    []string
	Text    string
	Variant string

	seedSet bool
	now     time.Time
	sets    []generate.Set
	// release is the OpenIM Server release whose shapes to generate (nil:
	// the documents').
	release *fixtures.Release
	// strict makes a --set path that is no field of the callback a usage
	// error (--strict); warn says it otherwise (on stderr).
	strict bool
	warn   func(string)
	// checked holds, for each entry whose payloads were made, what was
	// wrong with the --set paths for it (nil: nothing): each is said once.
	checked sync.Map
}

func (p *payloadOptions) register(c *cobra.Command) {
	f := c.Flags()
	p.registerSeed(c)
	f.StringArrayVar(&p.Sets, "set", nil, "set a field: PATH=VALUE, PATH a gjson/sjson path, VALUE parsed as JSON when it is JSON (3, true, [..], {..}, \"3\") else taken as a string; "+
		"a field of a message element (MsgBody.0.MsgContent.Text) makes the element of a type that has it; repeatable ('imhook help checks')")
	f.StringVar(&p.Text, "text", "", "set the text of the first text element of any message callback, where the catalogue says the text lives ('imhook help checks')")
	f.StringVar(&p.Variant, "variant", "", "generate a named variant of the callback (see fixtures show --doc)")
}

// registerSeed adds --seed and --now, the flags of what generation starts
// from.
func (p *payloadOptions) registerSeed(c *cobra.Command) {
	f := c.Flags()
	f.Uint64Var(&p.Seed, "seed", 0, "make generation repeatable: the same seed gives the same payloads (timestamps anchor at 2026-01-01 unless --now); without it a seed is drawn and printed on stderr")
	f.StringVar(&p.Now, "now", "", "the clock for generated timestamps: now, RFC 3339 or Unix seconds (default: now, or 2026-01-01T00:00:00Z with --seed)")
}

// noteSeed says on stderr (not with -q) the seed the payloads came from
// and the flags that make them again: always when asked, else only when
// the seed was drawn.
func (p *payloadOptions) noteSeed(g *Globals, always bool) {
	if !p.seedSet || always {
		g.Notef("%s", p.seedLine())
	}
}

// seedLine says the seed and the flags that make the same payloads again.
func (p *payloadOptions) seedLine() string {
	again := fmt.Sprintf("--seed %d", p.Seed)
	switch {
	case !p.seedSet:
		again += " --now " + p.now.UTC().Format(time.RFC3339)
	case p.Now != "":
		again += " --now " + p.Now
	}
	return fmt.Sprintf("seed %d: %s makes the same payloads again", p.Seed, again)
}

// resolve reads the flags once, after parsing.
func (p *payloadOptions) resolve(c *cobra.Command) error {
	p.seedSet = c.Flags().Changed("seed")
	if !p.seedSet {
		var b [8]byte
		_, _ = rand.Read(b[:])
		// 53 bits: the seed is a JSON number in records, exact in every
		// JSON reader (jq, JavaScript).
		p.Seed = binary.LittleEndian.Uint64(b[:]) >> 11
	}
	switch {
	case p.Now == "" && p.seedSet:
		p.now = generate.SeedEpoch
	case p.Now == "" || p.Now == "now":
		// To the second: the printed clock (noteSeed) makes the same
		// timestamps again.
		p.now = time.Now().Truncate(time.Second)
	default:
		if t, err := time.Parse(time.RFC3339, p.Now); err == nil {
			p.now = t
		} else if n, err := strconv.ParseInt(p.Now, 10, 64); err == nil {
			p.now = time.Unix(n, 0)
		} else {
			return usageErrorf("--now %q: expected now, an RFC 3339 time (2026-05-01T12:00:00Z) or Unix seconds", p.Now)
		}
	}
	p.sets = p.sets[:0]
	for _, s := range p.Sets {
		set, ok := generate.ParseSet(s)
		if !ok {
			return usageErrorf("--set %q: expected PATH=VALUE, for example --set MsgBody.0.MsgContent.Text=hello", s)
		}
		p.sets = append(p.sets, set)
	}
	// The bounds every callback has, before any is looked up; check
	// holds each callback's own.
	return setUsage(generate.CheckSets(nil, p.sets))
}

// setUsage is a set path's error as a usage error of --set.
func setUsage(err error) error {
	var se *generate.SetError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se) && se.Path == "":
		return usageErrorf("--set: %s", se.Msg)
	case errors.As(err, &se):
		return usageErrorf("--set %s: %s", se.Path, se.Msg)
	}
	return usageErrorf("%v", err)
}

// generate makes the i-th payload of a run for e: generated, then --text,
// then --set, a set into a message element making the element of a type
// that has the field (generate.Apply).
func (p *payloadOptions) generate(e *fixtures.Entry, i int) ([]byte, error) {
	return p.appendGenerate(nil, e, i)
}

// appendGenerate is generate into dst (a load worker's buffer; nil: a
// body of its own).
func (p *payloadOptions) appendGenerate(dst []byte, e *fixtures.Entry, i int) ([]byte, error) {
	if err := p.check(e); err != nil {
		return nil, err
	}
	o := generate.GenOptions{Seed: p.Seed + uint64(i), Now: p.now, Variant: p.Variant, Release: p.release}
	b, err := generate.AppendGenerate(dst, e, o)
	if err == nil && p.Text != "" && e.Text() != nil {
		b, err = generate.Text(e, b, p.Text, o)
	}
	if err == nil {
		b, err = generate.Apply(e, b, p.sets, o)
	}
	if err != nil {
		return nil, setUsage(err)
	}
	return b, nil
}

// edit applies --text and --set to a body the user gave (--data, --sample):
// as given, without making elements whole.
func (p *payloadOptions) edit(e *fixtures.Entry, body []byte) ([]byte, error) {
	if err := p.check(e); err != nil {
		return nil, err
	}
	if p.Text != "" && e.Text() != nil {
		var err error
		if body, err = generate.Text(e, body, p.Text, generate.GenOptions{Seed: p.Seed, Now: p.now}); err != nil {
			return nil, usageErrorf("--text: %v", err)
		}
	}
	body, err := generate.ApplyAsGiven(e, body, p.sets)
	return body, setUsage(err)
}

// checkAll says, once for all the callbacks of a run, what is wrong with
// the --set paths and --text for them; with --strict it is a usage error.
// Each entry is then checked.
func (p *payloadOptions) checkAll(entries []*fixtures.Entry) error {
	if len(entries) == 1 {
		return p.check(entries[0])
	}
	for _, e := range entries {
		if err := setUsage(generate.CheckSets(e, p.sets)); err != nil {
			return err
		}
	}
	var msgs []string
	for _, s := range p.sets {
		var bad []string
		first := ""
		for _, e := range entries {
			if m := e.Path(s.Path).Message(); m != "" {
				bad = append(bad, e.Command)
				if first == "" {
					first = m
				}
			}
		}
		if len(bad) > 0 {
			msgs = append(msgs, fmt.Sprintf("--set %s: not a field of %d of the %d callbacks of this run (%s): %s", s.Path, len(bad), len(entries), listSome(bad, 3), first))
		}
	}
	if p.Text != "" {
		var none []string
		for _, e := range entries {
			if e.Text() == nil {
				none = append(none, e.Command)
			}
		}
		if len(none) == len(entries) {
			return usageErrorf("--text: none of the callbacks of this run carries a message text; --text applies to message callbacks: %s", listSome(generate.TextCommands(nil), 4))
		}
		if len(none) > 0 {
			p.note(fmt.Sprintf("--text sets the text of %d of the %d callbacks of this run; the others carry none (%s)", len(entries)-len(none), len(entries), listSome(none, 3)))
		}
	}
	for _, e := range entries {
		p.checked.Store(e, nil)
	}
	return p.problems(msgs)
}

// check says, the first time a payload of e is made, what is wrong with the
// --set paths and --text for it; with --strict it is a usage error, each
// time.
func (p *payloadOptions) check(e *fixtures.Entry) error {
	if v, ok := p.checked.Load(e); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	if err := setUsage(generate.CheckSets(e, p.sets)); err != nil {
		p.checked.Store(e, err)
		return err
	}
	var msgs []string
	for _, s := range p.sets {
		if m := e.Path(s.Path).Message(); m != "" {
			msgs = append(msgs, fmt.Sprintf("--set %s (%s): %s", s.Path, e.Command, m))
		}
	}
	var err error
	if p.Text != "" && e.Text() == nil {
		err = usageErrorf("--text: %s carries no message text; --text applies to message callbacks: %s", e.Command, listSome(generate.TextCommands(nil), 4))
	}
	if err == nil {
		err = p.problems(msgs)
	}
	if v, loaded := p.checked.LoadOrStore(e, err); loaded {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	return err
}

// problems are warnings on stderr, or with --strict one usage error.
func (p *payloadOptions) problems(msgs []string) error {
	if len(msgs) == 0 {
		return nil
	}
	if p.strict {
		return usageErrorf("%s\n--strict: a set path must name a field of the callback", strings.Join(msgs, "\n"))
	}
	for _, m := range msgs {
		p.note("warning: " + m + " (set all the same)")
	}
	return nil
}

func (p *payloadOptions) note(msg string) {
	if p.warn != nil {
		p.warn(msg)
	}
}

// listSome lists the first n names and how many more.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
