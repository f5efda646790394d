// Command imhook simulates, receives, replays and validates instant-messaging
// webhooks (Tencent Cloud Chat / IM third-party callbacks and OpenIM webhooks).
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/imhook/imhook/cmd"
)

func main() {
	os.Exit(run())
}

// run executes the command line. IMHOOK_CPUPROFILE=FILE writes a CPU
// profile of the whole run to FILE (for `go tool pprof`); the benchmarks
// under bench/ use it to find where the time goes.
func run() int {
	if path := os.Getenv("IMHOOK_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "imhook: IMHOOK_CPUPROFILE: %v\n", err)
			return 2
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "imhook: IMHOOK_CPUPROFILE: %v\n", err)
			return 2
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	return cmd.Execute()
}
