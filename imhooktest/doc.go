// Package imhooktest tests a backend of instant-messaging webhooks (Tencent
// Cloud Chat third-party callbacks, OpenIM webhooks) in its own go test:
// it plays the platform, as imhook's command line does, and fails the test
// in the command line's words when a reply breaks the platform's contract.
//
// # A whole test
//
//	func TestCallbacks(t *testing.T) {
//		h := imhooktest.New(t, handler(), imhooktest.Vendor("tencent"), imhooktest.Path("/im"),
//			imhooktest.SdkAppID("1400000000"), imhooktest.Token(token))
//		h.RunAll(t) // every callback of the vendor, one subtest each
//		h.Send(t, "C2C.CallbackBeforeSendMsg", imhooktest.Text("buy spam now"), imhooktest.Expect("reject"))
//		h.Probes(t) // forged callbacks refused, bad input answered
//	}
//
// Check runs the whole check of imhook's command line (imhook check) in
// the same way, a subtest a part: every callback, the probes, the
// conversation scenario, a burst of concurrent callbacks.
//
// New serves the callbacks to an http.Handler in the test's process: no
// listener, no socket, each request handed over as net/http's server hands
// it (a handler that panics gets no reply, one slower than the platform's
// budget misses it). NewURL sends them to a backend that listens at a URL.
//
// # What is sent
//
// Each callback is generated from imhook's catalogue (every field the
// platform's document gives, with its type, format and bounds) and built
// as the platform builds it: the vendor's URL form and query, the app ID,
// the signature when a Token is given. The payloads come from a seed: New
// logs it ("imhooktest: seed N"), and Seed(N) makes the same payloads again
// (those of imhook's command line with the same seed). Text puts words in
// a message, Set sets a field (a path into the payload), Variant picks one
// of the catalogue's variants of a callback.
//
// # What fails
//
// A reply is judged as the platform reads it: the HTTP status, the body's
// shape, the fields and their types, the outcome (what the platform does:
// ok, reject, discard, ...), the budget. When it breaks the contract (or
// its outcome is not the one Expect asks for) the test fails with the lines
// imhook's command line prints for the exchange:
//
//	--> tencent C2C.CallbackAfterSendMsg  <-- 200 0.03ms  FAIL
//	      error response.type ErrorCode: expected an integer, found the string "0"
//	      reply HTTP 200 {"ActionStatus":"OK","ErrorCode":"0","ErrorInfo":""}
//
// A reply that passes with warnings (a field the document asks for) is
// logged with t.Logf. Strict fails on warnings and unknown fields too.
// Send returns the exchange's record (package record) for any further
// check of your own.
//
// # Options
//
// Options given to New or NewURL hold for every send; those given to Send,
// RunAll or Probes add to them for that call. Vendor and Commands choose
// the callbacks; SdkAppID, Token and ClientIP the request values a vendor's
// callbacks carry; Release the OpenIM Server release whose requests and
// treatment of replies to reproduce; Timeout the budget; Now the clock of
// generated timestamps. An option that does not fit (an unknown vendor,
// release or outcome, text for a callback that carries none) stops the
// test with the values there are.
package imhooktest
