package cmd

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Version, Commit and Date are set by release builds (.goreleaser.yaml, .ko.yaml) with
//
//	-ldflags "-X github.com/imhook/imhook/cmd.Version=v1.2.3 -X github.com/imhook/imhook/cmd.Commit=abc1234 -X github.com/imhook/imhook/cmd.Date=2026-01-02T03:04:05Z"
//
// Left empty (go build, go install), they come from the build information the
// go command embeds: the module version for `go install ...@v1.2.3`, the VCS
// revision and time for a build in a clone.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// buildInfo is what `imhook version` prints.
type buildInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Date     string `json:"date,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// currentBuildInfo is this binary's: the linker's values, the rest from
// the go command's build information.
func currentBuildInfo() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	return resolveBuildInfo(buildInfo{Version: Version, Commit: Commit, Date: Date}, bi)
}

// resolveBuildInfo fills what the linker did not set (linked) from the go
// command's build information bi (nil when there is none).
func resolveBuildInfo(linked buildInfo, bi *debug.BuildInfo) buildInfo {
	b := linked
	b.Go, b.Platform = runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
	if bi != nil {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		fromVCS := b.Commit == ""
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && fromVCS:
				b.Commit = s.Value
			case s.Key == "vcs.time" && b.Date == "":
				b.Date = s.Value
			case s.Key == "vcs.modified" && fromVCS:
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	return b
}

// String is the one line `imhook version` and `imhook --version` print:
// "imhook v1.2.3 (commit abc1234def56, 2026-01-02T03:04:05Z, go1.26.8 linux/amd64)".
func (b buildInfo) String() string {
	var parts []string
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if b.Modified {
			c += " modified"
		}
		parts = append(parts, "commit "+c)
	}
	if b.Date != "" {
		parts = append(parts, b.Date)
	}
	parts = append(parts, b.Go+" "+b.Platform)
	return fmt.Sprintf("imhook %s (%s)", b.Version, strings.Join(parts, ", "))
}

func newVersionCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print imhook's version",
		Long: `Print imhook's version, the commit and date it was built from and the Go release and
platform it was built with (also: imhook --version). Release builds carry all three;
a go install build shows the module version and, built in a clone, the commit.`,
		Example: `  imhook version
  imhook version -o json`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			b := currentBuildInfo()
			if g.JSON() {
				out, _ := json.Marshal(b)
				fmt.Fprintf(g.Streams.Out, "%s\n", out)
				return nil
			}
			fmt.Fprintln(g.Streams.Out, b)
			return nil
		},
	}
}
