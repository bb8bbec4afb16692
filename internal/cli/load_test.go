package cli

import (
	"errors"
	"strings"
	"testing"
)

// Load takes the Elasticsearch credentials and trust from the environment,
// and contradictory ones are bad input (exit status 2), not a later failure.
func TestLoadElasticsearchSecurity(t *testing.T) {
	t.Setenv("ASSETS_LOG_LEVEL", "")
	t.Setenv("ASSETS_LOG_FORMAT", "")
	for _, v := range []string{"ASSETS_ELASTICSEARCH_USERNAME", "ASSETS_ELASTICSEARCH_PASSWORD", "ASSETS_ELASTICSEARCH_CA_FINGERPRINT"} {
		t.Setenv(v, "") // whatever the shell running the tests has
	}
	t.Setenv("ASSETS_ELASTICSEARCH_API_KEY", "a2V5")
	t.Setenv("ASSETS_ELASTICSEARCH_CA_CERT", "/etc/assets/ca.crt")
	e, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if e.ES.APIKey != "a2V5" || e.ES.CACertFile != "/etc/assets/ca.crt" {
		t.Fatalf("Load: ES = %#v, want the key and the CA file", e.ES)
	}
	t.Setenv("ASSETS_ELASTICSEARCH_USERNAME", "svc")
	_, err = Load()
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != ExitBadInput || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("Load with a key and a user = %v, want bad input", err)
	}
}
