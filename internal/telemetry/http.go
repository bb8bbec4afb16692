package telemetry

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// ElasticsearchSpanPrefix begins the name of every Elasticsearch client
// span ("elasticsearch POST"), so they stand apart from the server's.
const ElasticsearchSpanPrefix = "elasticsearch "

// Handler wraps h in a server span per request, continuing the caller's
// trace (W3C traceparent). Off, it returns h itself: no wrapping at all.
// The span is named after the method until the handler renames it after
// its route (see the api package).
func (t *Tracing) Handler(h http.Handler, operation string) http.Handler {
	if t == nil {
		return h
	}
	return otelhttp.NewHandler(h, operation,
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(t.propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// ElasticsearchTransport wraps rt in a client span per Elasticsearch
// request, which carries the trace to the cluster (traceparent). Off, it
// returns rt itself. The span's URL never carries user information: the
// instrumentation drops it, and the client sends credentials in headers,
// which are not recorded.
func (t *Tracing) ElasticsearchTransport(rt http.RoundTripper) http.RoundTripper {
	if t == nil {
		return rt
	}
	return otelhttp.NewTransport(rt,
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(t.propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return ElasticsearchSpanPrefix + r.Method
		}),
	)
}
