package simulate

// Words name, in the caller's words, the settings that a message's advice
// points to (a budget that came from the Sender's Timeout, a certificate
// to trust, a check to skip): the library's own, the fields of Sender and
// TLSOptions, by default (nil Words). imhook's command line gives its
// flags' names (cmd/), a test helper the names of its options. Each word
// is set in a sentence such as "trust it with WORD".
type Words struct {
	// Timeout is where a budget that replaces the vendor's was set.
	Timeout string
	// CACert trusts the certificates of a private authority.
	CACert string
	// Insecure skips the check of the server's certificate.
	Insecure string
	// Cert presents a client certificate and its key (mutual TLS).
	Cert string
}

// LibraryWords are the words of a nil Words: the fields a caller of this
// package sets.
var LibraryWords = Words{
	Timeout:  "Sender.Timeout",
	CACert:   "TLSOptions.CACert",
	Insecure: "TLSOptions.Insecure",
	Cert:     "TLSOptions.Cert and TLSOptions.Key",
}

// Use is w, or LibraryWords for a nil w.
func (w *Words) Use() *Words {
	if w == nil {
		return &LibraryWords
	}
	return w
}
