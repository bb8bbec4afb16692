// Package testenv gives integration tests real services: a fresh, migrated
// PostgreSQL database and an Elasticsearch index prefix of their own, so tests
// run in parallel. It takes ASSETS_DATABASE_URL / ASSETS_ELASTICSEARCH_URL when
// set, else starts containers with testcontainers-go when a Docker engine
// answers, else skips, except under CI=true, where a missing service fails.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/store"
)

// unavailable skips the test, or fails it under CI=true.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s is not available (%v): set %s or run `make services`", what, err,
		map[string]string{"PostgreSQL": "ASSETS_DATABASE_URL", "Elasticsearch": "ASSETS_ELASTICSEARCH_URL"}[what])
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Name returns a short random lower-case name with the given prefix.
func Name(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// DatabaseURL creates a fresh, migrated database and returns its URL; the
// database is dropped when the test ends.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	base, err := baseDatabaseURL()
	if err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name := Name("assets_test_")
	dbURL, err := harness.CreateDatabase(ctx, base, name)
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		unavailable(t, "PostgreSQL", err)
	}
	if err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = harness.DropDatabase(ctx, base, name)
	})
	pool, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("opening test database: %v", err)
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("migrating test database: %v", err)
	}
	return dbURL
}

// Postgres returns a pool on a fresh, migrated database of the test's own.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dbURL := DatabaseURL(t)
	pool, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("opening test database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// ElasticsearchURL returns the URL of a healthy Elasticsearch.
func ElasticsearchURL(t testing.TB) string {
	t.Helper()
	u, err := baseElasticsearchURL()
	if err != nil {
		unavailable(t, "Elasticsearch", err)
	}
	return u
}

// Elasticsearch returns a client and an index prefix of the test's own;
// every index under the prefix is deleted when the test ends.
func Elasticsearch(t testing.TB) (*elasticsearch.Client, string) {
	t.Helper()
	es := ElasticsearchClient(t, ElasticsearchURL(t))
	prefix := Name("test_")
	t.Cleanup(func() {
		res, err := es.Indices.Delete([]string{prefix + "*"})
		if err == nil {
			res.Body.Close()
		}
	})
	return es, prefix
}

var (
	containersOnce sync.Once
	containerPG    string
	containerES    string
	containerErr   error
)

func baseDatabaseURL() (string, error) {
	if u := os.Getenv("ASSETS_DATABASE_URL"); u != "" {
		return u, nil
	}
	containersOnce.Do(startContainers)
	if containerErr != nil {
		return "", containerErr
	}
	return containerPG, nil
}

func baseElasticsearchURL() (string, error) {
	if u := os.Getenv("ASSETS_ELASTICSEARCH_URL"); u != "" {
		u = strings.TrimRight(u, "/")
		if err := healthy(u); err != nil {
			return "", err
		}
		return u, nil
	}
	containersOnce.Do(startContainers)
	if containerErr != nil {
		return "", containerErr
	}
	return containerES, nil
}
