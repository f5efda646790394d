package cmd

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// The callback token can come from a flag, a file or the environment. A
// flag's value shows in ps to every user of the machine; a file or the
// environment does not, so the help recommends them.

// registerTokenFlags adds --token (its value in dst; usage says what the
// command does with the token) and --token-file to c. resolveToken then
// puts the token in dst, from whichever source was given.
func registerTokenFlags(c *cobra.Command, dst *string, usage string) {
	f := c.Flags()
	f.StringVar(dst, "token", "", usage+" (shows in ps: prefer IMHOOK_TOKEN or --token-file; never printed)")
	f.String("token-file", "", "read the callback token from this file: its one line, a trailing newline dropped (env IMHOOK_TOKEN_FILE)")
}

// resolveToken sets *dst to the token: --token, or the contents of
// --token-file (the two together are refused), or when neither is given,
// IMHOOK_TOKEN or the file IMHOOK_TOKEN_FILE names (both set are refused).
// A token file may end in one newline (\n), which is dropped; an empty
// file, one of more than one line, and one with a byte no token has (a
// carriage return, a byte order mark, a space or tab, NUL or another
// control byte) are refused with what was found and where. No message
// shows the token.
func resolveToken(c *cobra.Command, getenv func(string) string, dst *string) error {
	f := c.Flags()
	switch {
	case f.Changed("token") && f.Changed("token-file"):
		return usageErrorf("--token and --token-file both give the token: give one (--token-file or IMHOOK_TOKEN keep it out of ps)")
	case f.Changed("token"):
		return nil
	case f.Changed("token-file"):
		path, _ := f.GetString("token-file")
		tok, err := readTokenFile("--token-file", path)
		*dst = tok
		return err
	}
	env, file := getenv("IMHOOK_TOKEN"), getenv("IMHOOK_TOKEN_FILE")
	switch {
	case env != "" && file != "":
		return usageErrorf("IMHOOK_TOKEN and IMHOOK_TOKEN_FILE are both set: unset one")
	case file != "":
		tok, err := readTokenFile("IMHOOK_TOKEN_FILE", file)
		*dst = tok
		return err
	}
	*dst = env
	return nil
}

// readTokenFile reads a token file; from names where its path came from.
func readTokenFile(from, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usageErrorf("%s: %v", from, err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	switch {
	case len(b) == 0:
		return "", usageErrorf("%s %s: the file is empty; expected the callback token on one line", from, path)
	case bytes.HasPrefix(b, []byte("\xef\xbb\xbf")):
		return "", usageErrorf("%s %s: expected the callback token, found a UTF-8 byte order mark before it (an editor's); save the file without it, e.g. printf '%%s\\n' \"$TOKEN\" > %s", from, path, path)
	case bytes.HasSuffix(b, []byte("\r")) && !bytes.Contains(b[:len(b)-1], []byte("\n")):
		return "", usageErrorf("%s %s: expected the callback token on one line ending in \\n, found a carriage return at its end (a Windows line end, \\r\\n); save the file with Unix line ends", from, path)
	case bytes.ContainsAny(b, "\r\n"):
		return "", usageErrorf("%s %s: expected the callback token on one line, found %d lines", from, path, strings.Count(string(b), "\n")+1)
	}
	if i, what := tokenByte(b); i >= 0 {
		return "", usageErrorf("%s %s: expected the callback token on one line, found %s at byte %d of %d; a token has none (check how the file was written)", from, path, what, i+1, len(b))
	}
	return string(b), nil
}

// tokenByte finds the first byte of b that no token has: its offset and
// what it is (never the token's other bytes); -1 when there is none.
func tokenByte(b []byte) (int, string) {
	for i, c := range b {
		switch {
		case c == ' ':
			return i, "a space"
		case c == '\t':
			return i, "a tab"
		case c == 0:
			return i, "a NUL byte"
		case c < 0x20 || c == 0x7f:
			return i, fmt.Sprintf("the control byte 0x%02x", c)
		}
	}
	return -1, ""
}
