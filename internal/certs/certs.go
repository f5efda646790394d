// Package certs makes X.509 certificates for TLS on loopback: serve --tls's
// self-signed server certificate, and the authorities, server and client
// certificates that tests need. ECDSA P-256 keys, SHA-256 signatures.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"strings"
	"time"
)

// Cert is a certificate with its key.
type Cert struct {
	Leaf *x509.Certificate
	Key  *ecdsa.PrivateKey
	// DER is the certificate as signed.
	DER []byte
}

// Options shape a certificate.
type Options struct {
	// CommonName is the subject's common name.
	CommonName string
	// Hosts are the DNS names and IP addresses it is valid for (server
	// certificates).
	Hosts []string
	// CA makes a certificate authority.
	CA bool
	// Client makes a client certificate (extended key usage clientAuth);
	// otherwise a server certificate (serverAuth).
	Client bool
	// NotBefore and NotAfter bound its validity (default: from an hour ago
	// to a year from now).
	NotBefore, NotAfter time.Time
}

// New makes a certificate signed by parent, or self-signed when parent is
// nil.
func New(o Options, parent *Cert) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if o.NotBefore.IsZero() {
		o.NotBefore = now.Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = now.AddDate(1, 0, 0)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: o.CommonName, Organization: []string{"imhook"}},
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	switch {
	case o.CA:
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	case o.Client:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	for _, h := range o.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.Leaf, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Cert{Leaf: leaf, Key: key, DER: der}, nil
}

// SelfSigned is serve --tls's certificate: a self-signed server certificate
// for 127.0.0.1, ::1 and localhost, valid for a year.
func SelfSigned() (*Cert, error) {
	return New(Options{CommonName: "imhook serve", Hosts: []string{"127.0.0.1", "::1", "localhost"}}, nil)
}

// CertPEM is the certificate in PEM.
func (c *Cert) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER})
}

// KeyPEM is the private key in PEM (PKCS #8).
func (c *Cert) KeyPEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		panic(err) // an ECDSA key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// TLS is the certificate for a tls.Config.
func (c *Cert) TLS() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.DER}, PrivateKey: c.Key, Leaf: c.Leaf}
}

// Fingerprint is the SHA-256 fingerprint of a DER certificate, as browsers
// and openssl x509 -fingerprint -sha256 show it: upper-case hex pairs
// joined by colons.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// PoolFromPEM reads every certificate of a PEM file's bytes into a pool;
// it is an error when there is none.
func PoolFromPEM(b []byte) (*x509.CertPool, error) {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, errors.New("no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)")
	}
	return p, nil
}
