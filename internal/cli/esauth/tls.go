package esauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// TLSConfig returns the client TLS configuration c asks for, or nil when
// neither a CA file nor a fingerprint is set (the system's roots apply).
func (c Config) TLSConfig() (*tls.Config, error) {
	switch {
	case c.CACertFile != "":
		pool, err := loadCAs(c.CACertFile)
		if err != nil {
			return nil, err
		}
		return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
	case c.CAFingerprint != "":
		want, err := parseFingerprint(c.CAFingerprint)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvCAFingerprint, err)
		}
		return &tls.Config{
			MinVersion: tls.VersionTLS12,
			// The chain is not verified against roots: the pinned
			// fingerprint is the trust, as Elasticsearch's own clients do it.
			InsecureSkipVerify:    true, //nolint:gosec // verified by VerifyPeerCertificate below
			VerifyPeerCertificate: pinned(want),
		}, nil
	}
	return nil, nil
}

// loadCAs reads a PEM file of one or more CA certificates.
func loadCAs(path string) (*x509.CertPool, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", EnvCACert, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		return nil, fmt.Errorf("%s %s: %w", EnvCACert, path, ErrNoCertificate)
	}
	return pool, nil
}

// ErrFingerprintMismatch: no certificate the server presented has the
// configured fingerprint.
var ErrFingerprintMismatch = errors.New("no certificate the server presented matches " + EnvCAFingerprint)

// pinned accepts a handshake when any certificate of the presented chain
// (the node's own, or a CA it sends along) has the SHA-256 fingerprint want.
func pinned(want []byte) func([][]byte, [][]*x509.Certificate) error {
	return func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
		for _, raw := range rawCerts {
			got := sha256.Sum256(raw)
			if subtle.ConstantTimeCompare(got[:], want) == 1 {
				return nil
			}
		}
		return ErrFingerprintMismatch
	}
}

// parseFingerprint decodes a SHA-256 fingerprint written as hex, with or
// without colons (openssl's form), in either case.
func parseFingerprint(s string) ([]byte, error) {
	clean := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("want a SHA-256 fingerprint: 64 hex digits, colons allowed")
	}
	return b, nil
}

// Fingerprint is the SHA-256 fingerprint of a DER certificate, in the hex
// form ASSETS_ELASTICSEARCH_CA_FINGERPRINT takes.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}
