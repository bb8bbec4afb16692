// Package telemetry sets up OpenTelemetry tracing for the long-running
// commands (serve, sync): spans of the HTTP server, of PostgreSQL (pgx) and
// of the Elasticsearch client, exported over OTLP (HTTP/protobuf).
//
// Tracing is on only when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. Otherwise Setup returns a nil
// *Tracing, whose methods install nothing: no provider, no middleware, no
// wrapped transport, so tracing off costs nothing. The global provider is
// never set: every instrumented part is handed the provider it uses.
//
// Everything else comes from the SDK's own handling of the standard
// variables: OTEL_SERVICE_NAME (ServiceNameDefault when unset),
// OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG,
// OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION and the TLS files.
//
// No secret reaches a span: the Elasticsearch spans carry the URL without
// its user information, the PostgreSQL spans the SQL text and the host,
// port, user and database name (never the password, never the arguments).
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// ServiceNameDefault is the service.name of the spans when
// OTEL_SERVICE_NAME is not set.
const ServiceNameDefault = "assets"

// ShutdownTimeoutDefault bounds the flush of the spans still queued when a
// command stops: a collector that does not answer cannot hold the exit.
const ShutdownTimeoutDefault = 5 * time.Second

// The variables that turn tracing on (the OpenTelemetry standard names).
const (
	EndpointEnv       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	TracesEndpointEnv = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	sdkDisabledEnv    = "OTEL_SDK_DISABLED"
)

// Options are what Setup reads besides the SDK's own variables.
type Options struct {
	// Getenv reads the variables that decide whether tracing is on; nil
	// is os.Getenv.
	Getenv func(string) string
	// EndpointURL, when set, is the full URL spans are posted to (e.g.
	// http://127.0.0.1:4318/v1/traces) and turns tracing on whatever the
	// environment says: for tests and the lab, which cannot share a
	// process environment.
	EndpointURL string
}

// Tracing is the tracer provider of a command and the instrumentation
// built on it. A nil *Tracing is tracing off; every method accepts it.
type Tracing struct {
	provider   *sdktrace.TracerProvider
	propagator propagation.TextMapPropagator
}

// Enabled reports whether the environment asks for tracing: an OTLP
// endpoint is set and the SDK is not disabled (OTEL_SDK_DISABLED=true).
func Enabled(getenv func(string) string) bool {
	if getenv == nil {
		getenv = os.Getenv
	}
	if strings.EqualFold(strings.TrimSpace(getenv(sdkDisabledEnv)), "true") {
		return false
	}
	return getenv(EndpointEnv) != "" || getenv(TracesEndpointEnv) != ""
}

// Setup builds the tracer provider and its OTLP exporter when tracing is
// on (see Enabled), and returns nil, nil when it is off.
func Setup(ctx context.Context, o Options) (*Tracing, error) {
	if o.EndpointURL == "" && !Enabled(o.Getenv) {
		return nil, nil
	}
	var opts []otlptracehttp.Option
	if o.EndpointURL != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(o.EndpointURL))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the OTLP trace exporter: %w", err)
	}
	// Later detectors win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// override the default name.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(ServiceNameDefault)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("describing the traced service: %w", err)
	}
	// No WithSampler: the SDK reads OTEL_TRACES_SAMPLER and _ARG itself.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Tracing{
		provider:   tp,
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}, nil
}

// TracerProvider is the provider spans are made with; nil when off.
func (t *Tracing) TracerProvider() trace.TracerProvider {
	if t == nil {
		return nil
	}
	return t.provider
}

// Shutdown exports the spans still queued and stops the exporter, within
// ShutdownTimeoutDefault or ctx, whichever ends first. Off, it does nothing.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ShutdownTimeoutDefault)
	defer cancel()
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("flushing the trace exporter: %w", err)
	}
	return nil
}
