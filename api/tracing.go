package api

import (
	"net/http"

	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// nameSpan names the request's server span, when one records (tracing is
// on, see Config.Tracing), after its route: the span begins before the mux
// has chosen one, and a name per route groups requests as the metrics do.
func nameSpan(r *http.Request, method, route string) {
	span := trace.SpanFromContext(r.Context())
	if !span.IsRecording() {
		return
	}
	span.SetName(method + " " + route)
	span.SetAttributes(semconv.HTTPRoute(route))
}
