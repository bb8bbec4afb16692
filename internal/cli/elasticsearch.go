package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/openinventory/assets/index"
)

// esTransport is the HTTP transport of every Elasticsearch client the
// commands build; esauth adds the TLS trust to a clone of it.
func esTransport() *http.Transport {
	return &http.Transport{
		// Responses come over loopback or a LAN: gzip would cost more CPU
		// (both sides) than the bytes it saves, ~20% of a list request.
		DisableCompression: true,
		// Keep a connection per concurrent request instead of Go's 2.
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
}

// openIndex builds the Elasticsearch client from e (URLs, credentials, TLS
// trust) with the indexes' settings, checks the cluster's health and the
// credentials' privileges on the prefix, and makes sure the alias exists.
// Errors never carry a secret.
func openIndex(ctx context.Context, e *Env, settings index.IndexSettings) (*index.Client, error) {
	redact := func(err error) error { return e.ES.RedactError(RedactError(err, e.ElasticsearchURL)) }
	cfg, err := e.ES.ClientConfig(strings.Split(e.ElasticsearchURL, ","), esTransport())
	if err != nil {
		return nil, BadInput(redact(err))
	}
	cfg.MaxRetries = 3
	cfg.Transport = e.Tracing.ElasticsearchTransport(cfg.Transport)
	if e.Logger != nil {
		e.Logger.Debug("connecting to Elasticsearch", "url", RedactURL(e.ElasticsearchURL), "security", e.ES)
	}
	es, err := elasticsearch.NewClient(cfg)
	if err != nil {
		return nil, redact(fmt.Errorf("creating Elasticsearch client: %w", err))
	}
	idx := index.New(es, e.IndexPrefix)
	idx.Settings = settings
	if err := idx.Healthy(ctx); err != nil {
		var re *index.ResponseError
		// Refused credentials do not fix themselves by waiting.
		if errors.As(err, &re) && re.Status == http.StatusUnauthorized {
			return nil, redact(fmt.Errorf("Elasticsearch refused the credentials (ASSETS_ELASTICSEARCH_API_KEY or "+
				"ASSETS_ELASTICSEARCH_USERNAME/PASSWORD): %w", err))
		}
		if errors.As(err, &re) && re.Status == http.StatusForbidden {
			return nil, &index.PrivilegeError{Missing: []string{"cluster privilege monitor"}}
		}
		return nil, &UnavailableError{Service: "Elasticsearch", URL: RedactURL(e.ElasticsearchURL),
			Env: "ASSETS_ELASTICSEARCH_URL", Err: redact(err)}
	}
	if err := idx.CheckPrivileges(ctx); err != nil {
		return nil, redact(err)
	}
	if err := idx.EnsureIndex(ctx); err != nil {
		return nil, redact(err)
	}
	if v, old, err := idx.Outdated(ctx); err == nil && old && e.Logger != nil && !e.Rebuilding {
		// Loud, not fatal: lists still answer; q== misses the old documents.
		e.Logger.Error("the index was built by an older version: run `assets reindex`",
			"index", idx.Alias(), "mapping_version", v, "want", index.MappingVersion,
			"effect", "q== does not find documents indexed before the upgrade; verify reports them")
	}
	return idx, nil
}
