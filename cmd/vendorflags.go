package cmd

import (
	"net"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
)

// requestOptions are the vendors' request settings: Tencent's query values
// (SdkAppid, ClientIP, OptPlatform) and callback token, and the OpenIM
// server release whose requests to reproduce. This file and topics.go are
// the only ones of cmd/ that speak of a vendor by name.
type requestOptions struct {
	SdkAppID      string
	ClientIP      string
	Platform      string
	Token         string
	OpenIMVersion string
	// RejectReplays (serve) refuses a signature that came before.
	RejectReplays bool
	// OpenIMWebhooksYML asks serve for OpenIM's webhooks.yml instead.
	OpenIMWebhooksYML bool
	// WebhooksYML is OpenIM's config/webhooks.yml to run by (simulate);
	// settings what it says.
	WebhooksYML string
	settings    *platform.Settings

	// changed records the query flags the user gave: a replay keeps the
	// recorded values of the others.
	changed map[string]bool
	// recorded: the flags were registered for recordings (replay).
	recorded bool
}

// register adds the flags; recorded says a replay's recordings may carry
// the values. The default shown is the one used: with recordings, the
// recording's own value, which the flags' zero values stand for until
// resolve fills in the default for inputs that carry none.
func (r *requestOptions) register(c *cobra.Command, recorded bool) {
	f := c.Flags()
	def := func(v string) (string, string) {
		if recorded {
			return "", " (default: the recording's, else " + v + ")"
		}
		return v, ""
	}
	r.recorded = recorded
	v, note := def(platform.DefaultSdkAppID)
	f.StringVar(&r.SdkAppID, "sdkappid", v, "Tencent: the SdkAppid query value (env IMHOOK_SDKAPPID)"+note)
	v, note = def(platform.DefaultClientIP)
	f.StringVar(&r.ClientIP, "client-ip", v, "Tencent: the ClientIP query value"+note)
	v, note = def(platform.DefaultOptPlatform)
	f.StringVar(&r.Platform, "platform", v, "Tencent: the OptPlatform query value ("+strings.Join(platform.TencentPlatforms, ", ")+")"+note)
	registerTokenFlags(c, &r.Token, "Tencent: callback authentication token; adds RequestTime and Sign")
	f.StringVar(&r.OpenIMVersion, "openim-version", "", "OpenIM: send as this server release does: v3.7+ {url}/{command}; v3.4.2-v3.6 the older command names; v3.0-v3.4.0 {url}?command=...; main adds ?key= to the after-send callbacks; a release's values (empty operationID, groupType U+0002, ...) and Go's encoding (HTML escapes, a trailing newline); replies, failures and timeouts are judged as the release treats them ('imhook help requests'); default docs: {url}/{command}?contenttype=json, judged as v3.7+")
	_ = c.RegisterFlagCompletionFunc("platform", fixedCompletion(platform.TencentPlatforms...))
	_ = c.RegisterFlagCompletionFunc("openim-version", fixedCompletion(platform.OpenIMVersions...))
}

// registerConfig adds simulate's configuration file flag.
func (r *requestOptions) registerConfig(c *cobra.Command) {
	c.Flags().StringVar(&r.WebhooksYML, "webhooks-yml", "", "OpenIM: run the callbacks this config/webhooks.yml enables, each with its timeout (as --openim-version's release applies it) and failedContinue")
	_ = c.MarkFlagFilename("webhooks-yml", "yml", "yaml")
}

// readConfig reads --webhooks-yml, once the release is known.
func (r *requestOptions) readConfig(g *Globals) error {
	if r.WebhooksYML == "" {
		return nil
	}
	data, err := os.ReadFile(r.WebhooksYML)
	if err != nil {
		return usageErrorf("--webhooks-yml: %v", err)
	}
	s, err := platform.ParseOpenIMWebhooks(data, r.WebhooksYML, r.OpenIMVersion)
	if err != nil {
		return usageErrorf("--webhooks-yml %v", err)
	}
	for _, n := range s.Notes {
		g.Notef("%s", n)
	}
	if s.Target != "" {
		g.Notef("%s: url is %s; send there with --target openim=%s", r.WebhooksYML, s.Target, s.Target)
	}
	r.settings = s
	return nil
}

// resolve reads the environment for flags not given and checks the values.
func (r *requestOptions) resolve(g *Globals, c *cobra.Command) error {
	r.changed = map[string]bool{}
	for _, f := range []string{"sdkappid", "client-ip", "platform"} {
		r.changed[f] = c.Flags().Changed(f)
	}
	for flag, env := range map[string]string{"sdkappid": "IMHOOK_SDKAPPID"} {
		if !c.Flags().Changed(flag) {
			if v := g.getenv(env); v != "" {
				_ = c.Flags().Set(flag, v)
				r.changed[flag] = true
			}
		}
	}
	if err := resolveToken(c, g.getenv, &r.Token); err != nil {
		return err
	}
	// Inputs that carry no value of their own (payload files) take the
	// defaults.
	for _, d := range []struct {
		v   *string
		def string
	}{
		{&r.SdkAppID, platform.DefaultSdkAppID}, {&r.ClientIP, platform.DefaultClientIP}, {&r.Platform, platform.DefaultOptPlatform}} {
		if r.recorded && *d.v == "" {
			*d.v = d.def
		}
	}
	if r.Platform != "" && !slices.Contains(platform.TencentPlatforms, r.Platform) {
		return usageErrorf("--platform %q is not a documented OptPlatform value; use one of %s", r.Platform, strings.Join(platform.TencentPlatforms, ", "))
	}
	if _, _, err := platform.OpenIMForm(r.OpenIMVersion); err != nil {
		return usageErrorf("--openim-version: %v", err)
	}
	return r.readConfig(g)
}

// release is the OpenIM Server release --openim-version names, whose
// request shapes generation reproduces; nil for the documents' form.
func (r *requestOptions) release() *fixtures.Release {
	form, rel, err := platform.OpenIMForm(r.OpenIMVersion)
	if err != nil || form == platform.FormDocs {
		return nil
	}
	return &rel
}

// params are the request settings for the sender.
func (r *requestOptions) params() platform.Params {
	return platform.Params{SdkAppID: r.SdkAppID, ClientIP: r.ClientIP, OptPlatform: r.Platform, Token: r.Token, OpenIMVersion: r.OpenIMVersion}
}

// keep says which recorded values a replay keeps: those whose flag the user
// did not give.
func (r *requestOptions) keep(resign bool) platform.Keep {
	return platform.Keep{SdkAppID: !r.changed["sdkappid"], ClientIP: !r.changed["client-ip"], OptPlatform: !r.changed["platform"], Resign: resign}
}

// expect reads the receiver's expectations (serve): the app and token.
func (r *requestOptions) expect() platform.Expect {
	return platform.Expect{SdkAppID: r.SdkAppID, Token: r.Token}
}

// registerReceiver adds serve's flags: what a receiver expects of the
// requests it gets.
func (r *requestOptions) registerReceiver(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&r.SdkAppID, "sdkappid", "", "Tencent: refuse callbacks whose SdkAppid differs (env IMHOOK_SDKAPPID)")
	registerTokenFlags(c, &r.Token, "Tencent: verify Sign and RequestTime with this callback token")
	f.BoolVar(&r.RejectReplays, "reject-replays", false, "Tencent: refuse a second request with the same Sign and RequestTime within the 60 s window (needs the token; remembers at most 262144 signatures, about 25 MiB, and refuses new ones past that)")
	f.BoolVar(&r.OpenIMWebhooksYML, "openim-webhooks-yml", false, "OpenIM: print a config/webhooks.yml for --addr (url, and every callback enabled with its timeout and failedContinue) on stdout and exit")
}

// configFile is the platform configuration file a receiver's flags ask
// for (OpenIM's webhooks.yml for addr), and whether they ask for one.
func (r *requestOptions) configFile(addr string) (string, bool) {
	if !r.OpenIMWebhooksYML {
		return "", false
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, "80"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // an address of this machine; the server must reach it
	}
	return platform.OpenIMWebhooksYML("http://" + net.JoinHostPort(host, port)), true
}

// configured reports a configuration file (--webhooks-yml).
func (r *requestOptions) configured() bool { return r.settings != nil }

// configName names the configuration file.
func (r *requestOptions) configName() string { return "--webhooks-yml " + r.WebhooksYML }

// enabled reports a callback the configuration file enables.
func (r *requestOptions) enabled(command string) bool {
	_, ok := r.settings.Callbacks[command]
	return ok
}

// callbackSettings are the configuration file's per-callback settings (nil
// without one).
func (r *requestOptions) callbackSettings() map[string]platform.CallbackSettings {
	if r.settings == nil {
		return nil
	}
	return r.settings.Callbacks
}
