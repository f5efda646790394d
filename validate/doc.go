// Package validate checks a callback's request body against its catalogue
// entry (package fixtures) in one pass: JSON types, required fields,
// bounds, const and enum values, cross-field rules, the documents' quirks.
//
//	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
//	for _, f := range validate.Payload(e, body) {
//		fmt.Println(f) // error payload.type at MsgBody.0.MsgType: ...
//	}
//
// Payload returns the findings (package record), each with a stable rule
// (the Rule constants), a gjson path and a message; a body the platform
// would send has none. Lookup finds a command's entry, or says why not as a
// finding. The sender (package simulate) and imhook's receiver check every
// body with it, and imhook validate checks whole inputs offline with it.
// The reply contracts live with the vendors' rules, which the sender
// applies.
package validate
