package tencent

import (
	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform/wire"
)

// Missed says what Tencent does with a callback that got no reply within
// the budget (Third-Party Callback Overview, "Webhook Timeout Period and
// Retry" and "Handling Policy for Webhook Timeouts Before Event
// Occurrence": https://www.tencentcloud.com/document/product/1047/34354).
func (tencent) Missed(j wire.Judging) string {
	what := "no reply within " + wire.BudgetWords(j, "Tencent's 2 s, not adjustable") + ": Tencent counts the callback as failed"
	if j.Kind == fixtures.Before {
		return what + " and by default lets the operation go on (the console's policy for before-callback failures may block it instead); it does not retry"
	}
	return what + "; it does not retry unless retry on timeout is switched on in the console"
}

// ProbeWords are Tencent's words for probe messages.
func (tencent) ProbeWords() wire.ProbeWords {
	return wire.ProbeWords{
		Refusals:   "an HTTP status other than 200 (a 4xx), ActionStatus FAIL or a non-zero ErrorCode",
		ErrorField: "ErrorCode",
		BadInput:   "a backend must answer bad or unusual input in Tencent's reply shape (FAIL is fine), or Tencent counts the callback as failed (a before-callback's operation then goes on by default; after-callbacks are retried only when retry on timeout is switched on)",
		Baseline:   "check --sdkappid and --token",
		Authentication: "Tencent callbacks name their app (SdkAppid) and, with callback authentication switched on in the console, " +
			"carry Sign = sha256(token + RequestTime) and RequestTime: a backend checks the app, the signature and that RequestTime " +
			"is within 60 s",
		// A message's MsgKey is MsgSeq_MsgRandom_MsgTime (the catalogue's
		// template rule); MsgId names a message in the chatbot and
		// official-account callbacks.
		Identity: []string{"MsgKey", "MsgSeq", "MsgRandom", "MsgId"},
	}
}
