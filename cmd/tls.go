package cmd

import (
	"crypto/tls"
	"errors"
	"net/http"
	"slices"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/replay"
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

func (t *tlsClientFlags) register(c *cobra.Command) {
	t.registerAs(c, "the target")
	c.Long += "\nTLS (https targets, private CAs, mutual TLS): 'imhook help tls'."
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

// flagWords name the command line's flags in the advice of simulate's
// findings (a budget from --timeout, --cacert, --insecure, --cert): the
// library's messages speak of its own settings, the command line's of its
// flags.
var flagWords = &simulate.Words{
	Timeout:  "--timeout",
	CACert:   "--cacert FILE (imhook serve --tls --tls-out DIR writes one)",
	Insecure: "--insecure",
	Cert:     "--cert FILE --key FILE",
}

// replayWords name the command line's flags and commands in the advice of
// replay's problems.
var replayWords = &replay.Words{Command: "--command", Replies: "imhook validate --as response"}

// tlsFlags are the flags of TLSOptions' fields.
var tlsFlags = map[string]string{"CACert": "--cacert", "Cert": "--cert", "Key": "--key"}

// resolve reads the flags' files; a bad one is a usage error that names
// its flags.
func (t *tlsClientFlags) resolve() error {
	cfg, err := t.opts.Config()
	var fe *simulate.TLSFileError
	if errors.As(err, &fe) {
		fe.Fields = slices.Clone(fe.Fields)
		for i, f := range fe.Fields {
			fe.Fields[i] = tlsFlags[f]
		}
		return usageErrorf("%v", fe)
	}
	if err != nil {
		return usageErrorf("%v", err)
	}
	t.config = cfg
	return nil
}

// client is the HTTP client a sending command sends with.
func (t *tlsClientFlags) client() *http.Client { return simulate.NewClient(t.config) }
