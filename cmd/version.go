package cmd

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X github.com/imhook/imhook/cmd.Version=v1.2.3";
// otherwise the module version from the build info is used.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersionCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print imhook's version",
		Long:  "Print imhook's version and the Go release it was built with.",
		Example: `  imhook version
  imhook version -o json`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if g.JSON() {
				b, _ := json.Marshal(map[string]string{"version": version(), "go": runtime.Version()})
				fmt.Fprintf(g.Streams.Out, "%s\n", b)
				return nil
			}
			fmt.Fprintf(g.Streams.Out, "imhook %s (%s)\n", version(), runtime.Version())
			return nil
		},
	}
}
