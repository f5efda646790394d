// Command imhook simulates, receives, replays and validates instant-messaging
// webhooks (Tencent Cloud Chat / IM third-party callbacks and OpenIM webhooks).
package main

import (
	"os"

	"github.com/imhook/imhook/cmd"
)

func main() {
	os.Exit(cmd.Execute())
}
