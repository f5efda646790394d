package cmd

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
)

// payloadOptions are the flags that shape a generated payload; fixtures show
// and simulate share them.
type payloadOptions struct {
	Seed    uint64
	Now     string
	Sets    []string
	Variant string

	seedSet bool
	now     time.Time
	// release is the OpenIM Server release whose shapes to generate (nil:
	// the documents').
	release *fixtures.Release
}

func (p *payloadOptions) register(c *cobra.Command) {
	f := c.Flags()
	f.Uint64Var(&p.Seed, "seed", 0, "make generation repeatable: the same seed gives the same payload (timestamps anchor at 2026-01-01 unless --now)")
	f.StringVar(&p.Now, "now", "", "the clock for generated timestamps: now, RFC 3339 or Unix seconds (default: now, or 2026-01-01T00:00:00Z with --seed)")
	f.StringArrayVar(&p.Sets, "set", nil, "set a field: PATH=VALUE, PATH a gjson/sjson path, VALUE parsed as JSON when it is JSON (3, true, [..], {..}, \"3\") else taken as a string; repeatable")
	f.StringVar(&p.Variant, "variant", "", "generate a named variant of the callback (see fixtures show --doc)")
}

// resolve reads the flags once, after parsing.
func (p *payloadOptions) resolve(c *cobra.Command) error {
	p.seedSet = c.Flags().Changed("seed")
	if !p.seedSet {
		var b [8]byte
		_, _ = rand.Read(b[:])
		p.Seed = binary.LittleEndian.Uint64(b[:])
	}
	switch {
	case p.Now == "" && p.seedSet:
		p.now = generate.SeedEpoch
	case p.Now == "" || p.Now == "now":
		p.now = time.Now()
	default:
		if t, err := time.Parse(time.RFC3339, p.Now); err == nil {
			p.now = t
		} else if n, err := strconv.ParseInt(p.Now, 10, 64); err == nil {
			p.now = time.Unix(n, 0)
		} else {
			return usageErrorf("--now %q: expected now, an RFC 3339 time (2026-05-01T12:00:00Z) or Unix seconds", p.Now)
		}
	}
	for _, s := range p.Sets {
		path, _, ok := strings.Cut(s, "=")
		if !ok || path == "" {
			return usageErrorf("--set %q: expected PATH=VALUE, for example --set MsgBody.0.MsgContent.Text=hello", s)
		}
		if hasPattern(path) {
			return usageErrorf("--set %q: a set path names one place (MsgBody.0.MsgContent.Text, MsgBody.-1 to append); wildcards, queries and modifiers (* ? # | @) only read", s)
		}
	}
	return nil
}

// generate makes the i-th payload of a run for e.
func (p *payloadOptions) generate(e *fixtures.Entry, i int) ([]byte, error) {
	b, err := generate.Generate(e, generate.GenOptions{Seed: p.Seed + uint64(i), Now: p.now, Variant: p.Variant, Release: p.release})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return applySets(b, p.Sets)
}

// hasPattern reports unescaped gjson pattern characters, which sjson does
// not take (it would silently set nothing).
func hasPattern(path string) bool {
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '\\':
			i++
		case '*', '?', '|', '@':
			return true
		case '#':
			return true
		}
	}
	return false
}

// applySets applies --set PATH=VALUE overrides with sjson.
func applySets(body []byte, sets []string) ([]byte, error) {
	for _, s := range sets {
		path, value, _ := strings.Cut(s, "=")
		var err error
		if json.Valid([]byte(value)) {
			body, err = sjson.SetRawBytes(body, path, []byte(value))
		} else {
			body, err = sjson.SetBytes(body, path, value)
		}
		if err != nil {
			return nil, usageErrorf("--set %q: %v", s, err)
		}
	}
	return body, nil
}
