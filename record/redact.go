package record

import (
	"net/http"
	"strings"
)

// Redacted stands in for a secret in every output: the userinfo of a URL
// (an OpenIM target's user:password@), and the values of the headers that
// carry credentials (SecretHeaders).
const Redacted = "xxxxx"

// SecretHeaders are the headers whose values a record keeps only as
// Redacted (after an Authorization's scheme: "Basic xxxxx").
var SecretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

// RedactURL is u with its userinfo, if any, replaced by Redacted
// (http://user:password@host/ gives http://xxxxx@host/).
func RedactURL(u string) string {
	if strings.IndexByte(u, '@') < 0 {
		return u
	}
	return RedactText(u)
}

// RedactText is s with the userinfo of every URL in it replaced by
// Redacted: for error messages, which may quote a URL.
func RedactText(s string) string {
	if strings.IndexByte(s, '@') < 0 {
		return s
	}
	var sb strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			break
		}
		start := i + 3
		end := start + strings.IndexFunc(rest[start:], func(r rune) bool {
			return strings.ContainsRune("/?#\"'<>` \t\r\n", r)
		})
		if end < start {
			end = len(rest)
		}
		sb.WriteString(rest[:start])
		auth := rest[start:end]
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			sb.WriteString(Redacted)
			auth = auth[at:]
		}
		sb.WriteString(auth)
		rest = rest[end:]
	}
	if sb.Len() == 0 {
		return s
	}
	sb.WriteString(rest)
	return sb.String()
}

// RedactHeaders is h when it has none of SecretHeaders (no copy), else a
// copy of h with their values redacted: an Authorization keeps its scheme
// ("Basic xxxxx"), the others are Redacted. h is not changed.
func RedactHeaders(h http.Header) http.Header {
	found := false
	for _, k := range SecretHeaders {
		if _, ok := h[k]; ok {
			found = true
			break
		}
	}
	if !found {
		return h
	}
	out := h.Clone()
	for _, k := range SecretHeaders {
		vs, ok := out[k]
		if !ok {
			continue
		}
		red := make([]string, len(vs))
		for i, v := range vs {
			red[i] = Redacted
			if scheme, _, ok := strings.Cut(strings.TrimSpace(v), " "); ok && strings.HasSuffix(k, "Authorization") {
				red[i] = scheme + " " + Redacted
			}
		}
		out[k] = red
	}
	return out
}
