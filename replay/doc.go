// Package replay resends recorded exchanges (imhook's JSON Lines records)
// and payload files to a backend: each request is rebuilt with the vendor's
// rules (the recording's own query values and signature, or a fresh
// signature with Options.Resign) and sent with a simulate.Sender; the reply
// is judged by the contract or, with Options.Compare, compared with the
// recorded one (CompareReplies, CompareOutcome).
//
// Producer sends an input's callbacks in order (Options.Concurrency and
// Rate shape it) and LoadProducer round-robin for a count or a duration;
// both are producers of imhook's pipeline. Callbacks reads an input into
// the callbacks to send, within LoadLimits. A problem of the input (a reply
// where a callback was expected, a body that names no callback, a command
// the catalogue does not know) is a finding of the input's item, with its
// file and line, in this package's words (Words).
package replay
