package certs

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func TestSelfSignedServesLoopback(t *testing.T) {
	c, err := SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
		if err := c.Leaf.VerifyHostname(host); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: pool(c), DNSName: "localhost"}); err != nil {
		t.Errorf("the certificate does not verify against itself: %v", err)
	}
	if _, err := PoolFromPEM(c.CertPEM()); err != nil {
		t.Error(err)
	}
	if _, err := PoolFromPEM(c.KeyPEM()); err == nil {
		t.Error("a key file read as a certificate pool")
	}
}

func TestChainAndUsages(t *testing.T) {
	ca, _ := New(Options{CommonName: "ca", CA: true}, nil)
	server, _ := New(Options{CommonName: "s", Hosts: []string{"backend.example"}}, ca)
	client, _ := New(Options{CommonName: "c", Client: true}, ca)
	if _, err := server.Leaf.Verify(x509.VerifyOptions{Roots: pool(ca), DNSName: "backend.example"}); err != nil {
		t.Errorf("server: %v", err)
	}
	if _, err := client.Leaf.Verify(x509.VerifyOptions{Roots: pool(ca), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client: %v", err)
	}
	if _, err := client.Leaf.Verify(x509.VerifyOptions{Roots: pool(ca)}); err == nil {
		t.Error("a client certificate verified as a server's")
	}
	old, _ := New(Options{CommonName: "old", NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}, ca)
	if _, err := old.Leaf.Verify(x509.VerifyOptions{Roots: pool(ca)}); err == nil {
		t.Error("an expired certificate verified")
	}
}

func TestFingerprint(t *testing.T) {
	der := []byte("not really a certificate")
	sum := sha256.Sum256(der)
	want := strings.ToUpper(hex.EncodeToString(sum[:]))
	got := Fingerprint(der)
	if strings.ReplaceAll(got, ":", "") != want || len(got) != 95 || got[2] != ':' {
		t.Errorf("Fingerprint = %s, want %s in colon-separated pairs", got, want)
	}
}

// pool is a pool holding c alone.
func pool(c *Cert) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Leaf)
	return p
}
