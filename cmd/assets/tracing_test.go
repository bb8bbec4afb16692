package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/internal/telemetry"
	"github.com/openinventory/assets/internal/telemetry/otlpreceiver"
	"github.com/openinventory/assets/internal/testenv"
)

// tracedEnv is an Env on a seeded database and index prefix of the test's
// own, with a tenant and a token that reads it.
func tracedEnv(tb testing.TB) (e *cli.Env, tenant, token string) {
	tb.Helper()
	_, prefix := testenv.Elasticsearch(tb)
	e = &cli.Env{
		DatabaseURL: testenv.DatabaseURL(tb), ElasticsearchURL: testenv.ElasticsearchURL(tb), IndexPrefix: prefix,
		ES: testenv.ElasticsearchAuth(tb), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	out := execute(tb, e, "seed", "--assets", "20", "--tenants", "1", "--groups", "1", "--orgs", "2")
	var sum seed.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		tb.Fatalf("seed summary %q: %v", out, err)
	}
	tenant = sum.Tenants[0]
	token = strings.TrimSpace(execute(tb, e, "token", "create", "--name", "tracing", "--grant", "tenant:"+tenant+":tenant.read"))
	return e, tenant, token
}

// execute runs one command of the tree in-process and returns its output.
func execute(tb testing.TB, e *cli.Env, args ...string) string {
	tb.Helper()
	r := run(tb, e, args...)
	if r.err != nil {
		tb.Fatalf("%v: %v", args, r.err)
	}
	return r.out
}

// startServe runs serve on a free loopback port until the test ends and
// returns its base URL once /healthz answers.
func startServe(tb testing.TB, e *cli.Env) string {
	tb.Helper()
	addr := freeAddrTB(tb)
	cmd := newServeCmd(e)
	cmd.SetArgs([]string{"--addr", addr, "--rate-limit", "0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("serve: %v", err)
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			tb.Fatal("serve did not come up")
		}
	}
}

func freeAddrTB(tb testing.TB) string {
	tb.Helper()
	addr, err := harness.FreeLoopbackAddr()
	if err != nil {
		tb.Fatal(err)
	}
	return addr
}

// list sends one list request of the tenant, with header set, and fails
// the test unless it is a 200.
func list(tb testing.TB, client *http.Client, base, tenant, token string, header http.Header) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/rest/tenants/"+tenant+"/inventory/assets?version=2024-10-15&limit=10", nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Token "+token)
	res, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("list: %d %s", res.StatusCode, body)
	}
}

// TestServeTracesOneListRequest: with an OTLP endpoint, one list request
// through serve exports the server's span, PostgreSQL's (the token) and
// Elasticsearch's (the search), all in the caller's trace, and no span
// carries a password.
func TestServeTracesOneListRequest(t *testing.T) {
	t.Parallel()
	rec := otlpreceiver.Start()
	defer rec.Close()
	e, tenant, token := tracedEnv(t)
	tr, err := telemetry.Setup(context.Background(), telemetry.Options{EndpointURL: rec.TracesURL})
	if err != nil || tr == nil {
		t.Fatalf("Setup = %v, %v", tr, err)
	}
	traced := *e
	traced.Tracing = tr
	base := startServe(t, &traced)

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	list(t, http.DefaultClient, base, tenant, token, http.Header{"Traceparent": {"00-" + traceID + "-00f067aa0ba902b7-01"}})
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	var server, pg, es int
	for _, s := range rec.Spans() {
		if s.TraceID != traceID {
			continue
		}
		switch {
		case s.Name == "GET /rest/tenants/{tenant_id}/inventory/assets":
			server++
		case s.Attributes["db.system.name"] == "postgresql":
			pg++
		case strings.HasPrefix(s.Name, telemetry.ElasticsearchSpanPrefix):
			es++
		}
		if s.Service != telemetry.ServiceNameDefault {
			t.Errorf("span %q of service %q, want %q", s.Name, s.Service, telemetry.ServiceNameDefault)
		}
	}
	if server != 1 || pg == 0 || es == 0 {
		t.Errorf("in trace %s: %d server, %d PostgreSQL, %d Elasticsearch spans; want 1, >0, >0; all spans:\n%+v",
			traceID, server, pg, es, rec.Spans())
	}
	for _, secret := range secrets(e) {
		for _, s := range rec.Spans() {
			for k, v := range s.Attributes {
				if strings.Contains(v, secret) {
					t.Errorf("span %q attribute %s carries a password: %q", s.Name, k, v)
				}
			}
		}
	}
}

// secrets are the passwords of e's services.
func secrets(e *cli.Env) []string {
	var out []string
	if u, err := url.Parse(e.DatabaseURL); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw)
		}
	}
	if e.ES.Password != "" {
		out = append(out, e.ES.Password)
	}
	if e.ES.APIKey != "" {
		out = append(out, e.ES.APIKey)
	}
	return out
}

// TestTracingOffInstallsNothing: without an OTLP endpoint, serve's set-up
// leaves the Env, the API handler and the global provider as they were.
func TestTracingOffInstallsNothing(t *testing.T) {
	t.Setenv(telemetry.EndpointEnv, "")
	t.Setenv(telemetry.TracesEndpointEnv, "")
	e := offlineEnv()
	got, stop, err := startTracing(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if got != e || got.Tracing != nil {
		t.Errorf("startTracing without an endpoint changed the Env: %+v", got)
	}
	if tracingHandler(got.Tracing) != nil {
		t.Error("tracingHandler(nil) wraps the API handler")
	}
	if _, sdk := otel.GetTracerProvider().(*sdktrace.TracerProvider); sdk {
		t.Error("a global SDK tracer provider is installed")
	}
}
