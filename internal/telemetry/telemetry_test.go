package telemetry_test

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/openinventory/assets/internal/telemetry"
	"github.com/openinventory/assets/internal/telemetry/otlpreceiver"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEnabled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"nothing set", nil, false},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{"only a service name", map[string]string{"OTEL_SERVICE_NAME": "x"}, false},
		{"SDK disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{"SDK disabled, any case", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "TRUE"}, false},
		{"SDK not disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "false"}, true},
	} {
		if got := telemetry.Enabled(env(tc.env)); got != tc.want {
			t.Errorf("%s: Enabled = %v, want %v", tc.name, got, tc.want)
		}
	}
}

type marker struct{ http.Handler }

type markerTransport struct{ http.RoundTripper }

// TestOffInstallsNothing: without an endpoint, Setup builds nothing and
// every method hands back what it was given.
func TestOffInstallsNothing(t *testing.T) {
	t.Parallel()
	tr, err := telemetry.Setup(context.Background(), telemetry.Options{Getenv: env(nil)})
	if err != nil || tr != nil {
		t.Fatalf("Setup = %v, %v; want nil, nil", tr, err)
	}
	h := &marker{}
	if got := tr.Handler(h, "x"); got != h {
		t.Errorf("Handler wrapped the handler: %T", got)
	}
	rt := &markerTransport{}
	if got := tr.ElasticsearchTransport(rt); got != rt {
		t.Errorf("ElasticsearchTransport wrapped the transport: %T", got)
	}
	if tr.PGXTracer() != nil || tr.TracerProvider() != nil {
		t.Error("a pgx tracer or a provider exists with tracing off")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	if _, sdk := otel.GetTracerProvider().(*sdktrace.TracerProvider); sdk {
		t.Error("a global SDK tracer provider is installed")
	}
}

// TestShutdownFlushes: a span ended just before Shutdown reaches the
// receiver, named after the default service; the global provider is left
// alone even with tracing on.
func TestShutdownFlushes(t *testing.T) {
	t.Parallel()
	rec := otlpreceiver.Start()
	defer rec.Close()
	tr, err := telemetry.Setup(context.Background(), telemetry.Options{Getenv: env(nil), EndpointURL: rec.TracesURL})
	if err != nil || tr == nil {
		t.Fatalf("Setup = %v, %v", tr, err)
	}
	_, span := tr.TracerProvider().Tracer("test").Start(context.Background(), "one")
	span.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := rec.Spans()
	if len(spans) != 1 || spans[0].Name != "one" || spans[0].Service != telemetry.ServiceNameDefault {
		t.Errorf("received %+v, want one span \"one\" of service %q", spans, telemetry.ServiceNameDefault)
	}
	if _, sdk := otel.GetTracerProvider().(*sdktrace.TracerProvider); sdk {
		t.Error("Setup installed a global provider")
	}
}

// TestStandardVariables: OTEL_SERVICE_NAME names the service and
// OTEL_TRACES_SAMPLER reaches the SDK (always_off: nothing exported), with
// the endpoint from OTEL_EXPORTER_OTLP_ENDPOINT. It sets the process
// environment, so it cannot run in parallel.
func TestStandardVariables(t *testing.T) {
	rec := otlpreceiver.Start()
	defer rec.Close()
	t.Setenv(telemetry.EndpointEnv, rec.URL)
	t.Setenv("OTEL_SERVICE_NAME", "assets-eu")
	for _, sampler := range []string{"always_on", "always_off"} {
		t.Setenv("OTEL_TRACES_SAMPLER", sampler)
		tr, err := telemetry.Setup(context.Background(), telemetry.Options{})
		if err != nil || tr == nil {
			t.Fatalf("Setup = %v, %v", tr, err)
		}
		_, span := tr.TracerProvider().Tracer("test").Start(context.Background(), sampler)
		span.End()
		if err := tr.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	spans := rec.Spans()
	if len(spans) != 1 || spans[0].Name != "always_on" || spans[0].Service != "assets-eu" {
		t.Errorf("received %+v, want only the always_on span, of service assets-eu", spans)
	}
}
