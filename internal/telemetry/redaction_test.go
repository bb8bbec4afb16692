package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/openinventory/assets/internal/telemetry"
	"github.com/openinventory/assets/internal/telemetry/otlpreceiver"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

// tracedSpans sets tracing up towards a receiver of the test's own, runs
// work with it, flushes, and returns what arrived.
func tracedSpans(t *testing.T, work func(*telemetry.Tracing)) []otlpreceiver.Span {
	t.Helper()
	rec := otlpreceiver.Start()
	defer rec.Close()
	tr, err := telemetry.Setup(context.Background(), telemetry.Options{Getenv: env(nil), EndpointURL: rec.TracesURL})
	if err != nil {
		t.Fatal(err)
	}
	work(tr)
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return rec.Spans()
}

// carrying reports the spans with an attribute value containing s.
func carrying(spans []otlpreceiver.Span, s string) []string {
	var out []string
	for _, sp := range spans {
		for k, v := range sp.Attributes {
			if strings.Contains(v, s) {
				out = append(out, sp.Name+" "+k+"="+v)
			}
		}
	}
	return out
}

// TestElasticsearchSpanHasNoPassword: a URL with user information (as
// ASSETS_ELASTICSEARCH_URL may be written) is recorded without it.
func TestElasticsearchSpanHasNoPassword(t *testing.T) {
	t.Parallel()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) }))
	defer target.Close()
	u, _ := url.Parse(target.URL + "/assets/_search")
	u.User = url.UserPassword("elastic", "s3cret-es")
	spans := tracedSpans(t, func(tr *telemetry.Tracing) {
		c := &http.Client{Transport: tr.ElasticsearchTransport(http.DefaultTransport)}
		res, err := c.Post(u.String(), "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	})
	if len(spans) != 1 || spans[0].Name != telemetry.ElasticsearchSpanPrefix+"POST" || !strings.Contains(spans[0].Attributes["url.full"], "/assets/_search") {
		t.Fatalf("spans %+v, want one Elasticsearch POST span with its URL", spans)
	}
	if got := carrying(spans, "s3cret-es"); len(got) > 0 {
		t.Errorf("the password reached a span: %v", got)
	}
}

// TestPostgresSpanHasNoArguments: a traced pool records the statement,
// never its arguments, within a caller's span.
func TestPostgresSpanHasNoArguments(t *testing.T) {
	t.Parallel()
	dbURL := testenv.DatabaseURL(t)
	spans := tracedSpans(t, func(tr *telemetry.Tracing) {
		pool, err := store.OpenWith(context.Background(), dbURL, store.PoolSettings{Tracer: tr.PGXTracer()})
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		// The tracer records statements only within a request's span.
		ctx, span := tr.TracerProvider().Tracer("test").Start(context.Background(), "request")
		defer span.End()
		var got string
		if err := pool.QueryRow(ctx, "SELECT $1::text AS secret_argument", "s3cret-arg").Scan(&got); err != nil {
			t.Fatal(err)
		}
	})
	if len(carrying(spans, "SELECT $1::text AS secret_argument")) == 0 {
		t.Errorf("no span carries the statement: %+v", spans)
	}
	if got := carrying(spans, "s3cret-arg"); len(got) > 0 {
		t.Errorf("an argument reached a span: %v", got)
	}
}
