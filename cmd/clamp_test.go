package cmd

import (
	"strings"
	"testing"

	"github.com/imhook/imhook/internal/ui"
)

// More workers than the file limit allows connections for are clamped to
// what it allows, with a warning that says both numbers; fewer are kept.
func TestClampWorkersToFileLimit(t *testing.T) {
	saved := fileLimit
	defer func() { fileLimit = saved }()
	fileLimit = func() (int64, bool) { return 20000, true }
	var errOut strings.Builder
	g := &Globals{Streams: &ui.Streams{ErrOut: &errOut}}
	if n := clampWorkers(g, 100000); n != 20000-reservedFiles {
		t.Errorf("100000 workers with 20000 files: %d, want %d", n, 20000-reservedFiles)
	}
	if !strings.Contains(errOut.String(), "--concurrency 100000") || !strings.Contains(errOut.String(), "only 20000 files") || !strings.Contains(errOut.String(), "running 19936 workers") {
		t.Errorf("warning: %q", errOut.String())
	}
	errOut.Reset()
	if n := clampWorkers(g, 64); n != 64 || errOut.Len() != 0 {
		t.Errorf("64 workers: %d, warning %q", n, errOut.String())
	}
	if n := clampWorkers(g, 20000-reservedFiles); n != 20000-reservedFiles || errOut.Len() != 0 {
		t.Errorf("at the limit: %d, warning %q", n, errOut.String())
	}
}
