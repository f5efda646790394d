package cmd

import (
	"context"
	"log"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/inspect"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/record"
)

// serveFront is what serve gains for a real platform: --forward-to (your
// backend answers, imhook judges), --ui (the inspector, on an address of its
// own), and TLS (--tls, --tls-cert/--tls-key, --client-ca; the forward
// leg's --cacert, --insecure, --cert/--key). register adds the flags,
// resolve checks them, and the rest plugs into serve.Config and
// serve.Options through the handler's hooks.
type serveFront struct {
	ForwardTo string
	UI        string
	UIToken   string
	UIKeep    int
	TLS       serve.TLSOptions
	client    tlsClientFlags // the forward leg and the inspector's resend

	serverTLS *serve.TLSInfo
	options   serve.Options
	forwarder *serve.Forwarder
	inspector *inspect.Inspector
	resender  *inspect.Resender
	uiServer  *serve.Server
}

func (s *serveFront) register(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&s.ForwardTo, "forward-to", "", "pass every callback on to this backend URL, judge its reply and relay it")
	f.StringVar(&s.UI, "ui", "", "serve the inspector (a web page of the exchanges) on this address, e.g. 127.0.0.1:9001")
	f.StringVar(&s.UIToken, "ui-token", "", "require this token of the inspector's visitors (env IMHOOK_UI_TOKEN; needed for a non-loopback --ui)")
	f.IntVar(&s.UIKeep, "ui-keep", inspect.DefaultKeep, "how many exchanges the inspector keeps in memory")
	f.BoolVar(&s.TLS.SelfSigned, "tls", false, "serve HTTPS with a self-signed certificate made at start (127.0.0.1, localhost)")
	f.StringVar(&s.TLS.OutDir, "tls-out", "", "with --tls: write the certificate and key (cert.pem, key.pem) to this directory")
	f.StringVar(&s.TLS.CertFile, "tls-cert", "", "serve HTTPS with this certificate (PEM); with --tls-key")
	f.StringVar(&s.TLS.KeyFile, "tls-key", "", "the private key (PEM) of --tls-cert")
	f.StringVar(&s.TLS.ClientCA, "client-ca", "", "require client certificates signed by these authorities (PEM): mutual TLS")
	s.client.registerAs(c, "the --forward-to backend")
	c.Long += "\n\nYour backend in the loop (--forward-to), the inspector (--ui) and TLS: 'imhook help forward',\n'imhook help tls'."
	c.Example += `
  imhook serve --forward-to http://localhost:8080/im/callback --ui 127.0.0.1:9001 --record calls.jsonl
  imhook serve --tls --tls-out ./certs        # then: imhook simulate --all --vendor tencent --target https://127.0.0.1:9000 --cacert ./certs/cert.pem
  imhook serve --tls-cert cert.pem --tls-key key.pem --client-ca platform-ca.pem`
}

// resolve checks the flags against the rest of serve's (o) and prepares
// the forwarder and the server's TLS.
func (s *serveFront) resolve(c *cobra.Command, g *Globals, o *serveOptions) error {
	if !c.Flags().Changed("ui-token") {
		s.UIToken = g.getenv("IMHOOK_UI_TOKEN")
	}
	if s.ForwardTo != "" {
		for _, name := range []string{"respond", "respond-file", "delay", "fail-rate", "reject-replays"} {
			if c.Flags().Changed(name) {
				return usageErrorf("--%s shapes imhook's own answer; with --forward-to your backend answers: drop one of them", name)
			}
		}
	}
	if err := s.client.resolve(); err != nil {
		return err
	}
	if s.ForwardTo != "" {
		fw, err := serve.NewForwarder(s.ForwardTo, s.client.client())
		if err != nil {
			return usageErrorf("--forward-to %v", err)
		}
		fw.Words = flagWords
		s.forwarder = fw
	}
	if s.UI != "" {
		if _, _, err := net.SplitHostPort(s.UI); err != nil {
			return usageErrorf("--ui %q is not a listen address such as 127.0.0.1:9001: %v", s.UI, err)
		}
		if _, port, _ := net.SplitHostPort(s.UI); s.UI == o.Addr && port != "0" {
			return usageErrorf("--ui %s is the callback address: the inspector needs an address of its own (the callback port is what a tunnel exposes)", s.UI)
		}
		if !serve.IsLoopback(s.UI) && s.UIToken == "" {
			return usageErrorf("--ui %s is not a loopback address: anyone who reaches it would read the recorded traffic. Give --ui-token TOKEN (or IMHOOK_UI_TOKEN), or listen on 127.0.0.1", s.UI)
		}
		if s.UIKeep < 1 {
			return usageErrorf("--ui-keep must be at least 1, not %d", s.UIKeep)
		}
	}
	if s.TLS.Enabled() || s.TLS.OutDir != "" {
		cfg, info, err := s.TLS.Config()
		if err != nil {
			return usageErrorf("%v", err)
		}
		s.options.TLS, s.serverTLS = cfg, info
	}
	s.options.ErrorLog = log.New(g.Streams.ErrOut, "imhook: ", 0)
	return nil
}

// configure plugs the forwarder and the inspector into the handler's
// configuration: the inspector is fed by the Show hook, after the reply.
func (s *serveFront) configure(cfg *serve.Config, recordFile, token string) {
	cfg.Forward = s.forwarder
	if s.UI == "" {
		return
	}
	rs := &inspect.Resender{Client: s.client.client(), Token: token, Words: flagWords, ReplayWords: replayWords}
	if s.forwarder != nil {
		rs.DefaultTarget = s.forwarder.Target.String()
	}
	s.resender = rs
	ic := inspect.Config{Keep: s.UIKeep, RecordFile: recordFile, Token: s.UIToken, Resend: rs}
	if host, _, err := net.SplitHostPort(s.UI); err == nil && host != "" && net.ParseIP(host) == nil {
		ic.Hosts = []string{host} // --ui devbox.lan:9001: the page is opened by that name
	}
	s.inspector = inspect.New(ic)
	show := cfg.Show
	cfg.Show = func(r *record.Record) {
		s.inspector.Add(r)
		if show != nil {
			show(r)
		}
	}
}

// start starts the inspector once the receiver listens at srvURL, and says
// where everything is.
func (s *serveFront) start(g *Globals, srvURL string) error {
	if s.serverTLS != nil {
		g.Notef("TLS certificate SHA-256 fingerprint %s (valid until %s)", s.serverTLS.Fingerprint, s.serverTLS.Leaf.NotAfter.UTC().Format(time.DateOnly))
		for _, f := range s.serverTLS.Written {
			g.Notef("wrote %s", f)
		}
		if s.TLS.SelfSigned {
			hint := "--insecure"
			if len(s.serverTLS.Written) > 0 {
				hint = "--cacert " + s.serverTLS.Written[0]
			}
			g.Notef("the certificate is self-signed: clients must trust it (imhook simulate %s), and a platform on the internet will not: give it a tunnel's HTTPS URL, or a certificate of a public authority with --tls-cert/--tls-key", hint)
		}
		if s.TLS.ClientCA != "" {
			g.Notef("mutual TLS: clients must present a certificate signed by an authority of %s", s.TLS.ClientCA)
		}
	}
	if s.forwarder != nil {
		g.Notef("forwarding every callback to %s (budget: Tencent 2s, OpenIM 5s); the record's \"forward\" says what it did", record.RedactURL(s.forwarder.Target.String()))
	}
	if s.UI == "" {
		g.Notef("inspector: not started; add --ui 127.0.0.1:9001 to see the exchanges live in a browser")
		return nil
	}
	if s.resender.DefaultTarget == "" {
		s.resender.DefaultTarget = srvURL // no backend: resend to the receiver itself
	}
	srv, err := serve.Start(s.UI, s.inspector.Handler())
	if err != nil {
		return usageErrorf("--ui: cannot listen on %s: %v", s.UI, err)
	}
	s.uiServer = srv
	u := srv.URL + "/"
	if s.UIToken != "" {
		g.Notef("inspector: %s?token=<your --ui-token> (the token is not printed)", u)
	} else {
		g.Notef("inspector: %s", u)
	}
	return nil
}

// stop stops the inspector.
func (s *serveFront) stop() {
	if s.uiServer != nil {
		s.inspector.Close() // ends the live pages' streams
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = s.uiServer.Shutdown(ctx)
	}
}
