package imhooktest

import (
	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
)

// This file and options.go are the options a backend's test sets; this one
// holds those that name a vendor's own request settings (layout_test.go
// lets it, as it lets cmd/vendorflags.go for the command line's flags).

// Release is the OpenIM Server release whose requests to send and whose
// treatment of replies to judge by: "v3.7", "v3.4.2", "v3.0", "main"; the
// default ("" or "docs") is the documents' form, judged as v3.7 and later
// do. An unknown release fails the test.
func Release(version string) Option {
	return func(s *settings) {
		if _, _, err := platform.OpenIMForm(version); err != nil {
			s.errs = append(s.errs, "release: "+err.Error())
			return
		}
		s.params.OpenIMVersion = version
	}
}

// release is the release whose request shapes generation reproduces (nil:
// the documents').
func (s *settings) release() *fixtures.Release {
	form, rel, err := platform.OpenIMForm(s.params.OpenIMVersion)
	if err != nil || form == platform.FormDocs {
		return nil
	}
	return &rel
}
