package simulate

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// TLSOptions are the client side of TLS for every sending command: the
// authority to trust besides the system's, whether to check the server's
// certificate at all, and the client certificate to present under mutual
// TLS (as Tencent Cloud Chat presents one to a backend that asks).
type TLSOptions struct {
	CACert   string // PEM file of certificates to trust (in place of the system's)
	Insecure bool   // do not verify the server's certificate
	Cert     string // PEM file of the client certificate
	Key      string // PEM file of its private key
}

// TLSFileError is a TLSOptions file that cannot be used. Fields are the
// options it came from ("CACert"; "Cert" and "Key" for a client
// certificate), so that a caller can name them in its own words.
type TLSFileError struct {
	Fields []string
	// Files are the fields' files, in the same order ("" for one not given).
	Files []string
	Err   error
}

func (e *TLSFileError) Error() string {
	if e.Err == errCertAlone {
		return strings.Join(e.Fields, " and ") + " " + e.Err.Error()
	}
	var parts []string
	for i, f := range e.Fields {
		if e.Files[i] != "" {
			f += " " + e.Files[i]
		}
		parts = append(parts, f)
	}
	return strings.Join(parts, ", ") + ": " + e.Err.Error()
}

func (e *TLSFileError) Unwrap() error { return e.Err }

// errCertAlone is a client certificate without its key, or a key alone.
var errCertAlone = errors.New("go together: the client certificate and its private key (PEM files)")

// Config builds the tls.Config the options ask for; nil when they ask for
// nothing (the system's roots, no client certificate). A file that cannot
// be used is a *TLSFileError.
func (o TLSOptions) Config() (*tls.Config, error) {
	if o == (TLSOptions{}) {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.Insecure}
	if o.CACert != "" {
		b, err := os.ReadFile(o.CACert)
		if err != nil {
			return nil, &TLSFileError{Fields: []string{"CACert"}, Files: []string{""}, Err: err}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, &TLSFileError{Fields: []string{"CACert"}, Files: []string{o.CACert}, Err: errors.New("no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)")}
		}
		c.RootCAs = pool
	}
	switch {
	case o.Cert != "" && o.Key != "":
		pair, err := tls.LoadX509KeyPair(o.Cert, o.Key)
		if err != nil {
			return nil, &TLSFileError{Fields: []string{"Cert", "Key"}, Files: []string{o.Cert, o.Key}, Err: err}
		}
		c.Certificates = []tls.Certificate{pair}
	case o.Cert != "" || o.Key != "":
		return nil, &TLSFileError{Fields: []string{"Cert", "Key"}, Files: []string{o.Cert, o.Key}, Err: errCertAlone}
	}
	return c, nil
}

// tlsConfigOf is the TLS configuration of a client NewClient made (nil for
// any other client).
func tlsConfigOf(c *http.Client) *tls.Config {
	if c == nil {
		return nil
	}
	if tr, ok := c.Transport.(*http.Transport); ok {
		return tr.TLSClientConfig
	}
	return nil
}

// leanTLS is the configuration the load engine's own connections handshake
// with: base's settings, for host, speaking HTTP/1.1.
func leanTLS(base *tls.Config, host string) *tls.Config {
	var c *tls.Config
	if base != nil {
		c = base.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = host
	}
	c.NextProtos = []string{"http/1.1"}
	return c
}

// tlsReason explains a TLS failure and names, in w's words, the setting
// that helps; "" when err is not one.
func tlsReason(err error, w *Words) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		who := "the server's certificate"
		if unknown.Cert != nil && unknown.Cert.Subject.CommonName != "" {
			who = fmt.Sprintf("the server's certificate (%q)", unknown.Cert.Subject.CommonName)
		}
		return fmt.Sprintf("TLS: %s is signed by an unknown authority (self-signed, or a private CA): trust it with %s, or skip the check with %s", who, w.CACert, w.Insecure)
	case errors.As(err, &host):
		names := certNames(host.Certificate)
		return fmt.Sprintf("TLS: the server's certificate is for %s, not %s (name mismatch): use a URL with one of those names, a certificate that names %s, or %s", names, host.Host, host.Host, w.Insecure)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		msg := "TLS: the server's certificate has expired or is not valid yet"
		if invalid.Cert != nil {
			msg = fmt.Sprintf("TLS: the server's certificate is valid from %s to %s, and it is %s (expired or not yet valid)",
				invalid.Cert.NotBefore.UTC().Format(time.RFC3339), invalid.Cert.NotAfter.UTC().Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339))
		}
		return msg + ": renew it, or skip the check with " + w.Insecure
	case errors.As(err, &invalid):
		return "TLS: the server's certificate was not accepted: " + invalid.Error() + "; trust its authority with " + w.CACert + ", or skip the check with " + w.Insecure
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "tls: certificate required"):
		return "TLS: the server requires a client certificate (mutual TLS) and none was sent: present one with " + w.Cert
	case strings.Contains(msg, "tls: bad certificate"), strings.Contains(msg, "tls: unknown certificate authority"):
		return "TLS: the server refused the client certificate (mutual TLS: none was sent, or the server does not trust its authority): present one whose authority the server trusts with " + w.Cert
	case strings.Contains(msg, "tls: expired certificate"):
		return "TLS: the server refused the client certificate as expired: renew the certificate given with " + w.Cert
	case strings.Contains(msg, "remote error: tls:"):
		return "TLS: the server refused the handshake: " + rootMsg(err)
	}
	return ""
}

func certNames(c *x509.Certificate) string {
	if c == nil {
		return "other names"
	}
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no host name (no subject alternative names)"
	}
	return strings.Join(names, ", ")
}
