package cmd

import (
	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/internal/suite"
	"github.com/imhook/imhook/simulate"
)

// suiteMode is simulate --suite FILE: the suite's steps are the producer.
func (o *simulateOptions) suiteMode(sender *simulate.Sender) (*mode, error) {
	g := o.g
	s, err := suite.Load(o.Suite, g.getenv)
	if err != nil {
		return nil, err
	}
	// The vendors the file names, as far as it says before it runs: the
	// targets are checked against them before anything is sent.
	var vendors []string
	seen := map[string]bool{}
	for _, c := range s.Commands() {
		if e, _, ok := fixtures.Default().Lookup(c); ok && !seen[e.Vendor] && o.targets.allows(e.Vendor) {
			seen[e.Vendor] = true
			vendors = append(vendors, e.Vendor)
		}
	}
	r := &suite.Runner{Suite: s, Sender: sender, Getenv: g.getenv, Vendors: o.targets.vendors(),
		Lookup: func(name string) (*fixtures.Entry, error) {
			es, err := lookupEntries(g, []string{name})
			if err != nil {
				return nil, err
			}
			return es[0], nil
		},
		Generate: o.payload.generate,
		Sets:     o.payload.edit,
		Warn:     func(msg string) { o.payload.note("warning: " + msg) },
		Strict:   o.Strict}
	return &mode{producer: r.Producer(), vendors: vendors, receiver: serve.Config{Respond: platform.ReplyOK},
		spec: chainSpec{Name: "imhook simulate --suite " + o.Suite, Mode: "suite", Print: true, ShowInfo: true, Progress: true, Total: int64(len(s.Steps))}}, nil
}
