package esauth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
)

func TestFromEnvValidates(t *testing.T) {
	t.Parallel()
	fp := strings.Repeat("ab", 32)
	cases := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"nothing", map[string]string{}, ""},
		{"api key", map[string]string{EnvAPIKey: "k"}, ""},
		{"user", map[string]string{EnvUsername: "u", EnvPassword: "p"}, ""},
		{"key and user", map[string]string{EnvAPIKey: "k", EnvUsername: "u", EnvPassword: "p"}, "not both"},
		{"user without password", map[string]string{EnvUsername: "u"}, "go together"},
		{"password without user", map[string]string{EnvPassword: "p"}, "go together"},
		{"fingerprint", map[string]string{EnvCAFingerprint: fp}, ""},
		{"fingerprint with colons", map[string]string{EnvCAFingerprint: strings.ToUpper(strings.Repeat("ab:", 31) + "ab")}, ""},
		{"short fingerprint", map[string]string{EnvCAFingerprint: "abcd"}, "64 hex digits"},
		{"not hex", map[string]string{EnvCAFingerprint: strings.Repeat("zz", 32)}, "64 hex digits"},
		{"ca and fingerprint", map[string]string{EnvCACert: "/x.pem", EnvCAFingerprint: fp}, "not both"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := FromEnv(func(k string) string { return tc.env[k] })
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("FromEnv: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("FromEnv: got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

// testCA is a CA generated for the test and a server certificate it signed
// for 127.0.0.1.
type testCA struct {
	pemFile string
	server  tls.Certificate
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return testCA{pemFile: path, server: tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}}
}

// fakeNode answers like an Elasticsearch node (the client checks the
// product header) and records the Authorization header it got.
func fakeNode(t *testing.T, cert *tls.Certificate) (*httptest.Server, *string) {
	t.Helper()
	var auth string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"green"}`)
	}))
	if cert != nil {
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &auth
}

// health asks the node through a client built from c.
func health(t *testing.T, c Config, url string) error {
	t.Helper()
	cfg, err := c.ClientConfig([]string{url}, &http.Transport{DisableCompression: true})
	if err != nil {
		return err
	}
	cfg.MaxRetries = 0
	es, err := elasticsearch.NewClient(cfg)
	if err != nil {
		return err
	}
	res, err := es.Cluster.Health()
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.IsError() {
		return errors.New(res.Status())
	}
	return nil
}

func TestCACertFileVerifiesTheServer(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	srv, auth := fakeNode(t, &ca.server)
	if err := health(t, Config{CACertFile: ca.pemFile, APIKey: "the-key"}, srv.URL); err != nil {
		t.Fatalf("with the CA that signed the node: %v", err)
	}
	if !strings.EqualFold(*auth, "ApiKey the-key") {
		t.Fatalf("Authorization = %q, want the API key", *auth)
	}
	other := newTestCA(t)
	if err := health(t, Config{CACertFile: other.pemFile}, srv.URL); err == nil {
		t.Fatal("a node signed by another CA was trusted")
	}
	if err := health(t, Config{}, srv.URL); err == nil {
		t.Fatal("a node signed by a private CA was trusted without it")
	}
}

func TestCACertFileWithoutCertificate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(path, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (Config{CACertFile: path}).TLSConfig(); !errors.Is(err, ErrNoCertificate) {
		t.Fatalf("TLSConfig = %v, want ErrNoCertificate", err)
	}
	if _, err := (Config{CACertFile: path + ".missing"}).TLSConfig(); err == nil || !strings.Contains(err.Error(), EnvCACert) {
		t.Fatalf("TLSConfig of a missing file = %v, want an error naming %s", err, EnvCACert)
	}
}

func TestFingerprintPinsTheServer(t *testing.T) {
	t.Parallel()
	srv, auth := fakeNode(t, nil)
	fp := Fingerprint(srv.Certificate().Raw)
	if err := health(t, Config{CAFingerprint: fp, Username: "u", Password: "pw"}, srv.URL); err != nil {
		t.Fatalf("with the server's fingerprint: %v", err)
	}
	if !strings.HasPrefix(*auth, "Basic ") {
		t.Fatalf("Authorization = %q, want basic authentication", *auth)
	}
	colons := strings.ToUpper(fp[:2])
	for i := 2; i < len(fp); i += 2 {
		colons += ":" + strings.ToUpper(fp[i:i+2])
	}
	if err := health(t, Config{CAFingerprint: colons}, srv.URL); err != nil {
		t.Fatalf("with the fingerprint in openssl's form: %v", err)
	}
	wrong := strings.Repeat("0", 64)
	err := health(t, Config{CAFingerprint: wrong}, srv.URL)
	if err == nil || !strings.Contains(err.Error(), ErrFingerprintMismatch.Error()) {
		t.Fatalf("with another fingerprint: %v, want %v", err, ErrFingerprintMismatch)
	}
}

func TestClientConfigKeepsTheBaseTransport(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	base := &http.Transport{MaxIdleConnsPerHost: 64}
	cfg, err := Config{CACertFile: ca.pemFile}.ClientConfig([]string{"https://127.0.0.1:1"}, base)
	if err != nil {
		t.Fatal(err)
	}
	tr := cfg.Transport.(*http.Transport)
	// Clone may give base an empty TLS config of its own (HTTP/2 set-up); it
	// must not get the CA.
	if tr == base || (base.TLSClientConfig != nil && base.TLSClientConfig.RootCAs != nil) {
		t.Fatal("the base transport was changed")
	}
	if tr.MaxIdleConnsPerHost != 64 || tr.TLSClientConfig == nil || tr.TLSClientConfig.RootCAs == nil {
		t.Fatalf("transport = %+v, want the base's settings and the CA", tr)
	}
}

func TestNoSecretIsPrinted(t *testing.T) {
	t.Parallel()
	c := Config{APIKey: "c2VjcmV0LWFwaS1rZXk=", Username: "svc", Password: "pa55-w0rd", CACertFile: "/etc/ca.crt"}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("connecting", "elasticsearch", c)
	log.Info("connecting", "text", fmt.Sprintf("%v %s %+v %#v", c, c, c, c))
	log.Error("failed", "err", c.RedactError(fmt.Errorf("request with key %s and %s refused", c.APIKey, c.Password)))
	var tbuf bytes.Buffer
	slog.New(slog.NewTextHandler(&tbuf, nil)).Info("connecting", "elasticsearch", c)
	out := buf.String() + tbuf.String()
	for _, secret := range []string{c.APIKey, c.Password} {
		if strings.Contains(out, secret) {
			t.Fatalf("a secret was logged:\n%s", out)
		}
	}
	for _, want := range []string{`"auth":"api_key"`, "/etc/ca.crt", redacted} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
	inner := errors.New("inner")
	if !errors.Is(c.RedactError(fmt.Errorf("%s: %w", c.Password, inner)), inner) {
		t.Fatal("RedactError lost the error chain")
	}
}
