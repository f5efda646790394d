package openim

import (
	"net/http"
	"net/url"
	"time"

	"github.com/imhook/imhook/internal/platform/wire"
)

// Forgeries of an OpenIM callback. Its requests carry no signature, token
// or app ID, so there is nothing of OpenIM's own to forge; what a backend
// can check is what its url in webhooks.yml adds: with user:password@ in
// the url, Go's client (the server's) sends Basic authentication, and a
// request without it, or with another password, must be refused.
func (openim) Forgeries(target string, _ wire.Params, _ time.Time) []wire.Forgery {
	u, err := url.Parse(target)
	if err != nil || u.User == nil {
		return nil
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	return []wire.Forgery{
		{Name: "no_basic_auth", Edit: func(r *http.Request) { r.URL.User = nil; r.Header.Del("Authorization") },
			Risk: "the url carries user:password, so the server sends Basic authentication: a request without it must be refused, or anyone who can reach the URL can post callbacks"},
		{Name: "wrong_basic_auth", Edit: func(r *http.Request) {
			r.URL.User = url.UserPassword(user, pass+"-not-it")
			r.Header.Del("Authorization")
		},
			Risk: "a request with another password must be refused, or the password protects nothing"},
	}
}

// ProbeWords are OpenIM's words for probe messages.
func (openim) ProbeWords() wire.ProbeWords {
	return wire.ProbeWords{
		// What stops an operation is the release's (openimRules, judge.go);
		// the probes read a reply with the judge of the release in force.
		Refusals:   "a reply that stops the operation as the release reads it (v3.7 and later: actionCode 0 with nextCode 1; v3.4.2 to v3.5.x: a non-zero actionCode or nextCode 1; v3.0 to v3.4.0: a non-zero actionCode or errCode; v3.6.x stops on none), or a body the server cannot decode; the server ignores the HTTP status and reads errCode only as the code of a stop",
		ErrorField: "errCode",
		BadInput:   "a backend must answer bad or unusual input with a reply OpenIM can decode (a stop reply is fine): a before-callback whose reply cannot be decoded, or does not come in time, aborts the operation (OpenIM Server v3.7 and later), an after-callback's is dropped",
		Baseline:   "check the target: the url of config/webhooks.yml, to which the server appends /{command}",
		Authentication: "OpenIM callbacks carry nothing that authenticates them: no signature, token or app ID, only an operationID " +
			"header and the Content-Type (the open-source server's webhook client adds no other header). Anyone who can reach the " +
			"URL can post a callback, so rely on the network: keep the backend on a private network that only the OpenIM server " +
			"reaches, or allow-list the server's addresses. A secret path segment in webhooks.yml's url, or user:password@ in it " +
			"(the server's Go client then sends Basic authentication, which --probe security checks when the target carries it), " +
			"adds a shared secret",
		// The message's IDs, its sequence (0 before the send: a constant
		// the probes leave alone) and the request's operationID
		// (pkg/callbackstruct/message.go, CommonCallbackReq).
		Identity: []string{"clientMsgID", "serverMsgID", "seq", "operationID"},
	}
}
