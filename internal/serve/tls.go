package serve

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/imhook/imhook/internal/certs"
)

// TLSOptions are the server side of TLS (serve --tls, --tls-cert/--tls-key,
// --client-ca, --tls-out).
type TLSOptions struct {
	// SelfSigned makes a certificate at start for 127.0.0.1, ::1 and
	// localhost.
	SelfSigned bool
	// CertFile and KeyFile are a certificate (chain) and its key, PEM.
	CertFile, KeyFile string
	// ClientCA, when set, is a PEM file of the authorities whose client
	// certificates are accepted: every client must present one (mutual
	// TLS, as a backend that verifies Tencent Cloud Chat's certificate
	// does).
	ClientCA string
	// OutDir, with SelfSigned, is where the certificate and key are
	// written (cert.pem, key.pem) for clients to trust.
	OutDir string
}

// Enabled reports whether the options ask for TLS at all.
func (o TLSOptions) Enabled() bool {
	return o.SelfSigned || o.CertFile != "" || o.KeyFile != "" || o.ClientCA != ""
}

// TLSInfo describes the certificate a server presents.
type TLSInfo struct {
	// Leaf is the server certificate.
	Leaf *x509.Certificate
	// Fingerprint is its SHA-256 fingerprint (AB:CD:...).
	Fingerprint string
	// Written are the files OutDir received.
	Written []string
}

// Config builds the server's TLS configuration. Errors name the flag.
func (o TLSOptions) Config() (*tls.Config, *TLSInfo, error) {
	var cert tls.Certificate
	info := &TLSInfo{}
	switch {
	case o.SelfSigned && (o.CertFile != "" || o.KeyFile != ""):
		return nil, nil, errors.New("--tls makes its own certificate; --tls-cert and --tls-key give one: use one or the other")
	case o.SelfSigned:
		c, err := certs.SelfSigned()
		if err != nil {
			return nil, nil, fmt.Errorf("--tls: %w", err)
		}
		cert, info.Leaf = c.TLS(), c.Leaf
		if o.OutDir != "" {
			if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
				return nil, nil, fmt.Errorf("--tls-out: %w", err)
			}
			for _, f := range []struct {
				name string
				b    []byte
				mode os.FileMode
			}{{"cert.pem", c.CertPEM(), 0o644}, {"key.pem", c.KeyPEM(), 0o600}} {
				p := filepath.Join(o.OutDir, f.name)
				if err := os.WriteFile(p, f.b, f.mode); err != nil {
					return nil, nil, fmt.Errorf("--tls-out: %w", err)
				}
				info.Written = append(info.Written, p)
			}
		}
	case o.OutDir != "":
		return nil, nil, errors.New("--tls-out writes the certificate that --tls makes; give --tls too")
	case o.CertFile != "" && o.KeyFile != "":
		c, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-cert %s --tls-key %s: %w", o.CertFile, o.KeyFile, err)
		}
		cert, info.Leaf = c, c.Leaf
		if info.Leaf == nil {
			if info.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
				return nil, nil, fmt.Errorf("--tls-cert %s: %w", o.CertFile, err)
			}
		}
	case o.CertFile != "" || o.KeyFile != "":
		return nil, nil, errors.New("--tls-cert and --tls-key go together: the server certificate and its private key (PEM files)")
	default:
		return nil, nil, errors.New("--client-ca verifies client certificates over TLS: give --tls, or --tls-cert and --tls-key, too")
	}
	info.Fingerprint = certs.Fingerprint(info.Leaf.Raw)
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if o.ClientCA != "" {
		b, err := os.ReadFile(o.ClientCA)
		if err != nil {
			return nil, nil, fmt.Errorf("--client-ca: %w", err)
		}
		pool, err := certs.PoolFromPEM(b)
		if err != nil {
			return nil, nil, fmt.Errorf("--client-ca %s: %w", o.ClientCA, err)
		}
		c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return c, info, nil
}
