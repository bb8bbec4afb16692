package testenv

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/openinventory/assets/internal/cli/esauth"
)

// ElasticsearchAuth is the credentials and TLS trust the tests use, from the
// same variables as the service (ASSETS_ELASTICSEARCH_API_KEY, _USERNAME,
// _PASSWORD, _CA_CERT, _CA_FINGERPRINT), so the suites run against a
// secured cluster too; the zero Config when none is set.
func ElasticsearchAuth(t testing.TB) esauth.Config {
	t.Helper()
	c, err := esauth.FromEnv(os.Getenv)
	if err != nil {
		t.Fatalf("Elasticsearch security settings: %v", err)
	}
	return c
}

// ElasticsearchClient returns a client of addresses with the tests'
// credentials and TLS trust.
func ElasticsearchClient(t testing.TB, addresses ...string) *elasticsearch.Client {
	t.Helper()
	// Uncompressed, as the commands' clients ask (cli's esTransport), so
	// tests and benchmarks pay what the product pays.
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DisableCompression = true
	cfg, err := ElasticsearchAuth(t).ClientConfig(addresses, base)
	if err != nil {
		t.Fatalf("Elasticsearch client configuration: %v", err)
	}
	es, err := elasticsearch.NewClient(cfg)
	if err != nil {
		t.Fatalf("creating Elasticsearch client: %v", err)
	}
	return es
}

// ElasticsearchTransport is a transport with the tests' TLS trust that adds
// their credentials to every request, for tests that put a proxy of their
// own in front of Elasticsearch.
func ElasticsearchTransport(t testing.TB) http.RoundTripper {
	t.Helper()
	tr, err := authTransport()
	if err != nil {
		t.Fatalf("Elasticsearch transport: %v", err)
	}
	return tr
}

func authTransport() (http.RoundTripper, error) {
	c, err := esauth.FromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	tlsConf, err := c.TLSConfig()
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	if tlsConf != nil {
		base.TLSClientConfig = tlsConf
	}
	return &credentials{base: base, auth: c}, nil
}

// credentials adds the Authorization header of a Config.
type credentials struct {
	base http.RoundTripper
	auth esauth.Config
}

func (c *credentials) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case c.auth.APIKey != "":
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "ApiKey "+c.auth.APIKey)
	case c.auth.Username != "":
		req = req.Clone(req.Context())
		req.SetBasicAuth(c.auth.Username, c.auth.Password)
	}
	return c.base.RoundTrip(req)
}

// healthy checks Elasticsearch with _cluster/health (GET / is not served by
// the minimal distribution), with the tests' credentials.
func healthy(base string) error {
	tr, err := authTransport()
	if err != nil {
		return err
	}
	c := http.Client{Timeout: 5 * time.Second, Transport: tr}
	res, err := c.Get(base + "/_cluster/health")
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("_cluster/health answered %s", res.Status)
	}
	return nil
}

// ElasticsearchProxy is a reverse proxy to the tests' Elasticsearch that
// adds their credentials and trusts their CA, for tests that put faults
// between a client and the cluster; the client talks plain HTTP to it.
func ElasticsearchProxy(t testing.TB) *httputil.ReverseProxy {
	t.Helper()
	target, err := url.Parse(ElasticsearchURL(t))
	if err != nil {
		t.Fatalf("parsing the Elasticsearch URL: %v", err)
	}
	p := httputil.NewSingleHostReverseProxy(target)
	p.Transport = ElasticsearchTransport(t)
	return p
}
