package platform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/imhook/imhook/fixtures"
	"github.com/tidwall/gjson"
)

// Accepted tells whether a reply signals that the backend accepted a
// callback, and says in a few words what the reply was. Probes use it: a
// forged callback must not be accepted. This is the backend's signal, not
// the platform's outcome (JudgeReply): for an after-callback the platform
// ignores the reply, so the outcome cannot tell a refusal, while a careful
// backend still signals one (Tencent ErrorCode 1, OpenIM a non-zero
// errCode).
//
// Tencent accepts with HTTP 200 and {"ActionStatus":"OK","ErrorCode":0}; any
// other status, FAIL or a non-zero ErrorCode refuses. OpenIM ignores the
// status; a reply that decodes with errCode 0 and no stop (actionCode 0 with
// nextCode 1) accepts.
func Accepted(vendor string, r Reply) (accepted bool, what string) {
	body := bytes.TrimSpace(r.Body)
	switch vendor {
	case fixtures.Tencent:
		if r.Status != http.StatusOK {
			return false, "HTTP " + statusText(r.Status)
		}
		root := gjson.ParseBytes(body)
		if !gjson.ValidBytes(body) || !root.IsObject() {
			return false, "HTTP 200 with a body that is not a JSON object"
		}
		st, code := root.Get("ActionStatus"), root.Get("ErrorCode")
		if st.Str == "OK" && (!code.Exists() || code.Raw == "0") {
			return true, "ActionStatus OK, ErrorCode 0"
		}
		return false, fmt.Sprintf("ActionStatus %s, ErrorCode %s", orRaw(st), orRaw(code))
	case fixtures.OpenIM:
		var rep openimReply
		if err := json.Unmarshal(body, &rep); err != nil || len(body) == 0 {
			return false, fmt.Sprintf("HTTP %d with a body the server cannot decode", r.Status)
		}
		if rep.ErrCode != 0 || rep.ActionCode != 0 || rep.NextCode == 1 {
			return false, fmt.Sprintf("actionCode %d, errCode %d, nextCode %d", rep.ActionCode, rep.ErrCode, rep.NextCode)
		}
		return true, "actionCode 0, errCode 0"
	}
	return false, "unknown vendor"
}

func orRaw(v gjson.Result) string {
	if !v.Exists() {
		return "(missing)"
	}
	return v.Raw
}
