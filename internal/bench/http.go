package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// newHTTPClient is a keep-alive client for loopback services: no proxy,
// no compression, no redirects followed (the searches endpoint answers
// 302 and the benchmark follows it itself, timed).
func newHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        64,
			MaxIdleConnsPerHost: 32,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// checkLoopback refuses a service URL whose host is not a loopback
// address: every request of the benchmark stays on this machine.
func checkLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("parsing %q: %w", rawURL, err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address; the benchmark only talks to local services", host)
}

// send does one request and returns the whole body when the status is
// want; any other status is an error quoting the start of the body.
func send(ctx context.Context, c *http.Client, method, u string, header http.Header, body []byte, want int) ([]byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: reading the answer: %w", method, u, err)
	}
	if res.StatusCode != want {
		if len(b) > 300 {
			b = b[:300]
		}
		return nil, nil, fmt.Errorf("%s %s: status %d (want %d): %s", method, u, res.StatusCode, want, b)
	}
	return b, res.Header, nil
}

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
	b, _, err := send(ctx, c.http, http.MethodGet, c.base+pathAndQuery, c.header, nil, http.StatusOK)
	return b, err
}

// sendBody sends a JSON:API document and expects the status want.
func (c *apiClient) sendBody(ctx context.Context, method, pathAndQuery string, body []byte, want int) ([]byte, http.Header, error) {
	h := c.header.Clone()
	h.Set("Content-Type", "application/vnd.api+json")
	return send(ctx, c.http, method, c.base+pathAndQuery, h, body, want)
}

// esClient sends pre-encoded requests straight to Elasticsearch.
type esClient struct {
	http *http.Client
	base string
}

func newESClient(base string) *esClient { return &esClient{http: newHTTPClient(), base: base} }

var jsonHeader = http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}

var ndjsonHeader = http.Header{"Content-Type": {"application/x-ndjson"}, "Accept": {"application/json"}}

// do sends body (JSON) to path and returns the answer of a 200.
func (c *esClient) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	b, _, err := send(ctx, c.http, method, c.base+path, jsonHeader, body, http.StatusOK)
	return b, err
}

// bulk sends one NDJSON _bulk body.
func (c *esClient) bulk(ctx context.Context, path string, body []byte) ([]byte, error) {
	b, _, err := send(ctx, c.http, http.MethodPost, c.base+path, ndjsonHeader, body, http.StatusOK)
	return b, err
}
