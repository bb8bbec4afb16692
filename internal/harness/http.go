package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// NewHTTPClient is a keep-alive client for loopback services: no proxy
// (whatever the environment says), no compression, no redirects followed
// (the searches endpoint answers 302; callers follow it themselves), at
// most perHost idle connections a host.
func NewHTTPClient(timeout time.Duration, perHost int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        2 * perHost,
			MaxIdleConnsPerHost: perHost,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Request does one request and returns the status, header and body.
func Request(ctx context.Context, c *http.Client, method, url string, header http.Header, body []byte) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, res.Header, b, fmt.Errorf("%s %s: reading the answer: %w", method, url, err)
	}
	return res.StatusCode, res.Header, b, nil
}

// Send does one request and returns the whole body when the status is
// want; any other status is an error quoting the start of the body.
func Send(ctx context.Context, c *http.Client, method, url string, header http.Header, body []byte, want int) ([]byte, http.Header, error) {
	status, h, b, err := Request(ctx, c, method, url, header, body)
	if err != nil {
		return nil, nil, err
	}
	if status != want {
		if len(b) > 300 {
			b = b[:300]
		}
		return nil, nil, fmt.Errorf("%s %s: status %d (want %d): %s", method, url, status, want, b)
	}
	return b, h, nil
}

// ES sends pre-encoded requests straight to Elasticsearch.
type ES struct {
	HTTP *http.Client
	Base string // http://host:port, no trailing slash
}

// NewES talks to the first of the comma-separated urls.
func NewES(hc *http.Client, urls string) *ES {
	first, _, _ := strings.Cut(urls, ",")
	return &ES{HTTP: hc, Base: strings.TrimRight(strings.TrimSpace(first), "/")}
}

var (
	jsonHeader   = http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	ndjsonHeader = http.Header{"Content-Type": {"application/x-ndjson"}, "Accept": {"application/json"}}
)

// Request sends body (JSON, or nothing) to path and returns the status
// and the answer.
func (c *ES) Request(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	status, _, b, err := Request(ctx, c.HTTP, method, c.Base+path, jsonHeader, body)
	if err != nil {
		return 0, nil, fmt.Errorf("Elasticsearch %s %s: %w", method, path, err)
	}
	return status, b, nil
}

// Do sends body (JSON) to path and returns the answer of a 200.
func (c *ES) Do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	b, _, err := Send(ctx, c.HTTP, method, c.Base+path, jsonHeader, body, http.StatusOK)
	return b, err
}

// Bulk sends one NDJSON _bulk body.
func (c *ES) Bulk(ctx context.Context, path string, body []byte) ([]byte, error) {
	b, _, err := Send(ctx, c.HTTP, http.MethodPost, c.Base+path, ndjsonHeader, body, http.StatusOK)
	return b, err
}

// Up reports whether the cluster health endpoint answers 200.
func (c *ES) Up(ctx context.Context) bool {
	status, _, err := c.Request(ctx, http.MethodGet, "/_cluster/health", nil)
	return err == nil && status == http.StatusOK
}

// AliasIndexes lists the concrete indexes alias points at.
func (c *ES) AliasIndexes(ctx context.Context, alias string) ([]string, error) {
	b, err := c.Do(ctx, http.MethodGet, "/_alias/"+alias, nil)
	if err != nil {
		return nil, fmt.Errorf("reading alias %s: %w", alias, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading alias %s: %w", alias, err)
	}
	var names []string
	for n := range m {
		names = append(names, n)
	}
	return names, nil
}

// DeleteIndexes removes the indexes of prefix and returns their names:
// exactly the names the index package makes (prefix-initial and
// prefix-<timestamp>), so another prefix that merely starts the same is
// left alone.
func (c *ES) DeleteIndexes(ctx context.Context, prefix string) ([]string, error) {
	b, err := c.Do(ctx, http.MethodGet, "/_cat/indices/"+prefix+"-*?format=json&h=index&expand_wildcards=all", nil)
	if err != nil {
		return nil, fmt.Errorf("listing indexes %s-*: %w", prefix, err)
	}
	var rows []struct {
		Index string `json:"index"`
	}
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("listing indexes %s-*: %w", prefix, err)
	}
	own := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `-(initial|\d{8}t\d{6}\.\d{6})$`)
	var deleted []string
	for _, r := range rows {
		if !own.MatchString(r.Index) {
			continue
		}
		status, b, err := c.Request(ctx, http.MethodDelete, "/"+r.Index, nil)
		if err != nil {
			return deleted, err
		}
		if status != http.StatusOK && status != http.StatusNotFound {
			return deleted, fmt.Errorf("deleting index %s: %d %s", r.Index, status, Truncate(b, 200))
		}
		deleted = append(deleted, r.Index)
	}
	return deleted, nil
}
