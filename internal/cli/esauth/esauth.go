// Package esauth builds how the service authenticates to a secured
// Elasticsearch and verifies its certificate: an API key or a user and
// password, given apart from the URL, and TLS trust from a CA file or a
// SHA-256 certificate fingerprint. It is its own package so that both the
// commands (internal/cli) and the tests' clients (internal/testenv) build
// their clients the same way. See docs/elasticsearch-security.md.
package esauth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/elastic/go-elasticsearch/v8"
)

// The environment variables Config reads.
const (
	EnvAPIKey        = "ASSETS_ELASTICSEARCH_API_KEY"
	EnvUsername      = "ASSETS_ELASTICSEARCH_USERNAME"
	EnvPassword      = "ASSETS_ELASTICSEARCH_PASSWORD"
	EnvCACert        = "ASSETS_ELASTICSEARCH_CA_CERT"
	EnvCAFingerprint = "ASSETS_ELASTICSEARCH_CA_FINGERPRINT"
)

// redacted stands in for a secret in anything printed.
const redacted = "xxxxx"

// Config is the credentials and TLS trust for Elasticsearch. The zero
// Config is an unsecured cluster (no credentials, the system's roots).
type Config struct {
	APIKey        string // the encoded API key (id:key in base64), sent as "ApiKey ..."
	Username      string
	Password      string
	CACertFile    string // a PEM file of the CA(s) the nodes' certificates chain to
	CAFingerprint string // SHA-256 of a certificate the nodes present, hex (colons allowed)
}

// FromEnv reads the ASSETS_ELASTICSEARCH_* variables above. Contradictory
// or incomplete settings are an error naming the variables.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		APIKey:        strings.TrimSpace(getenv(EnvAPIKey)),
		Username:      getenv(EnvUsername),
		Password:      getenv(EnvPassword),
		CACertFile:    strings.TrimSpace(getenv(EnvCACert)),
		CAFingerprint: strings.TrimSpace(getenv(EnvCAFingerprint)),
	}
	return c, c.Validate()
}

// Validate checks that the settings go together.
func (c Config) Validate() error {
	if c.APIKey != "" && (c.Username != "" || c.Password != "") {
		return fmt.Errorf("%s and %s/%s are both set: give an API key or a user, not both", EnvAPIKey, EnvUsername, EnvPassword)
	}
	if (c.Username == "") != (c.Password == "") {
		return fmt.Errorf("%s and %s go together: set both or neither", EnvUsername, EnvPassword)
	}
	if c.CACertFile != "" && c.CAFingerprint != "" {
		return fmt.Errorf("%s and %s are both set: trust a CA file or a fingerprint, not both", EnvCACert, EnvCAFingerprint)
	}
	if c.CAFingerprint != "" {
		if _, err := parseFingerprint(c.CAFingerprint); err != nil {
			return fmt.Errorf("%s: %w", EnvCAFingerprint, err)
		}
	}
	return nil
}

// Secrets are the values no log line or error may show.
func (c Config) Secrets() []string {
	var out []string
	for _, s := range []string{c.APIKey, c.Password} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Redact replaces every secret of c in s.
func (c Config) Redact(s string) string {
	for _, secret := range c.Secrets() {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	return s
}

// RedactError returns err with c's secrets removed from its message, keeping
// its chain for errors.Is and errors.As; nil stays nil.
func (c Config) RedactError(err error) error {
	if err == nil {
		return nil
	}
	msg := c.Redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// LogValue shows which kind of authentication and trust is used, never a
// secret, so a Config can be logged as is.
func (c Config) LogValue() slog.Value {
	auth := "none"
	switch {
	case c.APIKey != "":
		auth = "api_key"
	case c.Username != "":
		auth = "basic"
	}
	attrs := []slog.Attr{slog.String("auth", auth)}
	if c.Username != "" {
		attrs = append(attrs, slog.String("username", c.Username))
	}
	if c.CACertFile != "" {
		attrs = append(attrs, slog.String("ca_cert", c.CACertFile))
	}
	if c.CAFingerprint != "" {
		attrs = append(attrs, slog.String("ca_fingerprint", c.CAFingerprint))
	}
	return slog.GroupValue(attrs...)
}

// String is LogValue's text, so %v and %s print no secret either.
func (c Config) String() string { return c.LogValue().String() }

// GoString keeps %#v from printing the fields.
func (c Config) GoString() string { return "esauth.Config" + c.String() }

// ClientConfig returns the client configuration for addresses with c's
// credentials, and base (cloned, never changed) with c's TLS trust. The
// client gets a transport whose TLSClientConfig is already built: it must
// not patch a custom transport itself.
func (c Config) ClientConfig(addresses []string, base *http.Transport) (elasticsearch.Config, error) {
	if err := c.Validate(); err != nil {
		return elasticsearch.Config{}, err
	}
	if base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	tr := base.Clone()
	tlsConf, err := c.TLSConfig()
	if err != nil {
		return elasticsearch.Config{}, err
	}
	if tlsConf != nil {
		tr.TLSClientConfig = tlsConf
	}
	return elasticsearch.Config{
		Addresses: addresses,
		APIKey:    c.APIKey,
		Username:  c.Username,
		Password:  c.Password,
		Transport: tr,
	}, nil
}

// ErrNoCertificate: a CA file without a single PEM certificate.
var ErrNoCertificate = errors.New("no PEM certificate in the file")
