package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"net/http"
	"strings"

	"github.com/elastic/go-elasticsearch/v8"
)

// Client reads and writes the asset index behind one alias. Its only
// mutable state is a cache of the alias's shard count, behind a lock, so
// one Client is shared by every goroutine.
type Client struct {
	es    *elasticsearch.Client
	alias string
	// MaxGroupValues bounds how many distinct values GroupValues collects
	// before sorting them in Go; more is an error rather than a silent cut.
	MaxGroupValues int
	// Settings shape the indexes EnsureIndex and CreateIndex make;
	// DefaultIndexSettings unless the caller sets them.
	Settings IndexSettings
	// GroupTermsDepth bounds how deep into a group values order one terms
	// aggregation serves pages; GroupValuesTermsDepthMax when zero.
	GroupTermsDepth int
	// shards caches the primary shards behind the alias (shardcount.go);
	// nil (a Client not made by New) always takes the exact composite path.
	shards *shardCounts
}

// New returns a Client for the alias prefix (ASSETS_INDEX, "assets" by
// default); concrete indexes are named prefix-<timestamp>.
func New(es *elasticsearch.Client, prefix string) *Client {
	return &Client{es: es, alias: prefix, MaxGroupValues: 200_000, Settings: DefaultIndexSettings(), shards: newShardCounts()}
}

// Alias is the name every read goes through.
func (c *Client) Alias() string { return c.alias }

// Catalogue returns the field catalogue the client's queries use.
func (c *Client) Catalogue() *Catalogue { return defaultCatalogue }

// ErrInvalidRequest marks errors caused by the request (unknown field,
// unsupported mode, malformed cursor), which the API reports as 400.
var ErrInvalidRequest = errors.New("invalid request")

func invalidf(format string, args ...any) error {
	return &InvalidRequestError{Detail: fmt.Sprintf(format, args...)}
}

// ResponseError is an error answer from Elasticsearch.
type ResponseError struct {
	Status int
	Type   string // e.g. index_not_found_exception
	Reason string
}

func (e *ResponseError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("elasticsearch status %d: %s", e.Status, e.Reason)
	}
	return fmt.Sprintf("elasticsearch status %d: %s: %s", e.Status, e.Type, e.Reason)
}

// do sends one request through the client's transport (which keeps the
// product check, retries and node selection) and decodes a 2xx body into
// out when out is non-nil. Non-2xx answers become *ResponseError.
func (c *Client) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
		contentType = "application/x-ndjson"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("encoding request body: %w", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return err
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.es.Perform(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return decodeError(res)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil
	}
	dec := json.NewDecoder(res.Body)
	dec.UseNumber() // sort values are longs beyond float64 precision
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("decoding response: %w", err)
	}
	return nil
}

func decodeError(res *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	re := &ResponseError{Status: res.StatusCode}
	if json.Unmarshal(raw, &e) == nil && len(e.Error) > 0 {
		var obj struct {
			Type      string `json:"type"`
			Reason    string `json:"reason"`
			RootCause []struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"root_cause"`
		}
		if json.Unmarshal(e.Error, &obj) == nil {
			re.Type, re.Reason = obj.Type, obj.Reason
			if len(obj.RootCause) > 0 && obj.RootCause[0].Reason != obj.Reason {
				re.Reason += " (" + obj.RootCause[0].Type + ": " + obj.RootCause[0].Reason + ")"
			}
		} else {
			re.Reason = strings.Trim(string(e.Error), `"`)
		}
	} else {
		re.Reason = string(raw)
	}
	return re
}

// isStatus reports whether err is an Elasticsearch answer with that status.
func isStatus(err error, status int) bool {
	var re *ResponseError
	return errors.As(err, &re) && re.Status == status
}

func isType(err error, typ string) bool {
	var re *ResponseError
	return errors.As(err, &re) && re.Type == typ
}
