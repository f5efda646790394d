// Package simulate plays the IM platform for a Go program: it builds each
// callback's request exactly as the vendor's platform does (its URL form,
// query, headers and signature), sends it, and judges the reply by the
// platform's contract, producing one record (package record) per exchange.
//
// A single send:
//
//	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
//	body, _ := generate.Generate(e, generate.GenOptions{Seed: 1, Now: generate.SeedEpoch})
//	s := &simulate.Sender{Target: "http://127.0.0.1:8080/im", Client: simulate.NewClient(nil)}
//	s.Params.SdkAppID, s.Params.Token = "1400000000", token
//	rec, err := s.Send(ctx, simulate.NewCallback(e, body))
//
// rec.Verdict is pass, fail or error (no reply); rec.Findings say what broke
// the contract, each with a stable rule, a JSON path and a message, and
// rec.Outcome what the platform would do with the reply (ok, reject, ...).
// err is non-nil only when the target could not be reached at all, an
// *UnreachableError; a reply that breaks the contract is a failing record,
// not an error.
//
// Deliver sends a callback as the platform delivers it (once more after a
// missed budget, where the platform retries and RetryOnTimeout asks for
// it). Sequence and Load are producers of imhook's pipeline: a list of
// callbacks in turn, and the load engine (a count or a duration, a
// concurrency and a rate, each worker on a keep-alive connection of its
// own, counting into a bounded summary). NewClient is the client the
// platforms' behaviour asks for (no redirects, no proxy); TLSOptions builds
// its TLS configuration. Messages name this package's settings
// (LibraryWords); Words gives them the caller's names.
package simulate
