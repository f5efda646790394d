package platform

import (
	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform/openim"
	"github.com/imhook/imhook/internal/platform/tencent"
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
	switch vendor {
	case fixtures.Tencent:
		return tencent.Accepted(r)
	case fixtures.OpenIM:
		return openim.Accepted(r)
	}
	return false, "unknown vendor"
}
