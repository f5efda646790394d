package openim

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/imhook/imhook/internal/platform/wire"
)

// openimAccepted is Accepted for OpenIM's replies.
func Accepted(r wire.Reply) (accepted bool, what string) {
	body := bytes.TrimSpace(r.Body)

	var rep openimReply
	if err := json.Unmarshal(body, &rep); err != nil || len(body) == 0 {
		return false, fmt.Sprintf("HTTP %d with a body the server cannot decode", r.Status)
	}
	if rep.ErrCode != 0 || rep.ActionCode != 0 || rep.NextCode == 1 {
		return false, fmt.Sprintf("actionCode %d, errCode %d, nextCode %d", rep.ActionCode, rep.ErrCode, rep.NextCode)
	}
	return true, "actionCode 0, errCode 0"
}
