package platform

import "time"

// Forgeries: OpenIM's requests carry no signature or app ID, so there is
// nothing to forge; a backend relies on its network instead.
func (openim) Forgeries(Params, time.Time) []Forgery { return nil }

// ProbeWords are OpenIM's words for probe messages.
func (openim) ProbeWords() ProbeWords {
	return ProbeWords{
		Refusals: "actionCode 0 with nextCode 1 (stop), or a reply with a non-zero actionCode or errCode",
		BadInput: "a backend must answer bad or unusual input with a reply OpenIM can decode (a stop reply is fine): a before-callback whose reply cannot be decoded, or does not come in time, aborts the operation (OpenIM Server v3.7 and later), an after-callback's is dropped",
		Baseline: "check the target: the url of config/webhooks.yml, to which the server appends /{command}",
	}
}
