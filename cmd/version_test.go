package cmd

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// What the linker sets wins; what it does not comes from the go command's
// build information: `go install ...@v1.2.3` gives the module version, a
// build in a clone the commit, its time and whether the tree was modified.
func TestResolveBuildInfo(t *testing.T) {
	t.Parallel()
	clone := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abcdef0123456789abcdef"}, {Key: "vcs.time", Value: "2026-03-04T05:06:07Z"}, {Key: "vcs.modified", Value: "true"}}}
	goInstall := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}
	plat := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	for _, c := range []struct {
		name   string
		linked buildInfo
		bi     *debug.BuildInfo
		want   string
	}{
		{"release", buildInfo{Version: "v0.1.0", Commit: "0123456789abcdef", Date: "2026-01-02T03:04:05Z"}, clone,
			"imhook v0.1.0 (commit 0123456789ab, 2026-01-02T03:04:05Z, " + plat + ")"},
		{"go install", buildInfo{}, goInstall, "imhook v1.2.3 (" + plat + ")"},
		{"clone", buildInfo{}, clone, "imhook dev (commit abcdef012345 modified, 2026-03-04T05:06:07Z, " + plat + ")"},
		{"no build info", buildInfo{}, nil, "imhook dev (" + plat + ")"},
	} {
		if got := resolveBuildInfo(c.linked, c.bi).String(); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}
