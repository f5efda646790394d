package tencent

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/tidwall/gjson"
)

// tencentAccepted is Accepted for Tencent's replies.
func Accepted(r wire.Reply) (accepted bool, what string) {
	body := bytes.TrimSpace(r.Body)

	if r.Status != http.StatusOK {
		return false, "HTTP " + wire.StatusText(r.Status)
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
}

func orRaw(v gjson.Result) string {
	if !v.Exists() {
		return "(missing)"
	}
	return v.Raw
}
