package cmd

import "github.com/spf13/cobra"

// newEnvironmentTopic is the help topic 'imhook help environment': exit
// codes and environment variables.
func newEnvironmentTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "environment",
		Short: "Exit codes and environment variables",
		Long: `Exit codes (every command):

  0    every exchange met the contract (warnings allowed); every suite step and probe passed
  1    a contract failure: a reply or payload broke the contract, a reply did not come within
       the platform's budget (--timeout), a suite step's expectation was not met, or a probe
       failed (a forged callback was accepted, bad input got no proper answer)
  2    usage, configuration or input error: a bad flag, an unknown callback, an unreadable
       file, an error in a suite file (the message names the step and the key), a --junit or
       --record file that cannot be written
  3    the target could not be reached at all (connection refused, DNS, TLS)
  130  interrupted (SIGINT or SIGTERM)

Environment variables:

  IMHOOK_TARGET     the backend's callback URL when --target is not given (simulate, replay);
                    without either, imhook runs against its built-in receiver
  IMHOOK_SDKAPPID   the Tencent SdkAppid when --sdkappid is not given (simulate, replay; serve
                    refuses callbacks for another app)
  IMHOOK_TOKEN      the Tencent callback authentication token when --token is not given
                    (simulate and replay sign with it, serve verifies Sign and RequestTime).
                    The token is never printed or written: not in output, records or JUnit
                    reports (only the Sign derived from it travels in the URL)
  NO_COLOR          any value turns colour off, whatever CLICOLOR_FORCE says (https://no-color.org)
  CLICOLOR_FORCE    a value other than 0 turns colour on, even when the output is not a terminal
  CLICOLOR          0 turns colour off
                    With --color auto (the default) colour is decided per stream: stdout and
                    stderr are coloured only when they are terminals, unless the variables above
                    say otherwise. --color always and --color never override them all.

Suite files (simulate --suite) read the environment too: ${env:VAR|default} in any string of a
step takes VAR's value, or the default when VAR is unset or empty; ${env:VAR} without a default
requires VAR to be set.

In CI, pass the token through the environment (a secret) rather than on the command line,
where other processes can see it:

  IMHOOK_TOKEN=${{ secrets.IM_CALLBACK_TOKEN }} imhook simulate --probe security --target http://127.0.0.1:8080/im`,
	}
}
