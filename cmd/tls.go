package cmd

import (
	"crypto/tls"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/simulate"
)

// tlsClientFlags are the client side of TLS that every sending command
// takes (simulate and its load mode, suites and probes; replay):
// --cacert, --insecure, --cert and --key. register adds them, resolve
// reads the files once, and config or client hand the result to the
// sender: the tls.Config reaches it through the client alone.
type tlsClientFlags struct {
	opts   simulate.TLSOptions
	config *tls.Config
}

const tlsClientHelp = `TLS. An https:// target's certificate is checked against the system's authorities;
--cacert FILE trusts the authorities of a PEM file instead (for a private CA, or the
certificate that imhook serve --tls --tls-out DIR writes), --insecure skips the check.
Under mutual TLS (a backend that verifies the platform's client certificate, as Tencent
Cloud Chat offers) --cert FILE --key FILE present a client certificate. A handshake that
fails is exit 3, and the message says what failed (unknown authority, name mismatch,
expired, no client certificate) and which flag helps.`

func (t *tlsClientFlags) register(c *cobra.Command) {
	t.registerAs(c, "the target")
	c.Long += "\n\n" + tlsClientHelp
}

// registerAs adds the flags for the TLS connections to whom (serve: its
// --forward-to backend).
func (t *tlsClientFlags) registerAs(c *cobra.Command, whom string) {
	f := c.Flags()
	f.StringVar(&t.opts.CACert, "cacert", "", "TLS: trust the certificates of this PEM file (a private CA, or serve --tls-out's) for "+whom+", in place of the system's")
	f.BoolVar(&t.opts.Insecure, "insecure", false, "TLS: do not verify the certificate of "+whom)
	f.StringVar(&t.opts.Cert, "cert", "", "TLS: present this client certificate (PEM) to "+whom+" when it asks (mutual TLS); with --key")
	f.StringVar(&t.opts.Key, "key", "", "TLS: the private key (PEM) of --cert")
}

// resolve reads the flags' files; a bad one is a usage error.
func (t *tlsClientFlags) resolve() error {
	cfg, err := t.opts.Config()
	if err != nil {
		return usageErrorf("%v", err)
	}
	t.config = cfg
	return nil
}

// client is the HTTP client a sending command sends with.
func (t *tlsClientFlags) client() *http.Client { return simulate.NewClient(t.config) }
