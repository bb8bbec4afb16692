package bench

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/openinventory/assets/internal/harness"
)

// newHTTPClient is the benchmark's keep-alive loopback client.
func newHTTPClient() *http.Client { return harness.NewHTTPClient(2*time.Minute, 32) }

// apiClient calls the API with a token, in one tenant's scope.
type apiClient struct {
	http   *http.Client
	base   string // http://127.0.0.1:PORT
	prefix string // /rest/tenants/<id>/inventory/assets
	header http.Header
}

// apiVersion is the version parameter every request sends.
const apiVersion = "2024-10-15"

func newAPIClient(base, tenantID, token string) *apiClient {
	h := http.Header{}
	h.Set("Authorization", "Token "+token)
	h.Set("Accept", "application/vnd.api+json")
	return &apiClient{http: newHTTPClient(), base: base, prefix: "/rest/tenants/" + tenantID + "/inventory/assets", header: h}
}

// url is prefix+rel with the query q (the version added).
func (c *apiClient) url(rel string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	q.Set("version", apiVersion)
	return c.prefix + rel + "?" + q.Encode()
}

// get fetches a path with query (from url or from a links member).
func (c *apiClient) get(ctx context.Context, pathAndQuery string) ([]byte, error) {
	target := c.base + pathAndQuery
	if strings.HasPrefix(pathAndQuery, "http") { // a link or Location the server made
		target = pathAndQuery
	}
	b, _, err := harness.Send(ctx, c.http, http.MethodGet, target, c.header, nil, http.StatusOK)
	return b, err
}

// sendBody sends a JSON:API document and expects the status want.
func (c *apiClient) sendBody(ctx context.Context, method, pathAndQuery string, body []byte, want int) ([]byte, http.Header, error) {
	h := c.header.Clone()
	h.Set("Content-Type", "application/vnd.api+json")
	return harness.Send(ctx, c.http, method, c.base+pathAndQuery, h, body, want)
}
