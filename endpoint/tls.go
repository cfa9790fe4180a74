package endpoint

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"
)

// Fingerprint is the SHA-256 of a certificate's DER bytes, as lowercase hex
// pairs joined by colons — the form hubcat logs and --fingerprint accepts.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return formatFingerprint(sum[:])
}

func formatFingerprint(b []byte) string {
	h := hex.EncodeToString(b)
	var sb strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(h[i : i+2])
	}
	return sb.String()
}

// normalizeFingerprint accepts hex with or without colons, any case, and an
// optional "sha256:" prefix.
func normalizeFingerprint(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "sha256:")
	return strings.NewReplacer(":", "", " ", "").Replace(s)
}

// FingerprintError reports a server certificate that does not match the pin.
type FingerprintError struct {
	Want, Got string
}

func (e *FingerprintError) Error() string {
	return fmt.Sprintf("certificate fingerprint mismatch: got %s, want %s", e.Got, e.Want)
}

// ClientOptions are the user's TLS choices for a connecting command.
type ClientOptions struct {
	Insecure          bool              // skip verification entirely
	Fingerprint       string            // pin the server certificate's SHA-256; replaces CA verification
	CAFile            string            // PEM bundle to trust instead of the system roots
	ServerName        string            // overrides the name checked in the certificate
	Certificates      []tls.Certificate // client certificates to present
	CertFile, KeyFile string            // a client certificate pair to load and present
}

// ClientTLS builds a client *tls.Config from the options.
func ClientTLS(o ClientOptions) (*tls.Config, error) {
	c := &tls.Config{ServerName: o.ServerName, MinVersion: tls.VersionTLS12, Certificates: o.Certificates}
	if o.CertFile != "" || o.KeyFile != "" {
		if o.CertFile == "" || o.KeyFile == "" {
			return nil, fmt.Errorf("a client certificate needs both its certificate and key files")
		}
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		c.Certificates = append(c.Certificates, cert)
	}
	if o.CAFile != "" {
		pool, err := loadPool(o.CAFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	switch {
	case o.Fingerprint != "":
		want := normalizeFingerprint(o.Fingerprint)
		if len(want) != 64 {
			return nil, fmt.Errorf("fingerprint %q is not a SHA-256 (64 hex digits)", o.Fingerprint)
		}
		c.InsecureSkipVerify = true // replaced by the pin check below
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return &FingerprintError{Want: o.Fingerprint, Got: "no certificate"}
			}
			got := Fingerprint(cs.PeerCertificates[0])
			if normalizeFingerprint(got) != want {
				return &FingerprintError{Want: formatFingerprintHex(want), Got: got}
			}
			return nil
		}
	case o.Insecure:
		c.InsecureSkipVerify = true
	}
	return c, nil
}

func formatFingerprintHex(h string) string {
	b, _ := hex.DecodeString(h)
	return formatFingerprint(b)
}

// loadPool reads a PEM bundle of CA certificates.
func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificates", file)
	}
	return pool, nil
}

// RequireClientCerts makes a server configuration demand client
// certificates signed by a CA in caFile.
func RequireClientCerts(c *tls.Config, caFile string) error {
	pool, err := loadPool(caFile)
	if err != nil {
		return err
	}
	c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	return nil
}

// ServerCert loads a certificate pair, or when both paths are empty generates
// a self-signed one valid for localhost and the loopback addresses. It returns
// the certificate's fingerprint so the caller can log it for pinning.
func ServerCert(certFile, keyFile string) (tls.Certificate, string, error) {
	if (certFile == "") != (keyFile == "") {
		return tls.Certificate{}, "", fmt.Errorf("--tls-cert and --tls-key must be given together")
	}
	var cert tls.Certificate
	var err error
	if certFile != "" {
		cert, err = tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return tls.Certificate{}, "", fmt.Errorf("load TLS key pair: %w", err)
		}
	} else if cert, err = SelfSigned(); err != nil {
		return tls.Certificate{}, "", err
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("parse certificate: %w", err)
	}
	cert.Leaf = leaf
	return cert, Fingerprint(leaf), nil
}

// ServerTLS wraps a certificate in a server config.
func ServerTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// ServerOptions are the user's TLS choices for a listening command.
type ServerOptions struct {
	// CertFile and KeyFile name a PEM certificate pair; with both empty a
	// self-signed certificate is generated (see [SelfSigned]).
	CertFile, KeyFile string
	// ClientCAFile, if set, makes clients present a certificate signed by
	// a CA in this PEM file.
	ClientCAFile string
}

// ServerConfig builds the server *tls.Config every listening command uses
// from the options. It also returns the certificate's fingerprint, for the
// caller to show so that clients can pin it.
func ServerConfig(o ServerOptions) (*tls.Config, string, error) {
	cert, fp, err := ServerCert(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, "", err
	}
	c := ServerTLS(cert)
	if o.ClientCAFile != "" {
		if err := RequireClientCerts(c, o.ClientCAFile); err != nil {
			return nil, "", err
		}
	}
	return c, fp, nil
}

// SelfSigned generates an ECDSA P-256 certificate for localhost, 127.0.0.1,
// ::1 and the machine's hostname, valid for one year.
func SelfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, err
	}
	names := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "localhost" {
		names = append(names, h)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "hubcat self-signed"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
