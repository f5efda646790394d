// Package record is the exchange record imhook writes and reads: one JSON
// object a line (JSON Lines) holding the request and the reply as they
// went over the wire, the findings, the outcome the platform would act on
// and the verdict (ARCHITECTURE.md, "The record", gives the fields).
//
// Record, Message and Forward are an exchange and its legs; Finding,
// Severity, Outcome and Verdict the judgement, which every checker of
// imhook produces (Judge turns findings into a verdict). AppendJSON and
// Unmarshal are the direct encoder and the one-pass decoder of a line (a
// recording is read a line at a time: lines are at most MaxLine). Writer
// appends records with group commit (concurrent records share a write);
// OpenFile's writer reopens its file when it is moved or deleted (Reopen).
// RedactHeaders, RedactURL and RedactText keep secrets out of what is
// shown.
package record
