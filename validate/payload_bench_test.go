package validate_test

import (
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/validate"
)

// BenchmarkPayload checks the documents' samples of a few catalogue entries, as
// serve does for every request.
func BenchmarkPayload(b *testing.B) {
	cat := fixtures.Default()
	for _, name := range []string{"C2C.CallbackAfterSendMsg", "Group.CallbackAfterSendMsg", "callbackAfterSendSingleMsgCommand"} {
		e, _, ok := cat.Lookup(name)
		if !ok {
			b.Fatalf("no entry %s", name)
		}
		body := []byte(e.Sample)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				_ = validate.Payload(e, body)
			}
		})
	}
}
